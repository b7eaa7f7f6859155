#!/usr/bin/env bash
# make fuzz (long) and the bounded run of make test (--bounded): the webhook fuzzer and schemathesis against the real
# daemon (.build/debug/balcao) with fake Graph API and LLM on loopback. Prints a table; exits non-zero on any finding.
# Options go to scripts/fuzz/run.py: --seed N (replay), --webhooks N, --api-seconds S, --api-examples N, --only api|webhooks.
# FUZZ_WEBHOOKS / FUZZ_API_SECONDS set the long run's sizes (make fuzz FUZZ_WEBHOOKS=20000).
set -euo pipefail
cd "$(dirname "$0")/.."

# schemathesis and its dependencies, pinned in scripts/fuzz/requirements.txt, in .venv-fuzz/ (reinstalled only when
# the requirements file changed).
venv=.venv-fuzz
requirements=scripts/fuzz/requirements.txt
if ! cmp -s "$requirements" "$venv/.requirements" 2>/dev/null; then
  echo "Preparing $venv (schemathesis)"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.requirements"
fi

export BALCAO_BIN="${BALCAO_BIN:-$PWD/.build/debug/balcao}"
if [[ ! -x "$BALCAO_BIN" ]]; then
  swift build --product balcao
fi

arguments=("$@")
if [[ " $* " != *" --bounded "* ]]; then
  [[ -n "${FUZZ_WEBHOOKS:-}" ]] && arguments+=(--webhooks "$FUZZ_WEBHOOKS")
  [[ -n "${FUZZ_API_SECONDS:-}" ]] && arguments+=(--api-seconds "$FUZZ_API_SECONDS")
fi
exec "$venv/bin/python" scripts/fuzz/run.py "${arguments[@]}"
