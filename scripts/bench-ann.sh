#!/usr/bin/env bash
# `make bench-ann`: the Swift VectorIndex and hnswlib side by side on the same data, in one run.
#
# Builds ANNBenchmark (release), makes a virtual environment with hnswlib and numpy (.venv-bench/), generates the
# data set with ../shared/ann/make_dataset.py (cached in .build-data/ann/), runs both libraries (Float32, Float16 and
# int8 for the Swift index), prints the table and writes bench-results/ann.json (raw figures and goals).
#
# Knobs (environment): ANN_N (base vectors, default 100000), ANN_NQ (queries, 1000), ANN_EFS (16,32,64,128,256),
# ANN_THREADS (1,2), ANN_BUILD_THREADS (2), PYTHON (python3).
set -euo pipefail
cd "$(dirname "$0")/.."

N="${ANN_N:-100000}"
NQ="${ANN_NQ:-1000}"
EFS="${ANN_EFS:-16,32,64,128,256}"
THREADS="${ANN_THREADS:-1,2}"
BUILD_THREADS="${ANN_BUILD_THREADS:-2}"
PY="${PYTHON:-python3}"
DATA=".build-data/ann/n${N}-q${NQ}"
OUT=bench-results
mkdir -p "$DATA" "$OUT"

echo "== building ANNBenchmark (release)" >&2
swift build -c release --product ANNBenchmark
BIN="$(swift build -c release --show-bin-path)/ANNBenchmark"

echo "== python environment (.venv-bench)" >&2
if [ ! -x .venv-bench/bin/python ]; then "$PY" -m venv .venv-bench; fi
if ! .venv-bench/bin/python -c "import hnswlib, numpy" 2>/dev/null; then
    .venv-bench/bin/pip install --quiet hnswlib numpy
fi

if [ ! -s "$DATA/groundtruth.ivecs" ]; then
    echo "== generating the data set ($N x 384) into $DATA" >&2
    .venv-bench/bin/python ../shared/ann/make_dataset.py "$DATA" --n "$N" --nq "$NQ"
fi

COMMON=(--m 16 --efc 200 --efs "$EFS" --threads "$THREADS" --build-threads "$BUILD_THREADS")
echo "== hnswlib" >&2
.venv-bench/bin/python scripts/ann/hnswlib_bench.py "$DATA" "$OUT/ann-hnswlib.json" "${COMMON[@]}"
echo "== VectorIndex Float32" >&2
"$BIN" bench "$DATA" "$OUT/ann-swift-f32.json" --storage f32 "${COMMON[@]}"
echo "== VectorIndex Float16" >&2
"$BIN" bench "$DATA" "$OUT/ann-swift-f16.json" --storage f16 "${COMMON[@]}"
echo "== VectorIndex int8" >&2
"$BIN" bench "$DATA" "$OUT/ann-swift-i8.json" --storage i8 "${COMMON[@]}"

.venv-bench/bin/python scripts/ann/report.py "$OUT/ann-hnswlib.json" "$OUT/ann-swift-f32.json" "$OUT/ann-swift-f16.json" \
    "$OUT/ann-swift-i8.json" "$OUT/ann.json"
