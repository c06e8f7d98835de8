#!/usr/bin/env python3
"""Projected data-parallel scaling from measured figures (issue 23, docs/scaling.md).

A ring all-reduce of S bytes over p ranks sends 2(p-1) messages per rank, each of S/p bytes:
    T_comm(p) = 2 (p-1) alpha + 2 (p-1)/p * S / beta
(alpha: per-message latency, beta: link bandwidth in bytes/s). A step of b samples per rank
computes for T_comp = b / r (r: one rank's training samples/s, measured here) and, without
overlap, then waits T_comm: efficiency E = T_comp / (T_comp + T_comm). With the global batch
B fixed, b = B / p shrinks as p grows: scaling stops (E < 50 %) once
    B < p * r * T_comm(p),
the "stop" column below. S = 4 bytes x parameters (`nnzero info`).

    python3 bench/scaling_model.py --rate simple_convnet=9000 --rate deep_convnet=700 \\
        [--per-rank-batch 50] [--nnzero build/nnzero]
"""

import argparse
import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NETWORKS = {  # name: (bandwidth bytes/s, per-message latency s): nominal links, assumed latency
    "10 Gbit/s": (10e9 / 8, 20e-6),
    "100 Gbit/s": (100e9 / 8, 5e-6),
}
RANKS = [8, 64, 512]


def params(nnzero, model):
    out = subprocess.run([nnzero, "info", model], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["params"]


def t_comm(p, size, beta, alpha):
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * size / beta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", action="append", required=True,
                    help="MODEL=samples/s of one rank (measured: docs/scaling.md)")
    ap.add_argument("--per-rank-batch", type=int, default=50)
    ap.add_argument("--nnzero", default=str(REPO / "build" / "nnzero"))
    a = ap.parse_args()
    b = a.per_rank_batch
    print(f"| model | gradient | network | ranks | all-reduce | efficiency at {b}/rank "
          "| global batch where scaling stops |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for item in a.rate:
        model, rate = item.split("=")
        rate = float(rate)
        size = 4 * params(a.nnzero, model)
        for net, (beta, alpha) in NETWORKS.items():
            for p in RANKS:
                tc = t_comm(p, size, beta, alpha)
                comp = b / rate
                eff = comp / (comp + tc)
                stop = p * rate * tc
                print(f"| {model} | {size / 1e6:.2f} MB | {net} | {p} | {tc * 1e3:.2f} ms | "
                      f"{100 * eff:.0f} % | {stop:,.0f} |")


if __name__ == "__main__":
    main()
