#!/usr/bin/env bash
# Re-creates the GenieACS traces of this folder from the GenieACS 1.2.16
# captures in ../shared/traces (docs/traces.md, "GenieACS sessions"):
#   session1  0 BOOTSTRAP, 1 BOOT: GetParameterNames (twice), GetParameterValues,
#             SetParameterValues, Reboot
#   session2  1 BOOT, M Reboot: Inform only
# The gateway's answers come from corpus traces recorded with cmp-gateway-sim.
# Run it again whenever the bridge learns something a "pending:" note names.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${BUILD:-$root/build}/bin
captures=${CAPTURES:-$root/../shared/traces}
gateway=(--gateway-from "$here/../boot-empty.yaml" --gateway-from "$here/../reboot-request.yaml"
         --gateway-from "$here/../gpv-whole-tree.yaml")

"$bin/genieacs-to-trace" --capture "$captures/genieacs-1.2.16-session1" "${gateway[@]}" \
    --events "0 BOOTSTRAP,1 BOOT" --out "$here/session1.yaml"
"$bin/genieacs-to-trace" --capture "$captures/genieacs-1.2.16-session2" "${gateway[@]}" \
    --events "1 BOOT,M Reboot" --bootstrapped --out "$here/session2.yaml"
