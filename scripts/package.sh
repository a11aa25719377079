#!/usr/bin/env bash
# Builds the Debian package: a Release build in build-package/ (separate from
# the development build/), then CPack's DEB generator.
#   bash scripts/package.sh            -> build-package/cmp-cwmp-bridge_<version>_<arch>.deb
# Install it with `apt install ./build-package/cmp-cwmp-bridge_*.deb` (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
dir="${PACKAGE_BUILD_DIR:-build-package}"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBRIDGE_BUILD_TESTS=OFF -DBRIDGE_BUILD_BENCH=OFF >/dev/null
cmake --build "$dir" -j "${JOBS:-2}" --target cmp-cwmp-bridge cmp-gateway-sim
(cd "$dir" && cpack -G DEB)
ls "$dir"/cmp-cwmp-bridge_*.deb
