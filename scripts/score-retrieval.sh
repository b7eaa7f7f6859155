#!/usr/bin/env bash
# make score-retrieval: retrieval quality of Balcão's own search code on FaQuAD.
#
# Builds RetrievalScore in release mode and runs it: the passages of corpus.jsonl are indexed into a fresh, temporary
# Balcão database through Storage (one document and one chunk per passage), embedded with LocalE5Embedder, and every
# question of queries.jsonl is scored (hit@1, hit@5, MRR@10) for keyword-only (FTS5 BM25 with Portuguese stemming),
# dense-only (exact and HNSW) and hybrid (Retrieval.SearchService, reciprocal rank fusion). Prints a table and writes
# bench-results/retrieval.json (raw figures, a fusion sweep, and the goals with measured/target/met).
#   FAQUAD_DIR=...  (default ../shared/retrieval/faquad)   MODEL=... (default balcao-data/models/e5-small-q4.bin)
#   RETRIEVAL_SCORE_BIN=path  use an already built RetrievalScore instead of building one
#   SWIFT_BUILD_FLAGS="..."   extra flags for swift build (e.g. --scratch-path .build-bench)
#   THREADS=N                 embedding threads (default 2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

FAQUAD_DIR="${FAQUAD_DIR:-../shared/retrieval/faquad}"
MODEL="${MODEL:-balcao-data/models/e5-small-q4.bin}"
CORPUS="$FAQUAD_DIR/corpus.jsonl"
QUERIES="$FAQUAD_DIR/queries.jsonl"
[[ -f "$CORPUS" && -f "$QUERIES" ]] || { echo "score-retrieval: FaQuAD data not found in $FAQUAD_DIR" >&2; exit 1; }

bash scripts/fetch-model.sh "$(dirname "$MODEL")"

source scripts/lib.sh
BIN="$(release_binary RetrievalScore "${RETRIEVAL_SCORE_BIN:-}")"

mkdir -p bench-results
"$BIN" --dataset faquad --corpus "$CORPUS" --queries "$QUERIES" --model "$MODEL" --threads "${THREADS:-2}" \
  --out bench-results/retrieval.json
