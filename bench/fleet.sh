#!/usr/bin/env bash
# Fleet benchmark: N simulated gateways behind one bridge process, each
# bootstrapped by a scripted ACS session that reads DeviceInfo. Prints the time
# until every session completed, the bridge's CPU time and its memory per
# virtual CPE. Loopback only. Usage: bench/fleet.sh [N] (default 1000).
# Use a release build for figures (BIN_DIR=build-rel/bin); `ctest -R fleet_smoke`
# runs it with a handful of gateways only to keep it working.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
BIN=${BIN_DIR:-build/bin}
TIMEOUT=${FLEET_TIMEOUT:-600}
WORK=$(mktemp -d /tmp/cmp-cwmp-bridge-fleet.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cat > "$WORK/script.yaml" <<'YAML'
steps:
  - rpc: GetParameterValues
    names: [InternetGatewayDevice.DeviceInfo.]
YAML
$BIN/scripted-acs --listen 127.0.0.1:0 --port-file "$WORK/acs.port" --script "$WORK/script.yaml" \
  --username acs --password fleet-pw --sessions "$N" --timeout "$TIMEOUT" --quiet > "$WORK/acs.log" 2>&1 &
ACS_PID=$!
PIDS+=($ACS_PID)
$BIN/cmp-gateway-sim --listen 127.0.0.1:0 --port-file "$WORK/sim.port" --gateways "$N" --secret "$SECRET" \
  --log-level warn > "$WORK/sim.log" 2>&1 &
PIDS+=($!)
for f in acs.port sim.port; do
  for _ in $(seq 200); do [ -s "$WORK/$f" ] && break; sleep 0.05; done
  [ -s "$WORK/$f" ] || { echo "fleet: $f not written"; cat "$WORK"/*.log; exit 1; }
done
SIM_PORT=$(cat "$WORK/sim.port")
{
  echo "acs: { url: \"http://127.0.0.1:$(cat "$WORK/acs.port")/acs\", username: acs, password: fleet-pw }"
  echo "connection_request: { listen: \"127.0.0.1:0\" }"
  # Every simulated gateway connects from 127.0.0.1: lift the per-source bound.
  echo "cmp: { listen: \"127.0.0.1:0\", max_connections: 200000, max_connections_per_source: 200000 }"
  echo "state_dir: $WORK/state"
  # Measures the bootstrap rate itself: no spreading of the first Informs.
  echo "periodic_inform: { enable: false, start_spread_s: 0 }"
  echo "defaults: { mapping: ${MAPPING:-$PWD/mappings/tr098.yaml}, secret: $SECRET }"
  echo "gateways:"
  for i in $(seq 1 "$N"); do
    printf '  - { id: GW-%04d, url: "http://127.0.0.1:%s/cmp/GW-%04d" }\n' "$i" "$SIM_PORT" "$i"
  done
} > "$WORK/bridge.yaml"

start=$(date +%s.%N)
$BIN/cmp-cwmp-bridge --log-level warn run -c "$WORK/bridge.yaml" --threads 2 > "$WORK/bridge.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=($BRIDGE_PID)
# The ACS exits when all N sessions completed; the bridge must outlive it.
while kill -0 $ACS_PID 2>/dev/null; do
  kill -0 $BRIDGE_PID 2>/dev/null || { echo "fleet: the bridge exited"; cat "$WORK/bridge.log"; exit 1; }
  sleep 0.1
done
status=0
wait $ACS_PID || status=$?
end=$(date +%s.%N)
hwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$BRIDGE_PID/status)
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$BRIDGE_PID/status)
read -r utime stime < <(awk '{print $14, $15}' /proc/$BRIDGE_PID/stat)
tck=$(getconf CLK_TCK)
if [ $status -ne 0 ]; then
  echo "fleet: the scripted ACS failed (status $status)"; tail -20 "$WORK/acs.log"; tail -20 "$WORK/bridge.log"
  exit 1
fi
awk -v n="$N" -v s="$start" -v e="$end" -v hwm="$hwm_kb" -v rss="$rss_kb" -v u="$utime" -v st="$stime" -v t="$tck" 'BEGIN {
  wall = e - s; cpu = (u + st) / t;
  printf "fleet: %d gateways, %d bootstrap sessions (Inform + GPV DeviceInfo. + CMP getRgInfo)\n", n, n;
  printf "  wall time until the last session completed: %.2f s (%.0f sessions/s)\n", wall, n / wall;
  printf "  bridge CPU time: %.2f s (%.2f ms per session)\n", cpu, 1000 * cpu / n;
  printf "  bridge memory: peak RSS %.1f MiB, now %.1f MiB, %.1f KiB per virtual CPE (peak)\n", hwm / 1024, rss / 1024, hwm / n;
}'
