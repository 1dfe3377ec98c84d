#!/usr/bin/env python3
"""Train NeuralPool.Training's models with PyTorch on Fashion-MNIST: the peer of `neuralpool train`.

The same run as `neuralpool train --model M --pool P --optimizer adam --lr 1e-3 --batch-size B
--threads T --epochs E`: the same layers in the same order (torch_models.py beside this script,
and src/NeuralPool.Training/README.md), the same data (Debian's dataset-fashion-mnist, the four gzipped
IDX files in /usr/share/datasets/fashion-mnist), the same normalisation (byte / 255, then
(x - 0.2860) / 0.3530), mini-batches of a shuffled training set with a smaller last batch
(DataLoader(shuffle=True, drop_last=False)), Adam with PyTorch's defaults, softmax cross-entropy.

Per epoch it prints the mean training loss over the epoch's images, the test accuracy after the
epoch, and the epoch's training time (wall clock of the training loop only, evaluation excluded),
measured the way the C# trainer measures it. The shuffling and the initial weights come from
torch's own generator (torch.manual_seed(seed)), so accuracies differ from NeuralPool's run of the
same seed by the usual seed-to-seed spread; the epoch time is the comparison that matters.

The batches are indexed from tensors already in memory (no DataLoader worker processes), which is
the fastest way to feed PyTorch a data set of this size and what the C# trainer does too.

Usage:  /usr/bin/python3 tools/reference/train_torch.py [--model lenet|vgg-small] [--pool max|avg|lp|none]
            [--epochs 5] [--batch-size 64] [--threads 2] [--seed 1] [--lr 1e-3] [--limit N] [--json FILE]
Versions used for the numbers in docs/training.md: Debian python3-torch 1.13.1 (torch 1.13.0a0), CPU.
"""

import argparse
import gzip
import json
import os
import platform
import struct
import time

import numpy as np
import torch
import torch.nn as nn

from torch_models import BUILDERS, POOLING  # torch_models.py beside this script

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def read_idx(path, rank, limit=None):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        if magic != 0x0800 + rank:
            raise SystemExit(f"{path}: not an unsigned-byte IDX file of rank {rank} (magic {magic:#x})")
        dims = struct.unpack(">" + "I" * rank, f.read(4 * rank))
        count = dims[0] if limit is None else min(limit, dims[0])
        size = int(np.prod(dims[1:])) if rank > 1 else 1
        data = np.frombuffer(f.read(count * size), dtype=np.uint8)
        if data.size != count * size:
            raise SystemExit(f"{path}: truncated")
        return data.reshape((count,) + tuple(dims[1:]))


def load(split, folder, limit):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), 3, limit)
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), 1, limit)
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255))
    x = ((x - MEAN) / STD).unsqueeze(1).contiguous()
    return x, torch.from_numpy(labels.astype(np.int64))


def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return 100.0 * correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="lenet", choices=["lenet", "vgg-small"])
    ap.add_argument("--pool", default="max", choices=POOLING)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--json", default=None, help="write the per-epoch results to this file")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, train_y = load("train", args.data, args.limit)
    test_x, test_y = load("test", args.data, args.limit)
    model = BUILDERS[args.model](args.pool)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    params = sum(p.numel() for p in model.parameters())
    print(f"torch {torch.__version__}, python {platform.python_version()}, {platform.processor() or platform.machine()}")
    print(f"{args.model}, {args.pool} pooling: {params:,} parameters; Adam(lr={args.lr}); batch {args.batch_size}, "
          f"{args.threads} threads, seed {args.seed}; {len(train_x)} training, {len(test_x)} test images")
    print(f"{'epoch':>5} {'train loss':>10} {'test acc %':>10} {'time s':>7} {'images/s':>9}")
    results = []
    model.train()
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(train_x))
        total = 0.0
        start = time.perf_counter()
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            x, y = train_x[idx], train_y[idx]
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        acc = accuracy(model, test_x, test_y)
        row = {"epoch": epoch, "train_loss": total / len(train_x), "test_accuracy": acc, "seconds": seconds,
               "images_per_second": len(train_x) / seconds}
        results.append(row)
        print(f"{epoch:>5} {row['train_loss']:>10.4f} {acc:>10.2f} {seconds:>7.2f} {row['images_per_second']:>9.0f}",
              flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "model": args.model, "pool": args.pool, "threads": args.threads,
                       "batch_size": args.batch_size, "seed": args.seed, "parameters": params, "epochs": results},
                      f, indent=1)


if __name__ == "__main__":
    main()
