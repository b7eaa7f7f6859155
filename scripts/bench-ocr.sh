#!/usr/bin/env bash
# make bench-ocr: CER and pages/s of Balcão's OCR pipeline against the tesseract command line with default options
# (`tesseract IMAGE stdout -l por`, a process per image) on the same images: pages of the corpus's Portuguese text
# PDFs rasterized at 300 dpi (ground truth from their text layer) and degraded copies of each (small rotation,
# 90° and 180° turns, JPEG quality 30, blur, noise, phone-photo perspective). Prints tables and writes
# bench-results/ocr.json (raw per-image figures plus goals). Both sides run single-threaded (OMP_THREAD_LIMIT=1),
# one after the other, on the same images.
#   CORPUS=...          corpus folder (default ../shared/corpus)
#   PAGES=12            clean pages in the test set, each with 7 degraded copies; ~3.5 CPU-s per image per side
#   OCR_BENCH_BIN=path  use this OCRBenchmark (or scripts/ocr/fake_balcao_ocr.py, a stand-in) instead of building one
#   CER_MODE=reordered  which CER the goals use: reordered (lines in the ground truth's reading order) or strict
#   SWIFT_BUILD_FLAGS="..."  extra flags for swift build (e.g. --scratch-path .build-bench)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CORPUS="${CORPUS:-$(cd .. && pwd)/shared/corpus}"
[ -f "$CORPUS/manifest.json" ] || { echo "corpus not found at $CORPUS (set CORPUS=…)" >&2; exit 1; }
PAGES="${PAGES:-12}"

source scripts/extract/env.sh
# (grep without -q: it would close the pipe early, and pipefail would call that a failure)
command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -x por >/dev/null \
  || apt_install tesseract-ocr tesseract-ocr-por
"$VENV/bin/python" -m pip install -q --disable-pip-version-check Pillow==11.3.0 numpy==2.2.6 >&2
PY="$VENV/bin/python"

source scripts/lib.sh
BIN="$(release_binary OCRBenchmark "${OCR_BENCH_BIN:-}")"

mkdir -p bench-results
TS=bench-results/ocr-testset
"$PY" scripts/ocr/make_testset.py "$TS" --corpus "$CORPUS" --pages "$PAGES"
cat "$TS"/images/* >/dev/null  # both sides read the images from the page cache

export OMP_THREAD_LIMIT=1
START=$EPOCHREALTIME

# The anchor: one tesseract process per image, default options, wall time of each.
CLI_DIR=bench-results/ocr-cli
rm -rf "$CLI_DIR"
mkdir -p "$CLI_DIR"
"$PY" -c 'import json, sys; print("\n".join(e["image"] for e in json.load(open(sys.argv[1]))))' \
  "$TS/manifest.json" >"$CLI_DIR/images.txt"
total=$(wc -l <"$CLI_DIR/images.txt")
i=0
while IFS= read -r img; do
  i=$((i + 1))
  mkdir -p "$(dirname "$CLI_DIR/$img")"
  rc=0
  t0=$EPOCHREALTIME
  tesseract "$TS/$img" stdout -l por >"$CLI_DIR/$img.txt" 2>>"$CLI_DIR/stderr.log" || rc=$?
  t1=$EPOCHREALTIME
  printf '%s\t%s\t%s\t%s\n' "$img" "$rc" "$t0" "$t1" >>"$CLI_DIR/times.tsv"
  printf '\rtesseract CLI: %d/%d' "$i" "$total" >&2
done <"$CLI_DIR/images.txt"
echo >&2

# Balcão's side: OCRBenchmark reads the manifest and times each image itself.
echo "Balcão: $BIN" >&2
rm -f bench-results/ocr-balcao.json
"$BIN" --manifest "$TS/manifest.json" --output bench-results/ocr-balcao.json

WALL=$("$PY" -c 'import sys; print(float(sys.argv[2].replace(",", ".")) - float(sys.argv[1].replace(",", ".")))' \
  "$START" "$EPOCHREALTIME")
"$PY" scripts/ocr/report.py --testset "$TS" --cli-dir "$CLI_DIR" --balcao bench-results/ocr-balcao.json \
  --out bench-results/ocr.json --mode "${CER_MODE:-reordered}" --wall-seconds "$WALL"
