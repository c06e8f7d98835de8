#!/usr/bin/env python3
"""nnzero's word2vec side by side with fastText and gensim (issue 21): CBOW with negative
sampling on the Penn Treebank, the issue's settings (window 5, 100 dimensions, 5 negative
samples, 10 epochs, every word kept: fastText's
`cbow -dim 100 -ws 5 -neg 5 -epoch 10 -minCount 1 -minn 0 -maxn 0`), each with 2 threads, the
same learning rate (0.05, fastText's default) and subsampling threshold (1e-4, fastText's).

    scripts/install-deps.sh --torch          # fasttext and python3-gensim from Debian
    /usr/bin/python3 bench/compare_word2vec.py [--data DIR] [--threads 2] [--epochs 10]

Speed: words/s = epochs x training words / the wall time of the whole run (reading the text,
building the vocabulary, training, writing the vectors), each system in a process of its own.
Each system runs --runs times (seeds 1..N; default 3): the speed is the median run's, the
accuracy the mean with its range (on the Penn Treebank's small vocabulary a seed moves it by
half a point). Quality: the same evaluator for all three, in this script: analogy accuracy over
questions-words.txt (a question counts when its four words, lowercased, are all in the
vocabulary; the answer is the nearest word by cosine to b - a + c, a, b and c left out) and the
five nearest words of "you", "year", "car" and "toyota" (book 2, section 4.3.3).
Differences kept: fastText reads each line as a sentence ending in </s>, gensim as a sentence
of its words (no window crosses a line), nnzero as one stream with <eos> tokens (book 2's
reading). Prints a markdown table and the raw JSON.
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
sys.path.insert(0, str(REPO / "tools"))
import torch_interop as ti  # noqa: E402  (read_safetensors)

QUERIES = ["you", "year", "car", "toyota"]


def load_nnzero(path):
    tensors, meta = ti.read_safetensors(path)
    return json.loads(meta["nnzero.vocab"])["tokens"], tensors["embedding"]


def load_vec(path):
    with open(path, encoding="utf-8") as f:
        n, d = map(int, f.readline().split())
        words, rows = [], []
        for line in f:
            parts = line.rstrip().split(" ")
            words.append(parts[0])
            rows.append(np.asarray(parts[1:], dtype=np.float32))
    return words, np.stack(rows)


def read_questions(path):
    out = []
    for line in Path(path).read_text().splitlines():
        if line.startswith(":") or not line.strip():
            continue
        out.append([w.lower() for w in line.split()])
    return out


def evaluate(words, vectors, questions):
    index = {w: i for i, w in enumerate(words)}
    m = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-8)
    asked = [q for q in questions if all(w in index for w in q)]
    correct = 0
    for start in range(0, len(asked), 1000):
        chunk = asked[start:start + 1000]
        ids = np.array([[index[w] for w in q] for q in chunk])
        query = m[ids[:, 1]] - m[ids[:, 0]] + m[ids[:, 2]]
        query /= np.linalg.norm(query, axis=1, keepdims=True) + 1e-8
        sims = query @ m.T
        rows = np.arange(len(chunk))
        for k in range(3):
            sims[rows, ids[:, k]] = -np.inf
        correct += int((sims.argmax(axis=1) == ids[:, 3]).sum())
    neighbours = {}
    for q in QUERIES:
        if q in index:
            sims = m @ m[index[q]]
            sims[index[q]] = -np.inf
            neighbours[q] = [(words[i], round(float(sims[i]), 3)) for i in np.argsort(-sims)[:5]]
    return {"asked": len(asked), "skipped": len(questions) - len(asked), "correct": correct,
            "accuracy": correct / max(1, len(asked)), "neighbours": neighbours}


def env_for(threads):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    return env


def timed(cmd, env):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {r.stderr[-2000:]}")
    return time.perf_counter() - t0, r


def gensim_worker(train, out, threads, epochs, seed):
    from gensim.models import Word2Vec
    sentences = [line.split() for line in Path(train).read_text().splitlines() if line.split()]
    model = Word2Vec(sentences, vector_size=100, window=5, negative=5, epochs=epochs, min_count=1,
                     sg=0, workers=threads, sample=1e-4, alpha=0.05, min_alpha=0.0001, seed=seed)
    model.wv.save_word2vec_format(out)


def run_once(system, a, seed, work, questions, env):
    """(seconds, evaluation) of one training run of `system` with `seed`."""
    train = os.path.join(a.data, "ptb.train.txt")
    if system == "nnzero":
        out = os.path.join(work, f"nnzero-{seed}.safetensors")
        seconds, _ = timed([a.nnzero, "words", "train", "--data", a.data, "--model", "cbow",
                            "--dim", "100", "--window", "5", "--negative", "5", "--epochs",
                            str(a.epochs), "--lr", "0.05", "--subsample", "1e-4", "--threads",
                            str(a.threads), "--seed", str(seed), "--quiet", "--out", out], env)
        return seconds, evaluate(*load_nnzero(out), questions)
    if system == "fasttext":
        base = os.path.join(work, f"fasttext-{seed}")
        seconds, _ = timed(["fasttext", "cbow", "-input", train, "-output", base, "-dim", "100",
                            "-ws", "5", "-neg", "5", "-epoch", str(a.epochs), "-minCount", "1",
                            "-minn", "0", "-maxn", "0", "-thread", str(a.threads), "-lr", "0.05",
                            "-t", "1e-4", "-seed", str(seed), "-verbose", "0"], env)
        return seconds, evaluate(*load_vec(base + ".vec"), questions)
    vec = os.path.join(work, f"gensim-{seed}.vec")
    seconds, _ = timed([sys.executable, __file__, "--data", a.data, "--threads", str(a.threads),
                        "--epochs", str(a.epochs), "--gensim-worker", vec, str(seed)], env)
    return seconds, evaluate(*load_vec(vec), questions)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(os.environ.get("NNZERO_DATA", "data"), "text"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--nnzero", default=str(REPO / "build" / "nnzero"))
    ap.add_argument("--runs", type=int, default=3, help="runs of each system (seeds 1..N)")
    ap.add_argument("--gensim-worker", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    train = os.path.join(a.data, "ptb.train.txt")
    if a.gensim_worker:
        gensim_worker(train, a.gensim_worker[0], a.threads, a.epochs, int(a.gensim_worker[1]))
        return
    words = len(Path(train).read_text().replace("\n", " <eos> ").split())
    questions = read_questions(os.path.join(a.data, "questions-words.txt"))
    env = env_for(a.threads)
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for system in ("nnzero", "fasttext", "gensim"):
            runs = [run_once(system, a, seed, work, questions, env) for seed in range(1, a.runs + 1)]
            seconds = sorted(r[0] for r in runs)[len(runs) // 2]
            accuracies = [r[1]["accuracy"] for r in runs]
            results[system] = {"seconds": seconds, "words_per_s": a.epochs * words / seconds,
                               "accuracy": sum(accuracies) / len(accuracies),
                               "accuracy_min": min(accuracies), "accuracy_max": max(accuracies),
                               "asked": runs[0][1]["asked"], "skipped": runs[0][1]["skipped"],
                               "neighbours": runs[0][1]["neighbours"]}
    print(f"| system | seconds (median of {a.runs}) | words/s | analogy accuracy, mean (min-max) | "
          "you | year | car | toyota |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        near = " | ".join(", ".join(w for w, _ in r["neighbours"].get(q, [])) for q in QUERIES)
        print(f"| {name} | {r['seconds']:.1f} | {r['words_per_s']:,.0f} | "
              f"{100 * r['accuracy']:.2f} % ({100 * r['accuracy_min']:.2f}-"
              f"{100 * r['accuracy_max']:.2f}) | {near} |")
    n = results["nnzero"]
    peer = max(("fasttext", "gensim"), key=lambda k: results[k]["words_per_s"])
    print(f"\nasked {n['asked']} questions, skipped {n['skipped']} (a word not in PTB's vocabulary); "
          f"nnzero {n['words_per_s'] / results[peer]['words_per_s']:.2f}x the faster peer ({peer})")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
