#!/usr/bin/env bash
# The book's chapter 6 experiments, from the command line, printed as the Markdown tables of
# docs/results.md. Each run is an ordinary `nnzero train`; the run folders stay in
# ${OUT:-runs/ch6} for a closer look (metrics.csv has one row per epoch).
#
#   scripts/ch6_experiments.sh            (NNZERO_DATA or ../shared/data; about 5 minutes)
#
#   6.1 optimizers  SGD, Momentum, AdaGrad, Adam on the 5-layer net (4 x 100 hidden, ReLU, He),
#                   batch 128, the book's learning rates; test accuracy after 100/500/2000 steps
#   6.2 init        std 0.01, Xavier, He on the same net with SGD 0.01, 2000 steps
#   6.3 BatchNorm   with and without, 1000 training samples, 5 x 100 hidden, SGD 0.01, 20 epochs
#   6.4 overfitting 300 training samples, 6 x 100 hidden, SGD 0.01, 200 epochs: plain, weight
#                   decay 0.1, dropout 0.2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nnzero="${NNZERO:-$root/build/nnzero}"
out="${OUT:-runs/ch6}"
if [[ -z "${NNZERO_DATA:-}" && -d "$root/../shared/data/mnist" ]]; then
  export NNZERO_DATA="$(cd "$root/../shared/data" && pwd)"
fi
mkdir -p "$out"

# train NAME FLAGS...: one quiet run in $out/NAME; prints its JSON line.
train() {
  local name="$1"
  shift
  "$nnzero" train --quiet --seed 1 --out "$out/$name" "$@" | tail -n 1
}
# field JSON KEY: one number from a JSON line, as a percentage when it is an accuracy.
field() {
  python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(f"{100*v:.2f}" if "acc" in sys.argv[2] else f"{v:.4f}")' "$1" "$2"
}
# epoch_col RUN EPOCH COLUMN: a column of metrics.csv at an epoch, as a percentage.
epoch_acc() {
  awk -F, -v e="$2" -v c="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} NR>1 && $1==e {printf "%.2f", 100*$k}' \
    "$out/$1/metrics.csv"
}

echo "### 6.1 Optimizers (5-layer net, batch 128; test accuracy %, train loss at 2000 steps)"
echo
echo "| optimizer | lr | 100 steps | 500 steps | 2000 steps | train loss |"
echo "|---|---|---|---|---|---|"
for pair in sgd:0.01 momentum:0.01 adagrad:0.01 adam:0.001; do
  opt="${pair%%:*}" lr="${pair#*:}"
  row="| $opt | $lr"
  for steps in 100 500 2000; do
    j=$(train "opt-$opt-$steps" --model multi_layer_net --optimizer "$opt" --lr "$lr" \
      --batch 128 --max-steps "$steps")
    row+=" | $(field "$j" test_acc)"
  done
  loss=$(awk -F, 'NR>1{l=$2} END{printf "%.4f", l}' "$out/opt-$opt-2000/metrics.csv")
  echo "$row | $loss |"
done

echo
echo "### 6.2 Weight initialisation (5-layer ReLU net, SGD 0.01, batch 128, 2000 steps)"
echo
echo "| init | test accuracy % | train loss |"
echo "|---|---|---|"
for init in std:0.01 xavier he; do
  j=$(train "init-${init/:/}" --model multi_layer_net --init "$init" --optimizer sgd --lr 0.01 \
    --batch 128 --max-steps 2000)
  loss=$(awk -F, 'NR>1{l=$2} END{printf "%.4f", l}' "$out/init-${init/:/}/metrics.csv")
  echo "| $init | $(field "$j" test_acc) | $loss |"
done

echo
echo "### 6.3 Batch Normalization (1000 training samples, 5 x 100 hidden, SGD 0.01, batch 100; train accuracy %)"
echo
echo "| init | BatchNorm | epoch 2 | epoch 5 | epoch 10 | epoch 20 | test accuracy % |"
echo "|---|---|---|---|---|---|---|"
for init in std:0.01 he; do
  for bn in no yes; do
    name="bn-${init/:/}-$bn"
    flags=(--model multi_layer_net --hidden 100,100,100,100,100 --init "$init" --optimizer sgd
      --lr 0.01 --train-samples 1000 --epochs 20)
    [[ $bn == yes ]] && flags+=(--batchnorm)
    j=$(train "$name" "${flags[@]}")
    echo "| $init | $bn | $(epoch_acc "$name" 2 train_acc) | $(epoch_acc "$name" 5 train_acc) |" \
      "$(epoch_acc "$name" 10 train_acc) | $(epoch_acc "$name" 20 train_acc) |" \
      "$(field "$j" test_acc) |"
  done
done

echo
echo "### 6.4 Overfitting (300 training samples, 6 x 100 hidden, SGD 0.01, batch 100, 200 epochs)"
echo
echo "| regularisation | train accuracy % | test accuracy % | gap (points) |"
echo "|---|---|---|---|"
for reg in none weight_decay_0.1 dropout_0.2; do
  flags=(--model multi_layer_net --hidden 100,100,100,100,100,100 --optimizer sgd --lr 0.01
    --train-samples 300 --epochs 200)
  case "$reg" in
    weight_decay_0.1) flags+=(--weight-decay 0.1) ;;
    dropout_0.2) flags+=(--dropout 0.2) ;;
  esac
  j=$(train "overfit-$reg" "${flags[@]}")
  tr=$(field "$j" train_acc) te=$(field "$j" test_acc)
  echo "| $reg | $tr | $te | $(python3 -c "print(f'{$tr - $te:.2f}')") |"
done
