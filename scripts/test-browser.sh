#!/usr/bin/env bash
# Browser tests (make test runs them after the Swift tests): real headless Chromium (Debian's package) driven by Python
# Playwright against the real daemon (.build/debug/balcao, built by `swift build --build-tests`), with fake LLM and
# WhatsApp Graph API servers on loopback. Screenshots of every page: test-artifacts/browser/*.png.
# Extra arguments go to pytest, e.g. `bash scripts/test-browser.sh -k playground -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-browser
if [[ ! -x "$venv/bin/python" ]] || ! command -v "${BALCAO_CHROMIUM:-/usr/bin/chromium}" >/dev/null; then
  bash scripts/setup.sh
fi
export BALCAO_BIN="${BALCAO_BIN:-$PWD/.build/debug/balcao}"
[[ -x "$BALCAO_BIN" ]] || { echo "$BALCAO_BIN is missing: run \`swift build --build-tests\` first" >&2; exit 1; }
rm -rf test-artifacts/browser
mkdir -p test-artifacts/browser
exec "$venv/bin/python" -m pytest -p no:cacheprovider -rs --tb=short Tests/Browser "$@"
