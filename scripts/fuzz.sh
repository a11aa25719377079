#!/usr/bin/env bash
# Long fuzzing with libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer
# (clang), separate from ctest, which only smoke-runs the targets.
#   bash scripts/fuzz.sh [TARGET|all] [SECONDS per target]
# Targets: cwmp_decode cmp_decode http_auth mapping_load xml_differential (tests/fuzz/).
# The growing corpus is kept in build-fuzz/corpus/<target>; a crash leaves
# crash-<sha1> in build-fuzz/ — add it to tests/fuzz/corpus/ with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:-all}
SECS=${2:-300}
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libclang-rt-14-dev >/dev/null
  else
    echo "fuzz.sh needs clang and its fuzzer runtime: apt-get install clang libclang-rt-14-dev" >&2
    exit 2
  fi
fi
bash scripts/install-deps.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DBRIDGE_LIBFUZZER=ON -DBRIDGE_SANITIZE=ON -DBRIDGE_BUILD_BENCH=OFF >/dev/null
declare -A SEEDS=(
  [cwmp_decode]="../shared/traces"
  [cmp_decode]="tests/fuzz/corpus/cmp"
  [http_auth]="tests/fuzz/corpus/http"
  [mapping_load]="mappings tests/unit/mapping/fixtures"
  [xml_differential]="tests/fuzz/corpus/cmp ../shared/traces"
)
targets=("${!SEEDS[@]}")
[ "$TARGET" = all ] || targets=("$TARGET")
for t in "${targets[@]}"; do
  [ -n "${SEEDS[$t]:-}" ] || { echo "unknown target $t (one of: ${!SEEDS[*]})" >&2; exit 2; }
  ninja -C build-fuzz -j"${JOBS:-2}" "fuzz_$t"
  mkdir -p "build-fuzz/corpus/$t"
  echo "== fuzz_$t for ${SECS}s"
  # shellcheck disable=SC2086
  (cd build-fuzz && ./fuzz/fuzz_$t -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
     "corpus/$t" $(for d in ${SEEDS[$t]}; do echo "../$d"; done))
done
