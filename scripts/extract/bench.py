#!/usr/bin/env python3
"""Formats `ExtractBenchmark bench` output: Balcão's PDF pages/s (full extraction + normalization, in-process)
against pdftotext (a process per file with its output read back, like measure.py) on the same files.

Both are timed by ExtractBenchmark in alternation (Balcão, then pdftotext, per round, best of N rounds), so load
from other processes affects both alike. Totals count only files both extracted.
"""
import argparse
import json
import os
import platform
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    raw = json.load(open(a.raw))
    rows = raw["files"]
    both = [r for r in rows if r["balcao_status"] == "ok" and r["pdftotext_s"] is not None]
    pages = sum(r["pages"] for r in both)
    b_s = sum(r["balcao_s"] for r in both)
    p_s = sum(r["pdftotext_s"] for r in both)
    b_rate = pages / b_s if b_s else 0.0
    p_rate = pages / p_s if p_s else 0.0
    ratio = b_rate / p_rate if p_rate else 0.0
    b_cpu = sum(r["balcao_cpu_s"] for r in both)
    p_cpu = sum(r["pdftotext_cpu_s"] for r in both)
    cpu_ratio = (pages / b_cpu) / (pages / p_cpu) if b_cpu and p_cpu else 0.0
    print("\n## PDF extraction speed (best of %d alternating rounds per file)\n" % raw["runs"])
    print("| file | pages | balcao ms | pdftotext ms |")
    print("|---|---|---|---|")
    for r in rows:
        pt = f"{r['pdftotext_s'] * 1000:.1f}" if r["pdftotext_s"] is not None else "fail"
        st = "" if r["balcao_status"] == "ok" else f" ({r['balcao_status']}, not counted)"
        print(f"| {os.path.basename(r['file'])} | {r['pages']} | {r['balcao_s'] * 1000:.1f}{st} | {pt} |")
    print()
    print("| tool | files | pages | seconds | pages/s |")
    print("|---|---|---|---|---|")
    print(f"| balcao (poppler-glib + layout + normalization, in-process) | {len(both)} | {pages} | {b_s:.3f} | {b_rate:.1f} |")
    print(f"| pdftotext (process per file, output read) | {len(both)} | {pages} | {p_s:.3f} | {p_rate:.1f} |")
    print(f"\nCPU time (user+system, all threads; steadier under load): balcao {b_cpu:.3f} s "
          f"({pages / b_cpu if b_cpu else 0:.1f} pages per CPU-second), pdftotext {p_cpu:.3f} s "
          f"({pages / p_cpu if p_cpu else 0:.1f} pages per CPU-second)")
    goals = [{"goal": "PDF pages/s vs pdftotext (wall clock, same run)", "measured": round(ratio, 3), "target": 1.0,
              "met": ratio >= 1.0},
             {"goal": "PDF pages per CPU-second vs pdftotext (same run)", "measured": round(cpu_ratio, 3),
              "target": 1.0, "met": cpu_ratio >= 1.0}]
    print("\n| goal | measured | target | met |")
    print("|---|---|---|---|")
    for g in goals:
        print(f"| {g['goal']} | {g['measured']}x | >= {g['target']}x | {'yes' if g['met'] else 'NO'} |")
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    json.dump({"benchmark": "extract", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "loadavg": load},
               "runs": raw["runs"], "files": rows, "pages": pages,
               "balcao": {"seconds": b_s, "pages_per_second": b_rate, "cpu_seconds": b_cpu},
               "pdftotext": {"seconds": p_s, "pages_per_second": p_rate, "cpu_seconds": p_cpu},
               "ratio": ratio, "goals": goals}, open(a.out, "w"), indent=1)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
