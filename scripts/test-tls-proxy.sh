#!/usr/bin/env bash
# Tests packaging/nginx-balcao.conf: nginx terminates TLS (a self-signed certificate) in front of a running balcao on
# loopback, and WhatsApp's and Instagram's webhooks pass through it byte for byte.
#
#   bash scripts/test-tls-proxy.sh [BALCAO_BINARY]    (default /usr/bin/balcao, else .build/debug/balcao)
#   bash scripts/test-tls-proxy.sh --install-only     (only installs nginx when missing)
#
# Installs nginx with apt when missing (never starting the system's nginx). Checks: HTTPS /healthz is 200; a webhook
# signed with the app secret (HMAC-SHA256 over the raw body, X-Hub-Signature-256) is 200; a forged signature is 403, a
# missing one 401, a body altered after signing 403; /metrics is refused by the proxy; plain HTTP on the TLS port fails;
# from a public address (a network namespace), the webhooks and the widget answer while /admin, /api and /metrics do not.
# Ends with "N passed, N failed"; exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

bin="${1:-}"
if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  echo "test-tls-proxy: installing nginx" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  # Keep the package's own service from starting (and taking port 80) while it installs.
  policy_added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo_cmd[@]}" chmod 0755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null 2>&1 \
    || { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null; }
  if [[ $policy_added == 1 ]]; then "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d; fi
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
[[ "$bin" == --install-only ]] && exit 0

if [[ -z "$bin" ]]; then
  if [[ -x /usr/bin/balcao ]]; then bin=/usr/bin/balcao; else bin="$repo/.build/debug/balcao"; fi
fi
[[ -x "$bin" ]] || { echo "test-tls-proxy: no balcao binary at $bin (build it or pass its path)" >&2; exit 2; }

work="$(mktemp -d)"
balcao_pid=""
nginx_pid=""
# A client outside the private networks: a network namespace with 198.51.100.2 (TEST-NET-2, public for nginx's
# `allow` rules) reaching nginx on 198.51.100.1 over a veth pair. Without namespaces (not root) those checks are skipped.
netns="balcao-tls-$$"
veth="vbt$$"
outside=0
if ip netns add "$netns" 2>/dev/null; then
  if ip link add "$veth" type veth peer name "${veth}n" 2>/dev/null \
    && ip link set "${veth}n" netns "$netns" && ip addr add 198.51.100.1/24 dev "$veth" && ip link set "$veth" up \
    && ip netns exec "$netns" ip addr add 198.51.100.2/24 dev "${veth}n" && ip netns exec "$netns" ip link set "${veth}n" up \
    && ip netns exec "$netns" ip link set lo up; then
    outside=1
  fi
fi
cleanup() {
  ip link del "$veth" 2>/dev/null || true
  ip netns del "$netns" 2>/dev/null || true
  [[ -n "$nginx_pid" ]] && kill "$nginx_pid" 2>/dev/null || true
  [[ -n "$balcao_pid" ]] && kill "$balcao_pid" 2>/dev/null || true
  sleep 0.5
  [[ -n "$balcao_pid" ]] && kill -9 "$balcao_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"   # nginx workers (nobody) use its temporary directories

pass=0
fail=0
check() { # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    fail=$((fail + 1)); echo "FAIL $1: expected $2, got $3"
  fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The daemon.
app_secret="proxy-test-app-secret-$RANDOM"
instagram_secret="proxy-test-instagram-secret-$RANDOM"
balcao_port="$(free_port)"
: >"$work/empty.toml"   # no /etc/balcao/balcao.toml: the environment says it all
BALCAO_STORAGE_DATA_DIR="$work/data" BALCAO_SERVER_HOST=127.0.0.1 BALCAO_SERVER_PORT="$balcao_port" \
  BALCAO_SERVER_API_TOKEN=proxy-test-token BALCAO_EMBEDDING_PROVIDER=none BALCAO_WHATSAPP_APP_SECRET="$app_secret" \
  BALCAO_WHATSAPP_GRAPH_BASE_URL="http://127.0.0.1:9" \
  BALCAO_INSTAGRAM_APP_SECRET="$instagram_secret" BALCAO_INSTAGRAM_ACCESS_TOKEN=proxy-test-ig-token \
  BALCAO_INSTAGRAM_GRAPH_BASE_URL="http://127.0.0.1:9" \
  "$bin" serve --config "$work/empty.toml" >"$work/balcao.log" 2>&1 &
balcao_pid=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$balcao_port/healthz" 2>/dev/null && break
  kill -0 "$balcao_pid" 2>/dev/null || break
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$balcao_port/healthz" || { echo "balcao did not start:"; cat "$work/balcao.log"; exit 1; }

# A self-signed certificate for localhost.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

# nginx with the shipped snippet: only the listen address, certificate paths and upstream port change.
tls_port="$(free_port)"
sed -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$balcao_port;|" \
  -e "s|listen 443 ssl http2;|listen 127.0.0.1:$tls_port ssl http2;$([[ $outside == 1 ]] && echo " listen 198.51.100.1:$tls_port ssl http2;")|" \
  -e '/listen \[::\]:/d' \
  -e "s|listen 80;|listen 127.0.0.1:$(free_port);|" \
  -e "s|/etc/letsencrypt/live/balcao.example.com/fullchain.pem|$work/cert.pem|" \
  -e "s|/etc/letsencrypt/live/balcao.example.com/privkey.pem|$work/key.pem|" \
  packaging/nginx-balcao.conf >"$work/balcao.conf"
grep -q "127.0.0.1:$tls_port ssl" "$work/balcao.conf" || { echo "packaging/nginx-balcao.conf changed shape: update this test"; exit 1; }
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 64; }
http {
    access_log $work/nginx-access.log;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/balcao.conf;
}
CONF
"$NGINX" -p "$work" -c "$work/nginx.conf" -t -q || { echo "nginx -t failed"; exit 1; }
"$NGINX" -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
base="https://localhost:$tls_port"
curl_tls=(curl -sS --cacert "$work/cert.pem" --resolve "localhost:$tls_port:127.0.0.1" -o /dev/null -w '%{http_code}')
for _ in $(seq 1 100); do
  [[ "$("${curl_tls[@]}" "$base/healthz" 2>/dev/null)" == 200 ]] && break
  sleep 0.1
done

body='{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[]}]}'
printf '%s' "$body" >"$work/body.json"
signature="sha256=$(openssl dgst -sha256 -hmac "$app_secret" -r "$work/body.json" | cut -d' ' -f1)"
post() { "${curl_tls[@]}" -X POST -H 'Content-Type: application/json' "$@" "$base/webhooks/whatsapp"; }

check "HTTPS /healthz through nginx" 200 "$("${curl_tls[@]}" "$base/healthz")"
check "signed webhook passes" 200 "$(post -H "X-Hub-Signature-256: $signature" --data-binary @"$work/body.json")"
check "forged signature is refused" 403 "$(post -H "X-Hub-Signature-256: sha256=$(printf '0%.0s' {1..64})" --data-binary @"$work/body.json")"
check "missing signature is refused" 401 "$(post --data-binary @"$work/body.json")"
check "body altered after signing is refused" 403 "$(post -H "X-Hub-Signature-256: $signature" --data-binary "${body/0/1}")"
ig_body='{"object":"instagram","entry":[{"id":"17841400000000001","time":1,"messaging":[]}]}'
printf '%s' "$ig_body" >"$work/ig.json"
ig_signature="sha256=$(openssl dgst -sha256 -hmac "$instagram_secret" -r "$work/ig.json" | cut -d' ' -f1)"
post_ig() { "${curl_tls[@]}" -X POST -H 'Content-Type: application/json' "$@" "$base/webhooks/instagram"; }
check "signed Instagram webhook passes" 200 "$(post_ig -H "X-Hub-Signature-256: $ig_signature" --data-binary @"$work/ig.json")"
check "Instagram webhook signed with WhatsApp's secret is refused" 403 "$(post_ig -H "X-Hub-Signature-256: $signature" --data-binary @"$work/body.json")"
check "the chat widget's script is published" 200 "$("${curl_tls[@]}" "$base/widget.js")"
check "the chat widget's endpoints reach the daemon (no such agent: 404 from it)" 404 "$("${curl_tls[@]}" -H 'Origin: https://shop.example' "$base/widget/v1/config?agent=nobody")"
check "/metrics is not proxied" 403 "$("${curl_tls[@]}" "$base/metrics")"
if [[ $outside == 1 ]]; then
  # From the Internet (a public address): the webhooks and the widget answer, the admin page, the API and /metrics do not.
  far=(ip netns exec "$netns" curl -sS --cacert "$work/cert.pem" --resolve "localhost:$tls_port:198.51.100.1" -o /dev/null -w '%{http_code}')
  check "from a public address: /healthz" 200 "$("${far[@]}" "$base/healthz")"
  check "from a public address: a signed webhook" 200 "$("${far[@]}" -X POST -H 'Content-Type: application/json' -H "X-Hub-Signature-256: $signature" --data-binary @"$work/body.json" "$base/webhooks/whatsapp")"
  check "from a public address: the widget's script" 200 "$("${far[@]}" "$base/widget.js")"
  check "from a public address: the widget's endpoints" 404 "$("${far[@]}" -H 'Origin: https://shop.example' "$base/widget/v1/config?agent=nobody")"
  check "from a public address: /admin is refused" 403 "$("${far[@]}" "$base/admin/login")"
  check "from a public address: /api is refused" 403 "$("${far[@]}" -H 'Authorization: Bearer proxy-test-token' "$base/api/v1/documents")"
  check "from a public address: /metrics is refused" 403 "$("${far[@]}" "$base/metrics")"
  check "from loopback (private): /admin reaches the daemon (first run: to its setup page)" 303 "$("${curl_tls[@]}" "$base/admin/login")"
else
  echo "skip the checks from a public address: no network namespace here (they need root)"
fi
check "TLS certificate is verified (a wrong CA fails)" 000 "$(curl -sS --resolve "localhost:$tls_port:127.0.0.1" -o /dev/null -w '%{http_code}' "$base/healthz" 2>/dev/null || true)"

echo "test-tls-proxy: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
