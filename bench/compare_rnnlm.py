#!/usr/bin/env python3
"""nnzero's language model side by side with PyTorch (issue 21): book 2's rnnlm (embedding 100,
LSTM 100, linear to the 10,000 words of the Penn Treebank) trained as the book trains it
(batch 20 x 35 steps, SGD lr 20, gradients clipped to 0.25, the hidden state carried across
batches), and sampling one word at a time at batch 1.

    /usr/bin/python3 bench/compare_rnnlm.py [--data DIR] [--steps 300] [--threads 1,2]

Every measurement runs in a process of its own with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
MKL_NUM_THREADS set to the thread count and OMP_WAIT_POLICY=PASSIVE (the peers' best setting
on a shared machine). nnzero: `nnzero train --model rnnlm --max-steps N` (its tokens_per_s
counts the training steps only, not the perplexity evaluation), then `nnzero generate` of 300
words from the trained file (ms_per_token, the prompt included). PyTorch: the same network
(nn.Embedding, nn.LSTM(batch_first=True), nn.Linear, Xavier-style init as nnzero's), the same
batches from the same text, 10 warm-up steps then N timed steps; sampling: the median of
per-token times over 300 words under no_grad, torch.multinomial on the softmax. Prints a
markdown table and the raw JSON. LibTorch is not measured here yet.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def env_for(threads):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def last_json(text):
    return json.loads([l for l in text.splitlines() if l.strip()][-1])


def run_nnzero(nnzero, data, steps, threads, workdir):
    out = os.path.join(workdir, f"rnnlm-{threads}")
    r = subprocess.run([nnzero, "train", "--model", "rnnlm", "--data", data, "--max-steps",
                        str(steps), "--threads", str(threads), "--out", out, "--force", "--quiet"],
                       capture_output=True, text=True, env=env_for(threads), check=True)
    train = last_json(r.stdout)
    g = subprocess.run([nnzero, "generate", out + "/model.safetensors", "--start", "the",
                        "--length", "300", "--threads", str(threads), "--seed", "1"],
                       capture_output=True, text=True, env=env_for(threads), check=True)
    return {"tokens_per_s": train["tokens_per_s"], "ms_per_token": last_json(g.stdout)["ms_per_token"]}


def read_ptb(data):
    words = Path(data, "ptb.train.txt").read_text().replace("\n", " <eos> ").split()
    ids = {}
    for w in words:
        ids.setdefault(w, len(ids))
    return [ids[w] for w in words], len(ids)


def pytorch_worker(data, steps, threads):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    corpus, vocab = read_ptb(data)
    N, T, D, H = 20, 35, 100, 100

    class Rnnlm(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, D)
            self.lstm = nn.LSTM(D, H, batch_first=True)
            self.affine = nn.Linear(H, vocab)
            with torch.no_grad():  # book 2's initialisation, as nnzero's rnnlm
                self.embed.weight.normal_(0, 0.01)
                for name, p in self.lstm.named_parameters():
                    p.normal_(0, 1 / p.shape[1] ** 0.5) if name.startswith("weight") else p.zero_()
                self.affine.weight.normal_(0, 1 / H ** 0.5)
                self.affine.bias.zero_()

        def forward(self, x, state):
            y, state = self.lstm(self.embed(x), state)
            return self.affine(y), state

    model = Rnnlm()
    opt = torch.optim.SGD(model.parameters(), lr=20.0)
    loss_fn = nn.CrossEntropyLoss()
    xs = torch.tensor(corpus[:-1])
    ts = torch.tensor(corpus[1:])
    jump = len(xs) // N
    offsets = torch.arange(N) * jump
    state = None

    def step(position):
        nonlocal state
        idx = (offsets[:, None] + position + torch.arange(T)[None, :]) % len(xs)
        x, t = xs[idx], ts[idx]
        if state is not None:
            state = tuple(s.detach() for s in state)
        scores, state = model(x, state)
        loss = loss_fn(scores.reshape(-1, vocab), t.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        return loss.item()

    for i in range(10):
        step(i * T)
    t0 = time.perf_counter()
    for i in range(steps):
        step((10 + i) * T)
    seconds = time.perf_counter() - t0

    model.eval()
    times = []
    with torch.no_grad():
        x = torch.tensor([[0]])
        state = None
        for _ in range(300):
            t1 = time.perf_counter()
            scores, state = model(x, state)
            p = torch.softmax(scores[0, -1], dim=0)
            x = torch.multinomial(p, 1).reshape(1, 1)
            times.append(time.perf_counter() - t1)
    times.sort()
    return {"tokens_per_s": steps * N * T / seconds, "ms_per_token": 1e3 * times[len(times) // 2],
            "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(os.environ.get("NNZERO_DATA", "data"), "text"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--nnzero", default=str(REPO / "build" / "nnzero"))
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(pytorch_worker(a.data, a.steps, a.worker)))
        return
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for threads in [int(t) for t in a.threads.split(",")]:
            results[f"nnzero/{threads}"] = run_nnzero(a.nnzero, a.data, a.steps, threads, work)
            r = subprocess.run([sys.executable, __file__, "--worker", str(threads), "--data",
                                a.data, "--steps", str(a.steps)], capture_output=True, text=True,
                               env=env_for(threads), check=True)
            results[f"pytorch/{threads}"] = last_json(r.stdout)
            print(f"{threads} thread(s): nnzero {results[f'nnzero/{threads}']}, "
                  f"PyTorch {results[f'pytorch/{threads}']}", file=sys.stderr)
    threads = [int(t) for t in a.threads.split(",")]
    best = lambda sys_, key, pick: pick(results[f"{sys_}/{t}"][key] for t in threads)
    print("| threads | nnzero tokens/s | PyTorch tokens/s | nnzero ms/token | PyTorch ms/token |")
    print("|---|---|---|---|---|")
    for t in threads:
        n, p = results[f"nnzero/{t}"], results[f"pytorch/{t}"]
        print(f"| {t} | {n['tokens_per_s']:.0f} | {p['tokens_per_s']:.0f} | "
              f"{n['ms_per_token']:.3f} | {p['ms_per_token']:.3f} |")
    print(f"\nbest: training {best('nnzero', 'tokens_per_s', max) / best('pytorch', 'tokens_per_s', max):.2f}x "
          f"PyTorch's tokens/s; sampling latency 1/{best('pytorch', 'ms_per_token', min) / best('nnzero', 'ms_per_token', min):.2f} of PyTorch's")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
