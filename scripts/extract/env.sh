# Sourced by scripts/score-extract.sh and scripts/bench-extract.sh: makes sure the tools the scoring needs exist.
# Debian packages: poppler-utils (pdftotext, the speed baseline), pandoc (converts pandoc's .native ground truth),
# python3-venv; Python packages in .venv-bench/: rapidfuzz (Levenshtein for Seq), python-docx (docx ground truth).
need_apt=()
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
command -v pandoc >/dev/null || need_apt+=(pandoc)
python3 -c "import venv, ensurepip" 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get install -y "${need_apt[@]}" >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "${need_apt[@]}" >/dev/null; }
fi
VENV="${VENV:-.venv-bench}"
if ! "$VENV/bin/python" -c "import rapidfuzz, docx" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q rapidfuzz python-docx
fi
