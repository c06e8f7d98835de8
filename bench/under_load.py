#!/usr/bin/env python3
"""nnzero's training speed when another program keeps one core busy (a user's machine is
never idle).

For each nnzero binary given (to compare builds in one run), each model and 1 and 2 threads,
it times `nnzero train --max-steps N` (the JSON's samples_per_s: time in training steps only),
first on a quiet machine, then with a busy loop beside it (a process spinning on the CPU, as
another program's job would), each configuration --repeats times in turn; it prints the
medians as a markdown table and the raw results as JSON. The target: with one core taken,
2 threads are not slower than 1 thread; on the quiet machine, the usual speed.

    NNZERO_DATA=data python3 bench/under_load.py [--nnzero build/nnzero]...
        [--models simple_convnet,two_layer_net] [--repeats 3] [--json-out FILE]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

STEPS = {"two_layer_net": 6000, "simple_convnet": 1200, "deep_convnet": 300, "lenet5": 1200}


def train(nnzero, model, threads, data):
    with tempfile.TemporaryDirectory() as out:
        cmd = [nnzero, "train", "--model", model, "--threads", str(threads), "--max-steps",
               str(STEPS.get(model, 300)), "--quiet", "--out", os.path.join(out, "run")]
        if data:
            cmd += ["--data", data]
        run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])["samples_per_s"]


def busy_loop():
    """A process that keeps one core busy until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nnzero", action="append",
                    help="binary to measure (repeat to compare; default build/nnzero)")
    ap.add_argument("--models", default="simple_convnet,two_layer_net")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json-out")
    a = ap.parse_args()
    binaries = a.nnzero or [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                         "build", "nnzero")]
    data_root = os.environ.get("NNZERO_DATA")
    data = os.path.join(data_root, "mnist") if data_root else None
    models = a.models.split(",")
    loads = ("quiet", "one core busy")
    results = []
    for r in range(a.repeats):
        for model in models:
            for load in loads:
                for binary in binaries:
                    for threads in (1, 2):
                        loop = busy_loop() if load != "quiet" else None
                        try:
                            if loop:
                                time.sleep(0.2)  # let it take its core
                            rate = train(binary, model, threads, data)
                        finally:
                            if loop:
                                loop.kill()
                                loop.wait()
                        results.append({"binary": binary, "model": model, "load": load,
                                        "threads": threads, "repeat": r,
                                        "samples_per_s": rate})
                        print(f"[{r}] {binary} {model} {load} threads={threads}: "
                              f"{rate:,.0f} samples/s", file=sys.stderr)
    print("| binary | model | load | 1 thread | 2 threads | 2 / 1 |")
    print("|---|---|---|---:|---:|---:|")
    for binary in binaries:
        for model in models:
            for load in loads:
                med = {t: statistics.median(x["samples_per_s"] for x in results
                                            if x["binary"] == binary and x["model"] == model
                                            and x["load"] == load and x["threads"] == t)
                       for t in (1, 2)}
                print(f"| {binary} | {model} | {load} | {med[1]:,.0f} | {med[2]:,.0f} "
                      f"| {med[2] / med[1]:.2f}x |")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
