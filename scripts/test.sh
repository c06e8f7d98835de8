#!/usr/bin/env bash
# The README's second command: builds nnzero (Release, in ./build) and runs the whole test
# suite. Tests that need MNIST read it from $NNZERO_DATA (default: ../shared/data next to
# the checkout, else ./data); set NNZERO_REQUIRE_DATA=1 to fail rather than skip them when
# it is missing.
#
#   scripts/test.sh [extra ctest flags, e.g. -R Conv]
#   BUILD=build-asan CMAKE_FLAGS=-DNNZERO_SANITIZE=ON scripts/test.sh   (what CI adds)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${BUILD:-build}"

if [[ -z "${NNZERO_DATA:-}" ]]; then
  if [[ -d ../shared/data/mnist ]]; then
    NNZERO_DATA="$(cd ../shared/data && pwd)"
  elif [[ -d data/mnist ]]; then
    NNZERO_DATA="$(cd data && pwd)"
  fi
fi
export NNZERO_TEST_DATA="${NNZERO_DATA:-}"
# ctest runs tests side by side, each with its own OpenMP threads: more threads than cores.
# Spinning at barriers then starves the thread being waited for (runs slow down 10-100x);
# passive waiting hands the core over instead.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Under AddressSanitizer: fontconfig's and libltdl's once-per-process caches are not leaks.
export LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
