#!/usr/bin/env python3
"""Compares Balcão's PDF extraction speed (from `ExtractBenchmark bench`) with pdftotext on the same files.

pdftotext is timed per file as a process (spawn included, like measure.py), best of N runs; Balcão is timed
in-process per file, best of N runs. Both totals cover the same files, counting only files both extracted.
"""
import argparse
import json
import os
import platform
import subprocess
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--balcao", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    balcao = json.load(open(a.balcao))
    rows = []
    for f in balcao["files"]:
        path = os.path.join(a.corpus, f["file"])
        best = None
        pages = None
        ok = True
        for _ in range(a.runs):
            t0 = time.perf_counter()
            p = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True)
            dt = time.perf_counter() - t0
            if p.returncode != 0:
                ok = False
                break
            out = p.stdout.decode("utf-8", "replace").split("\f")
            pages = len(out) - 1 if out and out[-1] == "" else len(out)
            best = dt if best is None else min(best, dt)
        rows.append({"file": f["file"], "pages": f["pages"], "balcao_s": f["seconds"], "balcao_status": f["status"],
                     "pdftotext_s": best if ok else None, "pdftotext_pages": pages})
    both = [r for r in rows if r["balcao_status"] == "ok" and r["pdftotext_s"] is not None]
    pages = sum(r["pages"] for r in both)
    b_s = sum(r["balcao_s"] for r in both)
    p_s = sum(r["pdftotext_s"] for r in both)
    b_rate = pages / b_s if b_s else 0.0
    p_rate = pages / p_s if p_s else 0.0
    ratio = b_rate / p_rate if p_rate else 0.0
    print("\n## PDF extraction speed (best of %d runs per file)\n" % a.runs)
    print("| file | pages | balcao ms | pdftotext ms |")
    print("|---|---|---|---|")
    for r in rows:
        pt = f"{r['pdftotext_s'] * 1000:.1f}" if r["pdftotext_s"] is not None else "fail"
        print(f"| {os.path.basename(r['file'])} | {r['pages']} | {r['balcao_s'] * 1000:.1f} ({r['balcao_status']}) | {pt} |")
    print()
    print("| tool | files | pages | seconds | pages/s |")
    print("|---|---|---|---|---|")
    print(f"| balcao (poppler-glib + layout + normalization) | {len(both)} | {pages} | {b_s:.3f} | {b_rate:.1f} |")
    print(f"| pdftotext (process per file) | {len(both)} | {pages} | {p_s:.3f} | {p_rate:.1f} |")
    goals = [{"goal": "PDF pages/s vs pdftotext", "measured": round(ratio, 3), "target": ">= 1.0x", "met": ratio >= 1.0}]
    print("\n| goal | measured | target | met |")
    print("|---|---|---|---|")
    for g in goals:
        print(f"| {g['goal']} | {g['measured']}x ({b_rate:.1f} vs {p_rate:.1f} pages/s) | {g['target']} | "
              f"{'yes' if g['met'] else 'NO'} |")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    json.dump({"benchmark": "extract", "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "runs": a.runs,
               "files": rows, "pages": pages,
               "balcao": {"seconds": b_s, "pages_per_second": b_rate},
               "pdftotext": {"seconds": p_s, "pages_per_second": p_rate},
               "ratio": ratio, "goals": goals}, open(a.out, "w"), indent=1)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
