#!/usr/bin/env bash
# The README's second command: installs the test dependencies that are missing, builds nnzero
# (Release, in ./build) and runs the whole test suite, then prints how many tests passed,
# failed and were skipped.
#
# Tests that need MNIST find it when they run: $NNZERO_DATA (the folder holding mnist/),
# else ../shared/data beside the checkout, else ./data (where scripts/quickstart.sh put it).
# Set NNZERO_REQUIRE_DATA=1 to fail rather than skip them when it is missing; it also makes
# this script fail when any test was skipped (CI sets it).
#
#   scripts/test.sh [extra ctest flags, e.g. -R Conv]
#   BUILD=build-asan BUILD_TYPE=Sanitize CMAKE_FLAGS=-DNNZERO_SANITIZE=ON scripts/test.sh  (CI adds)
#   NNZERO_NO_INSTALL=1 scripts/test.sh                                 (never run apt)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${BUILD:-build}"

if [[ "${NNZERO_NO_INSTALL:-0}" != 1 ]]; then
  scripts/install-deps.sh --test
fi

# The data root, as tests/test_data_dir.h finds it (exported for the tests that read
# $NNZERO_TEST_DATA only).
if [[ -z "${NNZERO_TEST_DATA:-}" ]]; then
  for candidate in "${NNZERO_DATA:-}" ../shared/data data; do
    if [[ -n "$candidate" && -d "$candidate" ]]; then
      NNZERO_TEST_DATA="$(cd "$candidate" && pwd)"
      break
    fi
  done
fi
export NNZERO_TEST_DATA="${NNZERO_TEST_DATA:-}"
# ctest runs tests side by side, each with its own OpenMP threads: more threads than cores.
# Spinning at barriers then starves the thread being waited for (runs slow down 10-100x);
# passive waiting hands the core over instead.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# Under AddressSanitizer: fontconfig's and libltdl's once-per-process caches are not leaks.
export LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
log="$build/ctest.log"
set +e
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# ctest counts a skipped test as passed ("100% tests passed"); say how many did not run.
total="$(sed -nE 's/.* tests failed out of ([0-9]+)$/\1/p' "$log" | tail -n 1)"
failed="$(sed -nE 's/.* ([0-9]+) tests failed out of [0-9]+$/\1/p' "$log" | tail -n 1)"
mapfile -t skipped < <(grep -E '^[[:space:]]+[0-9]+ - .+ \((Skipped|Disabled)\)$' "$log" || true)
echo
echo "test.sh: ${total:-0} tests, ${failed:-0} failed, ${#skipped[@]} skipped" \
     "(data: ${NNZERO_TEST_DATA:-none found})"
if ((${#skipped[@]} > 0)); then
  printf '  skipped: %s\n' "${skipped[@]}"
  if [[ "${NNZERO_REQUIRE_DATA:-}" == 1 ]]; then
    echo "test.sh: NNZERO_REQUIRE_DATA=1 and ${#skipped[@]} test(s) skipped: failing" >&2
    ((status == 0)) && status=1
  fi
fi
exit "$status"
