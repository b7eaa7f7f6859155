#!/usr/bin/env python3
"""hnswlib side of `make bench-ann`: build, query and measure on the same .fvecs/.ivecs files.

    python3 hnswlib_bench.py DATADIR OUT.json [--m 16] [--efc 200] [--efs 16,32,64,128,256] [--threads 1,2] [--build-threads 2]

Resident memory is read from /proc/self/status: `rss_index_mb` is the growth caused by building the index
(after the data set is already loaded), the same measure ANNBenchmark reports for the Swift index.
"""
import argparse, json, time
import numpy as np
import hnswlib


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    d = int(raw[0])
    return raw.reshape(-1, d + 1)[:, 1:].copy().view(dtype)


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("datadir")
    ap.add_argument("out")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--efc", type=int, default=200)
    ap.add_argument("--efs", default="16,32,64,128,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--build-threads", type=int, default=2)
    ap.add_argument("--k", type=int, default=10)
    a = ap.parse_args()

    base = read_vecs(f"{a.datadir}/base.fvecs", np.float32)
    queries = read_vecs(f"{a.datadir}/query.fvecs", np.float32)
    gt = read_vecs(f"{a.datadir}/groundtruth.ivecs", np.int32)[:, : a.k]
    n, d = base.shape
    rss_before = rss_mb()

    index = hnswlib.Index(space="ip", dim=d)
    t0 = time.perf_counter()
    c0 = time.process_time()
    index.init_index(max_elements=n, ef_construction=a.efc, M=a.m, random_seed=100)
    index.add_items(base, np.arange(n), num_threads=a.build_threads)
    build_s = time.perf_counter() - t0
    build_cpu = time.process_time() - c0
    rss_after = rss_mb()

    runs = []
    for threads in [int(x) for x in a.threads.split(",")]:
        for ef in [int(x) for x in a.efs.split(",")]:
            index.set_ef(ef)
            index.knn_query(queries[:50], k=a.k, num_threads=threads)  # warm-up
            best = None
            best_cpu = None
            labels = None
            for _ in range(2):
                t0 = time.perf_counter()
                c0 = time.process_time()
                labels, _dist = index.knn_query(queries, k=a.k, num_threads=threads)
                dt = time.perf_counter() - t0
                dc = time.process_time() - c0
                best = dt if best is None else min(best, dt)
                best_cpu = dc if best_cpu is None else min(best_cpu, dc)
            hits = sum(len(set(labels[i].tolist()) & set(gt[i].tolist())) for i in range(len(queries)))
            runs.append({"threads": threads, "ef": ef, "recall": hits / (len(queries) * a.k), "qps": len(queries) / best,
                         "cpu_qps": len(queries) * threads / best_cpu})

    out = {
        "library": "hnswlib",
        "version": getattr(hnswlib, "__version__", "unknown"),
        "n": n, "dim": d, "m": a.m, "ef_construction": a.efc,
        "build_threads": a.build_threads,
        "build_seconds": build_s, "build_cpu_seconds": build_cpu,
        "rss_before_mb": rss_before, "rss_after_mb": rss_after, "rss_index_mb": rss_after - rss_before,
        "runs": runs,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
