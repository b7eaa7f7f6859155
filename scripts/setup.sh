#!/usr/bin/env bash
# Installs what Balcão needs to build, test and run, and nothing that is already there.
# Idempotent: a second run checks and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  pkg-config
  libpoppler-glib-dev   # PDF text extraction
  poppler-utils         # pdftotext: the benchmark anchor
  libsqlite3-dev        # the database (FTS5 keyword index)
  libxml2-dev
  libssl-dev
  libcurl4-openssl-dev
  zlib1g-dev            # DOCX (zip) decompression
  libtesseract-dev      # OCR of scans and images (Tesseract 5, with Leptonica)
  libleptonica-dev
  tesseract-ocr-por     # OCR language data: Portuguese, English, orientation detection
  tesseract-ocr-eng
  tesseract-ocr-osd
  tesseract-ocr         # the tesseract command line: the OCR benchmark's anchor
  libopusfile-dev       # voice notes: OGG/Opus decoding
  libspeexdsp-dev       # voice notes: resampling to 16 kHz
  cmake                 # builds whisper.cpp (speech to text), which Debian does not package
  patch                 # applies Balcão's patches to whisper.cpp (scripts/whisper-patches)
  espeak-ng             # speech tests and benchmark: synthesized Portuguese questions
  opus-tools            # opusenc: those questions as real OGG/Opus voice notes
  python3-venv          # benchmark and scoring helpers
  python3-pip
  chromium              # browser tests (headless, driven by Python Playwright)
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v swift >/dev/null || { echo "Swift 6 is required: install the Swift toolchain (swift.org) and put it on PATH." >&2; exit 1; }

# The local embedding model (multilingual-e5-small, 4-bit), verified by SHA-256.
if [ -f scripts/fetch-model.sh ]; then
  bash scripts/fetch-model.sh "${BALCAO_MODEL_DIR:-balcao-data/models}"
fi

# Voice notes: whisper.cpp built once into .build-whisper/prefix (static, linked into balcao), and the multilingual
# Whisper base model converted to whisper.cpp's format, both verified by SHA-256.
bash scripts/fetch-whisper.sh
bash scripts/fetch-speech-model.sh "${BALCAO_MODEL_DIR:-balcao-data/models}"

# Browser tests and admin benchmark: Python Playwright (its bundled driver needs no npm) and pytest, pinned in
# Tests/Browser/requirements.txt, in .venv-browser/. Reinstalled only when the requirements file changed.
venv=.venv-browser
requirements=Tests/Browser/requirements.txt
if [ -f "$requirements" ] && ! cmp -s "$requirements" "$venv/.requirements" 2>/dev/null; then
  echo "Preparing $venv (Python Playwright, pytest)"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/.requirements"
fi
