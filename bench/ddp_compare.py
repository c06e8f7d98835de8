#!/usr/bin/env python3
"""Data-parallel training on one machine, side by side (issue 23, docs/scaling.md):

  nnzero, 1 process x T threads    nnzero train --threads T
  nnzero, N ranks x 1 thread       mpirun -np N nnzero train --threads 1
  PyTorch DDP (gloo), N x 1 thread this script's worker, N processes, DistributedDataParallel

for simple_convnet and deep_convnet, global batch 100 (each of N ranks trains 100/N samples a
step), the model's own optimizer (Adam, lr 0.001). nnzero's figures are its JSON's
samples_per_s (training steps only) and allreduce_seconds (the share of the step spent in
MPI_Allreduce, waiting for the slower rank included); PyTorch's are timed steps after
warm-up, the slowest rank's time. The models and their initialisation come from
bench/compare_pytorch.py (checked there against `nnzero info`).

    /usr/bin/python3 bench/ddp_compare.py [--steps 300] [--ranks 2] [--nnzero build/nnzero]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_pytorch as cp  # noqa: E402  (SPECS, build_torch_model, read_idx, thread_env)

MODELS = ["simple_convnet", "deep_convnet"]
BATCH = 100
WARMUP = 5


def ddp_worker(rank, world, port, a, queue):
    import numpy as np
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)  # the same weights everywhere (DDP broadcasts rank 0's anyway)
    spec = cp.spec_json(a.model)
    model = DDP(cp.build_torch_model(spec))
    opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    train_x = torch.from_numpy(cp.read_idx(a.data, "train-images-idx3-ubyte").copy())
    train_y = torch.from_numpy(cp.read_idx(a.data, "train-labels-idx1-ubyte").astype(np.int64))
    order = torch.randperm(train_x.shape[0], generator=torch.Generator().manual_seed(1))
    part = BATCH // world
    cursor = 0

    def step():
        nonlocal cursor
        idx = order[cursor + rank * part:cursor + (rank + 1) * part]
        cursor = (cursor + BATCH) % (train_x.shape[0] - BATCH)
        x = train_x.index_select(0, idx).float().div_(255.0).view(len(idx), 1, 28, 28)
        opt.zero_grad()
        F.cross_entropy(model(x), train_y.index_select(0, idx)).backward()
        opt.step()

    for _ in range(WARMUP):
        step()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dist.barrier()
    seconds = time.perf_counter() - t0
    if rank == 0:
        queue.put({"samples_per_s": a.steps * BATCH / seconds})
    dist.destroy_process_group()


def run_ddp(a, model):
    import torch.multiprocessing as mp

    with socket.socket() as s:  # a free port for the rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    a.model = model
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    if cp.peers_coretype():
        os.environ["OPENBLAS_CORETYPE"] = cp.peers_coretype()
    procs = [ctx.Process(target=ddp_worker, args=(r, a.ranks, port, a, queue))
             for r in range(a.ranks)]
    for p in procs:
        p.start()
    result = queue.get(timeout=1800)
    for p in procs:
        p.join()
    return result


def nnzero_train(a, model, threads, ranks):
    cmd = [a.nnzero, "train", "--model", model, "--data", a.data, "--batch", str(BATCH),
           "--max-steps", str(a.steps), "--epochs", "1", "--threads", str(threads), "--quiet",
           "--out", f"/tmp/ddp-compare-{os.getpid()}-{model}-{ranks}", "--force"]
    if ranks > 1:
        cmd = ["mpirun", "--oversubscribe", "-np", str(ranks)] + cmd
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    j = cp.run_json(cmd, env)
    train_s = a.steps * BATCH / j["samples_per_s"]
    out = {"samples_per_s": j["samples_per_s"], "command": " ".join(cmd)}
    if ranks > 1:
        out["allreduce_share"] = j["allreduce_seconds"] / train_s
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--nnzero", default=str(cp.REPO / "build" / "nnzero"))
    ap.add_argument("--data", default=cp.default_data_dir())
    ap.add_argument("--models", default=",".join(MODELS))
    a = ap.parse_args()
    rows = []
    for model in a.models.split(","):
        one = nnzero_train(a, model, a.ranks, 1)
        mpi = nnzero_train(a, model, 1, a.ranks)
        ddp = run_ddp(a, model)
        row = {"model": model, "nnzero_1x%d" % a.ranks: one, "nnzero_%dx1" % a.ranks: mpi,
               "ddp_%dx1" % a.ranks: ddp,
               "ranks_vs_threads": mpi["samples_per_s"] / one["samples_per_s"],
               "ranks_vs_ddp": mpi["samples_per_s"] / ddp["samples_per_s"]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    n = a.ranks
    print(f"\n| model | nnzero 1 x {n} threads | nnzero {n} ranks x 1 | all-reduce share | "
          f"DDP gloo {n} x 1 | ranks / threads | ranks / DDP |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['nnzero_1x%d' % n]['samples_per_s']:,.0f} | "
              f"{r['nnzero_%dx1' % n]['samples_per_s']:,.0f} | "
              f"{100 * r['nnzero_%dx1' % n]['allreduce_share']:.1f} % | "
              f"{r['ddp_%dx1' % n]['samples_per_s']:,.0f} | {r['ranks_vs_threads']:.2f} | "
              f"{r['ranks_vs_ddp']:.2f} |")


if __name__ == "__main__":
    main()
