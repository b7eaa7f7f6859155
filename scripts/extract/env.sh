# Sourced by scripts/score-extract.sh and scripts/bench-extract.sh: makes sure the tools the scoring needs exist.
# Debian packages: poppler-utils (pdftotext, the speed baseline), pandoc (converts pandoc's .native ground truth),
# python3-venv; Python packages in .venv-bench/: rapidfuzz (Levenshtein for Seq), python-docx (docx ground truth).
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
    $SUDO apt-get install -y "$@" >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y "$@" >/dev/null; }
}
need_apt=()
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
command -v pandoc >/dev/null || need_apt+=(pandoc)
command -v python3 >/dev/null || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then apt_install "${need_apt[@]}"; fi
VENV="${VENV:-.venv-bench}"
if ! "$VENV/bin/python" -c "import rapidfuzz, docx" 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" >/dev/null 2>&1 || { apt_install python3-venv; rm -rf "$VENV"; python3 -m venv "$VENV"; }
    "$VENV/bin/pip" install -q rapidfuzz python-docx
fi
