#!/usr/bin/env python3
"""Time one PyTorch training step of NeuralPool.Training's models, the peer of the C# step timing.

A step is what the C# trainer does per batch: zero the gradients, forward, softmax cross-entropy
(mean over the batch), backward, and an optimizer step (SGD with momentum 0.9, lr 0.01). The input
is a random batch of 1x28x28 images (Fashion-MNIST's shape) with random labels; only time is measured.

Models: lenet and vgg-small from torch_models.py beside this script (the same layers, in the same order, as
NeuralPool.Training.Models); --pool none replaces each pooling layer by stride 2 on the convolution before it.

For each model and thread count: torch.set_num_threads(t), warm-up steps, then steps until about
--seconds seconds (at least 10); prints the median and the minimum step time in milliseconds, and the
epoch estimate (60000 images / batch steps x median).

Usage:  /usr/bin/python3 tools/reference/train_step_torch.py [--models lenet,vgg-small] [--threads 1,2]
                                                              [--batch 64] [--pool max|avg|none] [--seconds 3]
Versions used for the numbers in the report: Debian python3-torch 1.13.1 (torch 1.13.0a0), CPU.
"""

import argparse
import platform
import statistics
import time

import torch
import torch.nn as nn

from torch_models import BUILDERS  # torch_models.py beside this script


def time_steps(model, batch, threads, seconds):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(10):
        step()
    times = []
    start = time.perf_counter()
    while len(times) < 10 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, min(times) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="lenet,vgg-small")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--pool", default="max", choices=["max", "avg", "none"])
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    print(f"torch {torch.__version__}, python {platform.python_version()}, batch {args.batch}, pool {args.pool}")
    print(f"{'model':<10} {'threads':>7} {'median ms':>10} {'min ms':>8} {'epoch s':>8}")
    for name in args.models.split(","):
        for t in (int(v) for v in args.threads.split(",")):
            torch.manual_seed(0)
            med, best = time_steps(BUILDERS[name](args.pool), args.batch, t, args.seconds)
            epoch = 60000 / args.batch * med / 1e3
            print(f"{name:<10} {t:>7} {med:>10.2f} {best:>8.2f} {epoch:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
