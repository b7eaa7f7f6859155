# Sourced by the fetch scripts (fetch-model.sh, fetch-speech-model.sh): files checked by SHA-256 once, and remembered
# as checked by a sidecar "<file>.sha256ok" holding the digest, size and mtime, so that a second look is instant.

sha_of() { sha256sum "$1" | awk '{print $1}'; }
stamp_of() { stat -c '%s %Y' "$1"; }

# True when file $1 exists and has digest $2 (using the sidecar when it still describes the file).
has_digest() {
  local f="$1" want="$2"
  [[ -f "$f" ]] || return 1
  local stampfile="$f.sha256ok"
  if [[ -f "$stampfile" ]] && [[ "$(cat "$stampfile")" == "$want $(stamp_of "$f")" ]]; then
    return 0
  fi
  if [[ "$(sha_of "$f")" == "$want" ]]; then
    echo "$want $(stamp_of "$f")" >"$stampfile"
    return 0
  fi
  return 1
}
