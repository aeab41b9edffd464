#!/usr/bin/env bash
# `make up`: serve the suite on the embedded host with a demo city and local 119/SMS sinks.
#   LISTEN=127.0.0.1:3000   where to serve
#   DEMO=0                  skip the demo city
#   SINKS=0                 do not start the local 119/SMS sinks (use real endpoints via
#                           SPIN_VARIABLE_DISPATCH_URL etc.)
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN="${LISTEN:-127.0.0.1:3000}"
STATE=.spin
mkdir -p "$STATE" && chmod 700 "$STATE"
secret() { [ -s "$STATE/$1" ] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$STATE/$1"; chmod 600 "$STATE/$1"; cat "$STATE/$1"; }
ADMIN="$(secret admin_token)"
KEY="$(secret secret_key)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ "${SINKS:-1}" = 1 ]; then
  ./target/release/safetynet-cli sink > "$STATE/sink.log" 2>&1 &
  pids+=($!)
fi
./target/release/safetynet-host up --from spin.toml --listen "$LISTEN" \
  --variable "admin_token=$ADMIN" --variable "secret_key=$KEY" &
pids+=($!)

for _ in $(seq 1 300); do
  if ./target/release/safetynet-cli --url "http://$LISTEN" probe >/dev/null 2>&1; then break; fi
  sleep 0.1
done
if [ "${DEMO:-1}" = 1 ]; then
  ./target/release/safetynet-cli --url "http://$LISTEN" --token "$ADMIN" demo
fi
echo
echo "Admin token: $ADMIN   (kept in $STATE/admin_token)"
echo "119 dispatches and SMS land in $STATE/sink.log (tail -f it). Ctrl-C stops everything."
wait "${pids[@]}"
