#!/usr/bin/env bash
# Checks that nnzero installs like a library: `cmake --install` of the build (./build, or
# $BUILD) into a temporary prefix, then examples/classify_digit.cpp built as an outside project
# against that copy, once with CMake (find_package(nnzero CONFIG), target nnzero::nnzero) and
# once with pkg-config (nnzero.pc). Both programs classify a real MNIST test digit with a model
# the installed `nnzero` command trains for a few hundred steps, and must name its label.
# CI runs it after the tests (.ci/run).
#
#   scripts/test_install.sh          (MNIST: $NNZERO_DATA/mnist, ../shared/data/mnist or data/mnist)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${BUILD:-build}"
say() { echo "test_install: $*" >&2; }

mnist=""
for candidate in "${NNZERO_DATA:+$NNZERO_DATA/mnist}" ../shared/data/mnist data/mnist; do
  if [[ -n "$candidate" && -d "$candidate" ]]; then
    mnist="$(cd "$candidate" && pwd)"
    break
  fi
done
if [[ -z "$mnist" ]]; then
  say "no MNIST folder (set NNZERO_DATA, or run scripts/quickstart.sh first)"
  exit 2
fi
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  say "$build is not a configured build folder (run scripts/test.sh or cmake first)"
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/nnzero-install-XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

cmake --build "$build" -j "$(nproc)" --target nnzero nnzero_lib
cmake --install "$build" --prefix "$prefix" >/dev/null
say "installed into a temporary prefix: $(cd "$prefix" && find . -type f | wc -l) files"
version="$("$prefix/bin/nnzero" --version)"
say "$version"

# 1. CMake: find_package(nnzero CONFIG) -> nnzero::nnzero, from an empty project.
mkdir "$work/cmake-app"
cp examples/classify_digit.cpp "$work/cmake-app/"
cat >"$work/cmake-app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.22)
project(outside LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
find_package(nnzero 0.1 CONFIG REQUIRED)
add_executable(classify_digit classify_digit.cpp)
target_compile_options(classify_digit PRIVATE -Wall -Wextra -Wpedantic -Werror)
target_link_libraries(classify_digit PRIVATE nnzero::nnzero)
CMAKE
cmake -S "$work/cmake-app" -B "$work/cmake-app/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-app/build" >/dev/null
say "built with CMake (find_package(nnzero CONFIG))"

# 2. pkg-config: one compiler command.
pc_dir="$(dirname "$(find "$prefix" -name nnzero.pc | head -n 1)")"
export PKG_CONFIG_PATH="$pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists --print-errors nnzero
[[ "nnzero $(pkg-config --modversion nnzero)" == "$version" ]] || {
  say "nnzero.pc says version $(pkg-config --modversion nnzero), the command $version"
  exit 1
}
# shellcheck disable=SC2046  # pkg-config prints a list of flags
c++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -Werror examples/classify_digit.cpp \
  $(pkg-config --cflags --libs nnzero) -o "$work/classify_digit_pc"
say "built with pkg-config (nnzero.pc)"

# A model from the installed command, and a real digit: MNIST test image 0 as a PGM file.
"$prefix/bin/nnzero" train --model two_layer_net --data "$mnist" --max-steps 600 --threads 1 \
  --quiet --out "$work/run" >/dev/null
label="$(python3 - "$mnist" "$work/digit.pgm" <<'PY'
import gzip, os, sys
mnist, out = sys.argv[1], sys.argv[2]
def read(name):
    path = os.path.join(mnist, name)
    if os.path.exists(path):
        return open(path, "rb").read()
    return gzip.open(path + ".gz", "rb").read()
images = read("t10k-images-idx3-ubyte")
labels = read("t10k-labels-idx1-ubyte")
with open(out, "wb") as f:
    f.write(b"P5\n28 28\n255\n" + images[16:16 + 784])
print(labels[8])
PY
)"
for exe in "$work/cmake-app/build/classify_digit" "$work/classify_digit_pc"; do
  got="$("$exe" "$work/run/model.safetensors" "$work/digit.pgm")"
  if [[ "${got%% *}" != "$label" ]]; then
    say "$(basename "$(dirname "$exe")")/$(basename "$exe") says '$got' for a $label"
    exit 1
  fi
  say "$exe: '$got' (the digit is a $label)"
done
say "ok: installed headers, library, command, CMake package and pkg-config file work"
