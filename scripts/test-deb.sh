#!/usr/bin/env bash
# Tests the Debian package on this machine (`make test-deb`; .ci/run runs it after `make test`). Needs root.
#
#   bash scripts/test-deb.sh [DEB]       (default: build it with scripts/build-deb.sh)
#
# Installs the .deb with dpkg -i, checks what postinst made (user, data directory, conffile permissions, enablement),
# runs the installed `balcao --version` and `balcao doctor`, then the unit's ExecStart command line as the balcao user
# with the unit's environment, credentials, umask, no capabilities and no_new_privs (systemd is not PID 1 here, so
# postinst cannot start it), with a $NOTIFY_SOCKET to receive READY=1, and probes it; runs the TLS proxy test against
# the installed binary; systemd-analyze verify and security (exposure <= 2.0); lintian; reinstalls (upgrade path,
# data kept); dpkg -r (data, configuration and user kept) and dpkg --purge (all gone), and compares the file system
# with how it was before. Ends with "test-deb: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

[[ "$(id -u)" -eq 0 ]] || exec sudo --preserve-env=PATH bash "$0" "$@"

t0=$(date +%s)
deb="${1:-}"
if [[ -z "$deb" ]]; then
  deb="$(bash scripts/build-deb.sh | tail -n1)"
fi
[[ -f "$deb" ]] || { echo "test-deb: no package at $deb" >&2; exit 2; }
t_built=$(date +%s)
version="$(dpkg-deb -f "$deb" Version)"

export DEBIAN_FRONTEND=noninteractive
for package in lintian python3-seccomp; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" && continue
  echo "test-deb: installing $package" >&2
  apt-get install -y -qq --no-install-recommends "$package" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$package" >/dev/null; }
done
bash scripts/test-tls-proxy.sh --install-only   # nginx, before the file system snapshot below

pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # check NAME COMMAND...: passes when the command succeeds
  local name="$1"; shift
  if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi
}
check_eq() { # check_eq NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}

work="$(mktemp -d)"
daemon_pid=""
listener_pid=""
cleanup() {
  [[ -n "$daemon_pid" ]] && kill -9 "$daemon_pid" 2>/dev/null || true
  [[ -n "$listener_pid" ]] && kill "$listener_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A previous, interrupted run must not decide this one.
if dpkg-query -W -f='${Status}' balcao 2>/dev/null | grep -qv "not-installed"; then
  echo "test-deb: purging a balcao package left by an earlier run" >&2
  dpkg --purge balcao >/dev/null
fi
snapshot() {
  { find /etc /lib/systemd /usr/bin /usr/share/balcao /usr/share/doc/balcao /usr/share/man/man1 /var/lib \
    -path /var/lib/dpkg -prune -o -path /var/lib/apt -prune -o -path /var/lib/ucf -prune -o -print 2>/dev/null || true; } \
    | LC_ALL=C sort
}
snapshot >"$work/before"

# --- Install -------------------------------------------------------------------------------------------------------
echo "== dpkg -i $deb"
if dpkg -i "$deb" >"$work/install.log" 2>&1; then ok "dpkg -i"; else
  cat "$work/install.log"
  apt-get install -f -y -qq >/dev/null 2>&1 && ok "dpkg -i (dependencies installed by apt-get -f)" || bad "dpkg -i"
fi
check_eq "package is installed" "install ok installed" "$(dpkg-query -W -f='${Status}' balcao)"
check "system user balcao exists" getent passwd balcao
check_eq "balcao is a system user with no login shell and home /var/lib/balcao" "/var/lib/balcao:/usr/sbin/nologin" \
  "$(getent passwd balcao | cut -d: -f6-7)"
(( $(id -u balcao) < 1000 )) && ok "balcao's uid is in the system range" || bad "balcao's uid $(id -u balcao) is not a system uid"
check_eq "/var/lib/balcao is balcao:balcao 0750" "balcao:balcao 750" "$(stat -c '%U:%G %a' /var/lib/balcao)"
check_eq "/etc/balcao/balcao.toml is root:balcao 0640" "root:balcao 640" "$(stat -c '%U:%G %a' /etc/balcao/balcao.toml)"
check_eq "/etc/balcao/credentials is root:root 0700" "root:root 700" "$(stat -c '%U:%G %a' /etc/balcao/credentials)"
check "the conffile points at /var/lib/balcao" grep -q '^data_dir = "/var/lib/balcao"' /etc/balcao/balcao.toml
check "the conffile is registered" grep -qx ' /etc/balcao/balcao.toml [0-9a-f]*' <(dpkg-query -W -f='${Conffiles}\n' balcao)
check "the unit is enabled (deb-systemd-helper)" test -L /etc/systemd/system/multi-user.target.wants/balcao.service
model=/usr/share/balcao/models/e5-small-q4.bin
check_eq "the model's SHA-256" 1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f "$(sha256sum "$model" | cut -d' ' -f1)"
check_eq "the model's checksum cache matches the installed file" "size=$(stat -c %s "$model") mtime=$(stat -c %Y "$model").000000" \
  "$(cut -d' ' -f2- "$model.verified")"
speech_model=/usr/share/balcao/models/whisper-base-multilingual-q8_0.bin
check_eq "the speech model's SHA-256" ec154a9d64ef691e5035f8502ea31ea3594a6fa00f9fd8f240fe213bf7d25e01 \
  "$(sha256sum "$speech_model" | cut -d' ' -f1)"
check "Depends lists the audio decoders" bash -c "dpkg-query -W -f='\${Depends}' balcao | grep -q libopusfile0 && dpkg-query -W -f='\${Depends}' balcao | grep -q libspeexdsp1"
# A voice note, transcribed by the installed binary's reader child with the installed model, as the balcao user.
# Whisper base hears espeak-ng's voice poorly ("Posso ter ginade de ouro sange ou um produto de poes da intragem."):
# two of its words.
espeak-ng -v pt-br -s 150 -w "$work/nota.wav" "Posso pedir a devolução de um produto depois da entrega?" && opusenc --quiet "$work/nota.wav" "$work/nota.ogg"
chmod 0644 "$work/nota.ogg"; chmod 0755 "$work"
printf '{"file":"%s","limits":{"maxFileBytes":52428800,"maxArchiveEntries":10000,"maxUncompressedBytes":536870912,"maxCompressionRatio":200,"maxPages":5000},"speech":{"modelPath":"%s","language":"pt","threads":1,"maximumSeconds":180},"maxTokens":100000,"overlapTokens":0}' \
  "$work/nota.ogg" "$speech_model" >"$work/nota.json"
check "the installed engine transcribes a voice note with the installed model" \
  bash -c "runuser -u balcao -- /usr/bin/balcao extract <'$work/nota.json' 2>/dev/null | grep -q 'Posso .*produto'"
if [[ -d Resources/web ]]; then check "the admin web assets are installed" test -d /usr/share/balcao/web; fi
check_eq "balcao --version" "$version" "$(/usr/bin/balcao --version)"
check "the man page" test -f /usr/share/man/man1/balcao.1.gz
check "the nginx example" test -f /usr/share/doc/balcao/examples/nginx-balcao.conf

# --- The unit's ExecStart, as systemd would run it -----------------------------------------------------------------
unit=/lib/systemd/system/balcao.service
execstart="$(sed -n 's/^ExecStart=//p' "$unit")"
read -r -a argv <<<"$execstart"
# Credentials as systemd lays them out: each LoadCredential= file, or its SetCredential= fallback ("\n").
creds="$work/credentials"
install -d -o balcao -g balcao -m 0700 "$creds"
api_token="deb-test-token-$RANDOM$RANDOM"
printf '%s\n' "$api_token" >/etc/balcao/credentials/api_token
chmod 0600 /etc/balcao/credentials/api_token
while IFS=: read -r id path; do
  if [[ -f "$path" ]]; then cp "$path" "$creds/$id"; else printf '\n' >"$creds/$id"; fi
done < <(sed -n 's/^LoadCredential=//p' "$unit")
chown -R balcao:balcao "$creds"
chmod 0400 "$creds"/*
env_args=()
while read -r assignment; do env_args+=("${assignment//%d/$creds}"); done < <(sed -n 's/^Environment=//p' "$unit")
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
env_args+=("BALCAO_SERVER_PORT=$port" "CREDENTIALS_DIRECTORY=$creds" "NOTIFY_SOCKET=$work/notify")
# A stand-in for systemd's notification socket.
python3 - "$work/notify" "$work/notified" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
import os; os.chmod(sys.argv[1], 0o777)
s.settimeout(120)
try:
    data = s.recv(4096)
    open(sys.argv[2], "wb").write(data)
except socket.timeout:
    pass
PY
listener_pid=$!
for _ in $(seq 1 50); do [[ -S "$work/notify" ]] && break; sleep 0.1; done
chmod 0755 "$work"
install -m 0644 scripts/sandbox-exec.py "$work/sandbox-exec.py"
echo "== as systemd would (user, credentials, umask, capabilities, seccomp filter): $execstart"
t_start=$(date +%s.%N)
(
  cd /var/lib/balcao
  umask 0077
  exec setpriv --reuid=balcao --regid=balcao --init-groups --no-new-privs --inh-caps=-all --bounding-set=-all \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "${env_args[@]}" \
    /usr/bin/python3 "$work/sandbox-exec.py" "$unit" -- "${argv[@]}"
) >"$work/daemon.log" 2>&1 &
daemon_pid=$!
up=""
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then up=1; break; fi
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -n "$up" ]]; then
  ok "ExecStart serves /healthz (up in $(python3 -c "import time; print(round(time.time() - $t_start, 2))") s)"
else
  bad "ExecStart did not serve /healthz:"; sed 's/^/    /' "$work/daemon.log"
fi
check_eq "/readyz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"
for _ in $(seq 1 50); do [[ -s "$work/notified" ]] && break; sleep 0.1; done
check "READY=1 reached \$NOTIFY_SOCKET" grep -q "READY=1" "$work/notified"
if [[ -d Resources/web ]]; then
  check_eq "the admin page renders from /usr/share/balcao/web (GET /admin/setup)" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/admin/setup")"
  check "the admin setup code is in the log" grep -q "admin setup code" "$work/daemon.log"
fi
check_eq "the api_token credential is used" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $api_token" "http://127.0.0.1:$port/api/v1/documents")"
check_eq "an empty credential leaves the secret unset (WhatsApp not configured: 503)" 503 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "http://127.0.0.1:$port/webhooks/whatsapp")"
check "the daemon runs as balcao" test "$(ps -o user= -p "$daemon_pid")" = balcao
check_eq "the daemon has no capabilities" "0000000000000000 0000000000000000" \
  "$(awk '/^CapEff|^CapBnd/ {printf "%s ", $2}' "/proc/$daemon_pid/status" | sed 's/ $//')"
check "the daemon has no_new_privs" grep -q "NoNewPrivs:[[:space:]]*1" "/proc/$daemon_pid/status"
check "the daemon runs under the unit's seccomp filter" grep -q "Seccomp:[[:space:]]*2" "/proc/$daemon_pid/status"
# A document through the whole pipeline under the filter: upload, extraction, embedding threads, hybrid search.
printf 'O horário de atendimento da loja é de segunda a sexta, das 9h às 18h.\n' >"$work/horario.txt"
check_eq "upload a document (201)" 201 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $api_token" \
  -F file=@"$work/horario.txt" "http://127.0.0.1:$port/api/v1/documents")"
indexed=""
for _ in $(seq 1 300); do
  if curl -s -H "Authorization: Bearer $api_token" "http://127.0.0.1:$port/api/v1/documents" | grep -q '"status":"indexed"'; then indexed=1; break; fi
  sleep 0.2
done
[[ -n "$indexed" ]] && ok "the document is indexed (extraction + embedding under the sandbox)" || bad "the document was not indexed"
check "search finds it" bash -c "curl -s -H 'Authorization: Bearer $api_token' 'http://127.0.0.1:$port/api/v1/search?q=horario+de+atendimento&limit=1' | grep -q 'segunda a sexta'"
check "the embedding model loads from /usr/share/balcao/models (the vector index exists only with it)" \
  bash -c "grep -q 'vector index ready' '$work/daemon.log' && ! grep -qi 'model is missing\|model cannot be used' '$work/daemon.log'"
check "the speech model is found in /usr/share/balcao/models" bash -c "! grep -qi 'speech model is missing' '$work/daemon.log'"
check_eq "the database is balcao's, 0600 (UMask)" "balcao 600" "$(stat -c '%U %a' /var/lib/balcao/balcao.sqlite)"
check "no writable+executable mapping in the daemon (MemoryDenyWriteExecute)" \
  bash -c "test -r /proc/$daemon_pid/maps && ! awk '\$2 ~ /wx/' /proc/$daemon_pid/maps | grep -q ."
kill -TERM "$daemon_pid" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$daemon_pid" 2>/dev/null; then bad "SIGTERM stops the daemon within 10 s"; else
  wait "$daemon_pid" && ok "SIGTERM stops the daemon cleanly (exit 0)" || bad "the daemon exited with $? on SIGTERM"
fi
daemon_pid=""
rm -f /etc/balcao/credentials/api_token

# --- balcao doctor, after the daemon made its database (as balcao, /etc/balcao/balcao.toml found by itself) ------------
if /usr/bin/balcao help doctor >/dev/null 2>&1; then
  if (cd / && runuser -u balcao -- /usr/bin/balcao doctor) >"$work/doctor.log" 2>&1; then ok "balcao doctor (as balcao, installed paths)"; else
    bad "balcao doctor (as balcao, installed paths):"; sed 's/^/    /' "$work/doctor.log"
  fi
else
  skip=$((skip + 1)); echo "SKIP balcao doctor: this build has no doctor command yet"
fi

# --- TLS reverse proxy against the installed binary -----------------------------------------------------------------
if bash scripts/test-tls-proxy.sh /usr/bin/balcao >"$work/proxy.log" 2>&1; then ok "TLS proxy ($(tail -n1 "$work/proxy.log"))"; else
  bad "TLS proxy:"; sed 's/^/    /' "$work/proxy.log"
fi

# --- systemd-analyze -------------------------------------------------------------------------------------------------
man_check=(); command -v man >/dev/null || man_check=(--man=no)   # Documentation=man:balcao(1) needs man-db to check
if systemd-analyze verify "${man_check[@]}" "$unit" >"$work/verify.log" 2>&1 && [[ ! -s "$work/verify.log" ]]; then
  ok "systemd-analyze verify${man_check:+ (--man=no: man-db is not installed)}"
else
  bad "systemd-analyze verify:"; sed 's/^/    /' "$work/verify.log"
fi
systemd-analyze security --offline=true --no-pager "$unit" >"$work/security.log" 2>&1 || true
mkdir -p dist
cp "$work/security.log" dist/systemd-analyze-security.txt
exposure="$(sed -n 's/.*Overall exposure level for balcao.service: \([0-9.]*\).*/\1/p' "$work/security.log")"
if [[ -n "$exposure" ]] && python3 -c "import sys; sys.exit(0 if float('$exposure') <= 2.0 else 1)"; then
  ok "systemd-analyze security: exposure $exposure <= 2.0 (dist/systemd-analyze-security.txt)"
else
  bad "systemd-analyze security: exposure '${exposure}' > 2.0"; cat "$work/security.log"
fi

# --- lintian ---------------------------------------------------------------------------------------------------------
lintian --fail-on error,warning --display-info --info "$deb" >"$work/lintian.log" 2>&1 && lintian_rc=0 || lintian_rc=$?
cp "$work/lintian.log" dist/lintian.txt
if [[ $lintian_rc -eq 0 ]]; then ok "lintian: no error or warning ($(grep -c '^[IP]:' "$work/lintian.log" || true) info/pedantic tags; dist/lintian.txt)"; else
  bad "lintian:"; sed 's/^/    /' "$work/lintian.log"
fi

# --- Upgrade (reinstall): data kept ------------------------------------------------------------------------------------
key_before="$(sha256sum /var/lib/balcao/secret.key 2>/dev/null | cut -d' ' -f1)"
if dpkg -i "$deb" >"$work/upgrade.log" 2>&1; then ok "dpkg -i again (upgrade path)"; else bad "dpkg -i again:"; cat "$work/upgrade.log"; fi
check "the database survives an upgrade" test -f /var/lib/balcao/balcao.sqlite
check "the secret key survives an upgrade unchanged" test -n "$key_before" -a "$key_before" = "$(sha256sum /var/lib/balcao/secret.key 2>/dev/null | cut -d' ' -f1)"

# --- Remove: data, configuration and user kept -------------------------------------------------------------------------
echo "== dpkg -r balcao"
echo "# a local change" >>/etc/balcao/balcao.toml
if dpkg -r balcao >"$work/remove.log" 2>&1; then ok "dpkg -r"; else bad "dpkg -r:"; cat "$work/remove.log"; fi
check_eq "status after remove" "deinstall ok config-files" "$(dpkg-query -W -f='${Status}' balcao)"
check "the binary is gone" test ! -e /usr/bin/balcao
check "the unit is gone" test ! -e "$unit"
check "the model is gone" test ! -e /usr/share/balcao
check "the data is kept" test -f /var/lib/balcao/balcao.sqlite
check "the changed conffile is kept" grep -q "# a local change" /etc/balcao/balcao.toml
check "the user is kept" getent passwd balcao

# --- Purge: all gone ------------------------------------------------------------------------------------------------------
echo "== dpkg --purge balcao"
if dpkg --purge balcao >"$work/purge.log" 2>&1; then ok "dpkg --purge"; else bad "dpkg --purge:"; cat "$work/purge.log"; fi
check "dpkg forgot the package" bash -c "! dpkg-query -W -f='\${Status}' balcao 2>/dev/null | grep -q installed"
check "the user is gone" bash -c "! getent passwd balcao"
check "the group is gone" bash -c "! getent group balcao"
check "/var/lib/balcao is gone" test ! -e /var/lib/balcao
check "/etc/balcao is gone" test ! -e /etc/balcao
check "the stat override is gone" bash -c "! dpkg-statoverride --list /etc/balcao/balcao.toml"
snapshot >"$work/after"
if diff "$work/before" "$work/after" >"$work/diff.log"; then ok "the file system is as before the installation"; else
  bad "files left or lost by install + purge:"; sed 's/^/    /' "$work/diff.log"
fi

t_end=$(date +%s)
echo "test-deb: build $((t_built - t0)) s, install/run/remove $((t_end - t_built)) s"
echo "test-deb: $pass passed, $fail failed, $skip skipped"
[[ $fail -eq 0 ]]
