#!/usr/bin/env python3
"""nnzero's small transformer gpt_char, the PyTorch side: karpathy/nanoGPT's GPT trained on tiny
Shakespeare with nanoGPT's documented CPU setting, its validation loss, a sample, and the speed
of training and of sampling one character at a time.

    /usr/bin/python3 bench/compare_gpt.py [--data-dir DIR] [--threads 1,2] [--speed-only]
        [--steps 200] [--iters 2000] [--seed 1337] [--attention auto|sdpa|manual]
        [--save MODEL.safetensors] [--sample-length 200] [--nnzero build/nnzero] [--json OUT]

The model is nanoGPT's model.py, as tools/torch_interop.py's GPT (shared with the model-file
round trip, nanoGPT's tensor names): token and position embeddings, pre-norm blocks (LayerNorm,
causal self-attention, LayerNorm, MLP C -> 4C -> C with exact GELU), a final LayerNorm and
lm_head tied to the token embedding; no biases, no dropout; nanoGPT's initialisation. Here
n_layer 4, n_head 4, n_embd 128, block_size 64 (nanoGPT's README, "I only have a macbook":
train.py config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20
--block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000
--lr_decay_iters=2000 --dropout=0.0).

Data as data/shakespeare_char/prepare.py: the characters of tinyshakespeare.txt (65), sorted,
the first 90% of the text for training and the last 10% for validation. Training as train.py:
torch.manual_seed(1337), batches by get_batch (12 random offsets from torch.randint, x the 64
characters there, y the next 64), AdamW lr 1e-3, betas (0.9, 0.99), eps 1e-8, weight decay 0.1
on the tensors of 2 or more dimensions only, the gradients clipped to a global norm of 1.0,
linear warm-up over 100 iterations (lr * (it + 1) / 101) then a cosine down to 1e-4 at
iteration 2000. 2000 steps; nanoGPT's estimate_loss (the mean loss of 20 random batches of each
split, drawn from the same random stream as the training batches, as train.py does) at
iterations 0, 250, ..., 2000 gives the curve. The final validation loss is also measured
deterministically: the mean cross-entropy over every non-overlapping window of 64 characters
of the validation text (windows at 0, 64, 128, ... while i + 65 <= its length), each
predicting the next characters. After training, 300 characters sampled as sample.py samples
(start "\\n", temperature 0.8, top_k 200 (all 65 characters), seed 1337, nanoGPT's generate).
(nanoGPT's loop runs one more step after its last evaluation; its checkpoint and reported loss
are those after 2000 steps, as here.)

Speed, for each thread count: training tokens/s (12 * 64 * steps / seconds, the batch drawn,
forward, backward, clipping and the AdamW step) over --steps steps after 10 warm-up steps; and
sampling at batch 1 from a 1-character prompt, 200 new characters at temperature 1.0 under
torch.no_grad() and model.eval(), 5 runs after a warm-up: the mean milliseconds per character
of the fastest run (its time over its 200 characters, the cache's restarts included: this is
the figure the tables compare), and the median of all the per-character times. Two sampling
paths: nanoGPT's generate (every character re-reads the last <= 64 characters, no cache), and
a KV cache (the keys and values of every layer kept; each character reads only the newest one;
when the cache holds 64 positions it restarts from the last 32 characters, since learned
positions cannot slide). Attention: F.scaled_dot_product_attention(is_causal=True) where
PyTorch has it (>= 2.0, nanoGPT's flash path), else nanoGPT's manual masked softmax; the speed
runs time every path this PyTorch has, and the fastest is the peer's best. Each run is a
process of its own with OMP/OPENBLAS/MKL_NUM_THREADS = T, OMP_WAIT_POLICY=PASSIVE,
torch.set_num_threads(T) and OPENBLAS_CORETYPE for this CPU (compare_seq2seq.py's thread_env).
Prints markdown tables and the raw JSON (the last line); --json writes it after every run.

--nnzero PATH times nnzero the same way, in the same processes' settings: `nnzero train --model
gpt_char` for --steps steps (its tokens_per_s: batch, forward, backward, clipping, AdamW), and
`nnzero generate` of --sample-length characters at temperature 1.0 from "\\n", the fastest of
5 runs (its ms_per_token), two ways. "exact": as nanoGPT's generate (the last <= 64
characters each time), through nnzero's key/value cache while the text fits in the context,
then one forward over the last 64 characters per character; compared with PyTorch's no-cache
generate, the same computation. "restart" (--cache-restart): the cache starts again from the
last 32 characters when full, the rule of the PyTorch KV-cache path; compared with it.
--sample-length 63 compares the two caches where both are exact (no restart, no window).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from compare_seq2seq import last_json, thread_env  # the same per-process thread setup

REPO = Path(__file__).resolve().parent.parent
DATA_FILE = "tinyshakespeare.txt"
# nanoGPT's config/train_shakespeare_char.py with the README's CPU overrides.
N_LAYER, N_HEAD, N_EMBD, BLOCK, BATCH = 4, 4, 128, 64, 12
LR, MIN_LR, WARMUP = 1e-3, 1e-4, 100
BETAS, WEIGHT_DECAY, GRAD_CLIP = (0.9, 0.99), 0.1, 1.0
EVAL_INTERVAL, EVAL_ITERS = 250, 20
SAMPLE_CHARS, SPEED_RUNS = 300, 5


def default_data_dir():
    if os.environ.get("NNZERO_DATA"):
        return str(Path(os.environ["NNZERO_DATA"]) / "text")
    for d in (REPO / "data" / "text", REPO.parent / "shared" / "data" / "text"):
        if (d / DATA_FILE).is_file():
            return str(d)
    return str(REPO / "data" / "text")


def load_text(data_dir):
    """prepare.py's split: (train ids, val ids, the sorted characters)."""
    import torch
    text = Path(data_dir, DATA_FILE).read_text()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(len(ids) * 0.9)
    return ids[:n], ids[n:], chars


def gpt_spec(vocab):
    """nnzero's model spec of gpt_char (the spec's "gpt" object)."""
    return {"name": "gpt_char", "input": [BLOCK],
            "gpt": {"vocab": vocab, "context": BLOCK, "layers": N_LAYER, "heads": N_HEAD,
                    "width": N_EMBD, "bias": False}}


def get_lr(it, lr_decay_iters):
    """nanoGPT's get_lr: linear warm-up, then a cosine from LR to MIN_LR."""
    if it < WARMUP:
        return LR * (it + 1) / (WARMUP + 1)
    if it > lr_decay_iters:
        return MIN_LR
    ratio = (it - WARMUP) / (lr_decay_iters - WARMUP)
    return MIN_LR + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (LR - MIN_LR)


def configure_optimizer(model):
    """nanoGPT's configure_optimizers: weight decay on the tensors with 2+ dimensions only."""
    import torch
    params = [p for p in model.parameters() if p.requires_grad]  # the tied weight once
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": WEIGHT_DECAY},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=LR, betas=BETAS, eps=1e-8)


def worker(job, a):
    """One run in this process: "train" (the full training) or "speed"; returns a dict."""
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, str(REPO / "tools"))
    import torch_interop as ti

    threads = a.worker_threads
    torch.set_num_threads(threads)
    train_ids, val_ids, chars = load_text(a.data_dir)
    V = len(chars)
    spec = gpt_spec(V)

    def new_model(attention):
        torch.manual_seed(a.seed)  # train.py seeds before building the model
        model = ti.GPT(spec, attention)
        return model, configure_optimizer(model)

    def get_batch(split):
        data = train_ids if split == "train" else val_ids
        ix = torch.randint(len(data) - BLOCK, (BATCH,))
        at = ix[:, None] + torch.arange(BLOCK)
        return data[at], data[at + 1]

    def loss_of(model, x, y):
        return F.cross_entropy(model(x).view(-1, V), y.view(-1))

    def train_step(model, opt, x, y, it):
        for group in opt.param_groups:
            group["lr"] = get_lr(it, a.iters)  # lr_decay_iters = max_iters, as configured
        loss = loss_of(model, x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    @torch.no_grad()
    def estimate_loss(model):
        model.eval()
        out = {s: sum(loss_of(model, *get_batch(s)).item() for _ in range(EVAL_ITERS)) / EVAL_ITERS
               for s in ("train", "val")}
        model.train()
        return out

    @torch.no_grad()
    def window_loss(model, data, chunk=256):
        """Mean cross-entropy over the non-overlapping windows of BLOCK characters."""
        model.eval()
        starts = torch.arange(0, len(data) - BLOCK, BLOCK)  # i + BLOCK + 1 <= len(data)
        total = 0.0
        for s in starts.split(chunk):
            at = s[:, None] + torch.arange(BLOCK)
            total += F.cross_entropy(model(data[at]).view(-1, V), data[at + 1].view(-1),
                                     reduction="sum").item()
        model.train()
        return total / (len(starts) * BLOCK)

    result = {"job": job, "threads": threads, "torch": torch.__version__, "seed": a.seed}
    if job == "train":
        model, opt = new_model(a.attention)
        result.update(attention=model.attention, params=sum(p.numel() for p in model.parameters()),
                      iters=a.iters, curve=[])
        x, y = get_batch("train")
        train_s = 0.0
        for it in range(a.iters + 1):  # train.py's loop: evaluate, then step
            if it % EVAL_INTERVAL == 0 or it == a.iters:
                e = estimate_loss(model)
                result["curve"].append({"iter": it, "train": e["train"], "val": e["val"]})
                print(f"iter {it}: estimated train loss {e['train']:.4f}, val loss {e['val']:.4f} "
                      f"({train_s:.0f} s training)", file=sys.stderr, flush=True)
            if it == a.iters:
                break
            t0 = time.perf_counter()
            nx, ny = get_batch("train")  # train.py draws the next batch before its backward
            train_step(model, opt, x, y, it)
            x, y = nx, ny
            train_s += time.perf_counter() - t0
        result["train_s"] = train_s
        result["train_tokens_per_s"] = a.iters * BATCH * BLOCK / train_s
        result["estimated_val_loss"] = result["curve"][-1]["val"]
        result["estimated_train_loss"] = result["curve"][-1]["train"]
        result["val_loss"] = window_loss(model, val_ids)
        result["val_windows"] = (len(val_ids) - 1) // BLOCK
        model.eval()
        torch.manual_seed(a.seed)  # sample.py's seed, its settings
        out = model.generate(torch.tensor([[chars.index("\n")]]), SAMPLE_CHARS,
                             temperature=0.8, top_k=200)
        result["sample"] = "".join(chars[i] for i in out[0, 1:].tolist())
        print(f"val loss (all windows) {result['val_loss']:.4f}; sample:\n{result['sample']}",
              file=sys.stderr, flush=True)
        if a.save:
            vocab = json.dumps({"level": "character", "tokens": chars}, separators=(",", ":"))
            ti.save_model(model, spec, a.save, {"nnzero.vocab": vocab})  # as nnzero's files
            result["saved"] = a.save
        return result

    # speed: every attention path this PyTorch has
    paths = [a.attention] if a.attention != "auto" else (
        ["manual", "sdpa"] if hasattr(F, "scaled_dot_product_attention") else ["manual"])
    result["attention"] = {}
    for attention in paths:
        model, opt = new_model(attention)
        r = {}
        for it in range(10 + a.steps):
            if it == 10:
                t0 = time.perf_counter()
            train_step(model, opt, *get_batch("train"), it)
        r["train_tokens_per_s"] = a.steps * BATCH * BLOCK / (time.perf_counter() - t0)
        model.eval()
        prompt = torch.tensor([[chars.index("\n")]])
        with torch.no_grad():
            for name, kv in (("no_cache", False), ("kv_cache", True)):
                model.generate(prompt, 2 * BLOCK, kv_cache=kv)  # warm-up
                times, runs = [], []
                for run in range(SPEED_RUNS):
                    torch.manual_seed(a.seed + run)
                    t = start = time.perf_counter()
                    for _ in model.generate_steps(prompt, a.sample_length, 1.0, kv_cache=kv):
                        now = time.perf_counter()
                        times.append(now - t)
                        t = now
                    runs.append((t - start) / a.sample_length)
                times.sort()
                r[name] = {"ms_per_token_mean": 1e3 * min(runs),  # the fastest run's
                           "ms_per_token_median": 1e3 * times[len(times) // 2],  # all runs'
                           "ms_per_token_run_means": [1e3 * x for x in runs]}
        result["attention"][attention] = r
        print(f"{attention}/{threads}: {r}", file=sys.stderr, flush=True)
    best = lambda f, pick: pick(f(r) for r in result["attention"].values())
    result["train_tokens_per_s"] = best(lambda r: r["train_tokens_per_s"], max)
    for name in ("no_cache", "kv_cache"):
        result[f"{name}_ms_per_token"] = best(lambda r: r[name]["ms_per_token_mean"], min)
    result["sample_ms_per_token"] = min(result["no_cache_ms_per_token"],
                                        result["kv_cache_ms_per_token"])
    return result


def run_pytorch(job, a, threads):
    cmd = [sys.executable, __file__, "--worker", job, "--worker-threads", str(threads),
           "--data-dir", a.data_dir, "--steps", str(a.steps), "--iters", str(a.iters),
           "--seed", str(a.seed), "--attention", a.attention,
           "--sample-length", str(a.sample_length)]
    cmd += ["--save", a.save] if a.save and job == "train" else []
    t0 = time.monotonic()  # stderr is not captured: progress goes to the log as it comes
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=thread_env(threads), check=True)
    return dict(last_json(r.stdout), wall_s=round(time.monotonic() - t0, 1))


def run_nnzero(a, threads):
    """nnzero's training tokens/s and sampling ms/character at `threads` threads."""
    import tempfile
    env = thread_env(threads)
    data = str(Path(a.data_dir) / DATA_FILE)
    with tempfile.TemporaryDirectory() as tmp:
        train = [a.nnzero, "train", "--model", "gpt_char", "--data", data, "--threads",
                 str(threads), "--epochs", "1", "--steps-per-epoch", str(a.steps), "--out",
                 f"{tmp}/run", "--quiet"]
        r = last_json(subprocess.run(train, stdout=subprocess.PIPE, text=True, env=env,
                                     check=True).stdout)
        out = {"train_tokens_per_s": r["tokens_per_s"]}
        for name, flags in (("exact", []), ("restart", ["--cache-restart"])):
            runs = []
            for run in range(1 + SPEED_RUNS):  # the first warms up
                gen = [a.nnzero, "generate", f"{tmp}/run/model.safetensors", "--start", "\n",
                       "--length", str(a.sample_length), "--temperature", "1.0", "--seed",
                       str(a.seed + run), "--threads", str(threads)] + flags
                g = last_json(subprocess.run(gen, stdout=subprocess.PIPE, text=True, env=env,
                                             check=True).stdout)
                runs.append(g["ms_per_token"])
            out[f"{name}_ms_per_token"] = min(runs[1:])
            out[f"{name}_ms_per_token_runs"] = runs[1:]
    return out


def print_tables(results, threads):
    t = next((r for k, r in results.items() if k.startswith("pytorch/train/")), None)
    if t:
        print(f"\nPyTorch {t['torch']}, {t['threads']} thread(s), attention {t['attention']}, "
              f"{t['params']} parameters, {t['iters']} steps ({t['train_tokens_per_s']:.0f} "
              f"tokens/s over the whole run)\n")
        print("| iter | train loss (estimate) | val loss (estimate) |")
        print("|---|---|---|")
        for e in t["curve"]:
            print(f"| {e['iter']} | {e['train']:.4f} | {e['val']:.4f} |")
        print(f"\nfinal val loss: {t['val_loss']:.4f} (all {t['val_windows']} windows of "
              f"{BLOCK}), {t['estimated_val_loss']:.4f} (nanoGPT's estimate, {EVAL_ITERS} batches)")
    speed = [(n, results[f"pytorch/speed/{n}"]) for n in threads if f"pytorch/speed/{n}" in results]
    if speed:
        print("\nSpeed (training tokens/s; sampling ms/character at batch 1: the fastest run's mean"
              " / the median)\n")
        print("| threads | attention | train tokens/s | no cache ms/token | KV cache ms/token |")
        print("|---|---|---|---|---|")
        for n, s in speed:
            for att, r in s["attention"].items():
                nc, kv = r["no_cache"], r["kv_cache"]
                print(f"| {n} | {att} | {r['train_tokens_per_s']:.0f} | "
                      f"{nc['ms_per_token_mean']:.3f} / {nc['ms_per_token_median']:.3f} | "
                      f"{kv['ms_per_token_mean']:.3f} / {kv['ms_per_token_median']:.3f} |")
    side = [(n, results[f"pytorch/speed/{n}"], results[f"nnzero/speed/{n}"]) for n in threads
            if f"nnzero/speed/{n}" in results and f"pytorch/speed/{n}" in results]
    if side:
        print("\nSide by side (PyTorch: its best path at that thread count)\n")
        print("| threads | train tokens/s PyTorch | nnzero | ratio | ms/char exact: PyTorch "
              "no cache | nnzero | ratio | ms/char cache restart: PyTorch | nnzero | ratio |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for n, p, z in side:
            pe, ze = p["no_cache_ms_per_token"], z["exact_ms_per_token"]
            pr, zr = p["kv_cache_ms_per_token"], z["restart_ms_per_token"]
            print(f"| {n} | {p['train_tokens_per_s']:.0f} | {z['train_tokens_per_s']:.0f} | "
                  f"{z['train_tokens_per_s'] / p['train_tokens_per_s']:.2f}x | {pe:.3f} | "
                  f"{ze:.3f} | {ze / pe:.2f} | {pr:.3f} | {zr:.3f} | {zr / pr:.2f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=default_data_dir(), help=f"folder with {DATA_FILE}")
    ap.add_argument("--threads", default="1,2", help="speed runs: each; training: the last")
    ap.add_argument("--speed-only", action="store_true", help="time --steps steps, no full training")
    ap.add_argument("--steps", type=int, default=200, help="timed training steps (speed runs)")
    ap.add_argument("--iters", type=int, default=2000,
                    help="training steps, max_iters (the cosine ends there: lr_decay_iters)")
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--attention", default="auto", choices=["auto", "sdpa", "manual"],
                    help="training: auto = sdpa where PyTorch has it (>= 2.0); speed: auto = each")
    ap.add_argument("--save", help="write the trained model here as an nnzero model file")
    ap.add_argument("--sample-length", type=int, default=200,
                    help="characters per sampling run (speed)")
    ap.add_argument("--nnzero", help="time this nnzero binary too (e.g. build/nnzero)")
    ap.add_argument("--json", help="write the results here (after every run, so partial results survive)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a)))
        return
    threads = [int(t) for t in a.threads.split(",")]
    results = {}
    save = lambda: a.json and Path(a.json).write_text(json.dumps(results, indent=1) + "\n")
    if not a.speed_only:
        results[f"pytorch/train/{threads[-1]}"] = run_pytorch("train", a, threads[-1])
        save()
    for t in threads:
        results[f"pytorch/speed/{t}"] = run_pytorch("speed", a, t)
        save()
        if a.nnzero:
            results[f"nnzero/speed/{t}"] = run_nnzero(a, t)
            save()
    print_tables(results, threads)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
