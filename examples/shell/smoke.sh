#!/usr/bin/env bash
# A smoke test in shell: start a device in the background, wait for its ready file, drive it with
# curl and `iothinx-sim ctl`, stop it on exit. In your project: sim() { npx iothinx-sim "$@"; }
set -euo pipefail
cd "$(dirname "$0")/../.."
sim() { node dist/cli/iothinx-sim.cjs "$@"; }
expect() { [ "$2" = "$3" ] || { echo "smoke: $1: expected $3, got $2" >&2; exit 1; }; }

dir=$(mktemp -d)
ready="$dir/ready.json"
# The emulator's stderr comes through fd 3; its banner follows the ready file, so reading the
# first lines waits for the start without polling. Logs keep draining to our stderr.
exec 3< <(exec node dist/cli/iothinx-sim.cjs start --http 127.0.0.1:0 --modbus 127.0.0.1:0 --mqtt off --snmp 127.0.0.1:0 \
  --clock manual --ready-file "$ready" 2>&1 >/dev/null)
pid=$!   # the process substitution's: with `npx iothinx-sim`, npx's, not the emulator's
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
while [ ! -s "$ready" ] && read -r -t 20 -u 3 line; do echo "$line" >&2; done
[ -s "$ready" ] || { echo "smoke: the emulator did not start" >&2; exit 1; }
# The emulator's own pid, from its ready file: what the trap must stop (killing npx would leave it running).
pid=$(sed -E 's/.*"pid":([0-9]+).*/\1/' "$ready")
cat <&3 >&2 &

export IOTHINX_URL="http://$(sed -E 's/.*"http":"([^"]*)".*/\1/' "$ready")"
H=(-H 'Accept: vdn.dac.v2' -H 'Content-Type: application/json')

curl -fsS "$IOTHINX_URL/sim/v1/health" >/dev/null
sim ctl set 1/0 --level 1
expect "DI 1/0" "$(sim ctl get 1/0 diStatus)" 1

# The device API answers 503 once (a fault); the client retries; DO 3 is written exactly once.
do3=$(sim ctl get 2/3 ioName | tr -d '"')
sim ctl fault '{"kind":"rest-error","status":503,"count":1}' >/dev/null
expect "first PUT" "$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" -X PUT -d '{"value":1}' "$IOTHINX_URL/api/io/do/$do3/doStatus")" 503
curl -fsS "${H[@]}" -X PUT -d '{"value":1}' "$IOTHINX_URL/api/io/do/$do3/doStatus" >/dev/null
sim ctl wait 2/3 doStatus 1 --timeout 2000
expect "writes of DO 3" "$(sim ctl journal --kind write --source rest --ioName 2/3 | wc -l | tr -d ' ')" 1

sim ctl advance 1000
kill -0 "$pid"   # the pid from the ready file is the emulator's, alive until the trap stops it
echo "smoke: ok"
