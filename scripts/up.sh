#!/usr/bin/env bash
# `make up`: serve the suite on the embedded host with a demo city and local 119/SMS sinks.
#   LISTEN=127.0.0.1:3000   where to serve
#   DEMO=0                  skip the demo city
#   SINKS=0                 do not start the local 119/SMS sinks (use real endpoints via
#                           SPIN_VARIABLE_DISPATCH_URL etc.)
#   BRIDGE=0                do not start the device bridge (DC-09 on 127.0.0.1:12000 TCP/UDP,
#                           embedded MQTT broker on 127.0.0.1:1883, /metrics on :9464; it is the
#                           suite's clock, with the demo's `clock` token)
set -euo pipefail
cd "$(dirname "$0")/.."
LISTEN="${LISTEN:-127.0.0.1:3000}"
STATE=.spin
mkdir -p "$STATE" && chmod 700 "$STATE"
secret() { [ -s "$STATE/$1" ] || od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$STATE/$1"; chmod 600 "$STATE/$1"; cat "$STATE/$1"; }
ADMIN="$(secret admin_token)"
KEY="$(secret secret_key)"
# Personal data is sealed under a key made once for this state directory (`id=<64 hex>`).
[ -s "$STATE/personal_data_keys" ] || echo "k1=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$STATE/personal_data_keys"
chmod 600 "$STATE/personal_data_keys"
DATA_KEYS="$(cat "$STATE/personal_data_keys")"

pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ "${SINKS:-1}" = 1 ]; then
  ./target/release/safetynet-cli sink > "$STATE/sink.log" 2>&1 &
  pids+=($!)
fi
./target/release/safetynet-host up --from spin.toml --listen "$LISTEN" \
  --variable "admin_token=$ADMIN" --variable "secret_key=$KEY" \
  --variable "personal_data_keys=$DATA_KEYS" --variable "public_url=http://$LISTEN" &
pids+=($!)

for _ in $(seq 1 300); do
  if ./target/release/safetynet-cli --url "http://$LISTEN" probe >/dev/null 2>&1; then break; fi
  sleep 0.1
done
if [ "${DEMO:-1}" = 1 ]; then
  ./target/release/safetynet-cli --url "http://$LISTEN" --token "$ADMIN" demo
fi
if [ "${BRIDGE:-1}" = 1 ]; then
  # The demo's clock token (without a demo, the admin token): the bridge ticks with it and reads
  # the device table (every speaker and gateway the suite knows) every 10 s.
  # The bridge takes its device table from the suite and keeps a sealed copy under this key.
  SAFETYNET_BRIDGE_KEY="$(secret bridge_key)"
  export SAFETYNET_BRIDGE_KEY
  bridge_args=(--suite-url "http://$LISTEN" --outbox-path "$STATE/bridge-outbox.db")
  if [ -f "$STATE/demo.json" ] && ./target/release/safetynet-cli --url "http://$LISTEN" bridge-config >/dev/null; then
    bridge_args+=(--config "$STATE/bridge.toml")
  else
    bridge_args+=(--clock-token "$ADMIN" --dc09-tcp 127.0.0.1:12000 --dc09-udp 127.0.0.1:12000
      --directory-refresh-secs 10 --directory-cache "$STATE/bridge-directory.sealed")
  fi
  ./target/release/safetynet-bridge "${bridge_args[@]}" > "$STATE/bridge.out" 2> "$STATE/bridge.log" &
  pids+=($!)
  echo "Device bridge: DC-09 127.0.0.1:12000 (TCP/UDP), MQTT 127.0.0.1:1883 (speakers sign in as their device id with its secret), http://127.0.0.1:9464/metrics; log in $STATE/bridge.log"
  echo "Press a pendant through a DC-09 gateway (demo account 1001):"
  echo "  ./target/release/safetynet-bridge send-dc09 --account 1001 --code 100"
fi
echo
echo "Staff console: http://$LISTEN/   (demo sign-ins are printed above and kept in $STATE/demo.json)"
echo "Admin token: $ADMIN   (kept in $STATE/admin_token)"
echo "119 dispatches and SMS land in $STATE/sink.log (tail -f it). Ctrl-C stops everything."
wait "${pids[@]}"
