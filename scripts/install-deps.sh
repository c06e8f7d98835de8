#!/usr/bin/env bash
# Installs the Debian packages nnzero needs to build, test and benchmark.
# Safe to run twice: it asks apt only for what is missing.
#
#   scripts/install-deps.sh            # what building and using nnzero needs
#   scripts/install-deps.sh --test     # also what every test needs (scripts/test.sh asks for it):
#                                      # PyTorch for the interop tests, an npm client
#   scripts/install-deps.sh --torch    # --test, and the peers of the benchmarks: LibTorch,
#                                      # fastText and gensim (bench/compare_word2vec.py)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libopenblas-openmp-dev    # CBLAS (GEMM), sharing the OpenMP thread pool with our loops
  zlib1g-dev                # .gz MNIST files
  libcli11-dev              # command line
  nlohmann-json3-dev        # model spec, safetensors header
  libstb-dev                # images for predict
  libturbojpeg0-dev         # JPEG (libjpeg-turbo's TurboJPEG API)
  libcurl4-openssl-dev      # nnzero data fetch
  libcpp-httplib-dev        # nnzero serve
  libplplot-dev plplot-driver-cairo   # pictures: curves.png, nnzero plot / book, eval --figures
  libfontconfig-dev fonts-dejavu-core # the pictures' text (PLplot's cairo driver draws with it)
  libssl-dev                # SHA-256 of downloads
  openmpi-bin libopenmpi-dev          # data-parallel training: mpirun -np N nnzero train
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev libomp-dev   # libFuzzer targets
  clang-format
  python3                   # local HTTP server in the download test
)
case "${1:-}" in
  "") ;;
  --test | --torch)
    packages+=(python3-torch python3-numpy)
    packages+=(chromium)      # the browser test of nnzero serve (tests/browser/)
    # npm from any source will do (nodejs from NodeSource ships its own): Debian's only if none.
    command -v npm >/dev/null || packages+=(npm)
    [[ "$1" == --torch ]] && packages+=(libtorch-dev libopenblas0-pthread wrk python3-pil
                                        fasttext python3-gensim)
    ;;
  *)
    echo "usage: scripts/install-deps.sh [--test | --torch]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser test drives Chromium with playwright-core (npm; the version pinned by
# tests/browser/package-lock.json, installed into tests/browser/node_modules).
if [[ -n "${1:-}" && ! -d "$(dirname "$0")/../tests/browser/node_modules/playwright-core" ]]; then
  echo "install-deps: npm ci in tests/browser (playwright-core)"
  (cd "$(dirname "$0")/../tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
