#!/usr/bin/env bash
# Builds every libFuzzer target (fuzz/) with clang in build-fuzz and runs each for SECONDS
# (default 60). Exits 1 if any target crashes, leaks, trips a sanitizer or times out; the
# input that did it is saved as build-fuzz/artifacts/<target>-crash-... (replay it with
# `build-fuzz/fuzz/<target> <file>`).
#
#   scripts/fuzz.sh [SECONDS [NAME...]]     e.g. scripts/fuzz.sh 1800 csv: fuzz_csv only
#
# Seeds come from fuzz/corpus/<name>/ (for target fuzz_<name>) and are only read; inputs the
# fuzzer finds go to build-fuzz/corpus/<name>/, kept between runs. Environment:
#   JOBS=2          parallel compile jobs
#   FUZZ_ARGS=...   extra libFuzzer flags, e.g. "-max_len=65536"
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "usage: scripts/fuzz.sh [SECONDS [NAME...]]   (SECONDS a positive integer, default 60;" \
       "NAME: run only fuzz_NAME)" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))
only=("$@")
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"

for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz.sh: $tool not found (scripts/install-deps.sh installs it)" >&2
    exit 2
  fi
done

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNNZERO_FUZZ=ON -DNNZERO_BUILD_TESTS=OFF -DNNZERO_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target nnzero_fuzzers -j "${JOBS:-2}"

mapfile -t targets < <(find "$build/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
if ((${#only[@]} > 0)); then
  targets=()
  for name in "${only[@]}"; do
    if [[ ! -x "$build/fuzz/fuzz_$name" ]]; then
      echo "fuzz.sh: no fuzz target fuzz_$name in $build/fuzz" >&2
      exit 2
    fi
    targets+=("$build/fuzz/fuzz_$name")
  done
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz.sh: no fuzz targets built in $build/fuzz" >&2
  exit 1
fi

mkdir -p "$build/artifacts"
failed=()
for exe in "${targets[@]}"; do
  target="$(basename "$exe")"
  name="${target#fuzz_}"
  work="$build/corpus/$name"
  mkdir -p "$work"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$target-")
  [[ -f "$root/fuzz/$name.dict" ]] && args+=(-dict="$root/fuzz/$name.dict")
  corpora=("$work")
  [[ -d "$root/fuzz/corpus/$name" ]] && corpora+=("$root/fuzz/corpus/$name")
  echo "== $target: ${seconds}s" >&2
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  if "$exe" "${args[@]}" ${FUZZ_ARGS:-} "${corpora[@]}" 2>"$build/$target.log"; then
    grep -E '^stat::number_of_executed_units|^stat::new_units_added|^stat::peak_rss_mb' \
      "$build/$target.log" >&2 || true
  else
    echo "fuzz.sh: $target FAILED (log: $build/$target.log)" >&2
    tail -n 40 "$build/$target.log" >&2
    failed+=("$target")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: failing targets: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} target(s) ran ${seconds}s each without a crash" >&2
