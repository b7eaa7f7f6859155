#!/usr/bin/env bash
# make bench-extract: PDF pages/s of Balcão's full extraction + normalization over the non-hostile corpus PDFs,
# against pdftotext (poppler-utils) over the same files in the same run. Prints a table and writes
# bench-results/extract.json with goals.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${CORPUS:-$(cd .. && pwd)/shared/corpus}"
[ -f "$CORPUS/manifest.json" ] || { echo "corpus not found at $CORPUS (set CORPUS=…)" >&2; exit 1; }
RUNS="${RUNS:-5}"
source scripts/extract/env.sh
mkdir -p bench-results
# SWIFTPM_FLAGS (e.g. "--build-path /tmp/b -j 1") is passed to both swift build calls.
swift build -c release ${SWIFTPM_FLAGS:-} --product ExtractBenchmark
BIN="$(swift build -c release ${SWIFTPM_FLAGS:-} --show-bin-path)/ExtractBenchmark"
"$BIN" bench --corpus "$CORPUS" --runs "$RUNS" > bench-results/extract-raw-speed.json 2>/dev/null
python3 scripts/extract/bench.py --raw bench-results/extract-raw-speed.json --out bench-results/extract.json
