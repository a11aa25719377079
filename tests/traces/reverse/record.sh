#!/usr/bin/env bash
# Records the reverse-direction trace corpus in tests/traces/reverse/ from real
# processes (docs/traces.md, "Reverse traces"), with the round trip of
# tests/e2e/reverse_test.cpp:
#   cmp-gateway-sim    two gateways, GW-0001 and GW-0002
#   cmp-cwmp-bridge    forward: the gateways as TR-069 CPEs, whose ACS is ...
#   cmp-cwmp-bridge    reverse, run --record DIR: the CPEs' ACS, a CMP agent per CPE
#   scripted-homs      the HOMS, playing the script below
# One run plays every scenario; this script acts on the gateways between HOMS
# steps (a host leaves, a gateway goes offline, the forward bridge freezes),
# then picks each scenario's trace from DIR by what it holds and copies it to
# tests/traces/reverse/<scenario>.yaml.
#
#   tests/traces/reverse/record.sh              (BUILD=/path/to/build, KEEP=1 to keep the work folder)
#   OUT=/some/dir tests/traces/reverse/record.sh   the picked traces go there instead (ctest
#                                                  trace/reverse/record: recording works end to end)
#
# Every trace the bridge wrote (not only the picked ones) must replay: a
# window the recorder cut wrongly fails the run.
#
# Afterwards: `cmp-cwmp-bridge replay tests/traces/reverse/*.yaml` (ctest does
# the same), review `git diff tests/traces/reverse`, commit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${BUILD:-$root/build}/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/record-reverse-XXXXXX")
mapping=$root/mappings/tr098.yaml
out=${OUT:-$here}
mkdir -p "$out"

# Secrets of the set-up: the traces are checked for them at the end.
GATEWAY_SECRET=rec-reverse-sim-secret-41c9
HOMS_SECRET=rec-reverse-homs-secret-7d20
CPE_PASSWORD=rec-reverse-cpe-pw-19
CR_PASSWORD=rec-reverse-cr-pw-83
TOKEN=rec-reverse-control

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ -n ${KEEP:-} ]]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

for tool in cmp-cwmp-bridge cmp-gateway-sim scripted-homs; do
    [[ -x $bin/$tool ]] || { echo "missing $bin/$tool: build first" >&2; exit 2; }
done

# Below the kernel's ephemeral range (32768-60999 here), so that the listeners
# started on port 0 and the outgoing connections cannot take it first.
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    echo "no free port" >&2; return 1
}
wait_file() {  # FILE SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do [[ -s $1 ]] && return 0; sleep 0.1; done
    return 1
}
wait_log() {  # FILE REGEX SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do grep -Eq "$2" "$1" && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1" >&2; return 1
}
control() {  # GATEWAY ACTION
    curl -s -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$sim_port/control/$1/$2" >/dev/null
}

fwd_cmp=$(free_port); rev_acs=$(free_port); rev_agent=$(free_port)
rec=$work/traces

"$bin/cmp-gateway-sim" --listen 127.0.0.1:0 --port-file "$work/sim.port" --gateways 2 \
    --bridge "http://127.0.0.1:$fwd_cmp/cmp" --secret "$GATEWAY_SECRET" --control-token "$TOKEN" \
    --reboot-seconds 2 --upgrade-seconds 2 --identities-out "$work/identities.yaml" >"$work/sim.log" 2>&1 &
pids+=($!)
wait_file "$work/sim.port" 10 && wait_file "$work/identities.yaml" 10
sim_port=$(cat "$work/sim.port")
# The CPE ids the reverse bridge gives the two virtual CPEs: as in their traces' file names.
# rgId = acs::cpe_id: OUI-ProductClass-Serial, each part percent-encoded but for A-Z a-z 0-9 _ . ~
ident() { awk -v g="$1:" -v k="$2:" '$1 == g {inb = 1; next} inb && $1 == k {print $2; exit}' "$work/identities.yaml"; }
pct() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="_.~").replace("-", "%2D"))' "$1"; }
rg_of() { echo "$(pct "$(ident "$1" oui)")-$(pct "$(ident "$1" productClass)")-$(pct "$(ident "$1" serialNumber)")"; }
one=$(rg_of GW-0001); two=$(rg_of GW-0002)

# The HOMS. Steps this script acts after: 7 (a host leaves), 14 (the forward
# bridge freezes: the CPE never comes), 16 (it thaws). Step 14 is answered with
# the CPE's fault: 9013, a Download over ftp.
cat >"$work/homs.yaml" <<EOF
steps:
  - wait_registered: "$one"
    timeout: 90
  - wait_registered: "$two"
    timeout: 30
  - wait_event: regRg
    gateway: "$one"
  - call: getRgInfo
    gateway: "$one"
  - call: getHomeDevList
    gateway: "$one"
  - call: setRgTime
    gateway: "$one"
    args: {ntpServer1: ntp.reverse.example.net}
  - call: getRgTime
    gateway: "$one"
    expect: {fields: {ntpServer1: ntp.reverse.example.net}}
  - wait_event: notifyHomeDevLeave
    gateway: "$one"
    timeout: 60
  - call: upgradeRgFirmware
    gateway: "$two"
    args: {fwUrl: "http://files.example.net/images/V400R002.bin", fwVersion: V400R002, fileSize: 0, userName: "", password: ""}
  - wait_event: notifyRgUpgradeResult
    gateway: "$two"
    timeout: 90
  - call: rebootRg
    gateway: "$one"
  - wait_event: regRg
    gateway: "$one"
    since: previous
    timeout: 90
  - sleep: 1
  - call: upgradeRgFirmware
    gateway: "$two"
    args: {fwUrl: "ftp://files.example.net/images/V400R003.bin", fwVersion: V400R003, fileSize: 0, userName: "", password: ""}
    expect: {resultCode: any}
  - sleep: 3
  - call: getRgTime
    gateway: "$one"
    expect: {resultCode: any}
  - sleep: 1
EOF
"$bin/scripted-homs" --listen 127.0.0.1:0 --port-file "$work/homs.port" --script "$work/homs.yaml" \
    --secret "$HOMS_SECRET" --keepalive 30 --timeout 300 --call-timeout 20 >"$work/homs.log" 2>&1 &
homs_pid=$!
pids+=($homs_pid)
wait_file "$work/homs.port" 10

cat >"$work/cpes.yaml" <<EOF
default:
  username: cpe
  password: $CPE_PASSWORD
  connection_request: {username: acs, password: $CR_PASSWORD}
EOF
# call_wait_s 3: shorter than a Connection Request's 5 s, so that a frozen CPE is acs.timeout.
cat >"$work/reverse.yaml" <<EOF
state_dir: $work/reverse-state
reverse:
  acs: {listen: 127.0.0.1:$rev_acs, credentials_file: $work/cpes.yaml}
  homs: {url: "http://127.0.0.1:$(cat "$work/homs.port")/cmp", secret: $HOMS_SECRET}
  agent: {listen: 127.0.0.1:$rev_agent}
  mappings: {InternetGatewayDevice: $mapping}
  call_wait_s: 3
EOF
"$bin/cmp-cwmp-bridge" run -c "$work/reverse.yaml" --threads 2 --record "$rec" --log-level debug \
    >"$work/reverse.log" 2>&1 &
pids+=($!)
wait_log "$work/reverse.log" "ACS for TR-069 CPEs" 10

cat >"$work/forward.yaml" <<EOF
acs:
  url: http://127.0.0.1:$rev_acs/cwmp
  username: cpe
  password: $CPE_PASSWORD
connection_request:
  listen: 127.0.0.1:0
  max_per_minute: 120
state_dir: $work/forward-state
periodic_inform:
  interval_s: 300
  start_spread_s: 0
defaults:
  mapping: $mapping
  secret: $GATEWAY_SECRET
cmp:
  listen: 127.0.0.1:$fwd_cmp
  timeout_s: 2
  keepalive_s: 30
gateways:
  - {id: GW-0001, url: "http://127.0.0.1:$sim_port/cmp/GW-0001"}
  - {id: GW-0002, url: "http://127.0.0.1:$sim_port/cmp/GW-0002"}
EOF
"$bin/cmp-cwmp-bridge" run -c "$work/forward.yaml" --threads 2 >"$work/forward.log" 2>&1 &
forward_pid=$!
pids+=($forward_pid)

wait_log "$work/homs.log" "step 7 .* ok" 150
control GW-0001 leave
wait_log "$work/homs.log" "step 14 .* ok" 150
kill -STOP "$forward_pid"
wait_log "$work/homs.log" "step 16 .* ok" 60
kill -CONT "$forward_pid"
wait "$homs_pid" || { echo "the HOMS script failed:"; tail -20 "$work/homs.log"; exit 1; }
# Let the last sessions end, then stop the reverse bridge (its recorder writes on).
sleep 2
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

# pick NAME CPE WHAT [N]: the N-th trace (recording order) of that CPE whose text matches WHAT.
status=0
pick() {
    local name=$1 cpe=$2 what=$3 nth=${4:-1} f n=0
    for f in $(ls "$rec"/*.yaml | sed 's/.*-\([0-9]*\)\.yaml$/\1 &/' | sort -n | cut -d' ' -f2); do
        [[ $(basename "$f") == "$cpe"-* ]] || continue
        grep -Eq "$what" "$f" || continue
        n=$((n + 1))
        if [[ $n -eq $nth ]]; then
            cp "$f" "$out/$name.yaml"
            echo "recorded $name.yaml ($(basename "$f"))"
            return 0
        fi
    done
    echo "NOT RECORDED: $name (no trace of $cpe matching '$what')" >&2
    status=1
}
pick bootstrap "$two" "queued:"
pick get-rg-info "$one" "^function: getRgInfo"
pick get-home-dev-list "$one" "^function: getHomeDevList"
pick set-rg-time "$one" "^function: setRgTime"
pick host-leave "$one" "function: notifyHomeDevLeave"
pick upgrade-rg-firmware "$two" "^function: upgradeRgFirmware"
pick upgrade-result "$two" "function: notifyRgUpgradeResult"
pick reboot-rg "$one" "^function: rebootRg"
pick cpe-fault "$two" "^function: upgradeRgFirmware" 2
pick cpe-timeout "$one" "code: acs.timeout"

# None of the set-up's secrets may be in a trace.
for s in "$GATEWAY_SECRET" "$HOMS_SECRET" "$CPE_PASSWORD" "$CR_PASSWORD"; do
    if grep -l -- "$s" "$rec"/*.yaml "$out"/*.yaml 2>/dev/null; then echo "SECRET LEAKED: $s" >&2; status=1; fi
done
echo "$(ls "$rec" | wc -l) traces recorded in all"
if ! "$bin/cmp-cwmp-bridge" replay --mapping-dir "$root/mappings" "$rec"/*.yaml >"$work/replay.log" 2>&1; then
    grep -v "^PASS" "$work/replay.log" >&2
    echo "RECORDED TRACES DO NOT REPLAY" >&2
    status=1
fi
tail -1 "$work/replay.log"
exit $status
