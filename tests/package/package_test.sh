#!/usr/bin/env bash
# package_test.sh BUILD_DIR VERSION
# 1. `cmake --install` into a throwaway DESTDIR + prefix: the layout, the unit
#    written for that prefix, and the installed binary validating the installed
#    tables from another working directory (so no source path can help), an
#    operator's own table outside share/ included.
# 2. The same binary copied where no datamodels/ exist must fail to find them:
#    proof that nothing points back into the source tree.
# 3. The .deb from cpack: control fields, maintainer scripts and file list read
#    with dpkg-deb (never installed), and its own binary run from an extract.
set -euo pipefail
build=$1 version=$2
work=$(mktemp -d /tmp/bridge-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
unset BRIDGE_DATAMODELS

prefix=/opt/cmp-bridge-test
root=$work/root
DESTDIR=$root cmake --install "$build" --prefix "$prefix" --strip >"$work/install.log"
p=$root$prefix
for f in bin/cmp-cwmp-bridge bin/cmp-gateway-sim \
         share/cmp-cwmp-bridge/mappings/tr098.yaml share/cmp-cwmp-bridge/mappings/tr106.yaml \
         share/cmp-cwmp-bridge/mappings/tr098-tr157.yaml \
         share/cmp-cwmp-bridge/datamodels/InternetGatewayDevice-1.4.dm share/cmp-cwmp-bridge/datamodels/Device-1.3.dm \
         share/doc/cmp-cwmp-bridge/examples/bridge.yaml share/doc/cmp-cwmp-bridge/operations.md \
         lib/systemd/system/cmp-cwmp-bridge.service lib/sysusers.d/cmp-cwmp-bridge.conf \
         lib/tmpfiles.d/cmp-cwmp-bridge.conf; do
  [ -f "$p/$f" ] || fail "not installed: $prefix/$f"
done
[ ! -e "$p/share/cmp-cwmp-bridge/datamodels/regenerate.sh" ] || fail "developer script installed"
unit=$p/lib/systemd/system/cmp-cwmp-bridge.service
grep -qx "ExecStart=$prefix/bin/cmp-cwmp-bridge run -c $prefix/etc/cmp-cwmp-bridge/bridge.yaml" "$unit" \
  || fail "the unit does not name the installed binary: $(grep ExecStart= "$unit")"
grep -qx "Type=notify" "$unit" || fail "unit is not Type=notify"
! grep -q "@[A-Z]*@" "$unit" || fail "unfilled template variable in the unit"
grep -q "^u cmp-bridge " "$p/lib/sysusers.d/cmp-cwmp-bridge.conf" || fail "sysusers entry"
grep -q "User=cmp-bridge" "$unit" || fail "unit user is not the sysusers user"

mkdir -p "$work/elsewhere" "$work/etc"
cd "$work/elsewhere"
bin=$p/bin/cmp-cwmp-bridge
"$bin" --version | grep -qx "cmp-cwmp-bridge $version" || fail "--version: $("$bin" --version)"
"$bin" version | grep -q "^cmp-cwmp-bridge $version" || fail "version subcommand"
"$bin" validate "$p"/share/cmp-cwmp-bridge/mappings/*.yaml || fail "validate of the installed tables"
# An operator's table in /etc: found only through <bin>/../share/cmp-cwmp-bridge/datamodels.
cp "$p/share/cmp-cwmp-bridge/mappings/tr106.yaml" "$work/etc/site.yaml"
"$bin" validate "$work/etc/site.yaml" || fail "a table outside share/ does not find the installed data models"
"$bin" validate --format json "$work/etc/site.yaml" | grep -q '"status":"passed"' || fail "validate --format json"

# The example configuration is valid once its secrets exist.
sed -e "s#/usr/share/cmp-cwmp-bridge#$p/share/cmp-cwmp-bridge#; s#/var/lib/cmp-cwmp-bridge#$work/state#; s#/etc/cmp-cwmp-bridge#$work/etc#" \
  "$p/share/doc/cmp-cwmp-bridge/examples/bridge.yaml" >"$work/etc/bridge.yaml"
echo "gateway-shared-secret" >"$work/etc/gateway-secret"
ACS_PASSWORD=pw "$bin" check -c "$work/etc/bridge.yaml" || fail "the shipped example configuration"

# Without an installed datamodels/ next to it, the binary must not find any.
mkdir -p "$work/bare/bin"
cp "$bin" "$work/bare/bin/"
if out=$("$work/bare/bin/cmp-cwmp-bridge" validate "$work/etc/site.yaml" 2>&1); then
  fail "a binary with no installed data models still found some (a compiled-in path?)"
fi
grep -q "no datamodels/ folder found" <<<"$out" || fail "unexpected error without data models: $out"

# The .deb (CPack), inspected without installing it.
cd "$work"
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/deb/cmp-cwmp-bridge_"$version"_*.deb)
info=$(dpkg-deb -I "$deb")
grep -q "^ Package: cmp-cwmp-bridge$" <<<"$info" || fail "package name: $info"
grep -q "^ Version: $version$" <<<"$info" || fail "package version"
for dep in libssl3 libyaml-cpp0.7 libtinyxml2-9 adduser; do
  grep -q "^ Depends: .*$dep" <<<"$info" || fail "Depends lacks $dep: $(grep Depends <<<"$info")"
done
for script in postinst prerm postrm; do
  grep -qE "\* +$script +#!/bin/sh" <<<"$info" || fail "no executable $script in the package"
done
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/cmp-cwmp-bridge ./usr/bin/cmp-gateway-sim ./usr/share/cmp-cwmp-bridge/mappings/tr098.yaml \
         ./usr/share/cmp-cwmp-bridge/datamodels/InternetGatewayDevice-1.4.dm \
         ./usr/lib/systemd/system/cmp-cwmp-bridge.service ./usr/lib/sysusers.d/cmp-cwmp-bridge.conf \
         ./usr/lib/tmpfiles.d/cmp-cwmp-bridge.conf ./usr/share/doc/cmp-cwmp-bridge/examples/bridge.yaml; do
  grep -q " $f$" <<<"$contents" || fail "not in the .deb: $f"
done
dpkg-deb -x "$deb" "$work/x"
grep -qx "ExecStart=/usr/bin/cmp-cwmp-bridge run -c /etc/cmp-cwmp-bridge/bridge.yaml" \
  "$work/x/usr/lib/systemd/system/cmp-cwmp-bridge.service" || fail "the packaged unit does not name /usr/bin, /etc"
"$work/x/usr/bin/cmp-cwmp-bridge" validate "$work"/x/usr/share/cmp-cwmp-bridge/mappings/*.yaml \
  || fail "the packaged binary on the packaged tables"
echo "package ok: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB"
