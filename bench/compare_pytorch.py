#!/usr/bin/env python3
"""nnzero side by side with PyTorch and LibTorch on the book's networks (issue 7) and the colour
CNNs (issue 19).

Install the peers from Debian (PyTorch, NumPy, LibTorch, and the OpenBLAS that Debian's
torch and numpy load: without it they fall back to the reference BLAS, ~28x slower GEMM):

    scripts/install-deps.sh --torch     # python3-torch python3-numpy libtorch-dev libopenblas0-pthread
    cmake -S . -B build && cmake --build build -j    # builds build/nnzero and, where CMake
                                                     # finds LibTorch, build/bench/libtorch_bench
    /usr/bin/python3 bench/compare_pytorch.py        # Debian's python3, the one with torch

For each model and thread count it runs, each in a process of its own (so threads and peak
memory are per system): `nnzero bench`, the same network in PyTorch (this script, as a
worker), and in LibTorch (bench/libtorch_bench). Every process gets OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS set to the thread count (torch.set_num_threads alone
does not limit OpenBLAS); the peers also get OPENBLAS_CORETYPE for this CPU (OpenBLAS 0.3.21
does not know recent CPUs and falls back to slow SSE3 kernels; nnzero sets it itself); when
OPENBLAS_CORETYPE is set already, every system runs with it (the JSON records which).

The peers are built from the model specs below, docs/spec.md's JSON, copied from
src/model/builtin.cpp and checked against `nnzero info NAME` (layer types, output shapes,
parameter counts) before anything runs: same layers, same initialisation (weights N(0, s^2)
with nnzero's s, biases 0), same optimizer (SGD or Adam with eps 1e-7, the book's), batch
100. They are measured as tools/cmd_bench.cpp measures nnzero: 5 warm-up steps, then timed
training steps on consecutive real MNIST batches of a seeded permutation (the dataset held
as bytes and converted per batch, the gather inside the timed step); the median of 300
single-image forward passes in eval mode under no_grad; the throughput of 1000-image forward
passes over the test set (the first not timed); peak RSS (ru_maxrss) after training.

The colour models (alexnet_cifar, resnet_cifar) train on CIFAR-10's binary batches (--cifar
DIR, default $NNZERO_DATA/cifar10 when it holds them, as `nnzero data fetch cifar10` leaves
them), normalised per channel as nnzero normalises an image folder, at their specs' batch
sizes (100 and 128) and optimizers (Adam; SGD with Nesterov momentum 0.9), without weight
decay in all three systems (nnzero bench applies none). Without the real batches, the script
writes 10,000 training and 10,000 test records of seeded random pixels in the same format
and says so: the time these networks take does not depend on the pixel values. The peers'
residual block is tools/torch_interop.py's BasicBlock (and its LibTorch copy).

Prints a markdown table (per model and thread count: the three systems' figures and nnzero's
ratio to the better peer, taken at that peer's best thread count), then the raw results as
JSON. The default run takes a few minutes on 2 cores (under 10); --quick (fewer steps and
inference passes, figures not comparable to the full run) is a smoke test.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The built-in models, as src/model/builtin.cpp defines them (checked against nnzero info).
def _conv(out, kernel, padding):
    return {"type": "conv2d", "out_channels": out, "kernel": kernel, "stride": 1,
            "padding": padding}


def _pool(kernel):
    return {"type": "maxpool2d", "kernel": kernel, "stride": kernel}


def _linear(out):
    return {"type": "linear", "out_features": out}


RELU, FLATTEN = {"type": "relu"}, {"type": "flatten"}
DROPOUT = {"type": "dropout", "p": 0.5}


def _block(out, stride):
    return {"type": "residual_block", "out_channels": out, "stride": stride}

SPECS = {
    "two_layer_net": {
        "input": [784], "init": "std:0.01", "optimizer": "sgd", "lr": 0.1,
        "layers": [_linear(50), RELU, _linear(10)]},
    "multi_layer_net": {
        "input": [784], "init": "he", "optimizer": "sgd", "lr": 0.01,
        "layers": [_linear(100), RELU] * 4 + [_linear(10)]},
    "simple_convnet": {
        "input": [1, 28, 28], "init": "std:0.01", "optimizer": "adam", "lr": 0.001,
        "layers": [_conv(30, 5, 0), RELU, _pool(2), FLATTEN, _linear(100), RELU, _linear(10)]},
    "deep_convnet": {
        "input": [1, 28, 28], "init": "he", "optimizer": "adam", "lr": 0.001,
        "layers": [_conv(16, 3, 1), RELU, _conv(16, 3, 1), RELU, _pool(2),
                   _conv(32, 3, 1), RELU, _conv(32, 3, 2), RELU, _pool(2),
                   _conv(64, 3, 1), RELU, _conv(64, 3, 1), RELU, _pool(2),
                   FLATTEN, _linear(50), RELU, {"type": "dropout", "p": 0.5}, _linear(10),
                   {"type": "dropout", "p": 0.5}]},
    "lenet5": {
        "input": [1, 28, 28], "init": "he", "optimizer": "adam", "lr": 0.001,
        "layers": [_conv(6, 5, 2), RELU, _pool(2), _conv(16, 5, 0), RELU, _pool(2), FLATTEN,
                   _linear(120), RELU, _linear(84), RELU, _linear(10)]},
    "alexnet_cifar": {
        "input": [3, 32, 32], "init": "he", "optimizer": "adam", "lr": 0.001, "batch": 100,
        "layers": [_conv(32, 5, 2), RELU, _pool(2), _conv(64, 5, 2), RELU, _pool(2),
                   _conv(96, 3, 1), RELU, _conv(96, 3, 1), RELU, _conv(64, 3, 1), RELU, _pool(2),
                   FLATTEN, DROPOUT, _linear(256), RELU, DROPOUT, _linear(128), RELU,
                   _linear(10)]},
    "resnet_cifar": {
        "input": [3, 32, 32], "init": "he", "optimizer": "nesterov", "lr": 0.05, "batch": 128,
        "layers": [dict(_conv(16, 3, 1), bias=False), {"type": "batchnorm2d"}, RELU,
                   _block(16, 1), _block(32, 2), _block(64, 2), {"type": "global_avgpool2d"},
                   FLATTEN, _linear(10)]},
}


def is_colour(name):
    return SPECS[name]["input"][0] == 3

# Timed training steps per model (--steps overrides): 50 batches of two_layer_net take
# nnzero 15 ms, short enough for one hiccup of a shared machine to halve the figure; 1000
# take each system 0.3-10 s.
TIMED_STEPS = {"two_layer_net": 1000}
DEFAULT_STEPS = 50

METRICS = [  # key, heading, True if higher is better
    ("train_samples_per_s", "training samples/s", True),
    ("infer_latency_us_b1", "latency b1 (µs)", False),
    ("infer_samples_per_s_b1000", "inference b1000 samples/s", True),
    ("peak_rss_mb", "peak RSS (MB)", False),
]
SYSTEMS = ["nnzero", "pytorch", "libtorch"]
PEERS = ["pytorch", "libtorch"]

WARMUP = 5
LATENCY_RUNS = 300


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def spec_json(name):
    s = SPECS[name]
    return {"name": name, "input": s["input"], "layers": s["layers"],
            "loss": "softmax_cross_entropy", "init": s["init"]}


def default_data_dir():
    if os.environ.get("NNZERO_DATA"):
        return str(Path(os.environ["NNZERO_DATA"]) / "mnist")
    for d in (REPO / "data" / "mnist", REPO.parent / "shared" / "data" / "mnist"):
        if d.is_dir():
            return str(d)
    return str(REPO / "data" / "mnist")


def openblas_coretype():
    """The OpenBLAS kernel set this CPU supports, as nnzero's use_best_blas_kernels picks it."""
    try:
        flags = next(line for line in open("/proc/cpuinfo") if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return None
    if {"avx512f", "avx512bw", "avx512vl"} <= set(flags):
        return "SkylakeX"
    if {"avx2", "fma"} <= set(flags):
        return "Haswell"
    return None


def peers_coretype():
    """The OPENBLAS_CORETYPE the peers run with: the caller's, else the one for this CPU."""
    return os.environ.get("OPENBLAS_CORETYPE") or openblas_coretype()


def thread_env(threads, peer):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    core = peers_coretype()
    if peer and core:
        env["OPENBLAS_CORETYPE"] = core
    return env


def run_json(cmd, env, timeout=900):
    """Runs cmd and returns the JSON object on the last line of its stdout."""
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    lines = [line for line in p.stdout.splitlines() if line.strip()]
    result = json.loads(lines[-1])
    result["wall_s"] = round(time.monotonic() - t, 1)
    return result


# --- checking the specs against nnzero info ---

def check_against_info(name, nnzero):
    """Fails unless the spec above builds what nnzero builds: same layer types, output
    shapes and parameter counts, layer by layer. Returns nnzero's info JSON."""
    info = run_json([nnzero, "info", name], thread_env(1, False))
    spec = SPECS[name]
    if info["input"] != spec["input"]:
        raise SystemExit(f"{name}: input {spec['input']} here, {info['input']} in nnzero")
    if [layer["type"] for layer in info["layers"]] != [l["type"] for l in spec["layers"]]:
        raise SystemExit(f"{name}: the layers here differ from nnzero info's; update SPECS")
    shape = list(spec["input"])
    for layer, mine in zip(info["layers"], spec["layers"]):
        params = 0
        if mine["type"] == "residual_block":
            c_in, c, st = shape[0], mine["out_channels"], mine["stride"]
            params = 9 * c_in * c + 9 * c * c + 4 * c
            if st != 1 or c_in != c:
                params += c_in * c + 2 * c
            shape = [c, (shape[1] - 1) // st + 1, (shape[2] - 1) // st + 1]
        elif mine["type"] == "batchnorm2d":
            params = 2 * shape[0]
        elif mine["type"] == "global_avgpool2d":
            shape = [shape[0], 1, 1]
        elif mine["type"] == "linear":
            params = (shape[0] + 1) * mine["out_features"]
            shape = [mine["out_features"]]
        elif mine["type"] == "conv2d":
            k, s, p = mine["kernel"], mine.get("stride", 1), mine.get("padding", 0)
            params = (shape[0] * k * k + mine.get("bias", True)) * mine["out_channels"]
            shape = [mine["out_channels"], (shape[1] + 2 * p - k) // s + 1,
                     (shape[2] + 2 * p - k) // s + 1]
        elif mine["type"] in ("maxpool2d", "avgpool2d"):
            k, s = mine["kernel"], mine.get("stride", mine["kernel"])
            p = mine.get("padding", 0)
            shape = [shape[0], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1]
        elif mine["type"] == "flatten":
            n = 1
            for d in shape:
                n *= d
            shape = [n]
        if layer["output"] != shape or layer["params"] != params:
            raise SystemExit(f"{name}: layer {layer['index']} ({layer['type']}) gives "
                             f"{shape} with {params} parameters here, {layer['output']} with "
                             f"{layer['params']} in nnzero; update SPECS")
    return info


# --- the PyTorch worker (runs in a process of its own) ---

def read_idx(data_dir, name):
    import gzip

    import numpy as np
    for path in (Path(data_dir) / name, Path(data_dir) / (name + ".gz")):
        if path.exists():
            raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
            break
    else:
        raise SystemExit(f"{data_dir}/{name}(.gz): not found (--data DIR)")
    if raw[2] != 0x08:
        raise SystemExit(f"{name}: not an IDX file of unsigned bytes")
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def read_cifar(folder, names):
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) of CIFAR-10 binary batch files."""
    import numpy as np
    records = np.concatenate([np.fromfile(Path(folder) / n, dtype=np.uint8).reshape(-1, 3073)
                              for n in names])
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), records[:, 0].astype(np.int64)


def cifar_train_names(folder):
    names, i = [], 1
    while (Path(folder) / f"data_batch_{i}.bin").exists():
        names.append(f"data_batch_{i}.bin")
        i += 1
    return names


def write_random_cifar(folder, train=10000, test=10000):
    """CIFAR-10's binary format, seeded random pixels and labels: what the colour models are
    timed on when the real batches are not there."""
    import numpy as np
    rng = np.random.default_rng(0)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, n in (("data_batch_1.bin", train), ("test_batch.bin", test)):
        records = rng.integers(0, 256, size=(n, 3073), dtype=np.uint8)
        records[:, 0] = rng.integers(0, 10, size=n)
        records.tofile(Path(folder) / name)
    (Path(folder) / "batches.meta.txt").write_text(
        "\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]) + "\n")
    return str(folder)


def loaded_blas():
    """The BLAS library this process loaded (Debian's torch reaches it through libblas.so.3)."""
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if "blas" in Path(path).name:
            return os.path.realpath(path)
    return None


def build_torch_model(spec):
    import torch
    from torch import nn

    def init_std(init, fan_in):
        if init == "he":
            return (2.0 / fan_in) ** 0.5
        if init == "xavier":
            return (1.0 / fan_in) ** 0.5
        return float(init.split(":", 1)[1])

    shape = list(spec["input"])
    modules = []
    for l in spec["layers"]:
        t, init = l["type"], l.get("init", spec["init"])
        if t == "linear":
            m = nn.Linear(shape[0], l["out_features"], bias=l.get("bias", True))
            fan_in, shape = shape[0], [l["out_features"]]
        elif t == "conv2d":
            k, s, p = l["kernel"], l.get("stride", 1), l.get("padding", 0)
            m = nn.Conv2d(shape[0], l["out_channels"], k, stride=s, padding=p,
                          bias=l.get("bias", True))
            fan_in = shape[0] * k * k
            shape = [l["out_channels"], (shape[1] + 2 * p - k) // s + 1,
                     (shape[2] + 2 * p - k) // s + 1]
        elif t in ("maxpool2d", "avgpool2d"):
            k, s, p = l["kernel"], l.get("stride") or l["kernel"], l.get("padding", 0)
            m = (nn.MaxPool2d if t == "maxpool2d" else nn.AvgPool2d)(k, stride=s, padding=p)
            shape = [shape[0], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1]
        elif t == "flatten":
            m = nn.Flatten()
            shape = [int(torch.tensor(shape).prod())]
        elif t == "relu":
            m = nn.ReLU()
        elif t == "dropout":
            m = nn.Dropout(l.get("p", 0.5))
        elif t == "batchnorm2d":
            m = nn.BatchNorm2d(shape[0])
        elif t == "residual_block":
            sys.path.insert(0, str(REPO / "tools"))
            from torch_interop import BasicBlock
            st = l.get("stride", 1)
            m = BasicBlock(shape[0], l["out_channels"], st)
            for conv in (c for c in m.modules() if isinstance(c, nn.Conv2d)):
                with torch.no_grad():
                    conv.weight.normal_(0.0, init_std(init, conv.weight[0].numel()))
            shape = [l["out_channels"], (shape[1] - 1) // st + 1, (shape[2] - 1) // st + 1]
        elif t == "global_avgpool2d":
            m = nn.AdaptiveAvgPool2d(1)
            shape = [shape[0], 1, 1]
        else:
            raise SystemExit(f"layer type {t} not supported here")
        if t in ("linear", "conv2d"):
            with torch.no_grad():  # nnzero's initialisation
                m.weight.normal_(0.0, init_std(init, fan_in))
                if m.bias is not None:
                    m.bias.zero_()
        modules.append(m)
    return nn.Sequential(*modules)


def pytorch_worker(a):
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    spec = json.loads(Path(a.spec_file).read_text())
    model = build_torch_model(spec)
    if a.channels_last:  # PyTorch's tuning guide for CNNs on CPU: oneDNN's NHWC kernels
        model = model.to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    if a.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    elif a.optimizer in ("momentum", "nesterov"):
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9,
                              nesterov=a.optimizer == "nesterov")
    else:  # nnzero's (and the book's) Adam adds 1e-7 to sqrt(v); PyTorch's default is 1e-8
        opt = torch.optim.Adam(model.parameters(), lr=a.lr, eps=1e-7)

    # The dataset stays bytes, converted per batch (as nnzero and torchvision's MNIST do).
    shape = spec["input"]
    mean = std = None
    if shape[0] == 3:  # CIFAR-10 records, normalised per channel as nnzero does
        x, y = read_cifar(a.data, cifar_train_names(a.data))
        train_x, train_y = torch.from_numpy(x), torch.from_numpy(y)
        test_x = torch.from_numpy(read_cifar(a.data, ["test_batch.bin"])[0])
        # Per-channel statistics 1,000 images at a time: a float copy of the whole set would
        # count in the peak memory (nnzero measures them as it reads).
        total, squares = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
        for i in range(0, len(train_x), 1000):
            chunk = train_x[i:i + 1000].double().div_(255.0)
            total += chunk.sum(dim=(0, 2, 3))
            squares += chunk.square().sum(dim=(0, 2, 3))
        count = len(train_x) * 32 * 32
        mean = (total / count).float().view(1, 3, 1, 1)
        std = (squares / count - (total / count).square()).sqrt().float().view(1, 3, 1, 1)
    else:
        train_x = torch.from_numpy(read_idx(a.data, "train-images-idx3-ubyte").copy())
        train_y = torch.from_numpy(read_idx(a.data, "train-labels-idx1-ubyte").astype(np.int64))
        test_x = torch.from_numpy(read_idx(a.data, "t10k-images-idx3-ubyte").copy())

    def gather(images, idx):
        x = images.index_select(0, idx).float().div_(255.0).view(len(idx), *shape)
        if mean is not None:
            x.sub_(mean).div_(std)
        return x.contiguous(memory_format=torch.channels_last) if a.channels_last else x

    n = train_x.shape[0]
    order = torch.randperm(n)
    cursor = 0
    model.train()

    def train_step():
        nonlocal cursor
        if cursor + a.batch > n:
            cursor = 0
        idx = order[cursor:cursor + a.batch]
        cursor += a.batch
        x, y = gather(train_x, idx), train_y.index_select(0, idx)
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(WARMUP):
        train_step()
    t0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        train_step()
    train_s, train_cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    model.eval()
    latencies = []
    with torch.no_grad():
        for i in range(a.latency_runs + 10):
            x = gather(test_x, torch.tensor([i % test_x.shape[0]]))
            t = time.perf_counter()
            model(x)
            if i >= 10:
                latencies.append((time.perf_counter() - t) * 1e6)
        infer_s, inferred = 0.0, 0
        for start in range(0, min(a.infer_images, test_x.shape[0]) - 999, 1000):
            x = gather(test_x, torch.arange(start, start + 1000))
            t = time.perf_counter()
            model(x)
            if start > 0:  # the first pass sizes the buffers
                infer_s += time.perf_counter() - t
                inferred += 1000

    samples = a.steps * a.batch
    print(json.dumps({
        "system": "pytorch", "version": torch.__version__, "model": spec["name"],
        "channels_last": a.channels_last,
        "batch": a.batch, "steps": a.steps, "threads": torch.get_num_threads(),
        "params": params,
        "train_samples_per_s": samples / train_s,
        "infer_latency_us_b1": sorted(latencies)[len(latencies) // 2],  # as nnzero bench
        "infer_samples_per_s_b1000": inferred / infer_s,
        "peak_rss_mb": rss_mb,
        "train_samples_per_cpu_s": samples / train_cpu_s,
        "blas": loaded_blas()}))


# --- the comparison ---

def best_peer(results, model, key, higher):
    """The best figure of either peer at any thread count and layout, with who and at how many
    threads."""
    cands = [(r[key], r["system"], r["threads"]) for r in results
             if r["model"] == model and r["system"] in PEERS and r.get(key) is not None]
    if not cands:
        return None
    return (max if higher else min)(cands, key=lambda c: c[0])


def peer_layouts(model, choice):
    """The memory layouts the peers run `model` in."""
    has_conv = any(l["type"] in ("conv2d", "residual_block") for l in SPECS[model]["layers"])
    if not has_conv:
        return ["nchw"]
    if choice == "auto":
        return ["nchw", "channels_last"]
    if choice not in ("nchw", "channels_last"):
        raise SystemExit(f"--peer-layouts {choice}: use nchw, channels_last or auto")
    return [choice]


def fmt(v):
    if v is None:
        return "–"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"


def best_of(results, system, model, threads, key, higher):
    """The system's best figure for the model at that thread count, over the memory layouts it
    ran in (NCHW and channels-last for the peers' CNNs)."""
    vals = [r[key] for r in results if (r["system"], r["model"], r["threads"]) ==
            (system, model, threads) and r.get(key) is not None]
    return (max if higher else min)(vals) if vals else None


def table(results, models, threads):
    rows = ["| model | threads | metric | nnzero | PyTorch | LibTorch | nnzero vs best peer |",
            "|---|---|---|---:|---:|---:|---:|"]
    ratios = []
    for model in models:
        for t in threads:
            for key, heading, higher in METRICS:
                vals = [best_of(results, s, model, t, key, higher) for s in SYSTEMS]
                best = best_peer(results, model, key, higher)
                ratio_text = "–"
                if best and vals[0]:
                    ratio = vals[0] / best[0] if higher else best[0] / vals[0]
                    ratio_text = f"{ratio:.2f}x (vs {best[1]}, {best[2]} thr)"
                    ratios.append({"model": model, "threads": t, "metric": key,
                                   "ratio": ratio, "peer": best[1], "peer_threads": best[2]})
                rows.append(f"| {model} | {t} | {heading} | " +
                            " | ".join(fmt(v) for v in vals) + f" | {ratio_text} |")
    return "\n".join(rows), ratios


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="two_layer_net,simple_convnet,deep_convnet",
                    help="comma-separated built-in models (also: multi_layer_net, lenet5, "
                         "alexnet_cifar, resnet_cifar)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--steps", type=int, default=None,
                    help="timed training steps (default 1000 for two_layer_net, else 50)")
    ap.add_argument("--nnzero", default=str(REPO / "build" / "nnzero"),
                    help="the nnzero command (default build/nnzero)")
    ap.add_argument("--libtorch", default=str(REPO / "build" / "bench" / "libtorch_bench"),
                    help="the LibTorch program (default build/bench/libtorch_bench; "
                         "skipped if missing)")
    ap.add_argument("--data", default=None, help="MNIST folder (default $NNZERO_DATA/mnist)")
    ap.add_argument("--cifar", default=None,
                    help="CIFAR-10 binary batches for the colour models (default "
                         "$NNZERO_DATA/cifar10 if it holds them, else seeded random records)")
    ap.add_argument("--peer-layouts", default="auto",
                    help="memory layouts the peers run CNNs in: nchw, channels_last, or auto "
                         "(both, each figure the better of the two: PyTorch's CPU tuning guide "
                         "recommends channels-last for CNNs); networks without convolutions "
                         "run in nchw only")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 10 steps, 100 latency runs, 3000 images for b1000")
    ap.add_argument("--json-out", help="also write the results to this file")
    # Internal: one PyTorch measurement, run by this script in a process of its own.
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--spec", dest="spec_file", help=argparse.SUPPRESS)
    ap.add_argument("--optimizer", help=argparse.SUPPRESS)
    ap.add_argument("--lr", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=100, help=argparse.SUPPRESS)
    ap.add_argument("--channels-last", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--latency-runs", type=int, default=LATENCY_RUNS, help=argparse.SUPPRESS)
    ap.add_argument("--infer-images", type=int, default=10000, help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.data = a.data or default_data_dir()

    if a.worker:
        a.threads = int(a.threads)
        pytorch_worker(a)
        return

    models = [m.strip() for m in a.models.split(",") if m.strip()]
    threads = [int(t) for t in a.threads.split(",")]
    for m in models:
        if m not in SPECS:
            raise SystemExit(f"unknown model {m} (known: {', '.join(SPECS)})")
    if a.quick:
        a.steps, a.latency_runs, a.infer_images = 10, 100, 3000
    if not Path(a.nnzero).exists():
        raise SystemExit(f"{a.nnzero}: not found; build nnzero first or pass --nnzero PATH")
    have_libtorch = Path(a.libtorch).exists()
    if not have_libtorch:
        log(f"{a.libtorch} not found: skipping LibTorch (build with libtorch-dev installed, "
            "scripts/install-deps.sh --torch)")
    try:
        subprocess.run([sys.executable, "-c", "import torch, numpy"], check=True,
                       stderr=subprocess.DEVNULL)
        have_pytorch = True
    except subprocess.CalledProcessError:
        have_pytorch = False
        log(f"{sys.executable} cannot import torch and numpy: skipping PyTorch "
            "(scripts/install-deps.sh --torch, then run this with /usr/bin/python3)")

    steps = {m: a.steps or TIMED_STEPS.get(m, DEFAULT_STEPS) for m in models}
    results = []
    cifar_source = None
    with tempfile.TemporaryDirectory() as tmp:
        if any(is_colour(m) for m in models):
            cifar = a.cifar
            if cifar is None and os.environ.get("NNZERO_DATA"):
                cifar = str(Path(os.environ["NNZERO_DATA"]) / "cifar10")
            if cifar is None or not (Path(cifar) / "data_batch_1.bin").exists():
                if a.cifar:
                    raise SystemExit(f"{a.cifar}: no data_batch_1.bin (nnzero data fetch cifar10)")
                cifar = write_random_cifar(Path(tmp) / "cifar10")
                cifar_source = "seeded random records (10,000 train, 10,000 test)"
                log(f"no CIFAR-10 binary batches: timing the colour models on {cifar_source}")
            else:
                cifar_source = str(Path(cifar).resolve())
        jobs = []
        for m in models:
            info = check_against_info(m, a.nnzero)
            spec_file = Path(tmp) / f"{m}.json"
            spec_file.write_text(json.dumps(spec_json(m)))
            opt = ["--optimizer", SPECS[m]["optimizer"], "--lr", str(SPECS[m]["lr"])]
            common = ["--steps", str(steps[m]), "--data", cifar if is_colour(m) else a.data,
                      "--batch", str(SPECS[m].get("batch", 100))]
            peer_args = opt + ["--spec", str(spec_file), "--latency-runs", str(a.latency_runs),
                               "--infer-images", str(a.infer_images)] + common
            for t in threads:
                jobs.append(("nnzero", m, t, info, [a.nnzero, "bench", "--model", m, "--threads",
                                                    str(t)] + common))
                for layout in peer_layouts(m, a.peer_layouts):
                    layout_args = ["--channels-last", str(int(layout == "channels_last"))]
                    if have_pytorch:
                        jobs.append(("pytorch", m, t, info,
                                     [sys.executable, __file__, "--worker", "--threads", str(t)] +
                                     peer_args + layout_args))
                    if have_libtorch:
                        jobs.append(("libtorch", m, t, info,
                                     [a.libtorch, "--threads", str(t)] + peer_args + layout_args))
        for i, (system, m, t, info, cmd) in enumerate(jobs, 1):
            layout = " channels-last" if cmd[-2:] == ["--channels-last", "1"] else ""
            log(f"[{i}/{len(jobs)}] {system} {m} threads={t}{layout}")
            r = run_json(cmd, thread_env(t, system != "nnzero"))
            r.update({"system": system, "model": m, "threads": t})
            if "params" in r and r["params"] != info["params"]:
                raise SystemExit(f"{system} {m}: {r['params']} parameters, nnzero has "
                                 f"{info['params']}")
            log("    " + ", ".join(f"{k} {fmt(r.get(k))}" for k, _, _ in METRICS))
            results.append(r)

    text, ratios = table(results, models, threads)
    print(text)
    print()
    dump = {"date": time.strftime("%Y-%m-%d %H:%M"), "quick": a.quick, "steps": steps,
            "openblas_coretype_for_peers": peers_coretype(), "cifar": cifar_source,
            "results": results,
            "ratios": ratios}
    print(json.dumps(dump, indent=1))
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(dump, indent=1) + "\n")


if __name__ == "__main__":
    main()
