#!/usr/bin/env bash
# MANUAL, on a throwaway Debian 12 machine or VM booted with systemd (never in CI:
# it installs a package and starts a service). docs/operations.md, "Deploying
# from the package":
#   bash scripts/systemd-smoke.sh build-package/cmp-cwmp-bridge_*.deb [--purge]
# Installs the .deb, writes a minimal bridge.yaml on 127.0.0.1 with its secrets
# in /etc/cmp-cwmp-bridge, starts the unit and checks that systemd saw READY=1
# (Type=notify), that it runs as cmp-bridge, and that the journal has its
# start line with a priority. --purge removes everything afterwards.
set -euo pipefail
deb=$1 purge=${2:-}
[ -d /run/systemd/system ] || { echo "systemd is not PID 1 here: use a VM" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }
apt-get install -y "$(readlink -f "$deb")"
getent passwd cmp-bridge >/dev/null || { echo "FAIL: no cmp-bridge user" >&2; exit 1; }
conf=/etc/cmp-cwmp-bridge
cat >"$conf/bridge.yaml" <<'YAML'
acs: { url: "http://127.0.0.1:7547/", username: bridge, password: "${ACS_PASSWORD}" }
connection_request: { listen: "127.0.0.1:7548" }
cmp: { listen: "127.0.0.1:7600" }
state_dir: /var/lib/cmp-cwmp-bridge
defaults: { mapping: /usr/share/cmp-cwmp-bridge/mappings/tr098.yaml, secret_file: /etc/cmp-cwmp-bridge/gateway-secret }
gateways:
  - { id: GW-0001, url: "http://127.0.0.1:7700/cmp/GW-0001" }
YAML
echo "ACS_PASSWORD=smoke-test-password" >"$conf/environment"
chmod 0600 "$conf/environment"
head -c 24 /dev/urandom | base64 >"$conf/gateway-secret"
chown root:cmp-bridge "$conf/gateway-secret" "$conf/bridge.yaml"
chmod 0640 "$conf/gateway-secret" "$conf/bridge.yaml"
systemctl start cmp-cwmp-bridge.service   # returns once READY=1 arrived (Type=notify)
systemctl is-active --quiet cmp-cwmp-bridge.service || { systemctl status cmp-cwmp-bridge --no-pager; exit 1; }
[ "$(ps -o user= -p "$(systemctl show -p MainPID --value cmp-cwmp-bridge)")" = cmp-bridge ] || { echo "FAIL: not cmp-bridge" >&2; exit 1; }
journalctl -u cmp-cwmp-bridge -p info -n 20 --no-pager | grep -q "CMP listener on 127.0.0.1:7600" \
  || { echo "FAIL: start line not in the journal" >&2; exit 1; }
systemd-analyze security cmp-cwmp-bridge.service | tail -1
sleep 35   # past WatchdogSec=30: still running means WATCHDOG=1 arrives
systemctl is-active --quiet cmp-cwmp-bridge.service || { echo "FAIL: killed by the watchdog" >&2; exit 1; }
systemctl stop cmp-cwmp-bridge.service
echo "systemd smoke test passed"
if [ "$purge" = --purge ]; then apt-get purge -y cmp-cwmp-bridge; rm -rf "$conf"; fi
