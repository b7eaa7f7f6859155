#!/usr/bin/env bash
# make bench-admin: server time (Server-Timing app;dur) of every admin page with 10,000 conversations and 1,000
# documents seeded into a fresh data directory. Prints a table and writes bench-results/admin.json.
# ADMIN_BENCH_BIN=path skips the release build; CONVERSATIONS, DOCUMENTS, REQUESTS, WARMUP change the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bin="$(release_binary balcao "${ADMIN_BENCH_BIN:-}")"
mkdir -p bench-results
python3 scripts/admin/bench.py --binary "$bin" --conversations "${CONVERSATIONS:-10000}" --documents "${DOCUMENTS:-1000}" \
  --requests "${REQUESTS:-40}" --warmup "${WARMUP:-3}" --output bench-results/admin.json
