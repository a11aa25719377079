#!/usr/bin/env bash
# Fleet benchmark (issue 11, docs/performance.md "Fleet benchmark"): N simulated
# gateways (cmp-gateway-sim) behind one bridge, driven by bench-load-acs. Every
# CPE runs one session: Inform (Digest) -> InformResponse, empty POST ->
# GetParameterValues of 20 DeviceInfo/WAN parameters (3 CMP calls) ->
# SetParameterValues of 2 -> 204. Then the same exchanges with canned bodies
# against bare Beast servers (bench-canned): the session's five ACS exchanges and
# its CMP calls (counted by the simulator, --exchange-sizes-out), so the same
# exchange count as the bridge's session: the machine's transport limit.
# Scenarios: one bootstrap run per N, an Inform storm (every CPE BOOTs at once,
# the ACS answers 503 + Retry-After to half of the first Informs), Connection
# Requests to 1,000 CPEs at once, and 1,000 CPEs at about half the maximum rate
# (for the latency target). Prints one markdown table and saves it.
#
# Usage: bench/fleet.sh [N ...]      default: 1 100 1000 10000 (100000 only when asked)
#        bench/fleet.sh --smoke      3 gateways, every scenario, seconds (ctest bench_fleet_smoke)
# Options: --no-storm --no-cr --no-half --no-canned
# Environment: BIN_DIR (default: build-release/bin, configured and built here as
#   Release, under flock $BUILD_LOCK), RESULTS (the table, default
#   build-release/fleet-<date>.md), STORM_N/CR_N (1000), HALF_N (5000), CR_COUNT (CR_N: Connection
#   Requests sent in the cr scenario), KEEP=1 keeps the work dir,
#   PROFILE=boot-1000 (a scenario label) records the bridge with perf during that scenario and
#   saves the report next to the table; PERF_CALLGRAPH=1 adds call graphs and an inclusive report.
#   BRIDGE_THREADS: the bridge's --threads (default: one per core).
#   PIN_CPUS=1: the bridge alone on CPU 0 (one io thread unless BRIDGE_THREADS says otherwise), the
#   simulator and the load ACS on CPU 1: a core of its own, as the bridge is deployed, so that the
#   latency columns are the bridge's rather than three processes queueing for two cores.
#   FLEET_TMP: where the work dirs (and so the bridges' state stores) go (default /tmp; /dev/shm takes
#   the disk's fdatasync out of the latencies, to tell the bridge's share from the disk's).
# Loopback only; everything started here is stopped here.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
SMOKE=0 STORM=1 CR=1 HALF=1 CANNED=1
SIZES=()
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    --no-storm) STORM=0 ;;
    --no-cr) CR=0 ;;
    --no-half) HALF=0 ;;
    --no-canned) CANNED=0 ;;
    [0-9]*) SIZES+=("$a") ;;
    *) echo "usage: bench/fleet.sh [--smoke] [--no-storm] [--no-cr] [--no-half] [--no-canned] [N ...]" >&2; exit 2 ;;
  esac
done
# HALF_N: 5,000 so that the whole seconds of the start spread land near half of the rate (with 1,000
# CPEs at 1,400-2,500 sessions/s the spread rounds to 1 s, 40-70 % of the maximum).
STORM_N=${STORM_N:-1000} CR_N=${CR_N:-1000} HALF_N=${HALF_N:-5000}
CR_COUNT=${CR_COUNT:-$CR_N}  # Connection Requests sent in the cr scenario (to that many of its CR_N CPEs)
TIMEOUT=${FLEET_TIMEOUT:-900}
if [ $SMOKE = 1 ]; then
  SIZES=(3) STORM_N=3 CR_N=3 HALF=0 TIMEOUT=20
  BIN=${BIN_DIR:-build/bin}
elif [ -n "${BIN_DIR:-}" ]; then
  BIN=$BIN_DIR
else
  BIN=build-release/bin
  LOCK=${BUILD_LOCK:-/tmp/bridge-build.lock}
  if [ ! -f build-release/CMakeCache.txt ]; then
    flock "$LOCK" cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBRIDGE_BUILD_TESTS=OFF >/dev/null
  fi
  flock "$LOCK" cmake --build build-release -j2 --target cmp-cwmp-bridge cmp-gateway-sim bench-load-acs bench-canned \
    >/dev/null
fi
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 100 1000 10000)
RESULTS=${RESULTS:-$(dirname "$BIN")/fleet-$(date +%Y%m%d-%H%M%S).md}
[ $SMOKE = 0 ] || RESULTS=/dev/null
for b in cmp-cwmp-bridge cmp-gateway-sim bench-load-acs bench-canned; do
  [ -x "$BIN/$b" ] || { echo "fleet: $BIN/$b missing" >&2; exit 1; }
done

PIN_BRIDGE=() PIN_PEERS=()
if [ -n "${PIN_CPUS:-}" ]; then
  [ "$(nproc)" -ge 2 ] || { echo "fleet: PIN_CPUS needs two CPUs" >&2; exit 2; }
  PIN_BRIDGE=(taskset -c 0) PIN_PEERS=(taskset -c 1)
  BRIDGE_THREADS=${BRIDGE_THREADS:-1}
fi

WORK=$(mktemp -d "${FLEET_TMP:-/tmp}/cmp-cwmp-bridge-fleet.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
TCK=$(getconf CLK_TCK)
ACS_USER=acs ACS_PW=fleet-pw

val() { sed -n "s/^$1: //p" "$2" | tr -d '"'; }
wait_file() {
  for _ in $(seq 400); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "fleet: $1 not written" >&2; return 1
}
# CPU ticks (utime + stime) of $1 every 20 ms, with a wall-clock stamp, until it exits.
sample_cpu() {
  local sfd f i=0
  exec {sfd}<> <(:)
  while [ $i -lt 250000 ] && read -ra f 2>/dev/null < "/proc/$1/stat"; do
    echo "$EPOCHREALTIME $((f[13] + f[14]))"
    read -t 0.02 -u "$sfd" || true
    i=$((i + 1))
  done > "$2"
}
# CPU seconds between two wall-clock times, from a sample_cpu file.
cpu_between() {
  awk -v a="$1" -v b="$2" -v t="$TCK" '
    NR == 1 { c0 = $2 } $1 <= a { c0 = $2 } $1 >= b && !c1set { c1 = $2; c1set = 1 } { last = $2 }
    END { if (!c1set) c1 = last; printf "%.3f", (c1 - c0) / t }' "$3"
}

# run_scenario LABEL N SPREAD_S [bench-load-acs options...]: one bridge, simulator and ACS;
# leaves $WORK/LABEL.summary (the ACS's) and $WORK/LABEL.metrics (the bridge's).
run_scenario() {
  local label=$1 n=$2 spread=$3
  shift 3
  local d="$WORK/$label"
  mkdir -p "$d"
  "${PIN_PEERS[@]}" "$BIN/cmp-gateway-sim" --listen 127.0.0.1:0 --port-file "$d/sim.port" --gateways "$n" --secret "$SECRET" \
    --log-level warn --exchange-sizes-out "$d/cmp_sizes" > "$d/sim.log" 2>&1 &
  local sim=$!
  PIDS+=($sim)
  "${PIN_PEERS[@]}" "$BIN/bench-load-acs" --port-file "$d/acs.port" --sessions "$n" --timeout "$TIMEOUT" --username $ACS_USER \
    --password $ACS_PW --summary "$d/summary" "$@" > "$d/acs.log" 2>&1 &
  local acs=$!
  PIDS+=($acs)
  wait_file "$d/sim.port" && wait_file "$d/acs.port" || { tail "$d"/*.log >&2; return 1; }
  local sim_port
  sim_port=$(cat "$d/sim.port")
  {
    echo "acs: { url: \"http://127.0.0.1:$(cat "$d/acs.port")/acs\", username: $ACS_USER, password: $ACS_PW }"
    # Every peer is 127.0.0.1: lift the per-source bounds of both listeners.
    echo "connection_request: { listen: \"127.0.0.1:0\", max_connections: 200000, max_connections_per_source: 200000 }"
    echo "cmp: { listen: \"127.0.0.1:0\", max_connections: 200000, max_connections_per_source: 200000 }"
    echo "state_dir: $d/state"
    echo "state_backend: sqlite"
    echo "periodic_inform: { enable: true, interval_s: 86400, start_spread_s: $spread }"
    echo "defaults: { mapping: ${MAPPING:-$PWD/mappings/tr098.yaml}, secret: $SECRET }"
    echo "gateways:"
    awk -v n="$n" -v p="$sim_port" 'BEGIN { for (i = 1; i <= n; i++)
      printf "  - { id: GW-%04d, url: \"http://127.0.0.1:%s/cmp/GW-%04d\" }\n", i, p, i }'
  } > "$d/bridge.yaml"
  "${PIN_BRIDGE[@]}" "$BIN/cmp-cwmp-bridge" --log-level warn run -c "$d/bridge.yaml" ${BRIDGE_THREADS:+--threads $BRIDGE_THREADS} > "$d/bridge.log" 2>&1 &
  local bridge=$!
  PIDS+=($bridge)
  sample_cpu $bridge "$d/cpu" &
  PIDS+=($!)
  local perf=""
  if [ "${PROFILE:-}" = "$label" ] && command -v perf >/dev/null; then
    # Software clock sampling (this VM has no hardware counters); a flat profile by function.
    # PERF_CALLGRAPH=1: call graphs by DWARF unwinding (Release has no frame pointers), at a lower rate.
    if [ -n "${PERF_CALLGRAPH:-}" ]; then
      perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -o "$d/perf.data" -p $bridge > "$d/perf.log" 2>&1 &
    else
      perf record -q -e cpu-clock -F 1999 -o "$d/perf.data" -p $bridge > "$d/perf.log" 2>&1 &
    fi
    perf=$!
  fi
  local i=0 alive=1
  while kill -0 $acs 2>/dev/null && [ $i -lt $((TIMEOUT * 10 + 600)) ]; do
    kill -0 $bridge 2>/dev/null || { alive=0; break; }
    sleep 0.1
    i=$((i + 1))
  done
  local status=0
  if [ $alive = 1 ]; then wait $acs || status=$?; else kill $acs 2>/dev/null; wait $acs || true; fi
  sleep 1  # the fleet is idle now: what it holds is what an idle gateway costs
  local rss=0 hwm=0
  if [ $alive = 1 ]; then
    rss=$(awk '/VmRSS/ {print $2}' /proc/$bridge/status)
    hwm=$(awk '/VmHWM/ {print $2}' /proc/$bridge/status)
  fi
  if [ -n "$perf" ]; then
    kill -INT $perf 2>/dev/null || true
    wait $perf 2>/dev/null || true
    { perf report -i "$d/perf.data" --stdio --no-children --sort dso --percent-limit 1 2>/dev/null
      perf report -i "$d/perf.data" --stdio --no-children --sort dso,symbol --percent-limit 0.6 2>/dev/null
    } | grep -v '^#' | grep -v '^$' | sed 's/[[:space:]-]*$//' | cut -c1-160 | head -80 \
      > "${RESULTS%.md}-profile-$label.txt" || true
    if [ -n "${PERF_CALLGRAPH:-}" ]; then
      # Inclusive cost per function: which callers the allocator and the kernel time belong to.
      perf report -i "$d/perf.data" --stdio --children --no-demangle --sort symbol --percent-limit 3 -g none 2>/dev/null \
        | grep -v '^#' | grep -v '^$' | c++filt | cut -c1-200 | head -120 > "${RESULTS%.md}-callers-$label.txt" || true
    fi
  fi
  local sim_cpu
  sim_cpu=$(awk -v t="$TCK" '{ printf "%.3f", ($14 + $15) / t }' /proc/$sim/stat 2>/dev/null || echo 0)
  kill $bridge $sim 2>/dev/null || true
  wait $bridge $sim 2>/dev/null || true
  local first last cpu
  first=$(val first_request_epoch "$d/summary" 2>/dev/null || echo 0)
  last=$(val last_session_epoch "$d/summary" 2>/dev/null || echo 0)
  cpu=$(cpu_between "${first:-0}" "$(awk -v l="${last:-0}" 'BEGIN { printf "%.3f", l + 0.2 }')" "$d/cpu")
  printf 'status: %s\nbridge_alive: %s\nrss_kb: %s\nhwm_kb: %s\ncpu_s: %s\nsim_cpu_s: %s\n' "$status" $alive "$rss" \
    "$hwm" "$cpu" "$sim_cpu" > "$d/metrics"
  if [ $alive = 0 ] || [ ! -s "$d/summary" ]; then
    echo "fleet: $label: the bridge or the ACS failed" >&2
    tail -5 "$d/bridge.log" "$d/acs.log" >&2
  fi
}

# gateway_sizes DIR N: the CMP exchanges of one session as bench-canned's --gateway-sizes
# (K:request:answer, K = the ACS exchange they precede), from what the simulator served
# (cmp_sizes, per function: calls and mean body sizes) over N sessions. The first call of each of
# INFORM_FUNCTIONS in a session builds its Inform (K = 0); every other call answers the load ACS's
# GPV (before its 4th exchange, K = 3). With cmp.reuse_answers_ms the GPV reuses the Inform's
# answers and only its other functions reach the gateway.
INFORM_FUNCTIONS=${INFORM_FUNCTIONS:-getRgInfo getRgNetInfo}
gateway_sizes() {
  [ -s "$1/cmp_sizes" ] || return 0
  sed -n 's/.*function: \([^,]*\), calls: \([0-9]*\), request_bytes: \([0-9]*\), answer_bytes: \([0-9]*\).*/\1 \2 \3 \4/p' \
    "$1/cmp_sizes" | awk -v n="$2" -v inform="$INFORM_FUNCTIONS" '
      BEGIN { split(inform, f, " "); for (i in f) at_inform[f[i]] = 1 }
      { per = int($2 / n + 0.5)
        for (i = 0; i < per; i++) {
          k = (at_inform[$1] && i == 0) ? 0 : 3
          out = out (out == "" ? "" : ",") k ":" $3 ":" $4 } }
      END { print out }'
}

# canned LABEL N: the transport limit for the exchanges of LABEL's sessions: the same
# exchange count as the bridge's session (the ACS's five and the CMP calls), and the ACS's
# alone (the baseline of the tables before 2026-12-04).
canned() {
  local d="$WORK/$1" n=$2
  local sizes gsizes ex conc
  sizes=$(val exchange_sizes "$d/summary")
  ex=$(val exchanges "$d/summary")
  [ -n "$sizes" ] || { echo 0 > "$d/canned_rate"; echo 0 > "$d/canned_acs_rate"; return; }
  gsizes=$(gateway_sizes "$d" "$n")
  [ "${ex:-0}" -ge 20000 ] || ex=20000
  [ $SMOKE = 1 ] && ex=400
  conc=$n
  [ "$conc" -le 4096 ] || conc=4096
  # The median of three runs: on this VM one run of the baseline varies by a factor of two.
  local i runs=3
  [ $SMOKE = 1 ] && runs=1
  for i in $(seq $runs); do
    "$BIN/bench-canned" --sizes "$sizes" --gateway-sizes "$gsizes" --exchanges "$ex" --concurrency "$conc" \
      > "$d/canned" 2>&1 || true
    val sessions_per_s "$d/canned"
  done | sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }' > "$d/canned_rate"
  "$BIN/bench-canned" --sizes "$sizes" --exchanges "$ex" --concurrency "$conc" > "$d/canned_acs" 2>&1 || true
  val sessions_per_s "$d/canned_acs" > "$d/canned_acs_rate"
  echo "$(val exchanges_per_session "$d/canned") + $(val gateway_exchanges_per_session "$d/canned")" > "$d/canned_shape"
}

BASE_RSS=0
ROWS=()
# row LABEL N NOTE: one line of the table from the files of a scenario.
row() {
  local d="$WORK/$1" n=$2 note=$3
  local s="$d/summary" m="$d/metrics"
  [ -s "$s" ] || { ROWS+=("| $1 | $n | failed: see $d | | | | | | | | |"); return; }
  local done rate steady p50 p99 gp99 cpu rss hwm crate per cpums ratio
  done=$(val cpes_completed "$s")
  rate=$(val sessions_per_s "$s")
  steady=$(val sessions_per_s_steady "$s")
  awk -v x="$steady" 'BEGIN { exit !(x > 0) }' || steady=$rate
  p50=$(val rpc_p50_ms "$s") p99=$(val rpc_p99_ms "$s") gp99=$(val gpv_p99_ms "$s")
  cpu=$(val cpu_s "$m") rss=$(val rss_kb "$m") hwm=$(val hwm_kb "$m")
  crate=$(cat "$d/canned_rate" 2>/dev/null || echo 0)
  local arate shape
  arate=$(cat "$d/canned_acs_rate" 2>/dev/null || echo 0)
  shape=$(cat "$d/canned_shape" 2>/dev/null || echo "?")
  [ "$n" != 1 ] || BASE_RSS=$rss
  per=$(awk -v r="$rss" -v b="$BASE_RSS" -v n="$n" 'BEGIN { if (n > 1 && b > 0) printf "%.1f", (r - b) / (n - 1); else printf "-" }')
  cpums=$(awk -v c="$cpu" -v d="$done" 'BEGIN { if (d > 0) printf "%.2f", 1000 * c / d; else printf "-" }')
  # The peers' whole-run CPU (start-up included) per session: they share the same cores.
  cpums="$cpums ($(awk -v a="$(val sim_cpu_s "$m")" -v b="$(val acs_cpu_s "$s")" -v d="$done" \
    'BEGIN { if (d > 0) printf "%.2f / %.2f", 1000 * a / d, 1000 * b / d; else printf "-" }'))"
  ratio=$(awk -v a="$rate" -v b="${crate:-0}" -v c="${arate:-0}" 'BEGIN {
    if (b > 0) printf "%.1f %%", 100 * a / b; else printf "-"
    if (c > 0) printf " (%.1f %%)", 100 * a / c }')
  [ "$(val timed_out "$s")" = false ] || note="$note; TIMED OUT ($done of $n)"
  if [ "${crate:-0}" != 0 ]; then crate="$crate ($shape exchanges; ACS side only: $arate)"; else crate=-; fi
  ROWS+=("$(printf '| %s | %s | %s | %.0f / %.0f | %s / %s | %s | %s | %.0f / %.0f | %s | %s | %s | %s |' "$1" "$n" \
    "$done" "$rate" "$steady" "$p50" "$p99" "$gp99" "$cpums" "$((rss / 1024))" "$((hwm / 1024))" "$per" "$crate" "$ratio" \
    "$note")")
}

checks() {  # LABEL: the harness's own correctness (smoke and every run)
  local s="$WORK/$1/summary"
  local bad=""
  for k in bad_answers protocol_errors failed_sessions events_lost; do
    [ "$(val $k "$s")" = 0 ] || bad="$bad $k=$(val $k "$s")"
  done
  echo "${bad# }"
}

# The baseline of RSS per gateway is the 1-gateway bridge: run it first. The half-load scenario
# needs the maximum rate at its own size.
if [ $SMOKE = 0 ] && [ $HALF = 1 ] && ! printf '%s\n' "${SIZES[@]}" | grep -qx "$HALF_N"; then
  mapfile -t SIZES < <(printf '%s\n' "${SIZES[@]}" "$HALF_N" | sort -n)
fi
[ $SMOKE = 1 ] || [ "${SIZES[0]}" = 1 ] || SIZES=(1 "${SIZES[@]}")
for n in "${SIZES[@]}"; do
  run_scenario "boot-$n" "$n" 0
  [ $CANNED = 1 ] && canned "boot-$n" "$n"
  row "boot-$n" "$n" "$(checks "boot-$n")"
done
if [ $SMOKE = 1 ]; then
  # One run with everything: every first Inform refused with 503, then CRs to all.
  run_scenario smoke-storm-cr 3 0 --refuse-fraction 1 --retry-after 1 --cr-count 3
  s="$WORK/smoke-storm-cr/summary"
  row smoke-storm-cr 3 "503: $(val refused_503 "$s"), CRs: $(val cr_statuses "$s")"
  problems="$(checks boot-3) $(checks smoke-storm-cr)"
  [ "$(val refused_503 "$s")" = 3 ] || problems="$problems refused_503=$(val refused_503 "$s")"
  [ "$(val cr_statuses "$s")" = 200x3 ] || problems="$problems cr_statuses=$(val cr_statuses "$s")"
  [ "$(val cr_sessions "$s")" = 3 ] || problems="$problems cr_sessions=$(val cr_sessions "$s")"
  [ "$(cat "$WORK/boot-3/canned_rate")" != 0 ] || problems="$problems canned=0"
  # Five ACS exchanges and the CMP calls the simulator counted (3 with the default answer reuse, 5 without).
  grep -qx '5 + [1-9]' "$WORK/boot-3/canned_shape" || problems="$problems canned_shape=$(cat "$WORK/boot-3/canned_shape")"
else
  if [ $STORM = 1 ]; then
    run_scenario storm "$STORM_N" 0 --refuse-fraction 0.5 --retry-after 2
    s="$WORK/storm/summary"
    row storm "$STORM_N" "all BOOT at once, 503 + Retry-After 2 s to $(val refused_503 "$s"); events lost: $(val events_lost "$s")"
  fi
  if [ $CR = 1 ]; then
    run_scenario cr "$CR_N" 0 --cr-count "$CR_COUNT"
    s="$WORK/cr/summary"
    row cr "$CR_N" "then $(val cr_sent "$s") CRs at once: $(val cr_statuses "$s"), CR->Inform p50/p99 $(val cr_to_inform_p50_ms "$s")/$(val cr_to_inform_p99_ms "$s") ms, all CR sessions done in $(val cr_phase_s "$s") s"
  fi
  if [ $HALF = 1 ] && [ -s "$WORK/boot-$HALF_N/summary" ]; then
    max=$(val sessions_per_s "$WORK/boot-$HALF_N/summary")
    # Spread the first Informs so that they arrive at about half the rate measured above
    # (the bridge starts at most 100 CPEs per second whatever the window: docs/cwmp.md).
    spread=$(awk -v n="$HALF_N" -v r="$max" 'BEGIN { s = (r > 0) ? 2 * n / r : 10; printf "%d", s < 1 ? 1 : s + 0.5 }')
    run_scenario half "$HALF_N" "$spread"
    s="$WORK/half/summary"
    # Per RPC: the InformResponse and the SPV end in a durable write (fdatasync), the GPV in three CMP calls.
    row half "$HALF_N" "first Informs spread over ${spread} s (about half of the maximum rate); p50/p99 ms InformResponse $(val inform_response_p50_ms "$s")/$(val inform_response_p99_ms "$s"), GPV $(val gpv_p50_ms "$s")/$(val gpv_p99_ms "$s"), SPV $(val spv_p50_ms "$s")/$(val spv_p99_ms "$s")"
  fi
fi

{
  echo "Fleet benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $BIN${PIN_CPUS:+, pinned: the bridge alone on CPU 0, the simulator and the load ACS on CPU 1}"
  echo
  echo "| scenario | gateways | CPEs done | sessions/s overall / steady | RPC p50 / p99 ms | GPV p99 ms | bridge CPU ms/session (sim / ACS) | RSS / peak MiB | RSS KiB/gateway | transport limit sessions/s (ACS + CMP exchanges) | ratio (to the ACS side only) | notes |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS"
[ $SMOKE = 1 ] || echo "fleet: table saved to $RESULTS"
if [ $SMOKE = 1 ] && [ -n "${problems// /}" ]; then
  echo "fleet smoke FAILED:$problems" >&2
  exit 1
fi
