#!/usr/bin/env python3
"""Book 2's seq2seq models (chapters 7 and 8) in PyTorch, exactly as the book trains them,
side by side with nnzero's.

    /usr/bin/python3 bench/compare_seq2seq.py [--data-dir DIR] [--epochs-addition 25]
        [--epochs-date 10] [--models seq2seq,reversed,peeky,attention] [--threads 1,2]
        [--speed-only] [--steps 200] [--nnzero build/nnzero] [--json OUT]

seq2seq, reversed (questions reversed in time, the book's is_reverse) and peeky (reversed +
PeekyDecoder) on addition.txt, wordvec 16, hidden 128, 25 epochs; attention (AttentionSeq2seq,
reversed) on date.txt, wordvec 16, hidden 256, 10 epochs; all batch 128, Adam lr 0.001,
gradients clipped to a global norm of 5.0, cross entropy averaged over N*T.

Randomness is NumPy's global stream, as in the book: load_data seeds 1984 and shuffles, the
weights are drawn with np.random.randn in the book's constructor order (LSTM gates reordered
from the book's f,g,i,o to torch's i,f,g,o), then the Trainer's one permutation per epoch,
dropping the last partial batch. --seed S reseeds NumPy after the split for another run. One
departure: torch.optim.Adam (eps 1e-7 added to the bias-corrected sqrt(v)); the book adds it to
the uncorrected sqrt(v) and folds the corrections into the step size.

Accuracy (eval_seq2seq): greedy decoding from t[:, 0] for Ta-1 steps; a line counts if the whole
string, padding included, equals t[:, 1:]. Batched over the 5,000 test lines (same result).
Speed: training sequences/s over --steps steps after 5 warm-up steps; greedy decoding of the
test set at batch 5000 (encoder included, best of 3 after a warm-up); one question at batch 1
(median of 200). Each run is a process of its own with OMP/OPENBLAS/MKL_NUM_THREADS = T,
OMP_WAIT_POLICY=PASSIVE, torch.set_num_threads(T), and OPENBLAS_CORETYPE for this CPU (Debian's
OpenBLAS 0.3.21 falls back to SSE3 kernels on recent CPUs otherwise).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# name -> (data file, nnzero model, reversed input, peeky/attention/plain, wordvec, hidden)
MODELS = {
    "seq2seq": ("addition.txt", "seq2seq", False, "plain", 16, 128),
    "reversed": ("addition.txt", "seq2seq", True, "plain", 16, 128),
    "peeky": ("addition.txt", "peeky_seq2seq", True, "peeky", 16, 128),
    "attention": ("date.txt", "attention_seq2seq", True, "attention", 16, 256),
}
BATCH, LR, MAX_GRAD = 128, 0.001, 5.0


def default_data_dir():
    if os.environ.get("NNZERO_DATA"):
        return str(Path(os.environ["NNZERO_DATA"]) / "text")
    for d in (REPO / "data" / "text", REPO.parent / "shared" / "data" / "text"):
        if (d / "addition.txt").is_file():
            return str(d)
    return str(REPO / "data" / "text")


def thread_env(threads):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    if "OPENBLAS_CORETYPE" not in env:  # the kernel set this CPU supports, as compare_pytorch.py
        flags = open("/proc/cpuinfo").read().split("\nflags", 1)[-1].split("\n", 1)[0].split()
        if {"avx512f", "avx512bw", "avx512vl"} <= set(flags):
            env["OPENBLAS_CORETYPE"] = "SkylakeX"
        elif {"avx2", "fma"} <= set(flags):
            env["OPENBLAS_CORETYPE"] = "Haswell"
    return env


def load_sequence_data(path):
    """dataset/sequence.py's load_data: char ids in order of first appearance, the answer keeps
    its leading '_' (the start token), seed 1984 shuffle, the last tenth is the test set."""
    questions, answers = [], []
    for line in open(path):
        idx = line.find("_")
        questions.append(line[:idx])
        answers.append(line[idx:-1])
    char_to_id = {}
    for q, a in zip(questions, answers):
        for ch in q + a:
            char_to_id.setdefault(ch, len(char_to_id))
    x = np.array([[char_to_id[c] for c in q] for q in questions], dtype=np.int64)
    t = np.array([[char_to_id[c] for c in a] for a in answers], dtype=np.int64)
    indices = np.arange(len(x))
    np.random.seed(1984)  # the book's: also fixes the init and the per-epoch permutations
    np.random.shuffle(indices)
    x, t = x[indices], t[indices]
    split_at = len(x) - len(x) // 10
    return (x[:split_at], t[:split_at]), (x[split_at:], t[split_at:]), len(char_to_id)


def build_model(kind, V, D, H):
    import torch
    from torch import nn

    class Seq2seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc_embed = nn.Embedding(V, D)
            self.enc_lstm = nn.LSTM(D, H, batch_first=True)
            self.dec_embed = nn.Embedding(V, D)
            self.dec_lstm = nn.LSTM(D + (H if kind == "peeky" else 0), H, batch_first=True)
            self.affine = nn.Linear(H if kind == "plain" else 2 * H, V)

        def encode(self, x):
            return self.enc_lstm(self.enc_embed(x))[0]  # hs (N, Tq, H)

        def decode(self, hs, x, state=None):
            """Scores (N, T, V) for decoder inputs x, and the LSTM state to continue from."""
            h = hs[:, -1]
            if state is None:  # book: lstm.set_state(h): h from the encoder, c zeros
                state = (h[None].contiguous(), torch.zeros_like(h)[None])
            out = self.dec_embed(x)
            if kind == "peeky":  # the encoder's h goes to every step's LSTM and affine input
                peek = h[:, None].expand(-1, x.shape[1], -1)
                out = torch.cat([peek, out], 2)
            out, state = self.dec_lstm(out, state)
            if kind == "peeky":
                out = torch.cat([peek, out], 2)
            elif kind == "attention":  # dot-product weights over encoder steps, no scaling
                a = torch.softmax(out @ hs.transpose(1, 2), dim=2)  # (N, Td, Tq)
                out = torch.cat([a @ hs, out], 2)  # context first, as the book concatenates
            return self.affine(out), state

        def forward(self, x, t_in):
            return self.decode(self.encode(x), t_in)[0]

        def generate(self, x, start, steps):
            """Greedy decoding: feed back the argmax, like the book's generate()."""
            hs, ids, state, guess = self.encode(x), start[:, None], None, []
            for _ in range(steps):
                scores, state = self.decode(hs, ids, state)
                ids = scores.argmax(2)
                guess.append(ids)
            return torch.cat(guess, 1)

    model = Seq2seq()
    book_init(model, kind, V, D, H)
    return model


def book_init(model, kind, V, D, H):
    """The book's initial weights, drawn from NumPy's stream in its constructors' order."""
    import torch
    rn = np.random.randn

    def lstm(layer, n_in):
        Wx = (rn(n_in, 4 * H) / np.sqrt(n_in)).astype("f")
        Wh = (rn(H, 4 * H) / np.sqrt(H)).astype("f")
        order = np.r_[2 * H:3 * H, 0:H, H:2 * H, 3 * H:4 * H]  # book f,g,i,o -> torch i,f,g,o
        layer.weight_ih_l0.copy_(torch.from_numpy(Wx[:, order].T.copy()))
        layer.weight_hh_l0.copy_(torch.from_numpy(Wh[:, order].T.copy()))
        layer.bias_ih_l0.zero_(), layer.bias_hh_l0.zero_()

    with torch.no_grad():
        model.enc_embed.weight.copy_(torch.from_numpy((rn(V, D) / 100).astype("f")))
        lstm(model.enc_lstm, D)
        model.dec_embed.weight.copy_(torch.from_numpy((rn(V, D) / 100).astype("f")))
        lstm(model.dec_lstm, D + (H if kind == "peeky" else 0))
        n_in = H if kind == "plain" else 2 * H
        model.affine.weight.copy_(torch.from_numpy((rn(n_in, V) / np.sqrt(n_in)).astype("f").T.copy()))
        model.affine.bias.zero_()


def worker(name, data_dir, threads, epochs, steps, seed):
    """Trains one model in this process; returns its per-epoch accuracy or its speed."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)  # nothing in torch is random after book_init; set for completeness
    file, _, reverse, kind, D, H = MODELS[name]
    (x_train, t_train), (x_test, t_test), V = load_sequence_data(os.path.join(data_dir, file))
    if reverse:
        x_train, x_test = x_train[:, ::-1].copy(), x_test[:, ::-1].copy()
    if seed is not None:
        np.random.seed(seed)
    model = build_model(kind, V, D, H)
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-7)
    xs, ts = torch.from_numpy(x_train), torch.from_numpy(t_train)
    xq, tq = torch.from_numpy(x_test), torch.from_numpy(t_test)

    def train_step(idx):
        x, t = xs[idx], ts[idx]
        scores = model(x, t[:, :-1])  # teacher forcing
        loss = F.cross_entropy(scores.reshape(-1, V), t[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD)  # book's clip_grads
        opt.step()
        return loss.item()

    def test_accuracy():
        model.eval()
        with torch.no_grad():
            guess = model.generate(xq, tq[:, 0], tq.shape[1] - 1)
        model.train()
        return (guess == tq[:, 1:]).all(1).double().mean().item()

    iters = len(xs) // BATCH  # the book's Trainer drops the last partial batch
    result = {"model": name, "threads": threads, "torch": torch.__version__}
    if epochs:
        result["epochs"] = []
        for epoch in range(epochs):
            perm = torch.from_numpy(np.random.permutation(len(xs)))
            t0, losses = time.perf_counter(), []
            for i in range(iters):
                losses.append(train_step(perm[i * BATCH:(i + 1) * BATCH]))
            train_s = time.perf_counter() - t0
            e = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "test_acc": test_accuracy(),
                 "train_s": train_s, "samples_per_s": iters * BATCH / train_s}
            result["epochs"].append(e)
            print(f"{name}/{threads} epoch {e['epoch']}: loss {e['loss']:.4f} acc "
                  f"{100 * e['test_acc']:.2f}% ({e['samples_per_s']:.0f} seq/s)", file=sys.stderr, flush=True)
        result["test_acc"] = result["epochs"][-1]["test_acc"]
        result["samples_per_s"] = epochs * iters * BATCH / sum(e["train_s"] for e in result["epochs"])
        return result

    perm = torch.from_numpy(np.random.permutation(len(xs)))
    batch = lambda i: perm[(i % iters) * BATCH:(i % iters + 1) * BATCH]
    for i in range(5):  # warm-up
        train_step(batch(i))
    t0 = time.perf_counter()
    for i in range(steps):
        train_step(batch(5 + i))
    result["samples_per_s"] = steps * BATCH / (time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        runs = []
        for _ in range(4):  # the first is a warm-up
            t0 = time.perf_counter()
            model.generate(xq, tq[:, 0], tq.shape[1] - 1)
            runs.append(time.perf_counter() - t0)
        result["decode_seq_per_s"] = len(xq) / min(runs[1:])
        lat = []
        for i in range(210):
            t0 = time.perf_counter()
            model.generate(xq[i:i + 1], tq[i:i + 1, 0], tq.shape[1] - 1)
            lat.append(time.perf_counter() - t0)
        result["decode_latency_us"] = 1e6 * float(np.median(lat[10:]))
    return result


def last_json(text):
    return json.loads([l for l in text.splitlines() if l.strip()][-1])


def run_pytorch(name, a, threads, epochs):
    cmd = [sys.executable, __file__, "--worker", name, "--worker-threads", str(threads),
           "--data-dir", a.data_dir, "--steps", str(a.steps), "--worker-epochs", str(epochs)]
    if a.seed is not None:
        cmd += ["--seed", str(a.seed)]
    t0 = time.monotonic()  # stderr is not captured: per-epoch progress goes to the log as it comes
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=thread_env(threads), check=True)
    return dict(last_json(r.stdout), wall_s=round(time.monotonic() - t0, 1))


def run_nnzero(name, a, threads, epochs, workdir):
    """nnzero's train CLI for the same model; a note instead of numbers when it fails."""
    file, model, reverse, *_ = MODELS[name]
    cmd = [a.nnzero, "train", "--model", model, "--data", os.path.join(a.data_dir, file),
           "--batch", str(BATCH), "--threads", str(threads), "--out",
           os.path.join(workdir, f"{name}-{threads}"), "--force", "--quiet"]
    cmd += ["--reverse"] if reverse else []
    cmd += ["--epochs", str(epochs)] if epochs else ["--max-steps", str(a.steps)]
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=thread_env(threads), timeout=7200)
        if r.returncode != 0:
            raise RuntimeError(f"exit {r.returncode}: {r.stderr.strip()[-300:]}")
        out = last_json(r.stdout)
        return {"test_acc": out.get("test_acc"), "samples_per_s": out.get("samples_per_s"),
                "wall_s": round(time.monotonic() - t0, 1), "raw": out}
    except Exception as e:  # the CLI may not exist yet: skip, say why
        print(f"nnzero {name}/{threads} skipped: {e}", file=sys.stderr, flush=True)
        return {"skipped": str(e)[:400], "cmd": " ".join(cmd)}


def pct(v):
    return "-" if v is None else f"{100 * v:.2f}"


def print_tables(results, names, threads):
    acc = {n: r for n, r in results.items() if r.get("epochs")}
    if acc:
        cols = [n for n in names if n in acc]
        print("\nPyTorch test exact-match accuracy (%) per epoch\n")
        print("| epoch | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for e in range(max(len(acc[n]["epochs"]) for n in cols)):
            row = [pct(acc[n]["epochs"][e]["test_acc"]) if e < len(acc[n]["epochs"]) else "" for n in cols]
            print(f"| {e + 1} | " + " | ".join(row) + " |")
        nn0 = [results.get(f"nnzero/{n}", {}) for n in cols]
        if any("test_acc" in r for r in nn0):
            print("| nnzero final | " + " | ".join(pct(r.get("test_acc")) for r in nn0) + " |")
    speed = {k: r for k, r in results.items() if k.startswith("pytorch/speed/")}
    if speed:
        print("\nSpeed (training seq/s, greedy decoding at batch 5000, one question at batch 1)\n")
        print("| model | threads | PyTorch train seq/s | nnzero train seq/s | decode seq/s | decode latency µs |")
        print("|---|---|---|---|---|---|")
        for n in names:
            for t in threads:
                p = speed.get(f"pytorch/speed/{n}/{t}")
                if p:
                    z = results.get(f"nnzero/speed/{n}/{t}", {}).get("samples_per_s")
                    print(f"| {n} | {t} | {p['samples_per_s']:.0f} | {'-' if z is None else f'{z:.0f}'} "
                          f"| {p['decode_seq_per_s']:.0f} | {p['decode_latency_us']:.0f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=default_data_dir())
    ap.add_argument("--epochs-addition", type=int, default=25)
    ap.add_argument("--epochs-date", type=int, default=10)
    ap.add_argument("--models", default="seq2seq,reversed,peeky,attention")
    ap.add_argument("--threads", default="1,2", help="speed runs: each; accuracy runs: the last")
    ap.add_argument("--speed-only", action="store_true", help="time --steps steps, no full training")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, help="reseed NumPy after the split (default: the book's stream)")
    ap.add_argument("--nnzero", help="nnzero binary to run the same models with")
    ap.add_argument("--json", help="write the results here (after every run, so partial results survive)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--worker-epochs", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.data_dir, a.worker_threads, a.worker_epochs, a.steps, a.seed)))
        return
    names = a.models.split(",")
    threads = [int(t) for t in a.threads.split(",")]
    results = {}

    save = lambda: a.json and Path(a.json).write_text(json.dumps(results, indent=1) + "\n")

    with tempfile.TemporaryDirectory() as work:
        for n in names:
            if a.speed_only:
                for t in threads:
                    results[f"pytorch/speed/{n}/{t}"] = run_pytorch(n, a, t, 0)
                    if a.nnzero:
                        results[f"nnzero/speed/{n}/{t}"] = run_nnzero(n, a, t, 0, work)
                    print(f"{n}/{t}: {results[f'pytorch/speed/{n}/{t}']}", file=sys.stderr, flush=True)
                    save()
            else:  # accuracy runs at the last thread count only
                epochs = a.epochs_date if MODELS[n][0] == "date.txt" else a.epochs_addition
                results[n] = run_pytorch(n, a, threads[-1], epochs)
                if a.nnzero:
                    results[f"nnzero/{n}"] = run_nnzero(n, a, threads[-1], epochs, work)
                save()
    print_tables(results, names, threads)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
