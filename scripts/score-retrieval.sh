#!/usr/bin/env bash
# make score-retrieval: retrieval quality through the product's own path (upload → ingestion → GET /api/v1/search) on
# every set of ../shared/retrieval (FaQuAD, squad-pt, stackfaq), beside keyword search alone and dense search alone over
# the same chunks, scored on a fixed dev/test split. Everything is explained in scripts/retrieval/score.py.
# Prints a table per set and writes bench-results/retrieval.json (raw figures and the goals with measured/target/met).
#   SETS=faquad,squadpt,stackfaq   MODEL=... (default balcao-data/models/e5-small-q4.bin)
#   BALCAO_BIN=path RETRIEVAL_SCORE_BIN=path   use already built binaries instead of building them (release)
#   SWIFT_BUILD_FLAGS="..."   extra flags for swift build (e.g. --scratch-path .build-bench)
#   THREADS=N                 embedding threads of the in-process runs (default 2)
#   SCORE_FLAGS="..."         more flags for score.py (--no-direct, --keep)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA="${RETRIEVAL_DATA:-../shared/retrieval}"
MODEL="${MODEL:-balcao-data/models/e5-small-q4.bin}"
[[ -f "$DATA/faquad/corpus.jsonl" ]] || { echo "score-retrieval: retrieval data not found in $DATA" >&2; exit 1; }

bash scripts/fetch-model.sh "$(dirname "$MODEL")"

source scripts/lib.sh
BALCAO="$(release_binary balcao "${BALCAO_BIN:-}")"
SCORER="$(release_binary RetrievalScore "${RETRIEVAL_SCORE_BIN:-}")"

# shellcheck disable=SC2086
python3 scripts/retrieval/score.py --balcao "$BALCAO" --retrieval-score "$SCORER" --model "$MODEL" --data "$DATA" \
  --sets "${SETS:-faquad,squadpt,stackfaq}" --threads "${THREADS:-2}" --out bench-results/retrieval.json ${SCORE_FLAGS:-}
