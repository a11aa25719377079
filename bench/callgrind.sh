#!/usr/bin/env bash
# Instructions per bootstrap session of the bridge, counted by callgrind: independent of the load of
# the machine (wall-clock and CPU-time figures are not, on a shared VM; this VM has no hardware
# counters for `perf stat -e instructions`). One scenario of bench/fleet.sh (N gateways, every CPE
# Informs at once, the load ACS's full session), with the bridge under valgrind --tool=callgrind.
# Collected: the io threads' event loops and the store's writer thread, i.e. everything the sessions
# run; start-up (configuration, mapping tables) is not.
#   bash bench/callgrind.sh [N]       (default 200; RelWithDebInfo binaries of build/, BIN_DIR to change)
#   SYSCALLS=1 bash bench/callgrind.sh 500   system calls per session instead (strace -f -c)
# Prints instructions/session and the top inclusive functions; keeps callgrind.out in $OUT (default
# build/callgrind-<date>/).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
N=${1:-200}
BIN=${BIN_DIR:-build/bin}
OUT=${OUT:-build/callgrind-$(date +%Y%m%d-%H%M%S)}
for b in cmp-cwmp-bridge cmp-gateway-sim bench-load-acs; do
  [ -x "$BIN/$b" ] || { echo "callgrind: $BIN/$b missing" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "callgrind: valgrind missing" >&2; exit 1; }
mkdir -p "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
wait_file() {
  for _ in $(seq 1200); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "callgrind: $1 not written" >&2; return 1
}
"$BIN/cmp-gateway-sim" --listen 127.0.0.1:0 --port-file "$OUT/sim.port" --gateways "$N" --secret "$SECRET" \
  --log-level warn > "$OUT/sim.log" 2>&1 &
PIDS+=($!)
"$BIN/bench-load-acs" --port-file "$OUT/acs.port" --sessions "$N" --timeout 600 --username acs \
  --password callgrind-pw --summary "$OUT/summary" > "$OUT/acs.log" 2>&1 &
acs=$!
PIDS+=($acs)
wait_file "$OUT/sim.port"
wait_file "$OUT/acs.port"
{
  echo "acs: { url: \"http://127.0.0.1:$(cat "$OUT/acs.port")/acs\", username: acs, password: callgrind-pw }"
  echo "connection_request: { listen: \"127.0.0.1:0\", max_connections: 200000, max_connections_per_source: 200000 }"
  echo "cmp: { listen: \"127.0.0.1:0\", max_connections: 200000, max_connections_per_source: 200000 }"
  echo "state_dir: $OUT/state"
  echo "state_backend: sqlite"
  echo "periodic_inform: { enable: true, interval_s: 86400, start_spread_s: 0 }"
  echo "defaults: { mapping: ${MAPPING:-$PWD/mappings/tr098.yaml}, secret: $SECRET }"
  echo "gateways:"
  awk -v n="$N" -v p="$(cat "$OUT/sim.port")" 'BEGIN { for (i = 1; i <= n; i++)
    printf "  - { id: GW-%04d, url: \"http://127.0.0.1:%s/cmp/GW-%04d\" }\n", i, p, i }'
} > "$OUT/bridge.yaml"
if [ -n "${SYSCALLS:-}" ]; then
  # System calls instead of instructions (start-up included: compare runs of the same N).
  command -v strace >/dev/null || { echo "callgrind: strace missing" >&2; exit 1; }
  TRACER=(strace -f -c -o "$OUT/strace.txt")
else
  TRACER=(valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" --collect-atstart=no
    --toggle-collect='boost::asio::detail::scheduler::run(*' --toggle-collect='state::SqliteStore::run()')
fi
"${TRACER[@]}" "$BIN/cmp-cwmp-bridge" --log-level warn run -c "$OUT/bridge.yaml" > "$OUT/bridge.log" 2>&1 &
bridge=$!
PIDS+=($bridge)
wait $acs || { echo "callgrind: the load ACS failed" >&2; tail -5 "$OUT/acs.log" "$OUT/bridge.log" >&2; exit 1; }
sleep 1
# Under strace the bridge is strace's child: it gets the signal, strace ends with it and writes its counts.
target=$bridge
[ -z "${SYSCALLS:-}" ] || target=$(pgrep -P "$bridge" | head -1)
kill -INT "$target" 2>/dev/null || true
wait $bridge 2>/dev/null || true
done=$(sed -n 's/^cpes_completed: //p' "$OUT/summary")
for k in bad_answers protocol_errors failed_sessions events_lost; do
  v=$(sed -n "s/^$k: //p" "$OUT/summary")
  [ "$v" = 0 ] || echo "callgrind: $k=$v" >&2
done
if [ -n "${SYSCALLS:-}" ]; then
  awk -v d="$done" '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
      printf "%-16s %8.1f per session\n", $NF, $4 / d }' "$OUT/strace.txt" | sort -k2 -rn | head -20 \
    | tee "$OUT/result"
  echo "callgrind: $OUT/{result,strace.txt}"
  exit 0
fi
total=$(callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !t { gsub(",", "", $1); t = $1 } END { print t }')
awk -v t="$total" -v d="$done" 'BEGIN { printf "sessions: %d\ninstructions: %d\ninstructions/session: %.0f\n", d, t, t / d }' \
  | tee "$OUT/result"
callgrind_annotate --inclusive=yes --threshold=99 "$OUT/callgrind.out" 2>/dev/null | c++filt | cut -c1-220 \
  | sed -n '1,80p' > "$OUT/inclusive.txt"
callgrind_annotate --threshold=95 "$OUT/callgrind.out" 2>/dev/null | c++filt | cut -c1-220 | sed -n '1,70p' > "$OUT/self.txt"
echo "callgrind: $OUT/{result,inclusive.txt,self.txt}"
