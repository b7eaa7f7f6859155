#!/usr/bin/env python3
"""Stand-in for OCRBenchmark, to try scripts/bench-ocr.sh before the real one exists:

  OCR_BENCH_BIN=scripts/ocr/fake_balcao_ocr.py bash scripts/bench-ocr.sh

Speaks OCRBenchmark's interface: `--manifest M --output O` reads M (the list written by make_testset.py; images
relative to M's folder) and writes O as [{"image": <the manifest's relative path>, "text": "...", "seconds": <float>}].
It runs the tesseract command line with default options (`tesseract IMAGE stdout -l por`), so its figures are the
anchor's again, give or take the machine's noise: no preprocessing, nothing to beat with.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    base = os.path.dirname(os.path.abspath(a.manifest))
    entries = json.load(open(a.manifest, encoding="utf-8"))
    out = []
    for i, e in enumerate(entries, 1):
        t0 = time.perf_counter()
        r = subprocess.run(["tesseract", os.path.join(base, e["image"]), "stdout", "-l", "por"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        seconds = time.perf_counter() - t0
        text = r.stdout.decode("utf-8", "replace") if r.returncode == 0 else ""
        out.append({"image": e["image"], "text": text, "seconds": seconds})
        print(f"\rfake_balcao_ocr: {i}/{len(entries)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with open(a.output, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
