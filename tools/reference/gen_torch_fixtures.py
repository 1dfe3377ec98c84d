#!/usr/bin/env python3
"""Generate the PyTorch conformance suite in tests/fixtures/torch/.

Every case is a folder holding node.json, input_N.npy and output_N.npy in the format
described by the conformance FORMAT.md ("domain": "torch"). Expected values are computed
by torch.nn.functional (CPU, one thread). lp_pool3d does not exist in torch 1.13, so its
expected values come from torch's own lp_pool formula applied to avg_pool3d (see
lp_pool3d_formula below).

The run is deterministic: every case draws from its own numpy RandomState seeded with the
CRC32 of the case name, so re-running produces byte-identical files. The output folder is
deleted and recreated on each run.

Usage:  /usr/bin/python3 tools/reference/gen_torch_fixtures.py [output_dir]
"""

import collections
import json
import platform
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = REPO / "tests" / "fixtures" / "torch"

# Largest input tensor (elements) the shape picker produces, and largest tensor of a case.
MAX_NUMEL = 1200
MAX_TENSOR = 2000

# Default tolerances of FORMAT.md, by dtype name: (rtol, atol).
DEFAULT_TOL = {"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-12)}

SUPPORTED_OPS = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
]


# --------------------------------------------------------------------------------------
# Op mapping (also used by check_fixtures.py)
# --------------------------------------------------------------------------------------

def _ntuple(v, n):
    return list(v) if isinstance(v, (list, tuple)) else [v] * n


def lp_pool3d_formula(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """torch's lp_pool1d/2d formula extended to 3d (torch 1.13 has no F.lp_pool3d)."""
    kd, kh, kw = _ntuple(kernel_size, 3)
    if stride is not None:
        out = F.avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = F.avg_pool3d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (torch.sign(out) * F.relu(torch.abs(out))).mul(kd * kh * kw).pow(1.0 / norm_type)


def torch_function(op_type):
    if op_type not in SUPPORTED_OPS:
        raise ValueError("unsupported op_type %r" % op_type)
    if op_type == "lp_pool3d" and not hasattr(F, "lp_pool3d"):
        return lp_pool3d_formula
    return getattr(F, op_type)


def run_node(node, arrays):
    """Run one case through torch. arrays: numpy inputs in node["inputs"] order.
    Returns the list of numpy outputs in node["outputs"] order."""
    if node.get("domain") != "torch":
        raise ValueError("not a torch case")
    fn = torch_function(node["op_type"])
    attrs = dict(node.get("attributes", {}))
    names = list(node["inputs"])
    tensors = [torch.from_numpy(np.array(a, copy=True)) for a in arrays]
    if node.get("grad", False):
        fwd_names, fwd, g = names[:-1], tensors[:-1], tensors[-1]
        grad_inputs = node.get("grad_inputs", ["input"])
        for nm in grad_inputs:
            fwd[fwd_names.index(nm)].requires_grad_(True)
        out = fn(*fwd, **attrs)
        if isinstance(out, tuple):
            out = out[0]
        (out * g).sum().backward()
        return [fwd[fwd_names.index(nm)].grad.detach().numpy().copy() for nm in grad_inputs]
    with torch.no_grad():
        out = fn(*tensors, **attrs)
    if not isinstance(out, tuple):
        out = (out,)
    return [o.numpy().copy() for o in out]


def close(expected, actual, rtol, atol):
    """FORMAT.md rule. Returns None when equal within tolerance, else a reason."""
    expected = np.asarray(expected)
    actual = np.asarray(actual)
    if expected.shape != actual.shape:
        return "shape %s != expected %s" % (actual.shape, expected.shape)
    if expected.dtype.kind in "iub" or actual.dtype.kind in "iub":
        if expected.dtype.kind != actual.dtype.kind:
            return "dtype %s != expected %s" % (actual.dtype, expected.dtype)
        bad = expected != actual
        if bad.any():
            i = np.argwhere(bad)[0]
            return "%d integer mismatches, first at %s: %s != %s" % (
                bad.sum(), tuple(i), actual[tuple(i)], expected[tuple(i)])
        return None
    e = expected.astype(np.float64)
    a = actual.astype(np.float64)
    ne, na = np.isnan(e), np.isnan(a)
    ie, ia = np.isinf(e), np.isinf(a)
    with np.errstate(invalid="ignore"):
        fin = ~(ne | na | ie | ia)
        bad = (ne != na) | ((ie | ia) & ~(ne | na) & (e != a))
        bad |= fin & ~(np.abs(a - e) <= atol + rtol * np.abs(e))
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        return "%d mismatches, first at %s: %r != expected %r" % (bad.sum(), i, a[i], e[i])
    return None


def case_tolerance(node, dtype_name):
    rtol, atol = DEFAULT_TOL[dtype_name]
    return node.get("rtol", rtol), node.get("atol", atol)


# --------------------------------------------------------------------------------------
# Random data
# --------------------------------------------------------------------------------------

DATA_NOTES = {
    "normal": "random normal",
    "ties": "heavy ties: integers in [-2, 2]",
    "relu": "heavy ties: ReLU of random normal (many zeros)",
    "nan": "random normal with NaN entries",
    "ties_nan": "integers in [-2, 2] with NaN entries",
    "neginf": "random normal with -inf entries",
    "neginf_heavy": "mostly -inf (some windows are all -inf)",
    "pos": "positive uniform [0.1, 2)",
    "neg": "random normal, mixed signs",
    "lp_relu": "ReLU of random normal (zeros, some all-zero windows)",
}


def make_data(rng, shape, kind):
    n = int(np.prod(shape))

    def sprinkle(x, value, frac):
        cnt = max(1, int(round(n * frac)))
        idx = rng.choice(n, size=min(cnt, n), replace=False)
        x.reshape(-1)[idx] = value
        return x

    if kind in ("normal", "neg"):
        return rng.standard_normal(shape)
    if kind == "ties":
        return rng.randint(-2, 3, size=shape).astype(np.float64)
    if kind in ("relu", "lp_relu"):
        return np.maximum(rng.standard_normal(shape), 0.0)
    if kind == "nan":
        return sprinkle(rng.standard_normal(shape), np.nan, 0.05)
    if kind == "ties_nan":
        return sprinkle(rng.randint(-2, 3, size=shape).astype(np.float64), np.nan, 0.05)
    if kind == "neginf":
        return sprinkle(rng.standard_normal(shape), -np.inf, 0.15)
    if kind == "neginf_heavy":
        return sprinkle(rng.standard_normal(shape), -np.inf, 0.7)
    if kind == "pos":
        return rng.uniform(0.1, 2.0, size=shape)
    raise ValueError(kind)


def pick_shape(rng, spatial):
    n, c = rng.randint(1, 4), rng.randint(1, 5)
    plane = int(np.prod(spatial))
    while n * c * plane > MAX_NUMEL and (n > 1 or c > 1):
        if n > 1:
            n -= 1
        else:
            c -= 1
    return [n, c] + list(spatial)


def rep(rng, vals, nd, force_scalar=False):
    """A per-axis value as passed to torch: scalar or list."""
    vals = [int(v) for v in vals]
    if force_scalar:
        assert len(set(vals)) == 1
        return vals[0]
    if nd == 1:
        return vals[0] if rng.rand() < 0.7 else vals
    if len(set(vals)) == 1 and rng.rand() < 0.5:
        return vals[0]
    return vals


def put(rng, attrs, key, value, is_default, p_omit=0.35):
    """Set an attribute, sometimes omitting it when it has the default value."""
    if is_default and rng.rand() < p_omit:
        return
    attrs[key] = value


def pool_out_len(n, k, s, p, d, ceil):
    """PyTorch pooling_output_shape; returns (out, dropped_by_last_window_rule)."""
    eff = (k - 1) * d + 1
    out = (n + 2 * p - eff + ((s - 1) if ceil else 0)) // s + 1
    dropped = False
    if ceil and (out - 1) * s >= n + p:
        out -= 1
        dropped = True
    return out, dropped


def pick_stride(rng, k, nd):
    """Returns (mode, per-axis stride). mode: 'absent' | 'null' | 'explicit'."""
    r = rng.rand()
    if r < 0.15:
        return "absent", list(k)
    if r < 0.3:
        return "null", list(k)
    return "explicit", [rng.randint(1, 4) for _ in range(nd)]


def put_stride(rng, attrs, mode, s, nd, force_scalar=False):
    if mode == "null":
        attrs["stride"] = None
    elif mode == "explicit":
        attrs["stride"] = rep(rng, s, nd, force_scalar and len(set(s)) == 1)


# --------------------------------------------------------------------------------------
# Case makers. Each returns (attributes, [(name, array)], outputs, notes) or None when the
# random draw does not fit the requested scenario (the caller draws again).
# --------------------------------------------------------------------------------------

CEIL_NOTES = {
    "ceil_adds": "ceil_mode adds a partial last window",
    "ceil_drop": "ceil_mode: a last window starting in the right padding/past the input is dropped",
    "ceil_adds_pad": "ceil_mode adds a partial last window overhanging the padding (count_include_pad=True)",
}


def make_pool(kind, nd):
    """kind: 'max' | 'avg' | 'lp'."""

    def maker(rng, dtype, grad, idx, scen, data_kind, p_norm):
        k = [rng.randint(1, 5) for _ in range(nd)]
        if all(v == 1 for v in k) and rng.rand() < 0.8:
            return None
        d = [int(rng.choice([1, 1, 1, 2, 3])) for _ in range(nd)] if kind == "max" else [1] * nd
        smode, s = pick_stride(rng, k, nd)
        if kind == "lp":
            p = [0] * nd
        else:
            # Upper bound as documented for current PyTorch (effective kernel for 1d/2d max);
            # torch 1.13 is stricter (k//2), so some draws get rejected and are redrawn.
            if kind == "max" and nd < 3:
                ub = [((kk - 1) * dd + 1) // 2 for kk, dd in zip(k, d)]
            else:
                ub = [kk // 2 for kk in k]
            p = [rng.randint(0, u + 1) if rng.rand() < 0.6 else 0 for u in ub]
        if scen == "floor":
            ceil = False
        elif scen == "any":
            ceil = bool(rng.rand() < 0.5)
        else:
            ceil = True
        eff = [(kk - 1) * dd + 1 for kk, dd in zip(k, d)]
        sizes = []
        for e, pp in zip(eff, p):
            lo = max(1, e - 2 * pp)
            if lo > 9:
                return None
            sizes.append(rng.randint(lo, 10))
        adds = drops = adds_pad = False
        for n_, k_, s_, p_, d_ in zip(sizes, k, s, p, d):
            o_floor, _ = pool_out_len(n_, k_, s_, p_, d_, False)
            o_ceil, dr = pool_out_len(n_, k_, s_, p_, d_, True)
            if ceil and o_ceil > o_floor:
                adds = True
                # last window's end beyond in + pad -> count_include_pad divisor quirk
                if p_ > 0 and (o_ceil - 1) * s_ - p_ + k_ > n_ + p_:
                    adds_pad = True
            if ceil and dr:
                drops = True
        if scen == "ceil_adds" and not adds:
            return None
        if scen == "ceil_drop" and not drops:
            return None
        if scen == "ceil_adds_pad" and not adds_pad:
            return None
        shape = pick_shape(rng, sizes)
        x = make_data(rng, shape, data_kind).astype(dtype)

        attrs = {}
        notes = []
        if kind == "lp":
            attrs["norm_type"] = p_norm
        attrs["kernel_size"] = rep(rng, k, nd, force_scalar=(kind == "lp" and nd == 1))
        put_stride(rng, attrs, smode, s, nd)
        if kind != "lp":
            put(rng, attrs, "padding", rep(rng, p, nd), all(v == 0 for v in p))
        if kind == "max":
            put(rng, attrs, "dilation", rep(rng, d, nd), all(v == 1 for v in d))
        put(rng, attrs, "ceil_mode", ceil, not ceil)
        outputs = ["output"]
        if kind == "max":
            ri = (not grad) and (idx % 2 == 0)
            put(rng, attrs, "return_indices", ri, not ri)
            if ri:
                outputs = ["output", "indices"]
        if kind == "avg":
            cip = bool(rng.rand() < 0.6) or scen == "ceil_adds_pad"
            put(rng, attrs, "count_include_pad", cip, cip)
            if nd > 1:
                r = rng.rand()
                if r < 0.3:
                    attrs["divisor_override"] = int(rng.randint(1, 10))
                elif r < 0.5:
                    attrs["divisor_override"] = None
        if adds:
            notes.append(CEIL_NOTES["ceil_adds_pad"] if (adds_pad and kind == "avg" and attrs.get("count_include_pad", True)) else CEIL_NOTES["ceil_adds"])
        if drops:
            notes.append(CEIL_NOTES["ceil_drop"])
        if kind == "lp" and nd == 3:
            notes.append("torch 1.13 has no lp_pool3d: expected values from torch's lp_pool formula on avg_pool3d")
        return attrs, [("input", x)], outputs, notes

    return maker


ADAPTIVE_NOTES = {
    "divides": "output size divides the input size",
    "nondivide": "output size does not divide the input size (overlapping bins)",
    "larger": "output larger than input (repeated elements)",
    "global": "output size 1 (global pooling)",
    "mixed": "mixed per-axis output sizes",
    "none": "output_size with a None entry (keeps that input size)",
}


def _adaptive_axis(rng, how):
    if how == "divides":
        n = rng.randint(1, 10)
        divs = [o for o in range(1, n + 1) if n % o == 0 and (o > 1 or n == 1)]
        if len(divs) > 1:
            divs = [o for o in divs if o != n] or divs
        return n, int(rng.choice(divs))
    if how == "nondivide":
        n = rng.randint(3, 10)
        outs = [o for o in range(2, n) if n % o != 0]
        return n, int(rng.choice(outs))
    if how == "larger":
        n = rng.randint(1, 8)
        return n, n + rng.randint(1, 5)
    if how == "global":
        return rng.randint(1, 10), 1
    raise ValueError(how)


def make_adaptive(kind, nd):
    """kind: 'max' | 'avg'."""

    def maker(rng, dtype, grad, idx, scen, data_kind, _p):
        axes_kind = [scen] * nd
        if scen in ("mixed", "none"):
            axes_kind = [str(rng.choice(["divides", "nondivide", "larger", "global"])) for _ in range(nd)]
        pairs = [_adaptive_axis(rng, a) for a in axes_kind]
        sizes = [n for n, _ in pairs]
        outs = [o for _, o in pairs]
        out_attr = rep(rng, outs, nd)
        if scen == "none":
            if nd == 1:
                return None
            out_attr = list(outs)
            out_attr[rng.randint(0, nd)] = None
        shape = pick_shape(rng, sizes)
        x = make_data(rng, shape, data_kind).astype(dtype)
        attrs = {"output_size": out_attr}
        outputs = ["output"]
        if kind == "max":
            ri = (not grad) and (idx % 2 == 0)
            put(rng, attrs, "return_indices", ri, not ri)
            if ri:
                outputs = ["output", "indices"]
        return attrs, [("input", x)], outputs, [ADAPTIVE_NOTES[scen]]

    return maker


UNPOOL_NOTES = {
    "default": "default output size",
    "recover": "explicit output_size = the pooled input's size (not recoverable from the default)",
    "other": "explicit output_size differing from the default and from the pooled input's size "
             "(indices are read as flat positions in the requested output plane)",
    "overlap": "stride < kernel: duplicate indices",
}


def make_unpool(nd):
    def maker(rng, dtype, grad, idx, scen, data_kind, _p):
        k = [rng.randint(1, 5) for _ in range(nd)]
        if any(v == 1 for v in k) and rng.rand() < 0.7:
            return None
        smode, s = pick_stride(rng, k, nd)
        if scen == "overlap":
            smode = "explicit"
            s = [rng.randint(1, 4) for _ in range(nd)]
            if not any(ss < kk for ss, kk in zip(s, k)):
                return None
        p = [rng.randint(0, kk // 2 + 1) if rng.rand() < 0.5 else 0 for kk in k]
        sizes = []
        for kk, pp in zip(k, p):
            lo = max(1, kk - 2 * pp)
            sizes.append(rng.randint(lo, 10))
        shape = pick_shape(rng, sizes)
        src = torch.from_numpy(make_data(rng, shape, data_kind).astype(dtype))
        pool_stride = None if smode != "explicit" else s
        vals, ind = F.__dict__["max_pool%dd" % nd](src, k, stride=pool_stride, padding=p, return_indices=True)
        pooled = list(vals.shape[2:])
        default = [(pi - 1) * ss + kk - 2 * pp for pi, ss, kk, pp in zip(pooled, s, k, p)]
        attrs = {"kernel_size": rep(rng, k, nd)}
        put_stride(rng, attrs, smode, s, nd)
        put(rng, attrs, "padding", rep(rng, p, nd), all(v == 0 for v in p))
        notes = []
        if scen in ("default", "overlap"):
            if rng.rand() < 0.2:
                attrs["output_size"] = None
        elif scen == "recover":
            if sizes == default:
                return None
            attrs["output_size"] = list(sizes)
        elif scen == "other":
            cand = [int(rng.randint(max(1, dd - ss + 1), dd + ss)) for dd, ss in zip(default, s)]
            if cand == default or cand == sizes:
                return None
            attrs["output_size"] = cand
        notes.append(UNPOOL_NOTES[scen])
        if any(ss < kk for ss, kk in zip(s, k)):
            if scen != "overlap":
                notes.append(UNPOOL_NOTES["overlap"])
            flat = ind.reshape(ind.shape[0] * ind.shape[1], -1)
            if not any(len(set(r.tolist())) < len(r) for r in flat):
                notes.append("(no duplicate index actually drawn)")
        if scen == "default" and sizes != default:
            notes.append("default output size differs from the pooled input's size")
        return attrs, [("input", vals.numpy().copy()), ("indices", ind.numpy().copy())], ["output"], notes

    return maker


# --------------------------------------------------------------------------------------
# Families: (op_type, maker, n_fwd per dtype, n_grad per dtype, scenarios fwd, grad,
#            data fwd, grad, norm_types)
# --------------------------------------------------------------------------------------

POOL_SCEN_F = ["any", "ceil_adds", "floor", "ceil_drop", "any", "ceil_adds", "any"]
POOL_SCEN_G = ["any", "ceil_adds", "ceil_drop", "floor", "any"]
AVG_SCEN_F = ["any", "ceil_adds", "floor", "ceil_drop", "ceil_adds_pad", "any", "ceil_adds"]
AVG_SCEN_G = ["any", "ceil_adds_pad", "ceil_drop", "floor", "ceil_adds"]
MAX_DATA_F = ["normal", "ties", "nan", "relu", "neginf", "normal", "ties_nan", "neginf_heavy"]
MAX_DATA_G = ["normal", "ties", "nan", "relu", "neginf", "ties_nan", "neginf_heavy"]
AVG_DATA = ["normal", "ties", "relu", "nan", "normal"]
LP_DATA_F = ["pos", "neg", "pos", "lp_relu", "pos", "neg", "pos"]
LP_DATA_G = ["pos", "neg", "lp_relu", "pos", "neg"]
LP_P = [2, 1, 3, 1.5]
LP_P_NEG_F = [3, 1.5, 1, 2]   # negative inputs, forward: odd p, non-integer p (NaN), p=1, p=2
LP_P_NEG_G = [1, 2]           # negative inputs, backward: only p with finite results
ADA_SCEN = ["divides", "nondivide", "larger", "global", "mixed", "none", "nondivide"]
ADA_SCEN_1D = ["divides", "nondivide", "larger", "global", "nondivide"]
ADA_MAX_DATA = ["normal", "ties", "nan", "relu", "neginf", "ties_nan"]
ADA_AVG_DATA = ["normal", "ties", "relu", "nan"]
UNPOOL_SCEN = ["default", "recover", "overlap", "other", "default", "recover"]
UNPOOL_DATA = ["normal", "ties", "relu"]


def families():
    fam = []
    for nd in (1, 2, 3):
        nf, ng = (9, 6) if nd == 2 else (7, 5)
        fam.append(("max_pool%dd" % nd, make_pool("max", nd), nf, ng,
                    POOL_SCEN_F, POOL_SCEN_G, MAX_DATA_F, MAX_DATA_G))
    for nd in (1, 2, 3):
        nf, ng = (9, 6) if nd == 2 else (7, 5)
        fam.append(("avg_pool%dd" % nd, make_pool("avg", nd), nf, ng,
                    AVG_SCEN_F, AVG_SCEN_G, AVG_DATA, AVG_DATA))
    for nd in (1, 2, 3):
        nf, ng = (9, 6) if nd == 2 else (7, 5)
        fam.append(("lp_pool%dd" % nd, make_pool("lp", nd), nf, ng,
                    POOL_SCEN_F, POOL_SCEN_G, LP_DATA_F, LP_DATA_G))
    for nd in (1, 2, 3):
        nf, ng = (9, 6) if nd == 2 else (7, 5)
        sc = ADA_SCEN if nd > 1 else ADA_SCEN_1D
        fam.append(("adaptive_max_pool%dd" % nd, make_adaptive("max", nd), nf, ng,
                    sc, sc, ADA_MAX_DATA, ADA_MAX_DATA))
    for nd in (1, 2, 3):
        nf, ng = (9, 6) if nd == 2 else (7, 5)
        sc = ADA_SCEN if nd > 1 else ADA_SCEN_1D
        fam.append(("adaptive_avg_pool%dd" % nd, make_adaptive("avg", nd), nf, ng,
                    sc, sc, ADA_AVG_DATA, ADA_AVG_DATA))
    for nd in (1, 2, 3):
        nf, ng = (9, 6) if nd == 2 else (7, 5)
        fam.append(("max_unpool%dd" % nd, make_unpool(nd), nf, ng,
                    UNPOOL_SCEN, UNPOOL_SCEN, UNPOOL_DATA, UNPOOL_DATA))
    return fam


# --------------------------------------------------------------------------------------
# Building and checking one case
# --------------------------------------------------------------------------------------

REJECTIONS = collections.Counter()
REJECTION_EXAMPLES = {}


def _tally(op, err):
    msg = str(err).splitlines()[0]
    key = "%s: %s: %s" % (op, type(err).__name__, re.sub(r"-?\d+", "#", msg))
    REJECTIONS[key] += 1
    REJECTION_EXAMPLES.setdefault(key, msg)


def well_conditioned(node, arrays, outs, dtype):
    """Reject draws whose expected values are sensitive to rounding, so that any correct
    implementation passes with the suite's tolerances (10x margin)."""
    if dtype == np.float32:
        up = [a.astype(np.float64) if a.dtype == np.float32 else a for a in arrays]
        ref = run_node(node, up)
        for o, r in zip(outs, ref):
            if close(r, o.astype(r.dtype), 1e-5, 1e-6) is not None:
                return False
        return True
    if node["op_type"].startswith("lp_pool"):
        rng = np.random.RandomState(12345)
        pert = list(arrays)
        x = arrays[0]
        pert[0] = x * (1.0 + 1e-15 * rng.uniform(-1, 1, size=x.shape))
        ref = run_node(node, pert)
        for o, r in zip(outs, ref):
            if close(r, o, 1e-10, 1e-13) is not None:
                return False
    return True


def build_case(name, op, dtype, grad, maker, idx, scen, data_kind, p_norm):
    rng = np.random.RandomState(zlib.crc32(name.encode()))
    for _ in range(5000):
        made = maker(rng, dtype, grad, idx, scen, data_kind, p_norm)
        if made is None:
            continue
        attrs, named_inputs, outputs, notes = made
        fwd_node = {"domain": "torch", "op_type": op, "attributes": attrs,
                    "inputs": [n for n, _ in named_inputs], "outputs": outputs}
        arrays = [a for _, a in named_inputs]
        try:
            fwd_out = run_node(fwd_node, arrays)
        except (RuntimeError, ValueError) as e:
            _tally(op, e)
            continue
        if grad:
            g = rng.standard_normal(fwd_out[0].shape).astype(dtype)
            node = dict(fwd_node)
            node["inputs"] = fwd_node["inputs"] + ["grad_output"]
            node["outputs"] = ["grad_input"]
            node["grad"] = True
            node["grad_inputs"] = ["input"]
            arrays = arrays + [g]
            outs = run_node(node, arrays)
        else:
            node = fwd_node
            outs = fwd_out
        if max(a.size for a in list(arrays) + list(outs)) > MAX_TENSOR:
            continue
        if not well_conditioned(node, arrays, outs, dtype):
            REJECTIONS["%s: (generator) expected values too sensitive to rounding, redrawn" % op] += 1
            continue
        notes = ["data: " + DATA_NOTES[data_kind]] + notes
        node["note"] = "; ".join(notes)
        return node, arrays, outs
    raise RuntimeError("could not generate %s" % name)


def write_case(folder, node, arrays, outs):
    folder.mkdir(parents=True)
    with open(folder / "node.json", "w") as f:
        json.dump(node, f, indent=1, sort_keys=True)
        f.write("\n")
    for i, a in enumerate(arrays):
        np.save(folder / ("input_%d.npy" % i), np.ascontiguousarray(a), allow_pickle=False)
    for i, a in enumerate(outs):
        np.save(folder / ("output_%d.npy" % i), np.ascontiguousarray(a), allow_pickle=False)


def versions_text():
    lines = [
        "torch %s" % torch.__version__,
        "numpy %s" % np.__version__,
        "python %s" % platform.python_version(),
    ]
    try:
        deb = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n",
                              "python3-torch", "python3-numpy"],
                             capture_output=True, text=True, check=True).stdout.strip()
        if deb:
            lines.append("debian packages: " + ", ".join(deb.splitlines()))
    except (OSError, subprocess.CalledProcessError):
        pass
    lines.append("torch threads: 1 (torch.set_num_threads(1)), CPU")
    lines.append("lp_pool3d: torch %s has %s F.lp_pool3d; expected values from "
                 "(sign(out)*relu(abs(out))).mul(kd*kh*kw).pow(1/norm_type), "
                 "out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)"
                 % (torch.__version__, "an" if hasattr(F, "lp_pool3d") else "no"))
    return "\n".join(lines) + "\n"


def fresh_output_dir(argv, default):
    """The output folder (argv[1] or the default), deleted and recreated empty."""
    out_dir = Path(argv[1]).resolve() if len(argv) > 1 else default
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    return out_dir


def main(argv):
    out_dir = fresh_output_dir(argv, DEFAULT_OUT_DIR)
    counts = collections.OrderedDict()
    for fam_i, (op, maker, nf, ng, scen_f, scen_g, data_f, data_g) in enumerate(families()):
        for dtype, dname, off in ((np.float32, "f32", 0), (np.float64, "f64", 3)):
            for grad, n, scens, datas in ((False, nf, scen_f, data_f), (True, ng, scen_g, data_g)):
                n_neg = 0
                for i in range(n):
                    name = "%s_%s_%s_%03d" % (op, "grad" if grad else "fwd", dname, i)
                    scen = scens[i % len(scens)]
                    data_kind = datas[(i + off) % len(datas)]
                    p_norm = LP_P[(i + off) % len(LP_P)]
                    if data_kind == "neg":
                        neg_ps = LP_P_NEG_G if grad else LP_P_NEG_F
                        p_norm = neg_ps[(n_neg + off // 3 * 2 + fam_i) % len(neg_ps)]
                        n_neg += 1
                    node, arrays, outs = build_case(name, op, dtype, grad, maker, i, scen,
                                                    data_kind, p_norm)
                    write_case(out_dir / name, node, arrays, outs)
                    counts[op] = counts.get(op, 0) + 1
    (out_dir / "VERSIONS.txt").write_text(versions_text())

    total = sum(f.stat().st_size for f in out_dir.rglob("*") if f.is_file())
    for op, c in counts.items():
        print("%-22s %3d cases" % (op, c))
    print("total: %d cases, %.2f MB (apparent size)" % (sum(counts.values()), total / 1e6))
    if REJECTIONS:
        print("\nredrawn configurations (torch rejected, or generator rejected):")
        for key, c in sorted(REJECTIONS.items()):
            print("  %4d x %s" % (c, key))
            ex = REJECTION_EXAMPLES.get(key)
            if ex:
                print("         e.g. %s" % ex)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
