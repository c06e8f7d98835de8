#!/usr/bin/env bash
# Remakes the gallery of docs/figures.md: the book's figures at the book's settings (nnzero
# book), and the pictures nnzero train, plot and eval draw, from runs trained here. The runs
# and the figures' CSV files go to $WORK (default runs/figures); the PNG files to docs/figures/.
# About 10 minutes on two cores, most of it training deep_convnet.
#
#   scripts/make-figures.sh                 # with ./build/nnzero and $NNZERO_DATA/mnist
#   RUN=heavy scripts/make-figures.sh       # each command through a wrapper (a lock, a timer)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
nnzero="${NNZERO:-build/nnzero}"
work="${WORK:-runs/figures}"
out=docs/figures
run=(${RUN:-})
mkdir -p "$work" "$out"

step() { echo "== $*" >&2; "${run[@]}" "$nnzero" "$@" >/dev/null; }

# Runs: their curves.png, nnzero plot over four optimizers, eval --figures, and the trained
# models the chapter 7 and 8 figures show.
step train --model simple_convnet --out "$work/simple_convnet" --quiet
step train --model deep_convnet --out "$work/deep_convnet" --quiet
for optimizer in sgd momentum adagrad adam; do
  step train --model multi_layer_net --optimizer "$optimizer" --epochs 10 \
    --out "$work/multi_layer_net-$optimizer" --quiet
done
step plot "$work"/multi_layer_net-{sgd,momentum,adagrad,adam} --out "$out/plot-optimizers.png"
step eval "$work/deep_convnet/model.safetensors" --figures "$work/eval"
cp "$work/simple_convnet/curves.png" "$out/curves-simple_convnet.png"
cp "$work/deep_convnet/curves.png" "$out/curves-deep_convnet.png"
cp "$work/eval/confusion.png" "$out/eval-confusion.png"
cp "$work/eval/misclassified.png" "$out/eval-misclassified.png"

# The book's figures, every one at the book's settings.
for figure in $("$nnzero" book --list | head -n -1 | cut -d' ' -f1); do
  case "$figure" in
    conv-filters | feature-maps) model=(--model "$work/simple_convnet/model.safetensors") ;;
    misclassified | half-precision) model=(--model "$work/deep_convnet/model.safetensors") ;;
    *) model=() ;;
  esac
  step book "$figure" --out "$work/book" "${model[@]}"
  cp "$work/book/$figure.png" "$out/book-$figure.png"
done
du -ch "$out"/*.png | tail -1 >&2
