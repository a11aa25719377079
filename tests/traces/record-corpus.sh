#!/usr/bin/env bash
# Records the session-trace corpus in tests/traces/ from real processes, the
# way an operator records production sessions (docs/traces.md):
#   cmp-gateway-sim      one gateway, GW-0001
#   cmp-cwmp-bridge      run --record DIR, mappings/tr098.yaml
#   scripted-acs         the ACS, playing tests/traces/scripts/<script>.yaml
# Each scenario (table at the end) starts all three afresh, waits for the
# session trace it is about, copies it to tests/traces/<scenario>.yaml and
# stops them.
#
#   tests/traces/record-corpus.sh                  record every scenario
#   tests/traces/record-corpus.sh gpv-single ...   only these
#   BUILD=/path/to/build KEEP=1 tests/traces/record-corpus.sh   (KEEP: leave the work folder)
#   MAPPING=/elsewhere/tr098.yaml ...               another copy of the table (default mappings/tr098.yaml;
#                                                  traces name the file, so keep its name)
#
# Afterwards: `cmp-cwmp-bridge replay tests/traces/*.yaml` (ctest does the
# same), review `git diff tests/traces`, commit. A scenario whose trace did not
# appear is reported and left as it was.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${BUILD:-$root/build}/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/record-corpus-XXXXXX")
mapping=${MAPPING:-$root/mappings/tr098.yaml}

# Secrets of the recording set-up: the corpus is checked for them at the end.
ACS_PASSWORD=corpus-acs-password-7d1f
CMP_SECRET=corpus-cmp-secret-52ab
CONTROL_TOKEN=corpus-control-token

pids=()
cleanup() {
    stop_all
    if [[ -n ${KEEP:-} ]]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
stop_all() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}
trap cleanup EXIT

for tool in cmp-cwmp-bridge cmp-gateway-sim scripted-acs; do
    [[ -x $bin/$tool ]] || { echo "missing $bin/$tool: build first (ninja -C build)" >&2; exit 2; }
done

# A port nothing listens on right now (the bridge and the simulator must know
# each other's ports before either starts).
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    echo "no free port" >&2; return 1
}

wait_file() {  # FILE SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do [[ -s $1 ]] && return 0; sleep 0.1; done
    return 1
}

# The n-th trace (in recording order) whose Inform carries event $2 ("" = any)
# and, with $4 set, whose session ended normally. The Inform, not the header:
# it is what the ACS saw.
find_trace() {  # DIR EVENT N [OK]
    local f n=0
    for f in $(ls "$1"/*.yaml 2>/dev/null | sort); do
        [[ -n ${4:-} ]] && ! grep -q "^  ok: true" "$f" && continue
        if [[ -z $2 ]] || grep -q "<EventCode>$2</EventCode>" "$f"; then
            n=$((n + 1))
            [[ $n -ge $3 ]] && { echo "$f"; return 0; }
        fi
    done
    return 1
}

# Value of `key:` inside the `block:` of a CPE state file.
state_value() {  # FILE BLOCK KEY
    awk -v b="$2:" -v k="$3:" '$1 == b {inb = 1; next} inb && /^[^ ]/ {inb = 0} inb && $1 == k {print $2; exit}' "$1"
}

write_config() {  # FILE DIR ACS_URL VERSION PERIODIC REUSE_MS
    cat >"$1" <<EOF
acs:
  url: $3
  username: bridge
  password: $ACS_PASSWORD
  cwmp_version: $4
  timeout_s: 5
connection_request:
  listen: 127.0.0.1:$cr_port
cmp:
  listen: 127.0.0.1:$cmp_port
  timeout_s: 3
  reuse_answers_ms: $6
state_dir: $2/state
# One YAML file per gateway: the scenarios copy the base state and read it (sqlite keeps one database).
state_backend: files
periodic_inform:
  enable: true
  interval_s: $5
defaults:
  mapping: $mapping
  secret: $CMP_SECRET
gateways:
  - { id: GW-0001, url: "http://127.0.0.1:$sim_port/cmp/GW-0001" }
EOF
}

# scenario NAME SCRIPT [key=value ...]
#   state=fresh|boot      a new CPE (0 BOOTSTRAP) or the bootstrapped base state (default boot)
#   acs=digest|none|badpass|down   how the ACS behaves (default digest)
#   version=cwmp-1-X      the bridge's cwmp_version (default cwmp-1-0)
#   register=1            the simulator registers with the bridge (needed for gateway events)
#   simargs="ARGS"        extra simulator arguments
#   after=cr|join|leave|reboot|alert   what to do once the first session is over
#   event="CODE"          take the first trace whose events include CODE ...
#   nth=N                 ... or the N-th such trace (default 1)
#   ok=1                  ... that ended normally (a reboot's first BOOT attempt may not reach the gateway)
#   periodic=S            periodic Inform interval of a fresh CPE (default 86400)
#   timeout=S             how long to wait for the trace (default 30)
#   reuse=MS              cmp.reuse_answers_ms (default 0: every read reaches the gateway, as the
#                         corpus was recorded before the window existed)
failed=()
recorded=()
scenario() {
    local name=$1 script=$2
    shift 2
    local state=boot acs=digest version=cwmp-1-0 register= simargs= after= event= nth=1 ok= periodic=86400 timeout=30 reuse=0
    local kv
    for kv in "$@"; do local "$kv"; done
    if [[ ${#only[@]} -gt 0 && ! " ${only[*]} " =~ " $name " ]]; then return 0; fi
    echo "== $name"
    local dir=$work/$name
    mkdir -p "$dir/traces"
    if [[ $state == boot ]]; then cp -r "$work/base/state" "$dir/state"; else mkdir -p "$dir/state"; fi

    local sim=("$bin/cmp-gateway-sim" --listen 127.0.0.1:0 --port-file "$dir/sim.port" --gateways 1 --secret "$CMP_SECRET"
               --control-token "$CONTROL_TOKEN" --reboot-seconds 2 --upgrade-seconds 2)
    [[ -n $register ]] && sim+=(--bridge "http://127.0.0.1:$cmp_port/cmp")
    # shellcheck disable=SC2206
    [[ -n $simargs ]] && sim+=($simargs)
    "${sim[@]}" >"$dir/sim.log" 2>&1 &
    pids+=($!)
    wait_file "$dir/sim.port" 10 || { echo "   simulator did not start" >&2; failed+=("$name"); stop_all; return 0; }
    sim_port=$(<"$dir/sim.port")

    local acs_url
    if [[ $acs == down ]]; then
        acs_url="http://127.0.0.1:$(free_port)/acs"
    else
        local acs_cmd=("$bin/scripted-acs" --listen 127.0.0.1:0 --port-file "$dir/acs.port" --script "$here/scripts/$script.yaml"
                       --sessions 99 --timeout 120 --quiet)
        case $acs in
            digest) acs_cmd+=(--username bridge --password "$ACS_PASSWORD") ;;
            badpass) acs_cmd+=(--username bridge --password not-the-bridges-password) ;;
        esac
        "${acs_cmd[@]}" >"$dir/acs.log" 2>&1 &
        pids+=($!)
        wait_file "$dir/acs.port" 10 || { echo "   scripted-acs did not start" >&2; failed+=("$name"); stop_all; return 0; }
        acs_url="http://127.0.0.1:$(<"$dir/acs.port")/acs"
    fi
    write_config "$dir/bridge.yaml" "$dir" "$acs_url" "$version" "$periodic" "$reuse"
    "$bin/cmp-cwmp-bridge" --log-level debug run -c "$dir/bridge.yaml" --threads 1 --record "$dir/traces" >"$dir/bridge.log" 2>&1 &
    pids+=($!)

    if [[ -n $after ]]; then
        local first i
        for ((i = 0; i < timeout * 10; i++)); do first=$(find_trace "$dir/traces" "" 1) && break; sleep 0.1; done
        [[ -n $first ]] || { echo "   no first session" >&2; failed+=("$name"); stop_all; return 0; }
        case $after in
            cr)
                local sf=$dir/state/GW-0001.yaml
                local path user pass
                path=$(state_value "$sf" connection_request path)
                user=$(state_value "$sf" connection_request username)
                pass=$(state_value "$sf" connection_request password)
                curl -s -o /dev/null --digest -u "$user:$pass" "http://127.0.0.1:$cr_port/$path" || true
                ;;
            join | leave | reboot | alert*)
                local action=$after
                [[ $after == alert* ]] && action="alert?type=${after#alert-}"
                curl -s -o /dev/null -X POST -H "Authorization: Bearer $CONTROL_TOKEN" \
                    "http://127.0.0.1:$sim_port/control/GW-0001/$action" || true
                ;;
        esac
    fi

    local found= i
    for ((i = 0; i < timeout * 10; i++)); do found=$(find_trace "$dir/traces" "$event" "$nth" "$ok") && break; sleep 0.1; done
    stop_all
    if [[ -z $found ]]; then
        echo "   no trace with events '$event' (#$nth) within ${timeout}s; logs in $dir" >&2
        failed+=("$name")
        KEEP=1
        return 0
    fi
    cp "$found" "$here/$name.yaml"
    recorded+=("$name")
    echo "   $(grep -c '^  - acs:' "$found") ACS exchanges, $(grep -c '^  - cmp:' "$found") CMP calls, $(grep '^events:' "$found")"
}

only=("$@")
# Fixed for the whole run: the base state remembers its ConnectionRequestURL,
# and a new one would add a 4 VALUE CHANGE to every session.
cmp_port=$(free_port)
cr_port=$(free_port)

# The bootstrapped CPE every `state=boot` scenario starts from.
echo "== (base state)"
mkdir -p "$work/base"
(
    only=()
    scenario base-bootstrap empty state=fresh
) >/dev/null
if [[ ! -s $work/base-bootstrap/state/GW-0001.yaml ]]; then echo "cannot create the base state" >&2; exit 1; fi
cp -r "$work/base-bootstrap/state" "$work/base/state"
rm -f "$here/base-bootstrap.yaml"

# ---- session kinds ---------------------------------------------------------------------------
scenario bootstrap-deviceinfo    deviceinfo        state=fresh event="0 BOOTSTRAP"
# The GPV reads back getRgInfo, which the Inform read: reused within cmp.reuse_answers_ms.
scenario bootstrap-deviceinfo-reuse  deviceinfo    state=fresh event="0 BOOTSTRAP" reuse=2000
scenario boot-empty              empty             event="1 BOOT"
scenario periodic                empty             state=fresh periodic=2 event="2 PERIODIC"
scenario connection-request      empty             after=cr event="6 CONNECTION REQUEST"
scenario cwmp-1-2                deviceinfo        version=cwmp-1-2
scenario reboot-request          reboot            register=1
scenario reboot                  reboot            register=1 event="M Reboot" ok=1 timeout=90
scenario value-change-host-join  notify-hosts      register=1 after=join event="4 VALUE CHANGE"
scenario transfer-complete       download          register=1 event="7 TRANSFER COMPLETE" timeout=60
# ---- RPCs ------------------------------------------------------------------------------------
scenario get-rpc-methods         get-rpc-methods
scenario gpv-single              gpv-single
scenario gpv-mixed-local         gpv-mixed-local
scenario gpv-whole-tree          gpv-whole-tree
scenario gpv-multi-instance      gpv-hosts
scenario gpn-next-level          gpn-next-level
scenario gpn-management-server   gpn-management-server
scenario spv-periodic            spv-periodic
scenario spv-gateway             spv-gateway
scenario spv-cr-credentials      spv-cr-credentials
scenario gpa-spa                 gpa-spa
scenario add-delete-object       add-delete-object
scenario factory-reset           factory-reset
scenario schedule-inform         schedule-inform
scenario download-refused        download
scenario upload                  upload
# ---- faults ----------------------------------------------------------------------------------
scenario fault-gpv-unknown       gpv-unknown
scenario fault-gpn-unknown       gpn-unknown
scenario fault-spv-read-only     spv-read-only
scenario fault-spv-bad-value     spv-bad-value
scenario fault-unknown-rpc       unknown-rpc
scenario fault-gpa-unknown       gpa-unknown
scenario fault-spa-unknown       spa-unknown
scenario fault-add-object-not-multi   add-object-not-multi
scenario fault-delete-object-unknown  delete-object-unknown
scenario fault-schedule-inform-zero   schedule-inform-zero
scenario fault-upload-bad-file-type   upload-bad-file-type
scenario fault-acs-bad-password  empty             acs=badpass
scenario fault-acs-unreachable   empty             acs=down
scenario fault-gateway-offline   empty             simargs="--offline GW-0001"
scenario fault-gateway-failing   gpv-single        simargs="--fail-rate 1"

# No secret of the set-up may be in the corpus.
if grep -rlF -e "$ACS_PASSWORD" -e "$CMP_SECRET" -e "$CONTROL_TOKEN" -e corpus-cr-password-9e3c "$here"/*.yaml 2>/dev/null; then
    echo "SECRET FOUND in the files above" >&2
    exit 1
fi
echo "recorded ${#recorded[@]}: ${recorded[*]}"
if [[ ${#failed[@]} -gt 0 ]]; then echo "not recorded ${#failed[@]}: ${failed[*]}" >&2; exit 1; fi
