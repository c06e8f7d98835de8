#!/usr/bin/env bash
# The load test of `nnzero serve` against the PyTorch baseline (bench/serve_pytorch.py), with
# wrk on POST /api/predict and a real PNG (an MNIST test digit), at concurrency 1, 8 and 64:
# requests/s, p50 and p99 latency, error answers. nnzero with batching (the default) and
# without (--max-batch 1); the baseline with 1 and 2 PyTorch threads. Then nnzero alone for
# 60 s at concurrency 64, its resident memory sampled every 5 s. Prints a markdown table.
#
#   bench/serve_load.sh MODEL.safetensors [SECONDS per run, default 10]
#
# Needs wrk and python3-pil (scripts/install-deps.sh --torch) and a built ./build/nnzero.
set -euo pipefail
model="$1"
seconds="${2:-10}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nnzero="${NNZERO:-$root/build/nnzero}"
work="$(mktemp -d)"
server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The PNG: the first MNIST test digit, black on white as on paper.
python3 - "$work/digit.png" "${NNZERO_DATA:-$root/data}/mnist" <<'PY'
import gzip, struct, sys, zlib
out, mnist = sys.argv[1], sys.argv[2]
px = gzip.open(f"{mnist}/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
raw = b"".join(b"\0" + bytes(255 - p for p in px[28 * y:28 * y + 28]) for y in range(28))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(out, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
                      + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY

wait_for() {  # URL
  for _ in $(seq 200); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "serve_load: no server at $1" >&2
  exit 1
}

load() {  # NAME CONCURRENCY URL -> one table row
  local rate p50 p99 errors
  read -r rate p50 p99 errors < <(WRK_FILE="$work/digit.png" wrk -t1 -c"$2" -d"${seconds}s" \
    --timeout 10s -s "$root/bench/wrk_post_file.lua" "$3" | sed -n 's/^wrk_row //p')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$rate" "$p50" "$p99" "$errors"
}

start_nnzero() {  # extra flags...
  "$nnzero" serve "$model" --port 18181 "$@" >"$work/serve.out" 2>"$work/serve.err" &
  server=$!
  wait_for http://127.0.0.1:18181/healthz
}
stop_server() {
  kill -TERM "$server"
  wait "$server" || true
  server=""
}

echo "| server | concurrency | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|"
for c in 1 8 64; do
  start_nnzero
  load "nnzero serve" "$c" http://127.0.0.1:18181/api/predict
  stop_server
  start_nnzero --max-batch 1
  load "nnzero serve --max-batch 1" "$c" http://127.0.0.1:18181/api/predict
  stop_server
  for t in 1 2; do
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 "$root/bench/serve_pytorch.py" "$model" --port 18190 \
      --threads "$t" 2>"$work/py.err" &
    server=$!
    wait_for http://127.0.0.1:18190/
    load "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), $t thread(s)" \
      "$c" http://127.0.0.1:18190/api/predict
    stop_server
  done
done

# Floors at concurrency 1, where each request waits for the one before: the loopback round
# trip with a server that parses nothing (bench/loopback_floor), the same through cpp-httplib
# (nnzero's GET /healthz: no body, no model), and the forward pass alone (nnzero bench).
floor="${LOOPBACK_FLOOR:-$root/build/bench/loopback_floor}"
if [[ -x "$floor" ]]; then
  echo
  echo "| floor at concurrency 1 | requests/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---|---|---|"
  "$floor" 18185 &
  server=$!
  sleep 0.3
  load "loopback_floor (fixed answer, no parsing)" 1 http://127.0.0.1:18185/api/predict | cut -d'|' -f1,2,4-
  kill "$server"
  wait "$server" 2>/dev/null || true
  start_nnzero
  read -r rate p50 p99 errors < <(wrk -t1 -c1 -d"${seconds}s" -s "$root/bench/wrk_post_file.lua" \
    http://127.0.0.1:18181/healthz | sed -n 's/^wrk_row //p')
  printf '| nnzero serve, GET /healthz | %s | %s | %s | %s |\n' "$rate" "$p50" "$p99" "$errors"
  stop_server
  "$nnzero" bench --model simple_convnet --threads 1 --steps 5 --data "${NNZERO_DATA:-$root/data}/mnist" |
    python3 -c 'import json, sys; print("forward pass at batch 1 (nnzero bench): %.1f us" % json.load(sys.stdin)["infer_latency_us_b1"])'
fi

# Memory over a long run: resident set size every 5 s while wrk keeps 64 connections busy.
start_nnzero
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
echo
echo "nnzero serve, 60 s at concurrency 64: RSS (kB) every 5 s"
WRK_FILE="$work/digit.png" wrk -t1 -c64 -d60s -s "$root/bench/wrk_post_file.lua" \
  http://127.0.0.1:18181/api/predict >"$work/long.txt" &
wrk_pid=$!
samples=()
for _ in $(seq 12); do
  sleep 5
  samples+=("$(rss)")
done
wait "$wrk_pid"
echo "${samples[*]}"
sed -n 's/^wrk_row //p' "$work/long.txt" | awk '{print "requests/s " $1 ", p50 " $2 " ms, p99 " $3 " ms, errors " $4}'
stop_server
tail -n 1 "$work/serve.out"
