#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds and tests with, when any
# is missing. Idempotent and quiet when everything is present.
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config
  libboost1.81-dev libssl-dev libtinyxml2-dev libyaml-cpp-dev libcli11-dev doctest-dev
  libxml2-utils libbenchmark-dev libsqlite3-dev libmimalloc-dev
  postgresql libpq-dev
  dpkg-dev file
  chromium chromium-driver
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
