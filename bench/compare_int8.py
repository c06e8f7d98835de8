#!/usr/bin/env python3
"""int8 inference side by side (issue 24): nnzero's int8 model against nnzero's own fp32 and
against PyTorch's static quantization of the same network, batch 1000 over the MNIST test set.

    cmake --build build -j
    /usr/bin/python3 bench/compare_int8.py --model runs/simple/model.safetensors \\
        [--model MORE.safetensors] [--data data/mnist] [--nnzero build/nnzero] \\
        [--threads 1,2] [--calibration 500] [--repeats 3] [--engines fbgemm,onednn] [--json OUT]

MODEL: an nnzero float model file of an MNIST network (simple_convnet, deep_convnet, ...).
Every process gets OMP_WAIT_POLICY=PASSIVE, OMP/OPENBLAS/MKL_NUM_THREADS=T and OPENBLAS_CORETYPE
for this CPU (compare_seq2seq.py's thread_env). nnzero: `nnzero quantize MODEL --data DIR --out
TMP/q.safetensors --samples N` (calibrated on the first N training images), then for each T,
--repeats runs of `nnzero eval FILE --batch 1000 --threads T --data DIR` for MODEL and for
TMP/q.safetensors: the best `samples_per_s` (eval times only the forward passes over the 10,000
test images) and the `accuracy`.

PyTorch (a worker process of this script per T, torch.set_num_threads(T)): the model as
tools/torch_interop.py's load_model builds it (nn.Sequential, eval mode). fp32: NCHW and
channels_last (PyTorch's CPU tuning guide for CNNs). int8: eager-mode static quantization,
torch.ao.quantization: QuantStub + the Sequential + DeQuantStub, Conv2d+ReLU and Linear+ReLU
pairs fused (fuse_modules), torch.backends.quantized.engine = E, qconfig =
get_default_qconfig(E) (--engines E:Q takes Q's qconfig, e.g. onednn:fbgemm), prepare,
calibration on the first N training images, convert (MaxPool2d and Flatten run on quantized
tensors; Dropout is the identity in eval mode). Timing as nnzero's:
1000-image batches over the test set under torch.inference_mode(), the inputs made beforehand;
one untimed pass (it gives the accuracy and warms up), then --repeats timed passes, the best.
The peer's figure for each precision is its best setting (layout, engine) at that T.

FBGEMM: Debian's PyTorch 1.13 (python3-torch 1.13.1+dfsg) is built without it:
torch.backends.quantized.supported_engines is ['qnnpack', 'none', 'onednn'] and setting the
engine to "fbgemm" raises "quantized engine FBGEMM is not supported" (nor is there the "x86"
engine, which needs FBGEMM). The script records that in the JSON and runs the x86 engine this
build has, onednn (oneDNN 2.6.3 with its own default qconfig: per-channel int8 weights, 8-bit
activations); a PyTorch with FBGEMM runs fbgemm as the issue asks. Also measured here with
--engines fbgemm,onednn,onednn:fbgemm,qnnpack: fbgemm's qconfig (7-bit activations) on onednn
was as fast or slower, qnnpack (for ARM) 3.5-6x slower than onednn.

Prints markdown tables on stderr and the JSON on the last stdout line: per model and T, both
systems' fp32 and int8 samples/s and accuracy, the ratios nnzero int8 / nnzero fp32 and nnzero
int8 / PyTorch int8 (issue 24's targets: >= 2 each), and "best": each at its best T.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compare_seq2seq import last_json, thread_env  # the same per-process thread setup

REPO = Path(__file__).resolve().parent.parent
BATCH = 1000


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --- the PyTorch worker (a process of its own per thread count) ---

def measure(model, x, labels, repeats):
    """Accuracy (from the untimed warm-up pass) and the best samples/s of `repeats` passes."""
    import torch
    batches = [x[i:i + BATCH] for i in range(0, len(x), BATCH)]
    with torch.inference_mode():
        predicted = torch.cat([model(b).argmax(1) for b in batches])
        best = 0.0
        for _ in range(repeats):
            t0 = time.perf_counter()
            for b in batches:
                model(b)
            best = max(best, len(x) / (time.perf_counter() - t0))
    return {"samples_per_s": best, "accuracy": (predicted == labels).double().mean().item()}


def relu_pairs(seq):
    """The [["i", "i+1"], ...] Conv2d/Linear + ReLU pairs of a Sequential, for fuse_modules."""
    from torch import nn
    return [[str(i), str(i + 1)] for i in range(len(seq) - 1)
            if isinstance(seq[i], (nn.Conv2d, nn.Linear)) and isinstance(seq[i + 1], nn.ReLU)]


def quantize(model, engine, calibration):
    """Eager-mode static quantization of the Sequential `model` for `engine` ("E" or
    "E:QCONFIG")."""
    import torch
    import torch.ao.quantization as tq

    class Quantized(torch.nn.Module):
        def __init__(self, body):
            super().__init__()
            self.quant, self.body, self.dequant = tq.QuantStub(), body, tq.DeQuantStub()

        def forward(self, x):
            return self.dequant(self.body(self.quant(x)))

    engine, _, qconfig = engine.partition(":")
    torch.backends.quantized.engine = engine  # raises where this PyTorch lacks the engine
    q = Quantized(tq.fuse_modules(copy.deepcopy(model), relu_pairs(model))).eval()
    q.qconfig = tq.get_default_qconfig(qconfig or engine)
    tq.prepare(q, inplace=True)
    with torch.inference_mode():
        for i in range(0, len(calibration), BATCH):
            q(calibration[i:i + BATCH])
    return tq.convert(q, inplace=True)


def pytorch_worker(a):
    import warnings

    import torch
    sys.path.insert(0, str(REPO / "tools"))
    import torch_interop as ti
    warnings.filterwarnings("ignore", message="Please use quant_min")  # fbgemm's reduce_range
    torch.set_num_threads(a.worker_threads)
    model, spec, _ = ti.load_model(a.model[0])
    train, _ = ti.load_mnist(a.data, "train")
    test, labels = ti.load_mnist(a.data, "t10k")
    x, labels = ti.as_input(test, spec), torch.from_numpy(labels)
    calibration = ti.as_input(train[:a.calibration], spec)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(),
           "supported_engines": list(torch.backends.quantized.supported_engines),
           "fp32": {}, "int8": {}}
    for layout, fmt in (("nchw", torch.contiguous_format), ("channels_last", torch.channels_last)):
        m = copy.deepcopy(model).to(memory_format=fmt)
        out["fp32"][layout] = measure(m, x.contiguous(memory_format=fmt), labels, a.repeats)
    for engine in a.engines.split(","):
        try:
            q = quantize(model, engine, calibration)
        except Exception as e:  # noqa: BLE001 - recorded, the other engines still run
            out["int8"][engine] = {"error": f"{type(e).__name__}: {e}"}
            continue
        out["int8"][engine] = measure(q, x, labels, a.repeats)
    return out


# --- the driver ---

def best_setting(settings):
    """(name, result) of the fastest setting that ran, or (None, None)."""
    ran = [(k, v) for k, v in settings.items() if "samples_per_s" in v]
    return max(ran, key=lambda kv: kv[1]["samples_per_s"]) if ran else (None, None)


def run_pytorch(a, model, threads):
    cmd = [sys.executable, __file__, "--worker", "--worker-threads", str(threads),
           "--model", model, "--data", a.data, "--calibration", str(a.calibration),
           "--repeats", str(a.repeats), "--engines", a.engines]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=thread_env(threads), check=True)
    out = last_json(r.stdout)
    for precision in ("fp32", "int8"):
        name, best = best_setting(out[precision])
        out[precision + "_best"] = dict(best, setting=name) if best else None
    return out


def nnzero_json(a, args, threads):
    r = subprocess.run([a.nnzero, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=thread_env(threads))
    if r.returncode != 0:
        raise SystemExit(f"nnzero {' '.join(args)} failed:\n{r.stderr[-2000:]}")
    return last_json(r.stdout)


def run_nnzero_eval(a, path, threads):
    runs = [nnzero_json(a, ["eval", path, "--batch", str(BATCH), "--threads", str(threads),
                            "--data", a.data], threads) for _ in range(a.repeats)]
    first = runs[0]
    return {"samples_per_s": max(r["samples_per_s"] for r in runs), "accuracy": first["accuracy"],
            "model": first["model"], "precision": first.get("precision", "fp32"),
            "runs": [r["samples_per_s"] for r in runs]}


def ratio(x, y):
    return round(x["samples_per_s"] / y["samples_per_s"], 2) if x and y else None


def compare(nnzero_fp32, nnzero_int8, torch_fp32, torch_int8):
    return {"nnzero_int8_over_nnzero_fp32": ratio(nnzero_int8, nnzero_fp32),
            "nnzero_int8_over_pytorch_int8": ratio(nnzero_int8, torch_int8),
            "nnzero_fp32_over_pytorch_fp32": ratio(nnzero_fp32, torch_fp32),
            "pytorch_int8_over_pytorch_fp32": ratio(torch_int8, torch_fp32)}


def run_model(a, model, threads, workdir):
    qfile = str(Path(tempfile.mkdtemp(dir=workdir)) / "q.safetensors")
    quantized = nnzero_json(a, ["quantize", model, "--data", a.data, "--out", qfile,
                                "--samples", str(a.calibration)], max(threads))
    result = {"model": model, "int8_file": quantized, "by_threads": {}}
    for t in threads:
        log(f"{model}: {t} thread(s)")
        r = {"nnzero_fp32": run_nnzero_eval(a, model, t),
             "nnzero_int8": run_nnzero_eval(a, qfile, t), "pytorch": run_pytorch(a, model, t)}
        r["ratios"] = compare(r["nnzero_fp32"], r["nnzero_int8"], r["pytorch"]["fp32_best"],
                              r["pytorch"]["int8_best"])
        result["by_threads"][str(t)] = r
    result["name"] = r["nnzero_fp32"]["model"]  # the spec's name, e.g. simple_convnet
    result["best"] = best_over_threads(result["by_threads"])
    return result


def best_over_threads(by_threads):
    """Each of the four figures at its best thread count (recorded as "threads")."""
    figures = {"nnzero_fp32": lambda r: r["nnzero_fp32"], "nnzero_int8": lambda r: r["nnzero_int8"],
               "pytorch_fp32": lambda r: r["pytorch"]["fp32_best"],
               "pytorch_int8": lambda r: r["pytorch"]["int8_best"]}
    best = {}
    for key, get in figures.items():
        candidates = [dict(get(r), threads=int(t)) for t, r in by_threads.items() if get(r)]
        best[key] = max(candidates, key=lambda v: v["samples_per_s"], default=None)
    best["ratios"] = compare(best["nnzero_fp32"], best["nnzero_int8"], best["pytorch_fp32"],
                             best["pytorch_int8"])
    return best


def fmt(v, setting=False):
    if not v:
        return "-"
    s = f"{v['samples_per_s']:,.0f}"
    return s + (f" ({v['setting']})" if setting and v.get("setting") else "")


def print_tables(results):
    log("\nsamples/s, batch 1000 over the 10,000 test images (\"best\": each at its best "
        "thread count)\n\n| model | threads | nnzero fp32 | nnzero int8 | PyTorch fp32 | "
        "PyTorch int8 | nnzero int8 / fp32 | nnzero int8 / PyTorch int8 |\n" + "|---" * 8 + "|")
    for res in results:
        name, b = res["name"], res["best"]
        rows = [(t, r["nnzero_fp32"], r["nnzero_int8"], r["pytorch"]["fp32_best"],
                 r["pytorch"]["int8_best"], r["ratios"]) for t, r in res["by_threads"].items()]
        rows.append(("best", b["nnzero_fp32"], b["nnzero_int8"], b["pytorch_fp32"],
                     b["pytorch_int8"], b["ratios"]))
        for t, nf, ni, pf, pi, rt in rows:
            log(f"| {name} | {t} | {fmt(nf)} | {fmt(ni)} | {fmt(pf, True)} | {fmt(pi, True)} | "
                f"{rt['nnzero_int8_over_nnzero_fp32']} | {rt['nnzero_int8_over_pytorch_int8']} |")
    log("\ntest accuracy (10,000 images)\n\n| model | nnzero fp32 | nnzero int8 | PyTorch fp32 "
        "| PyTorch int8 |\n" + "|---" * 5 + "|")
    errors = []
    for res in results:
        r = next(iter(res["by_threads"].values()))
        int8 = r["pytorch"]["int8"]
        errors += [f"{res['model']}: PyTorch int8, engine {e}: {v['error']}"
                   for e, v in int8.items() if "error" in v]
        log(f"| {res['name']} | {r['nnzero_fp32']['accuracy']:.4f} | "
            f"{r['nnzero_int8']['accuracy']:.4f} | {r['pytorch']['fp32']['nchw']['accuracy']:.4f}"
            " | " + ", ".join(f"{e} {v['accuracy']:.4f}" for e, v in int8.items()
                              if "accuracy" in v) + " |")
    log("\n" + "\n".join(errors) if errors else "")


def default_mnist_dir():
    root = os.environ.get("NNZERO_DATA")
    return str(Path(root) / "mnist") if root else str(REPO / "data" / "mnist")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", required=True, help="nnzero float model file")
    ap.add_argument("--data", default=default_mnist_dir(),
                    help="MNIST folder (default: $NNZERO_DATA/mnist, else data/mnist)")
    ap.add_argument("--nnzero", default=str(REPO / "build" / "nnzero"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--calibration", type=int, default=500, help="calibration training images")
    ap.add_argument("--repeats", type=int, default=3, help="timed passes; the best counts")
    ap.add_argument("--engines", default="fbgemm,onednn",
                    help="PyTorch quantized engines to try (fbgemm, onednn, qnnpack, x86)")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(pytorch_worker(a)))
        return
    threads = [int(t) for t in a.threads.split(",")]
    with tempfile.TemporaryDirectory(prefix="compare_int8.") as workdir:
        results = [run_model(a, m, threads, workdir) for m in a.model]
    print_tables(results)
    out = {"batch": BATCH, "calibration": a.calibration, "repeats": a.repeats,
           "omp_wait_policy": "PASSIVE", "models": results}
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
