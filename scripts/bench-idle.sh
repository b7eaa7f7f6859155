#!/usr/bin/env bash
# make bench-idle: the release daemon (balcao serve, its own process) with the local embedding model and an agent with
# indexed documents, measured while it does nothing: CPU time and SQLite write transactions over IDLE_SECONDS (default
# 60) once ready, then again at rest between two answered webhooks. Prints a table and writes bench-results/idle.json
# (raw figures, per-second samples, goals). BALCAO_IDLE_BIN skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bin="$(release_binary balcao "${BALCAO_IDLE_BIN:-}")"
mkdir -p bench-results
exec python3 scripts/idle/idle.py --binary "$bin" --seconds "${IDLE_SECONDS:-60}" --output bench-results/idle.json "$@"
