#!/usr/bin/env python3
"""Writes the seeds of fuzz_safetensors into fuzz/corpus/safetensors/: small model files in
nnzero's layout (docs/model-files.md), a few other valid safetensors files, and bare model specs.

    python3 fuzz/make_safetensors_seeds.py
"""
import json
import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "safetensors"
SIZES = {"F32": 4, "F16": 2, "BF16": 2, "I8": 1, "I64": 8, "U8": 1}


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape)]; values 0.5, 1.5, ... (bytes 1, 2, ... if not F32)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape in tensors:
        count = 1
        for d in shape:
            count *= d
        if dtype == "F32":
            raw = struct.pack(f"<{count}f", *[i + 0.5 for i in range(count)])
        else:
            raw = bytes((i + 1) % 256 for i in range(count * SIZES[dtype]))
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + data


def spec(input_shape, layers, **extra):
    return json.dumps({"name": "seed", "input": input_shape, "layers": layers, **extra},
                      separators=(",", ":"))


def model(spec_text, tensors, metadata=None):
    return safetensors(tensors, {"nnzero.spec": spec_text, "nnzero.version": "0.1.0",
                                 **(metadata or {})})


linear = spec([3], [{"type": "linear", "out_features": 2}])
batchnorm = spec([2], [{"type": "batchnorm1d"}, {"type": "relu"},
                       {"type": "linear", "out_features": 2, "bias": False}])
conv = spec([1, 4, 4], [{"type": "conv2d", "out_channels": 1, "kernel": 3, "padding": 1},
                        {"type": "maxpool2d", "kernel": 2}, {"type": "flatten"},
                        {"type": "dropout", "p": 0.25}, {"type": "linear", "out_features": 2},
                        {"type": "softmax"}])
every_layer = spec([1, 6, 6], [
    {"type": "conv2d", "out_channels": 2, "kernel": 3, "stride": 1, "padding": 1, "init": "xavier"},
    {"type": "batchnorm2d", "eps": 1e-5, "momentum": 0.1}, {"type": "leaky_relu", "negative_slope": 0.2},
    {"type": "avgpool2d", "kernel": 2, "stride": 2, "padding": 0}, {"type": "tanh"},
    {"type": "global_avgpool2d"}, {"type": "flatten"}, {"type": "sigmoid"},
    {"type": "linear", "out_features": 3, "in_features": 2, "init": "std:0.01"}],
    loss="mse", init="he",
    train={"optimizer": "adam", "lr": 0.001, "weight_decay": 0.0001, "batch": 10, "epochs": 2,
           "max_steps": 5})

seeds = {
    # two F32 tensors and __metadata__: the smallest nnzero model file
    "linear.safetensors": model(linear, [("0.weight", "F32", [2, 3]), ("0.bias", "F32", [2])]),
    "batchnorm.safetensors": model(batchnorm, [
        ("0.weight", "F32", [2]), ("0.bias", "F32", [2]), ("0.running_mean", "F32", [2]),
        ("0.running_var", "F32", [2]), ("0.num_batches_tracked", "I64", []),
        ("2.weight", "F32", [2, 2])]),
    "conv.safetensors": model(conv, [("0.weight", "F32", [1, 1, 3, 3]), ("0.bias", "F32", [1]),
                                     ("4.weight", "F32", [2, 4]), ("4.bias", "F32", [2])]),
    # not nnzero models: other dtypes, a scalar, an empty tensor, no metadata
    "dtypes.safetensors": safetensors([("a", "F16", [2, 2]), ("b", "I64", [1]), ("c", "U8", [3]),
                                       ("scalar", "F32", []), ("empty", "F32", [0, 4])]),
    "no-tensors.safetensors": safetensors([], {"format": "pt"}),
    # a converted model (nnzero convert --dtype f16 / bf16) and an int8 one (nnzero quantize)
    "linear-f16.safetensors": model(linear, [("0.weight", "F16", [2, 3]), ("0.bias", "F16", [2])]),
    "linear-bf16.safetensors": model(linear, [("0.weight", "BF16", [2, 3]), ("0.bias", "BF16", [2])]),
    "linear-int8.safetensors": model(linear, [("0.weight", "I8", [2, 3]), ("0.bias", "F32", [2]),
                                              ("0.weight_scale", "F32", [2]),
                                              ("0.input_scale", "F32", [1])],
                                     {"nnzero.quantization": '{"scheme":"int8"}'}),
    "linear.json": linear,
    "every-layer.json": every_layer,
    # inputs that once broke the spec parser (tests/test_spec.cpp has them too)
    "regression-eps-1e39.json": spec([4], [{"type": "batchnorm1d", "eps": 1e39}]),
    "regression-lr-1e999.json": '{"input":[4],"layers":[{"type":"relu"}],"train":{"lr":1e999}}',
}
OUT.mkdir(parents=True, exist_ok=True)
for name, content in seeds.items():
    (OUT / name).write_bytes(content.encode() if isinstance(content, str) else content)
print(f"{len(seeds)} seeds in {OUT}")
