#!/usr/bin/env python3
"""The PyTorch baseline for `nnzero serve`'s load test (docs/benchmarks.md, "Serving").

A minimal HTTP server in Python that answers POST /api/predict as nnzero serve does: the
body is an image file, decoded with Pillow, turned into an MNIST sample by the same steps
(light background inverted, contrast stretched, the ink's box resized to 20 pixels by area
averaging and centred by its mass in 28 x 28), run through the same model file loaded into
PyTorch (tools/torch_interop.py), answered with the same JSON keys. Tuned so the comparison is
fair to Python: HTTP/1.1 keep-alive, TCP_NODELAY, and headers and body sent in one write
(the stock http.server sends them apart, and with Nagle's algorithm that costs about 40 ms a
request). A thread per connection (ThreadingHTTPServer); PyTorch releases the GIL while it
computes.

    /usr/bin/python3 bench/serve_pytorch.py MODEL.safetensors [--port 8090] [--threads 1]
"""
import argparse
import io
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import torch_interop  # noqa: E402


def mnist_digit(grey):
    """io/digit_preprocess.h's mnist_digit: grey levels in [0, 1] -> (28, 28) in [0, 1]."""
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    median = np.partition(border, border.size // 2)[border.size // 2]
    inverted = median > 0.5
    ink = 1.0 - grey if inverted else grey
    background = 1.0 - median if inverted else median
    peak = ink.max()
    if peak - background < 0.1:
        raise ValueError("no digit found: the image is blank")
    ink = np.clip((ink - background) / (peak - background), 0.0, 1.0)
    ys, xs = np.nonzero(ink > 0.2)
    box = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = 20.0 / max(box.shape)
    w, h = max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale))
    digit = np.asarray(Image.fromarray(box.astype(np.float32), mode="F").resize((w, h), Image.BOX))
    mass = digit.sum()
    cy = (digit.sum(axis=1) * np.arange(h)).sum() / mass if mass > 0 else (h - 1) / 2
    cx = (digit.sum(axis=0) * np.arange(w)).sum() / mass if mass > 0 else (w - 1) / 2
    ox, oy = round(14 - cx), round(14 - cy)
    out = np.zeros((28, 28), np.float32)
    for y in range(h):
        ty = y + oy
        if 0 <= ty < 28:
            x0, x1 = max(0, -ox), min(w, 28 - ox)
            if x0 < x1:
                out[ty, x0 + ox:x1 + ox] = np.clip(digit[y, x0:x1], 0.0, 1.0)
    return out


def make_handler(model, name, classes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive
        disable_nagle_algorithm = True  # TCP_NODELAY

        def log_message(self, *args):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            head = (f"HTTP/1.1 {status} {self.responses[status][0]}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
            self.wfile.write(head.encode() + data)  # one write: headers and body together

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self.path.startswith("/api/predict"):
                return self.answer(404, {"error": "not found"})
            try:
                grey = np.asarray(Image.open(io.BytesIO(body)).convert("L"), np.float32) / 255.0
                x = torch.from_numpy(mnist_digit(grey)).reshape(1, 1, 28, 28)
            except Exception as e:  # noqa: BLE001 - any undecodable body is the client's error
                return self.answer(400, {"error": str(e)})
            with torch.inference_mode():
                p = torch.softmax(model(x), dim=1)[0]
            label = int(p.argmax())
            self.answer(200, {"model": name, "label": label, "class": classes[label],
                              "probabilities": p.tolist(), "classes": classes})

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, spec, _ = torch_interop.load_model(a.model)
    if a.model.endswith("model.safetensors"):
        name = os.path.basename(os.path.dirname(os.path.abspath(a.model)))
    else:
        name = os.path.splitext(os.path.basename(a.model))[0]
    classes = [str(k) for k in range(10)]
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(model, name, classes))
    server.daemon_threads = True
    print(f"serve_pytorch: http://127.0.0.1:{a.port}/ (PyTorch {torch.__version__}, "
          f"{a.threads} thread(s))", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
