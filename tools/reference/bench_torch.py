#!/usr/bin/env python3
"""Time PyTorch's CPU pooling on NeuralPool's benchmark suite (the PyTorch peer of bench/NeuralPool.Bench).

For every case of suite.json (torch.nn.functional op names and attributes), every layout and every
thread count it checks torch's result against a NumPy reference computed here (vectorized over
outputs, one pass per window tap, sums in float64), then times torch: warm-up, then single calls
until about 0.5 s (at least 5), median.

Layouts: 4-D cases run contiguous (nchw) and torch.channels_last (nhwc); 5-D cases contiguous
(ncdhw) and torch.channels_last_3d (ndhwc). 3-D (1-d pooling) cases run ncl only: torch has no
channels-last memory format for 3-D tensors (a transposed view would only time a hidden copy).

Backward: the pooling backward kernel alone, called directly as an ATen op with precomputed
forward results -- torch.ops.aten.max_pool2d_with_indices_backward(grad_output, input, ..., indices)
and torch.ops.aten.avg_pool2d_backward(grad_output, input, ...) (3d variants; 1-d pooling through the
2d ops on an unsqueezed view, as torch does itself). This is what NeuralPool's MaxPool.Backward /
AvgPool.Backward compute (indices given, gradient written), with no autograd graph, no forward
recomputation and no `(out * grad).sum()` in the timed region; autograd.grad would add the graph
bookkeeping and a grad-of-sum expand on top of the same kernel.

Output: a table on stdout and, with --json FILE, a JSON array with one object per case/layout/threads:
{"case", "layout", "threads", "pass", "ms", "gbps", "torch_ms", "min_ms", "check"} where ms == torch_ms
(torch's median call) and min_ms is the fastest call, gbps is the data moved (input read + output written [+ 8-byte indices]; backward:
grad_output [+ indices] read + grad_input written) per second, and pass is torch vs the reference.

Usage:  /usr/bin/python3 tools/reference/bench_torch.py [--suite FILE] [--threads 1,2] [--json FILE]
                                                         [--filter NAME[,NAME]] [--quick]
"""

import argparse
import json
import math
import platform
import statistics
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SUITE = REPO.parent / "shared" / "bench" / "suite.json"

RTOL, ATOL = 1e-4, 1e-5


# --------------------------------------------------------------------------------------
# Suite
# --------------------------------------------------------------------------------------

def expand(v, n, default=None):
    if v is None:
        return None if default is None else [default] * n
    if isinstance(v, int):
        return [v] * n
    v = list(v)
    return v * n if len(v) == 1 else v


class Case:
    def __init__(self, d):
        self.name = d["name"]
        self.op = d["op"]
        self.shape = list(d["shape"])
        self.backward = d.get("pass", "forward") == "backward"
        a = d.get("attributes", {})
        self.rank = int(self.op[-2])
        base = self.op[:-2]
        self.kind = {"max_pool": "max", "avg_pool": "avg",
                     "adaptive_max_pool": "adaptive_max", "adaptive_avg_pool": "adaptive_avg"}[base]
        r = self.rank
        self.is_max = self.kind in ("max", "adaptive_max")
        self.adaptive = self.kind.startswith("adaptive")
        self.return_indices = bool(a.get("return_indices", False))
        if self.adaptive:
            self.output_size = expand(a["output_size"], r)
        else:
            self.kernel = expand(a["kernel_size"], r)
            self.stride = expand(a.get("stride"), r) or list(self.kernel)
            self.padding = expand(a.get("padding"), r, 0)
            self.dilation = expand(a.get("dilation"), r, 1)
            self.ceil_mode = bool(a.get("ceil_mode", False))
            self.count_include_pad = bool(a.get("count_include_pad", True))
            self.divisor_override = a.get("divisor_override")

    @property
    def layouts(self):
        return {1: ["ncl"], 2: ["nchw", "nhwc"], 3: ["ncdhw", "ndhwc"]}[self.rank]

    def out_spatial(self):
        if self.adaptive:
            return list(self.output_size)
        out = []
        for i in range(self.rank):
            n, k, s, p, d = self.shape[2 + i], self.kernel[i], self.stride[i], self.padding[i], self.dilation[i]
            o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if self.ceil_mode else 0)) // s + 1
            if self.ceil_mode and (o - 1) * s >= n + p:
                o -= 1
            out.append(o)
        return out


# --------------------------------------------------------------------------------------
# Inputs (deterministic: numpy RandomState seeded with the CRC32 of the case name)
# --------------------------------------------------------------------------------------

def make_input(case):
    rng = np.random.RandomState(zlib.crc32(case.name.encode()))
    # Multiples of 1/64 in [-4, 4): max windows hold ties, so the first-maximum rule is exercised.
    return (rng.randint(-256, 256, size=case.shape).astype(np.float32) / np.float32(64))


def make_grad(case, out_shape):
    rng = np.random.RandomState(zlib.crc32((case.name + "/grad").encode()))
    return rng.uniform(-1, 1, size=out_shape).astype(np.float32)


# --------------------------------------------------------------------------------------
# NumPy reference: spatial axes padded to 3 (D, H, W); one vectorized pass per window tap
# --------------------------------------------------------------------------------------

def to5(a, rank):
    return a.reshape(a.shape[:2] + (1,) * (3 - rank) + a.shape[2:])


def axes3(case):
    """Per axis (D, H, W): (in, out, k, s, p, d)."""
    lead = 3 - case.rank
    ins = [1] * lead + case.shape[2:]
    outs = [1] * lead + case.out_spatial()
    if case.adaptive:
        return ins, outs, None
    k = [1] * lead + case.kernel
    s = [1] * lead + case.stride
    p = [0] * lead + case.padding
    d = [1] * lead + case.dilation
    return ins, outs, (k, s, p, d)


def reference_forward(case, x):
    """Logical reference output (float64) and, for max, plane-local indices (int64)."""
    ins, outs, params = axes3(case)
    x5 = to5(x, case.rank)
    N, C = x.shape[:2]
    if case.adaptive:
        val = np.empty((N, C) + tuple(outs), np.float64)
        idx = np.empty((N, C) + tuple(outs), np.int64) if case.is_max else None
        bins = [[(o * n // m, -((-(o + 1) * n) // m)) for o in range(m)] for n, m in zip(ins, outs)]
        for od, (d0, d1) in enumerate(bins[0]):
            for oh, (h0, h1) in enumerate(bins[1]):
                for ow, (w0, w1) in enumerate(bins[2]):
                    blk = x5[:, :, d0:d1, h0:h1, w0:w1].astype(np.float64)
                    if case.is_max:
                        flat = blk.reshape(N, C, -1)
                        # first maximum, or the last NaN
                        nan = np.isnan(flat)
                        am = np.where(nan.any(-1), flat.shape[-1] - 1 - np.argmax(nan[..., ::-1], -1),
                                      np.argmax(np.where(nan, -np.inf, flat), -1))
                        val[:, :, od, oh, ow] = np.take_along_axis(flat, am[..., None], -1)[..., 0]
                        bd, bh, bw = blk.shape[2:]
                        ld, lh, lw = am // (bh * bw), am // bw % bh, am % bw
                        idx[:, :, od, oh, ow] = ((d0 + ld) * ins[1] + h0 + lh) * ins[2] + w0 + lw
                    else:
                        val[:, :, od, oh, ow] = blk.mean(axis=(2, 3, 4))
        shape = (N, C) + tuple(case.out_spatial())
        return val.reshape(shape), (idx.reshape(shape) if idx is not None else None)

    k, s, p, d = params
    fill = -np.inf if case.is_max else 0.0
    pad = []
    for i in range(3):
        need = (outs[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1  # extent from -p to the last tap
        pad.append((p[i], max(p[i], need - ins[i] - p[i])))
    xp = np.pad(x5.astype(np.float64), [(0, 0), (0, 0)] + pad, constant_values=fill)
    starts = [np.arange(outs[i]) * s[i] - p[i] for i in range(3)]
    acc = np.full((N, C) + tuple(outs), fill, np.float64)
    idx = np.full((N, C) + tuple(outs), -1, np.int64) if case.is_max else None
    for td in range(k[0]):
        for th in range(k[1]):
            for tw in range(k[2]):
                o0, o1, o2 = td * d[0], th * d[1], tw * d[2]
                v = xp[:, :, o0:o0 + (outs[0] - 1) * s[0] + 1:s[0],
                       o1:o1 + (outs[1] - 1) * s[1] + 1:s[1],
                       o2:o2 + (outs[2] - 1) * s[2] + 1:s[2]]
                if case.is_max:
                    pd_, ph_, pw_ = starts[0] + o0, starts[1] + o1, starts[2] + o2
                    inside = ((pd_ >= 0) & (pd_ < ins[0]))[:, None, None] & ((ph_ >= 0) & (ph_ < ins[1]))[None, :, None] \
                        & ((pw_ >= 0) & (pw_ < ins[2]))[None, None, :]
                    at = (pd_[:, None, None] * ins[1] + ph_[None, :, None]) * ins[2] + pw_[None, None, :]
                    take = inside & ((idx < 0) | (v > acc) | np.isnan(v))
                    acc = np.where(take, v, acc)
                    idx = np.where(take, at, idx)
                else:
                    acc += v
    if case.is_max:
        return acc.reshape((N, C) + tuple(case.out_spatial())), idx.reshape((N, C) + tuple(case.out_spatial()))
    return (acc / avg_divisor(case, ins, outs, params)).reshape((N, C) + tuple(case.out_spatial())), None


def avg_divisor(case, ins, outs, params):
    k, s, p, _ = params
    if case.divisor_override:
        return float(case.divisor_override)
    sizes = []
    for i in range(3):
        start = np.arange(outs[i]) * s[i] - p[i]
        end = np.minimum(start + k[i], ins[i] + p[i])
        if case.count_include_pad:
            sizes.append(end - start)
        else:
            sizes.append(np.minimum(end, ins[i]) - np.maximum(start, 0))
    return (sizes[0][:, None, None] * sizes[1][None, :, None] * sizes[2][None, None, :]).astype(np.float64)


def reference_backward(case, x, gout, ref_idx):
    """Logical reference grad_input (float64)."""
    N, C = x.shape[:2]
    plane = int(np.prod(x.shape[2:]))
    if case.is_max:
        rows = np.repeat(np.arange(N * C, dtype=np.int64), gout[0, 0].size)
        flat = rows * plane + ref_idx.reshape(-1)
        return np.bincount(flat, weights=gout.reshape(-1).astype(np.float64), minlength=N * C * plane).reshape(x.shape)
    ins, outs, params = axes3(case)
    g5 = to5(gout, case.rank).astype(np.float64)
    if case.adaptive:
        gin = np.zeros((N, C) + tuple(ins), np.float64)
        bins = [[(o * n // m, -((-(o + 1) * n) // m)) for o in range(m)] for n, m in zip(ins, outs)]
        for od, (d0, d1) in enumerate(bins[0]):
            for oh, (h0, h1) in enumerate(bins[1]):
                for ow, (w0, w1) in enumerate(bins[2]):
                    cnt = (d1 - d0) * (h1 - h0) * (w1 - w0)
                    gin[:, :, d0:d1, h0:h1, w0:w1] += (g5[:, :, od, oh, ow] / cnt)[..., None, None, None]
        return gin.reshape(x.shape)
    k, s, p, d = params
    share = g5 / avg_divisor(case, ins, outs, params)
    pad = []
    for i in range(3):
        need = (outs[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1
        pad.append((p[i], max(p[i], need - ins[i] - p[i])))
    gp = np.zeros((N, C) + tuple(ins[i] + pad[i][0] + pad[i][1] for i in range(3)), np.float64)
    for td in range(k[0]):
        for th in range(k[1]):
            for tw in range(k[2]):
                o0, o1, o2 = td * d[0], th * d[1], tw * d[2]
                gp[:, :, o0:o0 + (outs[0] - 1) * s[0] + 1:s[0],
                   o1:o1 + (outs[1] - 1) * s[1] + 1:s[1],
                   o2:o2 + (outs[2] - 1) * s[2] + 1:s[2]] += share
    gin = gp[:, :, pad[0][0]:pad[0][0] + ins[0], pad[1][0]:pad[1][0] + ins[1], pad[2][0]:pad[2][0] + ins[2]]
    return gin.reshape(x.shape)


def close(actual, expected):
    a = actual.astype(np.float64)
    bad = ~((np.abs(a - expected) <= ATOL + RTOL * np.abs(expected)) | (np.isnan(a) & np.isnan(expected)))
    return bad


def first_bad(bad, actual, expected, what):
    n = int(bad.sum())
    if n == 0:
        return None
    pos = np.unravel_index(int(np.argmax(bad.reshape(-1))), bad.shape)
    return f"{n} mismatches; first {what} {list(map(int, pos))}: {actual[pos]!r} vs reference {expected[pos]!r}"


# --------------------------------------------------------------------------------------
# torch calls
# --------------------------------------------------------------------------------------

def memory_format(layout):
    return {"nhwc": torch.channels_last, "ndhwc": torch.channels_last_3d}.get(layout, torch.contiguous_format)


def forward_fn(case, x):
    r = case.rank
    if case.kind == "max":
        f = getattr(F, f"max_pool{r}d")
        return lambda: f(x, case.kernel, case.stride, case.padding, case.dilation, ceil_mode=case.ceil_mode,
                         return_indices=case.return_indices)
    if case.kind == "avg":
        f = getattr(F, f"avg_pool{r}d")
        kw = dict(ceil_mode=case.ceil_mode, count_include_pad=case.count_include_pad)
        if r > 1:
            kw["divisor_override"] = case.divisor_override
        return lambda: f(x, case.kernel, case.stride, case.padding, **kw)
    f = getattr(F, f"adaptive_{'max' if case.is_max else 'avg'}_pool{r}d")
    if case.is_max:
        return lambda: f(x, case.output_size, return_indices=case.return_indices)
    return lambda: f(x, case.output_size)


def backward_fn(case, x, gout, indices):
    """The ATen backward kernel alone; 1-d pooling through the 2d op on unsqueezed tensors."""
    aten = torch.ops.aten
    r = case.rank
    if r == 1:
        x, gout = x.unsqueeze(2), gout.unsqueeze(2)
        indices = indices.unsqueeze(2) if indices is not None else None
    ar = max(r, 2)

    def two(v, fill):
        return ([fill] + list(v)) if r == 1 else list(v)

    if case.kind == "max":
        op = getattr(aten, f"max_pool{ar}d_with_indices_backward")
        return lambda: op(gout, x, two(case.kernel, 1), two(case.stride, 1), two(case.padding, 0),
                          two(case.dilation, 1), case.ceil_mode, indices)
    if case.kind == "avg":
        op = getattr(aten, f"avg_pool{ar}d_backward")
        return lambda: op(gout, x, two(case.kernel, 1), two(case.stride, 1), two(case.padding, 0),
                          case.ceil_mode, case.count_include_pad, case.divisor_override)
    if case.is_max:
        op = getattr(aten, f"adaptive_max_pool{ar}d_backward")
        return lambda: op(gout, x, indices)
    op = getattr(aten, f"_adaptive_avg_pool{ar}d_backward")
    return lambda: op(gout, x)


def time_ms(fn, quick):
    """(median, fastest) of single calls, in ms."""
    warm_s, warm_calls, target_s, min_reps = (0.02, 2, 0.05, 3) if quick else (0.25, 10, 0.5, 5)
    t0 = time.perf_counter()
    calls = 0
    while calls < warm_calls or (time.perf_counter() - t0 < warm_s and time.perf_counter() - t0 < 1.5):
        fn()
        calls += 1
    one = (time.perf_counter() - t0) / calls
    reps = int(min(max(math.ceil(target_s / max(one, 1e-7)), min_reps), 200000))
    times = []
    for _ in range(reps):
        a = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - a) / 1e6)
    return statistics.median(times), min(times)


def copy_gbps(threads, quick):
    """torch's own copy bandwidth (256 MB tensor copy_, read + write), for reference."""
    torch.set_num_threads(threads)
    a = torch.empty(64 << 20, dtype=torch.float32).fill_(1.0)
    b = torch.empty_like(a).zero_()
    ms, _ = time_ms(lambda: b.copy_(a), quick)
    return 2 * a.numel() * 4 / (ms * 1e-3) / 1e9


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

ROW = "{:<28} {:<6} {:<5} {:>3} {:>10} {:>7}"


def run_case(case, threads_list, quick, rows, notes):
    x_np = make_input(case)
    out_shape = [case.shape[0], case.shape[1]] + case.out_spatial()
    ref_val, ref_idx = reference_forward(case, x_np)
    gout_np = make_grad(case, out_shape) if case.backward else None
    ref_gin = reference_backward(case, x_np, gout_np, ref_idx) if case.backward else None

    n_in, n_out = int(np.prod(case.shape)), int(np.prod(out_shape))
    if case.backward:
        moved = 4 * n_out + 4 * n_in + (8 * n_out if case.is_max else 0)
    else:
        moved = 4 * n_in + 4 * n_out + (8 * n_out if case.return_indices else 0)

    for layout in case.layouts:
        fmt = memory_format(layout)
        x = torch.from_numpy(x_np).contiguous(memory_format=fmt)
        if case.backward:
            gout = torch.from_numpy(gout_np).contiguous(memory_format=fmt)
            indices = None
            if case.is_max:
                with torch.no_grad():
                    f = getattr(F, f"{'adaptive_' if case.adaptive else ''}max_pool{case.rank}d")
                    if case.adaptive:
                        _, indices = f(x, case.output_size, return_indices=True)
                    else:
                        _, indices = f(x, case.kernel, case.stride, case.padding, case.dilation,
                                       ceil_mode=case.ceil_mode, return_indices=True)
            fn = backward_fn(case, x, gout, indices)
        else:
            fn = forward_fn(case, x)

        for threads in threads_list:
            torch.set_num_threads(threads)
            with torch.no_grad():
                result = fn()
                if case.backward:
                    got = result.reshape(x.shape).contiguous().numpy()
                    problem = first_bad(close(got, ref_gin), got, ref_gin, "grad_input")
                else:
                    values, idx = (result if isinstance(result, tuple) else (result, None))
                    got = values.contiguous().numpy()
                    if case.is_max:
                        bad = ~((got.astype(np.float64) == ref_val) | (np.isnan(got) & np.isnan(ref_val)))
                        problem = first_bad(bad, got, ref_val, "output")
                        if problem is None and idx is not None:
                            gi = idx.contiguous().numpy()
                            problem = first_bad(gi != ref_idx, gi, ref_idx, "index")
                    else:
                        problem = first_bad(close(got, ref_val), got, ref_val, "output")
                if problem:
                    notes.append(f"{case.name} {layout} threads={threads}: torch differs from the reference: {problem}")
                ms, min_ms = time_ms(fn, quick)
            row = {"case": case.name, "layout": layout, "threads": threads, "pass": problem is None,
                   "ms": round(ms, 4), "gbps": round(moved / (ms * 1e-3) / 1e9, 2), "torch_ms": round(ms, 4),
                   "min_ms": round(min_ms, 4), "check": "full"}
            rows.append(row)
            print(ROW.format(case.name, layout, "yes" if row["pass"] else "NO", threads,
                             f"{ms:.3f}", f"{row['gbps']:.1f}"), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", default=str(DEFAULT_SUITE))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--json")
    ap.add_argument("--filter", default="")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()

    threads_list = [int(t) for t in args.threads.split(",") if t]
    filters = [f.lower() for f in args.filter.split(",") if f]
    suite = json.loads(Path(args.suite).read_text())
    cases = [Case(c) for c in suite["cases"]]
    cases = [c for c in cases if not filters or any(f in c.name.lower() for f in filters)]

    print(f"PyTorch {torch.__version__} (Python {platform.python_version()}, NumPy {np.__version__}), "
          f"default intra-op threads {torch.get_num_threads()}; {len(cases)} cases from {args.suite}")
    for t in threads_list:
        print(f"torch copy_ bandwidth, {t} thread{'s' if t > 1 else ''}: {copy_gbps(t, args.quick):.1f} GB/s (256 MB, read + write)")
    print()
    print(ROW.format("case", "layout", "pass", "thr", "torch_ms", "GB/s"))
    rows, notes = [], []
    for case in cases:
        try:
            run_case(case, threads_list, args.quick, rows, notes)
        except Exception as e:  # report and go on with the next case
            notes.append(f"{case.name}: failed: {type(e).__name__}: {e}")
    print()
    print("pass: torch vs the NumPy reference (max values and indices exact; averages and gradients |a-r| <= 1e-5 + 1e-4|r|).")
    print("GB/s: (input read + output written [+ 8-byte indices]) / torch_ms; backward: grad_output [+ indices] read + grad_input written.")
    print("1-d cases run ncl only: torch has no channels-last memory format for 3-D tensors.")
    for n in notes:
        print("note: " + n)
    if args.json:
        with open(args.json, "w") as f:
            f.write("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]\n")
        print(f"wrote {len(rows)} rows to {args.json} (a JSON array of objects)")
    return 0 if rows and all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
