#!/usr/bin/env python3
"""Generate the PyTorch training-parity fixture in tests/fixtures/training/.

The fixture freezes ten training steps of PyTorch 1.13 on NeuralPool.Training's models, so that
tests/NeuralPool.Tests/Training/TorchParityTests.cs can replay them and compare the losses.

Models: torch_models.py beside this script (the same nn.Sequential layers as ModelZoo), with max pooling, so the
state_dict names are ModelZoo's (0.weight, 1.running_mean, ...):
  lenet      Conv2d(1, 6, 5, padding=2) ReLU MaxPool2d(2) Conv2d(6, 16, 5) ReLU MaxPool2d(2)
             Flatten Linear(400, 120) ReLU Linear(120, 84) ReLU Linear(84, 10)           61,706 parameters
  vgg-small  [Conv2d(c, 32, 3, padding=1) BatchNorm2d ReLU] x2 MaxPool2d(2)
             [Conv2d(c, 64, 3, padding=1) BatchNorm2d ReLU] x2 MaxPool2d(2)
             Flatten Linear(3136, 256) ReLU Linear(256, 10)                                871,018 parameters
No dropout and no stochastic layer; BatchNorm runs in training mode (batch statistics, running statistics updated).

Cases (one folder each, meta.json and losses.json), every loss to agree within 1e-4 relative in float32 and far
closer in float64:
  lenet-float32, lenet-float64, vgg-small-float32, vgg-small-float64
The ten batches are different ones, so the loss stays near its starting value and float32 rounding stays small: the
losses of PyTorch on 1 and on 2 threads differ by at most 1.0e-7 (lenet) and 5.1e-7 (vgg-small) relative. On one
batch repeated the loss would fall towards zero and relative rounding differences would grow with every step (most
for vgg-small in float32), and a float32 comparison would measure rounding rather than semantics.
For each case, from the same initial weights: 10 steps of SGD (lr 0.01, momentum 0.9) and 10 steps of Adam
(lr 1e-3, betas (0.9, 0.999), eps 1e-8, PyTorch's defaults). A step is zero_grad, forward, cross-entropy (mean over
the batch), backward, optimizer step; losses.json holds the loss of each step (before its update) as float64:
{"sgd": [10 values], "adam": [10 values]}. The first loss of both lists is the loss of the initial weights.

Layout of tests/fixtures/training/ (the batches and the weights are shared by the cases, which keeps the folder
near 1.2 MB):
  batches/images.npy    float32 (10, 8, 1, 28, 28): the first 80 training images of Fashion-MNIST in order, batch b
                        is images 8b..8b+7, normalised as NeuralPool.Training.Data.FashionMnist does:
                        float32(byte) / 255, then (x - float32(0.2860)) / float32(0.3530), all in float32
  batches/labels.npy    int64 (10, 8)
  weights/<model>/index.json       [{"name", "shape", "exponent", "kind": "parameter" | "buffer"}] in state_dict order
  weights/<model>/<name>.npy       int8 codes; the tensor is code * 2^-exponent, exact in float32 and float64
  <case>/meta.json, <case>/losses.json
The initial weights are PyTorch's default initialisation (torch.manual_seed(0), reset_parameters) rounded to that
per-tensor grid: exponent = floor(log2(127 / max|w|)) (0 for an all-zero tensor), code = round(w * 2^exponent). The
cases of a model share its weights, cast exactly to the case's dtype. BatchNorm's num_batches_tracked (0 at the
start; PyTorch reads it only when momentum is None) is not stored.

Versions used for the committed fixture: Debian python3-torch 1.13.1+dfsg-4 (torch.__version__ 1.13.0a0, CPU),
numpy 1.24.2, Python 3.11.2. Torch runs on one thread. Each run writes byte-identical files.

Usage:  /usr/bin/python3 tools/reference/gen_training_parity.py [output_dir] [--data /usr/share/datasets/fashion-mnist]
(deletes and recreates the output folder, by default tests/fixtures/training/)
"""

import argparse
import gzip
import json
import math
import platform
import shutil
import struct
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from torch_models import BUILDERS  # torch_models.py beside this script

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = REPO / "tests" / "fixtures" / "training"
DEFAULT_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")

BATCHES = 10
BATCH_SIZE = 8
SEED = 0
MEAN = np.float32(0.2860)
STD = np.float32(0.3530)
SGD = {"lr": 0.01, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
ADAM = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}
CASES = [("lenet-float32", "lenet", torch.float32), ("lenet-float64", "lenet", torch.float64),
         ("vgg-small-float32", "vgg-small", torch.float32), ("vgg-small-float64", "vgg-small", torch.float64)]
PARAMETER_COUNTS = {"lenet": 61706, "vgg-small": 871018}


def read_idx(path, rank, count):
    """The first `count` items of a gzipped IDX file of unsigned bytes with `rank` dimensions."""
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        if magic != 0x0800 + rank:
            raise ValueError(f"{path}: magic {magic:#x}, expected {0x0800 + rank:#x}")
        dims = struct.unpack(">" + "I" * rank, f.read(4 * rank))
        if dims[0] < count:
            raise ValueError(f"{path}: {dims[0]} items, need {count}")
        item = int(np.prod(dims[1:], dtype=np.int64))
        data = f.read(count * item)
    return np.frombuffer(data, dtype=np.uint8).reshape((count,) + tuple(dims[1:]))


def batches(data_dir):
    n = BATCHES * BATCH_SIZE
    pixels = read_idx(data_dir / "train-images-idx3-ubyte.gz", 3, n)
    labels = read_idx(data_dir / "train-labels-idx1-ubyte.gz", 1, n)
    # ToTensor (byte / 255) then Normalize((0.2860,), (0.3530,)), every operation in float32.
    x = pixels.astype(np.float32) / np.float32(255)
    x = (x - MEAN) / STD
    assert x.dtype == np.float32
    images = x.reshape(BATCHES, BATCH_SIZE, 1, 28, 28)
    return np.ascontiguousarray(images), labels.astype(np.int64).reshape(BATCHES, BATCH_SIZE)


def grid_weights(model_name):
    """PyTorch's default initialisation rounded to a per-tensor grid of 2^-exponent: [(name, kind, codes, exponent)]."""
    torch.manual_seed(SEED)
    model = BUILDERS[model_name]("max")
    count = sum(p.numel() for p in model.parameters())
    assert count == PARAMETER_COUNTS[model_name], (model_name, count)
    parameters = {name for name, _ in model.named_parameters()}
    entries = []
    for name, tensor in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        w = tensor.detach().numpy().astype(np.float64)
        peak = float(np.abs(w).max()) if w.size else 0.0
        exponent = math.floor(math.log2(127 / peak)) if peak > 0 else 0
        codes = np.round(w * 2.0 ** exponent)
        assert np.abs(codes).max(initial=0) <= 127, name
        entries.append((name, "parameter" if name in parameters else "buffer", codes.astype(np.int8), exponent))
    return entries


def build(model_name, entries, dtype):
    """The model with the grid weights, exactly, in `dtype`, in training mode."""
    model = BUILDERS[model_name]("max").to(dtype)
    state = model.state_dict()
    for name, _, codes, exponent in entries:
        values = torch.from_numpy(codes.astype(np.float64) * 2.0 ** -exponent).to(dtype)
        assert values.shape == state[name].shape, name
        state[name] = values
    model.load_state_dict(state, strict=True)
    model.train()
    return model


def train(model_name, entries, dtype, optimizer, images, labels):
    model = build(model_name, entries, dtype)
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=SGD["lr"], momentum=SGD["momentum"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=ADAM["lr"])
    losses = []
    for b in range(BATCHES):
        x = torch.from_numpy(images[b]).to(dtype)
        y = torch.from_numpy(labels[b])
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", nargs="?", default=str(DEFAULT_OUT_DIR))
    ap.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    args = ap.parse_args()
    out = Path(args.output)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    images, labels = batches(Path(args.data))
    (out / "batches").mkdir()
    np.save(out / "batches" / "images.npy", images)
    np.save(out / "batches" / "labels.npy", labels)

    weights = {}
    for model_name in BUILDERS:
        entries = grid_weights(model_name)
        weights[model_name] = entries
        folder = out / "weights" / model_name
        folder.mkdir(parents=True)
        for name, _, codes, _ in entries:
            np.save(folder / f"{name}.npy", codes)
        rows = [json.dumps({"name": name, "shape": list(codes.shape), "exponent": exponent, "kind": kind})
                for name, kind, codes, exponent in entries]
        (folder / "index.json").write_text("[\n  " + ",\n  ".join(rows) + "\n]\n")

    versions = {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version()}
    for case, model_name, dtype in CASES:
        folder = out / case
        folder.mkdir()
        losses = {opt: train(model_name, weights[model_name], dtype, opt, images, labels) for opt in ("sgd", "adam")}
        assert losses["sgd"][0] == losses["adam"][0]
        write_json(folder / "losses.json", losses)
        write_json(folder / "meta.json", {
            "case": case,
            "model": model_name,
            "pooling": "max",
            "dtype": str(dtype).replace("torch.", ""),
            "weights": f"weights/{model_name}",
            "batches": "batches",
            "batch_count": BATCHES,
            "batch_size": BATCH_SIZE,
            "normalisation": {"mean": 0.2860, "std": 0.3530},
            "init": f"torch.manual_seed({SEED}), default reset_parameters, rounded to int8 codes * 2^-exponent",
            "sgd": SGD,
            "adam": ADAM,
            "threads": 1,
            **versions,
        })
        print(f"{case}: sgd {losses['sgd'][0]:.6f} -> {losses['sgd'][-1]:.6f}, "
              f"adam {losses['adam'][0]:.6f} -> {losses['adam'][-1]:.6f}")


if __name__ == "__main__":
    main()
