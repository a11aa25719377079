#!/bin/sh
# ctest tool_scripted_homs: scripted-homs against cmp-gateway-sim (two gateways on 127.0.0.1). The selftest
# script must pass; the same run with one wrong expectation must fail (exit 1, "FAILED" printed), so the
# tool cannot pass vacuously.
# usage: scripted_homs_selftest.sh BIN_DIR SCRIPT
set -u
BIN=$1
SCRIPT=$2
DIR=$(mktemp -d /tmp/homs-selftest-XXXXXX)
SECRET=selftest-secret-0123456789
trap 'rm -rf "$DIR"' EXIT

# Plays $1 against a fresh simulator; prints the HOMS's output, returns its exit code.
play() {
    rm -f "$DIR/homs.port"
    "$BIN/scripted-homs" --script "$1" --secret $SECRET --keepalive 5 --port-file "$DIR/homs.port" \
        --timeout 60 > "$DIR/homs.out" 2>&1 &
    homs=$!
    i=0
    while [ ! -f "$DIR/homs.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    "$BIN/cmp-gateway-sim" --listen 127.0.0.1:0 --gateways 2 --secret $SECRET --reboot-seconds 2 \
        --bridge "http://127.0.0.1:$(cat "$DIR/homs.port")/cmp" --log-level warn > "$DIR/sim.out" 2>&1 &
    sim=$!
    wait $homs
    rc=$?
    kill $sim 2> /dev/null
    wait $sim 2> /dev/null
    cat "$DIR/homs.out"
    return $rc
}

play "$SCRIPT" || { echo "selftest: the script failed"; exit 1; }

cat > "$DIR/wrong.yaml" << 'YAML'
steps:
  - wait_registered: 1
  - call: getRgInfo
    expect:
      fields: {manufacturer: "Not The Manufacturer"}
YAML
play "$DIR/wrong.yaml"
rc=$?
if [ $rc -ne 1 ] || ! grep -q "FAILED: manufacturer is 'Huawei" "$DIR/homs.out"; then
    echo "selftest: a wrong expectation was not reported (exit $rc)"
    exit 1
fi
echo "selftest: passed"
