#!/usr/bin/env bash
# make bench-webhook: signed webhooks against the daemon (fake LLM and Graph API on loopback) and a bare Hummingbird
# endpoint in the same run. Prints a table and writes bench-results/webhook.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bin="$(release_binary WebhookBenchmark "${WEBHOOK_BENCH_BIN:-}")"
mkdir -p bench-results
"$bin" --messages "${MESSAGES:-1000}" --concurrency "${CONCURRENCY:-32}" --output bench-results/webhook.json
