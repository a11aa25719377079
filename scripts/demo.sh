#!/usr/bin/env bash
# The README's demo: simulated CMP gateways + the bridge + a scripted ACS
# session, all on 127.0.0.1, printing what happened; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${SKIP_BUILD:-}" ] || bash scripts/build.sh >/dev/null
BIN=${BIN_DIR:-build/bin}
WORK=$(mktemp -d /tmp/cmp-cwmp-bridge-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
GATEWAYS=3
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
CMP_PORT=$((20000 + RANDOM % 20000))

echo "== scripted ACS (a test tool) plays examples/demo-acs-script.yaml to every CPE"
$BIN/scripted-acs --listen 127.0.0.1:0 --port-file "$WORK/acs.port" --script examples/demo-acs-script.yaml \
  --username acs-user --password acs-demo-pw --sessions $GATEWAYS --timeout 60 --report "$WORK/report.yaml" &
ACS_PID=$!
PIDS+=($ACS_PID)
while [ ! -s "$WORK/acs.port" ]; do sleep 0.05; done

echo "== cmp-gateway-sim: $GATEWAYS gateways"
$BIN/cmp-gateway-sim --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --gateways $GATEWAYS \
  --bridge "http://127.0.0.1:$CMP_PORT/cmp" --secret "$SECRET" --log-level warn > >(sed -u 's/^/[sim] /') 2>&1 &
PIDS+=($!)
while [ ! -s "$WORK/sim.port" ]; do sleep 0.05; done
SIM_PORT=$(cat "$WORK/sim.port")

cat > "$WORK/bridge.yaml" <<CFG
acs:
  url: http://127.0.0.1:$(cat "$WORK/acs.port")/acs
  username: acs-user
  password: acs-demo-pw
connection_request:
  listen: 127.0.0.1:0
cmp:
  listen: 127.0.0.1:$CMP_PORT
state_dir: $WORK/state
defaults:
  mapping: $PWD/mappings/tr098.yaml
  secret: $SECRET
gateways:
CFG
for i in $(seq 1 $GATEWAYS); do
  printf '  - { id: GW-%04d, url: "http://127.0.0.1:%s/cmp/GW-%04d" }\n' "$i" "$SIM_PORT" "$i" >> "$WORK/bridge.yaml"
done

echo "== cmp-cwmp-bridge"
$BIN/cmp-cwmp-bridge run -c "$WORK/bridge.yaml" --threads 2 > >(sed -u 's/^/[bridge] /') 2>&1 &
BRIDGE_PID=$!
PIDS+=($BRIDGE_PID)

# The scripted ACS exits once every CPE's session is done; a bridge that
# stops first (a bad configuration) ends the demo at once.
status=0
while kill -0 $ACS_PID 2>/dev/null; do
  if ! kill -0 $BRIDGE_PID 2>/dev/null; then status=1; break; fi
  sleep 0.1
done
[ $status -ne 0 ] || wait $ACS_PID || status=$?
echo
if [ $status -eq 0 ]; then
  echo "== demo finished: every scripted RPC answered as expected for $GATEWAYS gateways"
else
  echo "== demo FAILED (status $status; the lines above say why)"
fi
exit $status
