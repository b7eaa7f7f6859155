#!/usr/bin/env bash
# make bench-soak: SOAK_SECONDS (default 600) of signed webhooks at SOAK_RATE messages/s (default 40) against the
# release daemon (balcao serve, its own process) with zero-latency fake Graph API and LLM on loopback. Prints a table
# and writes bench-results/soak.json (raw figures, RSS/SQLite samples, goals). BALCAO_SOAK_BIN skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bin="$(release_binary balcao "${BALCAO_SOAK_BIN:-}")"
mkdir -p bench-results
exec python3 scripts/soak/soak.py --binary "$bin" --seconds "${SOAK_SECONDS:-600}" --rate "${SOAK_RATE:-40}" \
  --customers "${SOAK_CUSTOMERS:-3000}" --output bench-results/soak.json "$@"
