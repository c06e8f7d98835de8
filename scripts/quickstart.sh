#!/usr/bin/env bash
# The README's first command: installs what is missing, builds nnzero, gets MNIST if it is not
# there yet, and trains the book's chapter 5 network on it with a progress bar.
#
#   scripts/quickstart.sh [extra nnzero train flags]
#
# Data: $NNZERO_DATA/mnist when NNZERO_DATA is set, else ./data/mnist (downloaded, checksums
# verified). Book 2's text data (the Penn Treebank, tiny Shakespeare, the sequence-to-sequence
# addition.txt and date.txt; 10.4 MB) go beside it in text/, so that the tests that read them
# find them too; without them (no connection to GitHub) quickstart goes on and says so.
# Build: ./build (Release).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target nnzero

data="${NNZERO_DATA:+$NNZERO_DATA/mnist}"
data="${data:-data/mnist}"
build/nnzero data fetch mnist --dir "$data" >/dev/null
text="${NNZERO_DATA:+$NNZERO_DATA/text}"
text="${text:-data/text}"
for corpus in ptb tinyshakespeare seq2seq; do
  build/nnzero data fetch "$corpus" --dir "$text" >/dev/null ||
    echo "quickstart: could not fetch $corpus (above); the tests that read it will be skipped" >&2
done
build/nnzero train --model two_layer_net --data "$data" "$@"
