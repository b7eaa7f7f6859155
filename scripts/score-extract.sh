#!/usr/bin/env bash
# make score-extract: run Balcão's extractor over ../shared/corpus and score it like the corpus's measure.py.
# Writes bench-results/extract-score.json (raw figures + goals) and prints the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS="${CORPUS:-$(cd .. && pwd)/shared/corpus}"
[ -f "$CORPUS/manifest.json" ] || { echo "corpus not found at $CORPUS (set CORPUS=…)" >&2; exit 1; }
source scripts/extract/env.sh
mkdir -p bench-results
# SWIFTPM_FLAGS (e.g. "--build-path /tmp/b -j 1") is passed to both swift build calls.
swift build -c release ${SWIFTPM_FLAGS:-} --product ExtractBenchmark
BIN="$(swift build -c release ${SWIFTPM_FLAGS:-} --show-bin-path)/ExtractBenchmark"
"$BIN" score --corpus "$CORPUS" --out bench-results/extract-raw.json 2>/dev/null
"$VENV/bin/python" scripts/extract/score.py --corpus "$CORPUS" --raw bench-results/extract-raw.json \
    --out bench-results/extract-score.json
