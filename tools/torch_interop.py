#!/usr/bin/python3
"""nnzero model files in PyTorch, and PyTorch models as nnzero model files.

An nnzero model file is a safetensors file laid out as a PyTorch nn.Sequential built from the
model spec it carries in __metadata__["nnzero.spec"] (docs/model-files.md), for an
encoder-decoder (the spec's "seq2seq") as this script's Seq2seq module, or for a transformer
(the spec's "gpt") as this script's GPT module (nanoGPT's, with its tensor names). This script
builds that model, loads the weights and

  eval    MODEL --data DIR [--limit N]           accuracy and loss on the MNIST test set
  logits  MODEL --data DIR [--start I] [--limit N]  the model's outputs for test images
  train   --spec FILE | --like MODEL  --data DIR --out MODEL [--epochs N] [--batch N]
          [--optimizer NAME] [--lr X] [--weight-decay X] [--lr-schedule S] [--max-steps N]
          [--train-samples N] [--seed N]        trains in PyTorch, saves an nnzero model file
  convert --spec FILE --state-dict FILE.pt --out MODEL [--dtype F32|F16|BF16]
                                                 a PyTorch state_dict -> model file
  forward MODEL INPUT OUTPUT [...]               the model's outputs for the tensor "x" of INPUT
                                                 (a safetensors file), written as "y" to OUTPUT
  info    MODEL                                  the spec, the nn.Sequential, the tensors

Each command prints its result as one JSON object on the last line of stdout (logs go to
stderr), like the nnzero command. Every command takes --threads N (PyTorch's thread count).
Needs PyTorch and NumPy (Debian: python3-torch, python3-numpy) and the nnzero command (for
its layer registry: which module each layer type is); safetensors files are read and written
here with json + numpy. Run with /usr/bin/python3.

As a module (sys.path.insert(0, "tools"); import torch_interop as ti):
  model, spec, metadata = ti.load_model("model.safetensors")   # in eval mode: nn.Sequential,
                                                               # Seq2seq (encoder-decoder) or GPT
  model = ti.build_model(spec)                                 # PyTorch's initial weights
  ti.save_model(model, spec, "out.safetensors")                # spec: a dict; F16 after
                                                               # model.half(), BF16 after
                                                               # model.bfloat16()
  tensors, metadata = ti.read_safetensors(path); ti.write_safetensors(path, tensors, metadata)

Model files may store their tensors as F32, F16 or BF16 (nnzero convert --dtype); load_model
reads each into float32, as nnzero does. read_safetensors gives BF16 tensors as float32 (NumPy
has no bfloat16); write_safetensors(..., dtype="F16" | "BF16") rounds with PyTorch's own
conversion.
"""

import argparse
import gzip
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

NNZERO_VERSION = "0.1.0"

# --- safetensors: 8-byte little-endian header length, JSON header, raw little-endian data ---

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
           "BF16": np.uint16}  # NumPy has no bfloat16: its bits, widened to float32 below
_TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def _bf16_bits_to_float32(bits):
    """bfloat16 is the top half of a float32: shift the 16 bits up and read them as float32."""
    return (bits.astype("<u4") << np.uint32(16)).view("<f4")


def _as_dtype(value, dtype):
    """The array of `value` (numpy or torch) stored as `dtype`, rounded by PyTorch's own
    conversion (to nearest, ties to even); BF16 as its raw 16 bits."""
    t = value.detach().cpu() if isinstance(value, torch.Tensor) else torch.from_numpy(
        np.ascontiguousarray(np.asarray(value, dtype=np.float32)))
    t = t.to(_TORCH_DTYPES[dtype]).contiguous()
    if dtype == "BF16":
        return t.view(torch.int16).numpy().view("<u2")
    return t.numpy().astype("<f4" if dtype == "F32" else "<f2")


def read_safetensors(path):
    """Returns ({name: numpy array}, {metadata key: string})."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: truncated safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} is larger than the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, e in header.items():
        if e["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has dtype {e['dtype']}, not supported here")
        begin, end = e["data_offsets"]
        dtype = np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<")
        if not 0 <= begin <= end <= len(body) or (end - begin) != dtype.itemsize * math.prod(e["shape"]):
            raise ValueError(f"{path}: tensor {name!r} has bad data_offsets {e['data_offsets']}")
        tensors[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(e["shape"]).copy()
        if e["dtype"] == "BF16":
            tensors[name] = _bf16_bits_to_float32(tensors[name])
    return tensors, metadata


def safetensors_dtypes(path):
    """{name: dtype string} of a safetensors file's tensors ("F32", "F16", "BF16", ...)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    header.pop("__metadata__", None)
    return {name: e["dtype"] for name, e in header.items()}


def write_safetensors(path, tensors, metadata, dtype="F32"):
    """Writes {name: array or torch tensor} (in the given order) as `dtype` (F32, F16 or BF16)
    atomically: temporary file + rename."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, value in tensors.items():
        a = _as_dtype(value, dtype)
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # data starts 8-byte aligned
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".safetensors")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for b in blobs:
                f.write(b)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# --- the model spec as an nn.Sequential ---
#
# Which torch.nn module each layer type is (or BasicBlock, below), and with which constructor
# arguments, comes from nnzero's layer registry: `nnzero info SPEC` lists, for every layer,
# {"module", "args"} with the input sizes filled in (docs/model-files.md). The nnzero command
# is $NNZERO_BIN, else build/nnzero in this checkout, else `nnzero` on the PATH.

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def nnzero_binary():
    for candidate in (os.environ.get("NNZERO_BIN"), os.path.join(REPO, "build", "nnzero")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("nnzero")
    if not found:
        raise OSError("the nnzero command is needed to read model specs: build it "
                      "(scripts/test.sh) or set NNZERO_BIN")
    return found


def torch_modules(spec):
    """[(module name in torch.nn or _MODULES, constructor arguments)] for the layers of a spec
    (a dict)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    try:
        run = subprocess.run([nnzero_binary(), "info", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if run.returncode != 0:
        raise ValueError(run.stderr.strip().removeprefix("error: ").replace(path, "spec"))
    info = json.loads(run.stdout.strip().splitlines()[-1])
    return [(layer["torch"]["module"], layer["torch"]["args"]) for layer in info["layers"]]


class BasicBlock(nn.Module):
    """nnzero's residual_block (include/nnzero/layers/residual_block.h): ResNet's basic block as
    the widely used pytorch-cifar code writes it, so the tensor names are the same
    ("conv1.weight", "bn1.running_mean", "shortcut.0.weight", ...)."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def _sequence_outputs(recurrent):
    """nn.RNN / nn.LSTM / nn.GRU return (outputs, final state): in a Sequential, as nnzero's
    rnn / lstm / gru layers, they give the outputs of every step, (N, T, D*H)."""

    class Outputs(recurrent):
        def forward(self, x):
            return super().forward(x)[0]

    Outputs.__name__ = recurrent.__name__
    return Outputs


# The modules of the registry that torch.nn does not have (or has with another output).
_MODULES = {"BasicBlock": BasicBlock, "RNN": _sequence_outputs(nn.RNN),
            "LSTM": _sequence_outputs(nn.LSTM), "GRU": _sequence_outputs(nn.GRU)}


def build_sequential(spec):
    """The nn.Sequential of a model spec (a dict), module i = layer i. Weights are PyTorch's
    defaults."""
    model = nn.Sequential(*[(_MODULES.get(module) or getattr(nn, module))(**args)
                            for module, args in torch_modules(spec)])
    if spec.get("tie_weights"):  # the output layer uses the embedding's weight (V, D)
        model[-1].weight = model[0].weight
    return model


class Seq2seq(nn.Module):
    """nnzero's encoder-decoder (include/nnzero/model/seq2seq.h; book 2, chapters 7-8) from a
    spec's "seq2seq" object: submodules encoder.embed, encoder.lstm, decoder.embed,
    decoder.lstm and decoder.affine, so the state_dict names are the model file's. Input: ids
    (N, Tq + Ta - 1), the question as written then the decoder's input; output: scores
    (N, Ta - 1, V). Weights are PyTorch's defaults."""

    def __init__(self, spec):
        super().__init__()
        s = spec["seq2seq"]
        self.kind, self.reverse = s.get("decoder", "plain"), bool(s.get("reverse", False))
        self.bidirectional = bool(s.get("bidirectional", False))
        self.question, self.answer = s["question"], s["answer"]
        V, D, H = s["vocab"], s.get("wordvec", 16), s.get("hidden", 128)
        if self.kind not in ("plain", "peeky", "attention"):
            raise ValueError(f'seq2seq: unknown decoder "{self.kind}" (plain, peeky, attention)')
        if self.bidirectional and H % 2:
            raise ValueError(f"seq2seq: a bidirectional encoder needs an even hidden, got {H}")
        self.encoder = nn.Module()
        self.encoder.embed = nn.Embedding(V, D)
        self.encoder.lstm = nn.LSTM(D, H // 2 if self.bidirectional else H, batch_first=True,
                                    bidirectional=self.bidirectional)
        self.decoder = nn.Module()
        self.decoder.embed = nn.Embedding(V, D)
        self.decoder.lstm = nn.LSTM(D + (H if self.kind == "peeky" else 0), H, batch_first=True)
        self.decoder.affine = nn.Linear(H if self.kind == "plain" else 2 * H, V)

    def encode(self, questions):
        """The encoder's states hs (N, Tq, H), in the order it read them (reversed with
        "reverse"), and its summary h (N, H): the last state, or with two directions the
        forward one's last and the backward one's first (PyTorch's h_n)."""
        if self.reverse:
            questions = questions.flip(1)
        hs = self.encoder.lstm(self.encoder.embed(questions))[0]
        if self.bidirectional:
            half = hs.shape[2] // 2
            return hs, torch.cat([hs[:, -1, :half], hs[:, 0, half:]], 1)
        return hs, hs[:, -1]

    def decode(self, hs, h, ids, state=None):
        """Scores (N, T, V) for decoder inputs ids (N, T) and the LSTM state to go on from;
        the LSTM starts from (h, 0) unless given `state`."""
        if state is None:
            state = (h[None].contiguous(), torch.zeros_like(h)[None])
        out = self.decoder.embed(ids)
        peek = h[:, None].expand(-1, ids.shape[1], -1)
        if self.kind == "peeky":
            out = torch.cat([peek, out], 2)
        out, state = self.decoder.lstm(out, state)
        if self.kind == "peeky":
            out = torch.cat([peek, out], 2)
        elif self.kind == "attention":  # dot-product weights over the encoder's steps, no scaling
            a = torch.softmax(out @ hs.transpose(1, 2), dim=2)  # (N, T, Tq)
            out = torch.cat([a @ hs, out], 2)  # [context; hidden]
        return self.decoder.affine(out), state

    def forward(self, x):
        x = x.long()  # ids, stored as float32 by nnzero
        expected = self.question + self.answer - 1
        if x.dim() != 2 or x.shape[1] != expected:
            raise ValueError(f"seq2seq: expected ids (N, {expected}) (the question, then the "
                             f"decoder's input), got {list(x.shape)}")
        hs, h = self.encode(x[:, :self.question])
        return self.decode(hs, h, x[:, self.question:])[0]


class LayerNorm(nn.Module):
    """nanoGPT's LayerNorm: nn.LayerNorm with an optional bias (PyTorch < 2.1 has no
    bias=False). Weight 1, bias 0, eps 1e-5."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class KVCache:
    """Keys and values of every layer for the positions a GPT has read so far, batch `batch`:
    buffers (batch, heads, context, width / heads) filled from position 0 up to `length`."""

    def __init__(self, model, batch):
        g = model.config
        shape = (batch, g["heads"], g["context"], g["width"] // g["heads"])
        self.k = [torch.empty(shape) for _ in range(g["layers"])]
        self.v = [torch.empty(shape) for _ in range(g["layers"])]
        self.length = 0


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention: c_attn (C -> 3C: q, k, v), `heads` heads of C / heads, causal
    softmax(q k^T / sqrt(C / heads)) v, c_proj (C -> C). `attention`: "sdpa" for
    F.scaled_dot_product_attention (PyTorch >= 2.0, nanoGPT's flash path), "manual" for
    nanoGPT's explicit masked softmax, "auto" for sdpa where PyTorch has it (as nanoGPT)."""

    def __init__(self, width, heads, context, bias, attention="auto"):
        super().__init__()
        self.c_attn = nn.Linear(width, 3 * width, bias=bias)
        self.c_proj = nn.Linear(width, width, bias=bias)
        self.heads = heads
        has_sdpa = hasattr(F, "scaled_dot_product_attention")
        if attention == "auto":
            attention = "sdpa" if has_sdpa else "manual"
        if attention not in ("sdpa", "manual") or (attention == "sdpa" and not has_sdpa):
            raise ValueError(f'attention "{attention}": manual, or sdpa (PyTorch >= 2.0, this is '
                             f"{torch.__version__})")
        self.attention = attention
        # nanoGPT keeps the mask as the buffer "bias"; not saved here, so that the tensor names
        # are the parameters' only.
        self.register_buffer("mask", torch.ones(context, context, dtype=torch.bool).tril(),
                             persistent=False)

    def forward(self, x, cache=None, layer=0):
        """x (N, t, C); with `cache`, the positions before these are the cache's first
        cache.length (its keys and values are read), and this call's are stored after them."""
        B, t, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (a.view(B, t, self.heads, C // self.heads).transpose(1, 2) for a in (q, k, v))
        past = 0
        if cache is not None:
            past = cache.length
            cache.k[layer][:, :, past:past + t] = k
            cache.v[layer][:, :, past:past + t] = v
            k, v = cache.k[layer][:, :, :past + t], cache.v[layer][:, :, :past + t]
        causal = t > 1  # one new position sees every earlier one: no mask
        if self.attention == "sdpa":
            mask = self.mask[past:past + t, :past + t] if causal and past else None
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                               is_causal=causal and not past)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
            if causal:
                att = att.masked_fill(~self.mask[past:past + t, :past + t], float("-inf"))
            y = F.softmax(att, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, t, C))



# The registry's layer_norm and causal_self_attention (nnzero's layers of those names) are
# these two, as single layers of an nn.Sequential.
_MODULES.update(LayerNorm=LayerNorm, CausalSelfAttention=CausalSelfAttention)

class MLP(nn.Module):
    def __init__(self, width, bias):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width, bias=bias)
        self.gelu = nn.GELU()  # exact (erf)
        self.c_proj = nn.Linear(4 * width, width, bias=bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, width, heads, context, bias, attention="auto"):
        super().__init__()
        self.ln_1 = LayerNorm(width, bias)
        self.attn = CausalSelfAttention(width, heads, context, bias, attention)
        self.ln_2 = LayerNorm(width, bias)
        self.mlp = MLP(width, bias)

    def forward(self, x, cache=None, layer=0):
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nnzero's GPT (the spec's "gpt": vocab V, context T, layers, heads, width C, bias) as
    karpathy/nanoGPT's model.py writes it, with its tensor names: transformer.wte (V, C),
    transformer.wpe (T, C), transformer.h.<i>.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
    mlp.c_proj}, transformer.ln_f, and lm_head (no bias) tied to transformer.wte (one
    parameter; the state_dict and the model file hold it under both names). Dropout 0 (none).
    Weights are nanoGPT's initialisation, drawn in its order: N(0, 0.02^2) for linear and
    embedding weights, c_proj weights N(0, (0.02 / sqrt(2 * layers))^2), biases 0, LayerNorm
    weights 1. Input: token ids (N, t), t <= T (float ids, as nnzero stores them, are taken
    as ids); output: logits (N, t, V)."""

    def __init__(self, spec, attention="auto"):
        super().__init__()
        g = spec["gpt"]
        self.config = {"vocab": g["vocab"], "context": g["context"], "layers": g["layers"],
                       "heads": g["heads"], "width": g["width"], "bias": bool(g.get("bias", False))}
        V, T, L, H, C, bias = self.config.values()
        if C % H:
            raise ValueError(f"gpt: width {C} must be a multiple of heads {H}")
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(V, C), wpe=nn.Embedding(T, C),
            h=nn.ModuleList([Block(C, H, T, bias, attention) for _ in range(L)]),
            ln_f=LayerNorm(C, bias)))
        self.lm_head = nn.Linear(C, V, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied, as nanoGPT ties them
        self.init_weights()

    def init_weights(self):
        """nanoGPT's _init_weights and its c_proj scaling, in nanoGPT's order (so that one
        torch.manual_seed gives nanoGPT's weights)."""
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    m.weight.normal_(0.0, 0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    m.bias.zero_()
            for name, p in self.named_parameters():
                if name.endswith("c_proj.weight"):
                    p.normal_(0.0, 0.02 / math.sqrt(2 * self.config["layers"]))

    @property
    def attention(self):
        return self.transformer.h[0].attn.attention if len(self.transformer.h) else "manual"

    def forward(self, idx, cache=None, last_only=False):
        """Logits (N, t, V) for ids (N, t); only the last position's (N, 1, V) with
        `last_only`. With a KVCache the ids are the positions after cache.length, and their
        keys and values are added to it."""
        idx = idx.long()  # ids, stored as float32 by nnzero
        past = cache.length if cache is not None else 0
        if idx.dim() != 2 or past + idx.shape[1] > self.config["context"]:
            raise ValueError(f"gpt: expected ids (N, t) with t <= {self.config['context'] - past}"
                             f", got {list(idx.shape)}")
        pos = torch.arange(past, past + idx.shape[1])
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for i, block in enumerate(self.transformer.h):
            x = block(x, cache, i)
        if cache is not None:
            cache.length += idx.shape[1]
        x = self.transformer.ln_f(x)
        return self.lm_head(x[:, -1:] if last_only else x)

    def generate_steps(self, idx, max_new_tokens, temperature=1.0, top_k=None, kv_cache=False):
        """nanoGPT's generate, one token at a time: yields the ids (N, t + i) after each new
        token, drawn with torch.multinomial from softmax(logits / temperature) (the top_k
        largest only, if given). Without kv_cache every token re-reads the last T ids (at most)
        as nanoGPT does. With kv_cache each token reads only the newest id against the cached
        keys and values; when the cache is full (T positions), it restarts from the last T // 2
        ids (positions 0..T/2-1 again), so the context is T/2 to T ids from there on, not
        always T as without the cache."""
        T = self.config["context"]
        cache = KVCache(self, idx.shape[0]) if kv_cache else None
        for i in range(max_new_tokens):
            if not kv_cache:
                logits = self(idx[:, -T:], last_only=True)
            else:
                if i == 0:
                    feed = idx[:, -T:]  # the prompt (its last T ids)
                elif cache.length == T:  # full: start again from the last T // 2 ids
                    cache.length, feed = 0, idx[:, -max(1, T // 2):]
                else:
                    feed = idx[:, -1:]
                logits = self(feed, cache, last_only=True)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.shape[-1]))
                logits[logits < v[:, [-1]]] = -float("inf")
            idx_next = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
            yield idx

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, kv_cache=False):
        """nanoGPT's generate (see generate_steps): ids (N, t) -> (N, t + max_new_tokens)."""
        for idx in self.generate_steps(idx, max_new_tokens, temperature, top_k, kv_cache):
            pass
        return idx

    @staticmethod
    def from_nanogpt_state(state):
        """A nanoGPT checkpoint's state_dict (ckpt["model"]) with torch.compile's "_orig_mod."
        prefix taken off and the attention masks (the buffers "...attn.bias", saved by
        nanoGPT's slow-attention path) left out."""
        state = {k.removeprefix("_orig_mod."): v for k, v in state.items()}
        return {k: v for k, v in state.items() if not k.endswith(".attn.bias")}


def build_model(spec):
    """The PyTorch model of a spec (a dict): Seq2seq for an encoder-decoder ("seq2seq"), GPT
    for a transformer ("gpt"), else build_sequential's nn.Sequential. Weights are PyTorch's
    defaults (GPT: nanoGPT's initialisation, which its constructor draws)."""
    if "seq2seq" in spec:
        return Seq2seq(spec)
    return GPT(spec) if "gpt" in spec else build_sequential(spec)


def reads_token_ids(model):
    """Whether the model's input is token ids (an embedding first, an encoder-decoder or a
    GPT)."""
    return isinstance(model, (Seq2seq, GPT)) or (isinstance(model, nn.Sequential) and len(model) > 0
                                                 and isinstance(model[0], nn.Embedding))


def init_weights(model, spec):
    """nnzero's initialisation: weights N(0, s^2) with s from the spec's init (he:
    sqrt(2/fan_in), xavier: sqrt(1/fan_in), std:s), biases zero, BatchNorm 1 and 0. An
    embedding's fan_in is 1; a recurrent layer's weight_ih has its input size, weight_hh H."""
    def std_of(init, fan_in):
        return (math.sqrt(2.0 / fan_in) if init == "he" else
                math.sqrt(1.0 / fan_in) if init == "xavier" else float(init[4:]))

    if isinstance(model, GPT):  # nanoGPT's initialisation
        model.init_weights()
        return
    if isinstance(model, Seq2seq):  # as src/model/seq2seq.cpp: embeddings N(0, 0.01^2)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, nn.Embedding):
                    m.weight.normal_(0.0, 0.01)
                elif isinstance(m, (nn.LSTM, nn.Linear)):
                    for name, p in m.named_parameters():
                        if name.startswith("weight"):
                            p.normal_(0.0, std_of(spec.get("init", "he"), p.shape[1]))
                        else:
                            p.zero_()
        return

    for layer, raw in zip(model, spec["layers"]):
        if spec.get("tie_weights") and layer is model[-1]:
            layer.bias.data.zero_()  # its weight is the embedding's, initialised already
            continue
        init = raw.get("init") or spec.get("init", "he")
        for m in layer.modules():  # a residual block's convolutions too
            with torch.no_grad():
                if isinstance(m, nn.Embedding):
                    m.weight.normal_(0.0, std_of(init, 1))
                elif isinstance(m, nn.RNNBase):
                    for name, p in m.named_parameters():
                        if name.startswith("weight"):
                            p.normal_(0.0, std_of(init, p.shape[1]))
                        else:
                            p.zero_()
                elif isinstance(m, (nn.Linear, nn.Conv2d)):
                    m.weight.normal_(0.0, std_of(init, m.weight[0].numel()))
                    if m.bias is not None:
                        m.bias.zero_()


def freeze(model, spec):
    """The layers the spec freezes ("trainable": false): their parameters get no gradient.
    Returns them, for train() to keep in evaluation mode."""
    frozen = [m for m, raw in zip(model, spec["layers"]) if raw.get("trainable") is False]
    for m in frozen:
        m.requires_grad_(False)
    return frozen


def load_model(path):
    """(model in eval mode, spec dict, metadata dict) of an nnzero model file: an nn.Sequential,
    a Seq2seq for an encoder-decoder or a GPT. A tied weight (tie_weights, GPT's lm_head) is in
    the file under both names, with the same values."""
    tensors, metadata = read_safetensors(path)
    if "nnzero.spec" not in metadata:
        raise ValueError(f"{path}: no 'nnzero.spec' in __metadata__ (not an nnzero model file)")
    spec = json.loads(metadata["nnzero.spec"])
    model = build_model(spec)
    state = model.state_dict()
    unexpected = [k for k in tensors if k not in state]
    if unexpected:
        raise ValueError(f"{path}: tensors not in the spec: {unexpected}")
    for k, v in state.items():
        if k.endswith("num_batches_tracked"):
            continue
        if k not in tensors:
            raise ValueError(f"{path}: missing tensor {k!r}")
        if tuple(tensors[k].shape) != tuple(v.shape):
            raise ValueError(f"{path}: tensor {k!r} has shape {list(tensors[k].shape)}, "
                             f"the spec needs {list(v.shape)}")
        state[k] = torch.from_numpy(tensors[k].astype(np.float32))
    first_name = {}  # one parameter under two names: the file's two copies must agree
    for k, v in model.state_dict().items():
        other = first_name.setdefault(v.data_ptr(), k)
        if other != k and v.numel() and not np.array_equal(tensors[other], tensors[k]):
            raise ValueError(f"{path}: tensors {other!r} and {k!r} are one tied weight, but "
                             "differ in the file")
    model.load_state_dict(state)
    return model.eval(), spec, metadata


def dtype_of(tensors):
    """F16 or BF16 when every torch tensor given is float16 or bfloat16, else F32."""
    own = {t.dtype for t in tensors}
    return {torch.float16: "F16", torch.bfloat16: "BF16"}.get(own.pop(), "F32") \
        if len(own) == 1 else "F32"


def save_model(model, spec, path, extra_metadata=None, dtype=None):
    """Writes the model built from `spec` (build_model: an nn.Sequential, Seq2seq or GPT) as an
    nnzero model file: tensors named as its state_dict (without num_batches_tracked), spec and
    version in the metadata. `dtype` is F32, F16 or BF16; by default the model's own (F16 after
    model.half(), BF16 after model.bfloat16(), else F32)."""
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    dtype = dtype or dtype_of(state.values())
    metadata = dict(extra_metadata or {})
    metadata["nnzero.spec"] = json.dumps(spec, separators=(",", ":"))
    metadata["nnzero.version"] = NNZERO_VERSION
    metadata["nnzero.producer"] = f"tools/torch_interop.py (PyTorch {torch.__version__})"
    write_safetensors(path, state, metadata, dtype)


# --- MNIST-format data: four IDX files, raw or .gz ---

def _read_idx(folder, base):
    for name in (base, base + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            if len(data) < 4 or data[:3] != b"\0\0\x08":
                raise ValueError(f"{path}: not an IDX file of unsigned bytes")
            dims = struct.unpack(">" + "I" * data[3], data[4:4 + 4 * data[3]])
            return np.frombuffer(data, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)
    raise FileNotFoundError(f"{os.path.join(folder, base)}: missing (also tried .gz)")


def load_mnist(folder, split):
    """(images uint8 (N, 28, 28), labels int64 (N,)) of split 'train' or 't10k'."""
    images = _read_idx(folder, f"{split}-images-idx3-ubyte")
    labels = _read_idx(folder, f"{split}-labels-idx1-ubyte").astype(np.int64)
    return images, labels


def as_input(images, spec):
    """uint8 images -> float32 tensor (N, input...) in [0, 1], scaled as nnzero scales them."""
    x = images.astype(np.float32) * np.float32(1.0 / 255.0)
    return torch.from_numpy(x.reshape((len(images),) + tuple(spec["input"])))


@torch.no_grad()
def outputs(model, x, batch=500):
    model.eval()
    return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def evaluate(model, spec, images, labels):
    y = outputs(model, as_input(images, spec))
    t = torch.from_numpy(labels)
    return {"samples": len(labels), "accuracy": (y.argmax(1) == t).double().mean().item(),
            "loss": F.cross_entropy(y.double(), t).item()}


# --- training in PyTorch ---

def make_optimizer(name, model, lr, weight_decay):
    # nnzero decays weights only (not biases or BatchNorm), adding lambda * W to the gradient.
    decay = [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    ids = {id(p) for p in decay}
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": [p for p in model.parameters() if id(p) not in ids], "weight_decay": 0.0}]
    lr = lr or (0.001 if name == "adam" else 0.01)  # nnzero's defaults
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=name == "nesterov")
    if name == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr, eps=1e-7)
    if name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=0.99, eps=1e-7)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, eps=1e-7)
    raise ValueError(f"unknown optimizer {name!r} (sgd, momentum, nesterov, adagrad, rmsprop, adam)")


def lr_factor(schedule, steps_done, total_steps):
    """nnzero's learning-rate schedules (include/nnzero/train/lr_schedule.h)."""
    if schedule == "cosine" and total_steps > 0:
        return 0.5 * (1.0 + math.cos(math.pi * min(max(steps_done / total_steps, 0.0), 1.0)))
    if schedule not in ("constant", "cosine"):
        raise ValueError(f'unknown learning-rate schedule "{schedule}" (known: constant, cosine)')
    return 1.0


def train(spec, data, epochs, batch, optimizer, lr, weight_decay, max_steps, train_samples, seed,
          lr_schedule="constant"):
    if (spec.get("loss", "softmax_cross_entropy") != "softmax_cross_entropy" or "seq2seq" in spec
            or "gpt" in spec):
        raise ValueError("this script trains classifiers (loss softmax_cross_entropy) on MNIST")
    torch.manual_seed(seed)
    model = build_sequential(spec)
    init_weights(model, spec)
    frozen = freeze(model, spec)
    images, labels = load_mnist(data, "train")
    if train_samples:
        images, labels = images[:train_samples], labels[:train_samples]
    x, t = as_input(images, spec), torch.from_numpy(labels)
    opt = make_optimizer(optimizer, model, lr, weight_decay)
    base_lr = opt.param_groups[0]["lr"]
    total = epochs * ((len(x) + batch - 1) // batch)
    total = min(total, max_steps) if max_steps else total
    lr_factor(lr_schedule, 0, total)  # an unknown name fails before training
    gen = torch.Generator().manual_seed(seed)
    steps, start = 0, time.time()
    for epoch in range(epochs):
        model.train()
        for m in frozen:
            m.eval()  # a frozen BatchNorm keeps its running statistics, as in nnzero
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), t[idx])
            loss.backward()
            for group in opt.param_groups:
                group["lr"] = base_lr * lr_factor(lr_schedule, steps, total)
            opt.step()
            steps += 1
            if max_steps and steps >= max_steps:
                break
        print(f"epoch {epoch + 1}/{epochs}: {steps} steps, last loss {loss.item():.4f}",
              file=sys.stderr)
        if max_steps and steps >= max_steps:
            break
    return model.eval(), {"epochs": epoch + 1, "steps": steps, "seconds": time.time() - start}


# --- the command line ---

def _print(result):
    print(json.dumps(result), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="PyTorch threads (default: its own)")
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("eval", "logits"):
        p = sub.add_parser(name)
        p.add_argument("model")
        p.add_argument("--data", required=True, help="folder with the MNIST-format IDX files")
        p.add_argument("--start", type=int, default=0, help="first test image")
        p.add_argument("--limit", type=int, default=0, help="number of test images (0: all)")
    p = sub.add_parser("train")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--spec", help="model spec (JSON file)")
    g.add_argument("--like", help="take the spec of this model file")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True, help="model file to write")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--optimizer")
    p.add_argument("--lr", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--lr-schedule", choices=["constant", "cosine"])
    p.add_argument("--max-steps", type=int)
    p.add_argument("--train-samples", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("convert")
    p.add_argument("--spec", required=True)
    p.add_argument("--state-dict", required=True, help="torch.save(model.state_dict(), FILE)")
    p.add_argument("--out", required=True)
    p.add_argument("--dtype", choices=["F32", "F16", "BF16"],
                   help="dtype of the file (default: the state dict's, F16 after .half())")
    p = sub.add_parser("forward")
    p.add_argument("triples", nargs="+", metavar="MODEL INPUT OUTPUT",
                   help="model file, safetensors file holding 'x', file to write 'y' to")
    p.add_argument("--train", action="store_true", help="training mode (BatchNorm, dropout)")
    p = sub.add_parser("info")
    p.add_argument("model")
    a = ap.parse_args(argv)
    # Inside a --threads 1 process nothing else should start threads either.
    if a.threads:
        torch.set_num_threads(a.threads)

    if a.command in ("eval", "logits"):
        model, spec, _ = load_model(a.model)
        if isinstance(model, (Seq2seq, GPT)):
            raise ValueError(f"{a.model}: a sequence model, not an MNIST classifier "
                             "(use forward)")
        images, labels = load_mnist(a.data, "t10k")
        end = a.start + a.limit if a.limit else len(images)
        images, labels = images[a.start:end], labels[a.start:end]
        result = {"model": spec.get("name", "model"), "file": a.model}
        if a.command == "eval":
            result.update(evaluate(model, spec, images, labels))
        else:
            y = outputs(model, as_input(images, spec))
            result.update({"samples": len(labels), "labels": labels.tolist(),
                           "logits": y.double().tolist()})
        _print(result)
    elif a.command == "train":
        if a.spec:
            with open(a.spec) as f:
                spec = json.load(f)
        else:
            spec = load_model(a.like)[1]
        d = spec.get("train", {})
        pick = lambda flag, key, default: flag if flag is not None else d.get(key, default)
        epochs = pick(a.epochs, "epochs", 1)
        max_steps = pick(a.max_steps, "max_steps", 0)
        model, r = train(spec, a.data, epochs, pick(a.batch, "batch", 100),
                         pick(a.optimizer, "optimizer", "sgd"), pick(a.lr, "lr", 0.0),
                         pick(a.weight_decay, "weight_decay", 0.0), max_steps,
                         a.train_samples, a.seed, pick(a.lr_schedule, "lr_schedule", "constant"))
        save_model(model, spec, a.out)
        images, labels = load_mnist(a.data, "t10k")
        test = evaluate(model, spec, images, labels)
        _print({"model": spec.get("name", "model"), "out": a.out, **r,
                "test_acc": test["accuracy"], "test_loss": test["loss"]})
    elif a.command == "forward":
        if len(a.triples) % 3:
            raise ValueError("forward takes MODEL INPUT OUTPUT triples")
        for model_path, x_path, y_path in zip(*[iter(a.triples)] * 3):
            model = load_model(model_path)[0].train(a.train)
            x = torch.from_numpy(read_safetensors(x_path)[0]["x"])
            if reads_token_ids(model):
                x = x.long()  # token ids, stored as float32 by nnzero
            with torch.no_grad():
                y = model(x)
            write_safetensors(y_path, {"y": y.numpy()}, {})
        _print({"models": len(a.triples) // 3})
    elif a.command == "convert":
        with open(a.spec) as f:
            spec = json.load(f)
        model = build_model(spec)
        state = torch.load(a.state_dict, map_location="cpu")
        if isinstance(model, GPT):  # a nanoGPT checkpoint's ckpt["model"] works as it is
            state = GPT.from_nanogpt_state(state)
        model.load_state_dict(state, strict=False)
        missing = [k for k in model.state_dict() if k not in state and not k.endswith("num_batches_tracked")]
        unexpected = [k for k in state if k not in model.state_dict()]
        if missing or unexpected:
            raise ValueError(f"{a.state_dict}: missing {missing}, not in the spec {unexpected}")
        floats = [v for v in state.values() if torch.is_tensor(v) and v.is_floating_point()]
        save_model(model, spec, a.out, dtype=a.dtype or dtype_of(floats))
        _print({"model": spec.get("name", "model"), "out": a.out,
                "tensors": len(model.state_dict())})
    else:
        model, spec, metadata = load_model(a.model)
        print(model, file=sys.stderr)
        _print({"model": spec.get("name", "model"), "file": a.model, "spec": spec,
                "metadata": {k: v for k, v in metadata.items() if k != "nnzero.spec"},
                "tensors": {k: list(v.shape) for k, v in model.state_dict().items()}})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, OSError, KeyError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
