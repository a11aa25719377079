#!/usr/bin/env bash
# Multi-node benchmark (issue 14, docs/performance.md "Several bridges on one
# PostgreSQL"): N simulated gateways served by 1, 2 and 3 bridge processes
# sharing one PostgreSQL (state.backend: postgresql), driven by
# bench-load-acs. Every CPE runs one bootstrap session (as bench/fleet.sh).
# Per node count: sessions/s over the whole fleet (first request to last
# session, and the steady rate), the state commit latency every node
# measured (bridge_state_commit_duration_seconds, kind durable: mean and
# p99 from the histogram, summed over the nodes), the leases each node
# ended with, and the CPU seconds of PostgreSQL and of the bridges.
#
# Usage: bench/cluster.sh [N]          default N: 3000
#        bench/cluster.sh --smoke      30 gateways, 1 and 2 nodes (seconds)
# Environment: BIN_DIR (default build/bin), NODES ("1 2 3"), LEASE_TTL (6),
#   RESULTS (the table, default build/cluster-<date>.md), KEEP=1 keeps the work dir,
#   BRIDGE_POSTGRES_BINDIR (initdb/pg_ctl; default pg_config --bindir or the newest
#   /usr/lib/postgresql/*/bin).
# One throwaway PostgreSQL (initdb in the work dir, loopback port, trust
# authentication on its unix socket and 127.0.0.1 only) for the whole run; the
# schema is dropped between node counts. Loopback only; everything started
# here is stopped here.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
N=3000 SMOKE=0
for a in "$@"; do
  case "$a" in
    --smoke) SMOKE=1 ;;
    [0-9]*) N=$a ;;
    *) echo "usage: bench/cluster.sh [--smoke] [N]" >&2; exit 2 ;;
  esac
done
NODES=${NODES:-"1 2 3"}
[ $SMOKE = 0 ] || { N=30; NODES="1 2"; }
TTL=${LEASE_TTL:-6}
BIN=${BIN_DIR:-build/bin}
RESULTS=${RESULTS:-build/cluster-$(date +%Y%m%d-%H%M%S).md}
for b in cmp-cwmp-bridge cmp-gateway-sim bench-load-acs; do
  [ -x "$BIN/$b" ] || { echo "cluster: $BIN/$b missing (build it first)" >&2; exit 1; }
done
PGBIN=${BRIDGE_POSTGRES_BINDIR:-$(pg_config --bindir 2>/dev/null || true)}
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "cluster: PostgreSQL (initdb, pg_ctl) not found" >&2; exit 1; }

WORK=$(mktemp -d /tmp/cmp-cwmp-bridge-cluster.XXXXXX)
chmod 755 "$WORK"
PIDS=()
AS=()  # root cannot run PostgreSQL: its server runs as the postgres user
[ "$(id -u)" != 0 ] || AS=(runuser -u postgres --)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$WORK/pg" ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_file() {
  for _ in $(seq 400); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "cluster: $1 not written" >&2; return 1
}
val() { sed -n "s/^$1: //p" "$2" | tr -d '"'; }

# ---- PostgreSQL
mkdir -p "$WORK/pg" "$WORK/pgsock"
[ ${#AS[@]} = 0 ] || chown postgres "$WORK/pg" "$WORK/pgsock"
"${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U bench --auth=trust >/dev/null
# A port picked now may be taken (by a test running beside this) before the server binds it: try a few.
for attempt in 1 2 3 4 5; do
  PGPORT=$(free_port)
  if "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -w -l "$WORK/pg/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pgsock -c max_connections=200" start >/dev/null; then
    break
  fi
  [ "$attempt" -lt 5 ] || { echo "cluster: PostgreSQL did not start (server.log:)" >&2; tail -5 "$WORK/pg/server.log" >&2; exit 1; }
done
DSN="host=127.0.0.1 port=$PGPORT user=bench dbname=postgres"
psql_do() { psql -q -X "$DSN" -c "$1" >/dev/null; }
pg_cpu() {  # CPU seconds of every PostgreSQL process so far (ticks summed over /proc)
  local pm tck
  tck=$(getconf CLK_TCK)
  pm=$(head -1 "$WORK/pg/postmaster.pid")
  { echo "$pm"; pgrep -P "$pm" || true; } | while read -r p; do
    awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat" 2>/dev/null || true
  done | awk -v t="$tck" '{ s += $1 } END { printf "%.2f", s / t }'
}
proc_cpu() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0; }

SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
ROWS=()
for k in $NODES; do
  d="$WORK/nodes-$k"
  mkdir -p "$d"
  psql_do "SET client_min_messages = warning; DROP SCHEMA IF EXISTS bridge CASCADE"
  "$BIN/cmp-gateway-sim" --listen 127.0.0.1:0 --port-file "$d/sim.port" --gateways "$N" --secret "$SECRET" \
    --log-level warn > "$d/sim.log" 2>&1 &
  sim=$!
  PIDS+=($sim)
  "$BIN/bench-load-acs" --port-file "$d/acs.port" --sessions "$N" --timeout 600 --username acs --password bench-pw \
    --summary "$d/summary" > "$d/acs.log" 2>&1 &
  acs=$!
  PIDS+=($acs)
  wait_file "$d/sim.port" && wait_file "$d/acs.port"
  sim_port=$(cat "$d/sim.port")
  echo "$DSN" > "$d/dsn"
  pg_before=$(pg_cpu)
  bridges=()
  admin_ports=()
  for i in $(seq "$k"); do
    ap=$(free_port)
    admin_ports+=("$ap")
    {
      echo "acs: { url: \"http://127.0.0.1:$(cat "$d/acs.port")/acs\", username: acs, password: bench-pw }"
      echo "connection_request: { listen: \"127.0.0.1:0\", max_connections: 200000, max_connections_per_source: 200000 }"
      echo "cmp: { listen: \"127.0.0.1:0\", max_connections: 200000, max_connections_per_source: 200000 }"
      echo "state_dir: $d/n$i"
      echo "state: { backend: postgresql, dsn_file: $d/dsn, node_id: n$i, lease_ttl_s: $TTL, advertise_host: 127.0.0.1 }"
      echo "admin: { listen: \"127.0.0.1:$ap\" }"
      echo "periodic_inform: { enable: true, interval_s: 86400, start_spread_s: 0 }"
      echo "defaults: { mapping: $PWD/mappings/tr098.yaml, secret: $SECRET }"
      echo "gateways:"
      awk -v n="$N" -v p="$sim_port" 'BEGIN { for (i = 1; i <= n; i++)
        printf "  - { id: GW-%04d, url: \"http://127.0.0.1:%s/cmp/GW-%04d\" }\n", i, p, i }'
    } > "$d/n$i.yaml"
    "$BIN/cmp-cwmp-bridge" --log-level warn run -c "$d/n$i.yaml" > "$d/n$i.log" 2>&1 &
    bridges+=($!)
    PIDS+=($!)
  done
  status=0
  wait $acs || status=$?
  sleep 1
  # Commit latency (durable writes: what an acknowledgement waits for), every node's histogram summed.
  : > "$d/metrics"
  for ap in "${admin_ports[@]}"; do
    curl -s "http://127.0.0.1:$ap/metrics" | grep '^bridge_state_commit_duration_seconds.*kind="durable"' >> "$d/metrics" || true
  done
  # mean from _sum/_count; p99: the first bucket bound holding 99 % of the commits (buckets summed over the nodes).
  mean=$(awk '/_sum\{/ { s += $NF } /_count\{/ { c += $NF } END { if (c) printf "%.1f", s / c * 1000; else print "-" }' "$d/metrics")
  p99=$(grep '_bucket{' "$d/metrics" | sed 's/.*le="\([^"]*\)".* \([0-9.e+]*\)$/\1 \2/' | sed 's/^+Inf/1e9/' |
    awk '{ b[$1] += $2 } END { for (l in b) print l, b[l] }' | sort -g |
    awk '{ le[NR] = $1; n[NR] = $2 } END { for (i = 1; i <= NR; i++) if (n[i] >= 0.99 * n[NR]) {
      if (le[i] >= 1e9) print "+Inf"; else printf "%.0f", le[i] * 1000; exit } print "-" }')
  commit="$mean | $p99"
  leases=$(psql -At -X "$DSN" -c "SELECT string_agg(node || ' ' || c, ', ' ORDER BY node) FROM
    (SELECT node, count(*) c FROM bridge.leases WHERE node IS NOT NULL AND expires > now() GROUP BY node) x")
  pg_s=$(awk -v a="$pg_before" -v b="$(pg_cpu)" 'BEGIN { printf "%.1f", b - a }')
  bcpu=0
  for b in "${bridges[@]}"; do bcpu=$(awk -v a="$bcpu" -v b="$(proc_cpu "$b")" 'BEGIN { printf "%.1f", a + b }'); done
  kill "${bridges[@]}" $sim 2>/dev/null || true
  wait "${bridges[@]}" $sim 2>/dev/null || true
  if [ $status != 0 ] || [ ! -s "$d/summary" ]; then
    echo "cluster: $k node(s): the run failed (status $status)" >&2
    tail -5 "$d"/n*.log "$d/acs.log" >&2 || true
    ROWS+=("| $k | $N | failed | | | | | | |")
    continue
  fi
  ROWS+=("| $k | $(val cpes_completed "$d/summary") | $(val elapsed_s "$d/summary") | $(val sessions_per_s "$d/summary") | $(val sessions_per_s_steady "$d/summary") | $commit | $bcpu | $pg_s | $leases |")
done

{
  echo "Several bridges on one PostgreSQL: $N gateways, lease TTL ${TTL} s, $(nproc) cores, $(date -u +%Y-%m-%d)"
  echo
  echo "| nodes | sessions | elapsed s | sessions/s | steady sessions/s | commit mean ms | commit p99 ms | bridges CPU s | PostgreSQL CPU s | leases at the end |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do echo "$r"; done
} | tee "$RESULTS"
[ $SMOKE = 0 ] || { for r in "${ROWS[@]}"; do case "$r" in *failed*) exit 1 ;; esac; done; }
echo "cluster: table saved to $RESULTS"
