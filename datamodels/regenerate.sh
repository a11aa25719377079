#!/bin/sh
# Rewrites datamodels/*.dm from the Broadband Forum XML in ../shared/bbf.
# Usage: datamodels/regenerate.sh [path/to/dmgen]   (default build/bin/dmgen)
# BBF_EXTRA_DIR: a folder with the sources ../shared/bbf lacks (a checkout of
# github.com/BroadbandForum/cwmp-data-models, for tr-098-1-2-0-full.xml and, for
# Device:2.17 (TR-181 Issue 2 Amendment 17), tr-181-2-17-0-cwmp-full.xml).
#   git clone --depth 1 https://github.com/BroadbandForum/cwmp-data-models /tmp/bbf
#   BBF_EXTRA_DIR=/tmp/bbf datamodels/regenerate.sh
# Run from anywhere; paths are taken relative to the project root.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dmgen=${1:-"$root/build/bin/dmgen"}
bbf=${BBF_DIR:-"$root/../shared/bbf"}
if [ ! -x "$dmgen" ]; then
  echo "regenerate.sh: $dmgen not found; build it first: ninja -C build dmgen" >&2
  exit 2
fi
if [ ! -d "$bbf" ]; then
  echo "regenerate.sh: BBF XML folder $bbf not found (set BBF_DIR)" >&2
  exit 2
fi
exec "$dmgen" all --manifest "$root/datamodels/models.list" --bbf "$bbf" ${BBF_EXTRA_DIR:+--bbf "$BBF_EXTRA_DIR"} \
  --out-dir "$root/datamodels"
