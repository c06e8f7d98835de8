#!/usr/bin/env bash
# CTest's browser test of `nnzero serve` (tests/browser/serve_page.mjs): trains simple_convnet
# on MNIST for one epoch and a small colour network on a folder of red and blue pictures
# (tests/browser/colour_folder.mjs), serves both on a free port, lets Chromium draw five MNIST
# test digits and upload a PNG of a sixth, then upload a red photo to the colour model, and
# stops the server with SIGTERM (it must exit 0).
#
#   tests/browser/run.sh BUILD/nnzero [--screenshot FILE.png]
#
# Needs MNIST ($NNZERO_TEST_DATA/mnist; exit 77 = skipped without it, as the other MNIST
# tests), Debian's chromium and tests/browser/node_modules (scripts/install-deps.sh --test).
set -euo pipefail
nnzero="$1"
shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

mnist="${NNZERO_TEST_DATA:-}/mnist"
if [[ ! -f "$mnist/t10k-images-idx3-ubyte.gz" && ! -f "$mnist/t10k-images-idx3-ubyte" ]]; then
  echo "browser test: no MNIST in '$mnist' (set NNZERO_TEST_DATA)" >&2
  [[ "${NNZERO_REQUIRE_DATA:-}" == 1 ]] && exit 1
  exit 77
fi
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" || ! -d "$here/node_modules/playwright-core" ]]; then
  echo "browser test: needs $chromium and $here/node_modules (scripts/install-deps.sh --test)" >&2
  exit 1
fi

work="$(mktemp -d)"
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$nnzero" train --model simple_convnet --data "$mnist" --epochs 1 --seed 1 --threads 2 \
  --out "$work/digits" >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }

node "$here/colour_folder.mjs" "$work/colours" 12
cat >"$work/colours.json" <<'SPEC'
{"name": "colours", "input": [3, 12, 12],
 "layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "flatten"}, {"type": "linear", "out_features": 2}],
 "train": {"optimizer": "adam", "lr": 0.01, "batch": 8}}
SPEC
"$nnzero" train --spec "$work/colours.json" --data "$work/colours" --epochs 5 --seed 1 \
  --out "$work/colours-run" >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }

"$nnzero" serve "$work/digits/model.safetensors" "$work/colours-run/model.safetensors" --port 0 \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
url=""
for _ in $(seq 600); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/serve.err" || true)"
  [[ -n "$url" ]] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "browser test: the server did not start" >&2; exit 1; }

status=0
CHROMIUM="$chromium" node "$here/serve_page.mjs" "$url" "$mnist" --digits 5 --colour colours-run "$@" || status=$?

kill -TERM "$server"
serve_status=0
wait "$server" || serve_status=$?
server=""
if ((serve_status != 0)); then
  echo "browser test: nnzero serve exited with $serve_status after SIGTERM" >&2
  cat "$work/serve.err" >&2
  exit 1
fi
tail -n 1 "$work/serve.out"
exit "$status"
