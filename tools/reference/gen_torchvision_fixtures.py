#!/usr/bin/env python3
"""Generate the torchvision conformance suite in tests/fixtures/torchvision/ (plus ONNX MaxRoiPool cases).

Every case is a folder holding node.json, input_N.npy and output_N.npy in the format described by the
conformance FORMAT.md ("domain": "torchvision"). Expected values come from torchvision.ops.roi_pool,
torchvision.ops.roi_align and torchvision.ops.ps_roi_align (CPU, one thread), forward and backward (the gradient with respect to the
input, given a random gradient of the output), float32 and float64.

The boxes exercise the documented quirks: coordinates on .5 (torchvision rounds half away from zero),
boxes reaching past the feature map, degenerate and inverted boxes, spatial scales below 1, adaptive and
fixed sampling ratios, aligned on and off; the data has ties (small integers), and for roi_pool NaN and
-inf (a strict '>' from -FLT_MAX never chooses them).

The run is deterministic: every case draws from its own numpy RandomState seeded with the CRC32 of the
case name. The output folder is deleted and recreated on each run.

Usage:  /usr/bin/python3 tools/reference/gen_torchvision_fixtures.py [output_dir]
"""

import sys
import zlib
from pathlib import Path

import numpy as np
import torch
import torchvision

from gen_torch_fixtures import fresh_output_dir, write_case  # same case layout (FORMAT.md)

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = REPO / "tests" / "fixtures" / "torchvision"

SCALES = [1.0, 0.5, 0.25]


def rng_for(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def make_input(rng, shape, kind, dtype):
    if kind == "ties":
        x = rng.randint(-2, 4, size=shape).astype(np.float64)
    else:
        x = rng.randn(*shape)
    if kind == "nan":
        mask = rng.rand(*shape)
        x[mask < 0.08] = np.nan
        x[(mask >= 0.08) & (mask < 0.16)] = -np.inf
    return x.astype(dtype)


def make_boxes(rng, n, h, w, scale, k, dtype):
    """K x 5 boxes in input coordinates before the scale: a mix of ordinary, half-integer, out-of-range,
    degenerate and inverted boxes."""
    H, W = h / scale, w / scale
    rows = []
    for i in range(k):
        kind = i % 5
        b = rng.randint(0, n)
        if kind == 0:      # ordinary
            x1, y1 = rng.uniform(0, W * 0.6), rng.uniform(0, H * 0.6)
            x2, y2 = x1 + rng.uniform(1, W * 0.6), y1 + rng.uniform(1, H * 0.6)
        elif kind == 1:    # on .5 after scaling: rounding half away from zero
            x1, y1 = (rng.randint(0, w) + 0.5) / scale, (rng.randint(0, h) + 0.5) / scale
            x2, y2 = x1 + (rng.randint(1, w) + 0.5) / scale, y1 + (rng.randint(1, h) + 0.5) / scale
        elif kind == 2:    # reaching past the feature map
            x1, y1 = rng.uniform(-W * 0.5, W * 0.5), rng.uniform(-H * 0.5, H * 0.5)
            x2, y2 = x1 + rng.uniform(W * 0.5, W * 1.5), y1 + rng.uniform(H * 0.5, H * 1.5)
        elif kind == 3:    # degenerate: a point or a line
            x1, y1 = rng.uniform(0, W), rng.uniform(0, H)
            x2, y2 = x1, y1 + (0 if rng.rand() < 0.5 else rng.uniform(0, H * 0.3))
        else:              # inverted (x2 < x1)
            x1, y1 = rng.uniform(W * 0.4, W), rng.uniform(H * 0.4, H)
            x2, y2 = x1 - rng.uniform(0, W * 0.4), y1 - rng.uniform(0, H * 0.4)
        rows.append([b, x1, y1, x2, y2])
    return np.array(rows, dtype=dtype)


def run(op, x, boxes, attrs, gy):
    xt = torch.from_numpy(x).requires_grad_(gy is not None)
    bt = torch.from_numpy(boxes)
    if op == "roi_pool":
        y = torchvision.ops.roi_pool(xt, bt, attrs["output_size"], attrs["spatial_scale"])
    elif op == "ps_roi_align":
        y = torchvision.ops.ps_roi_align(xt, bt, attrs["output_size"], attrs["spatial_scale"], attrs["sampling_ratio"])
    else:
        y = torchvision.ops.roi_align(xt, bt, attrs["output_size"], attrs["spatial_scale"],
                                      attrs["sampling_ratio"], attrs["aligned"])
    if gy is None:
        return y.detach().numpy()
    y.backward(torch.from_numpy(gy))
    return xt.grad.numpy()


def cases():
    for op in ("roi_pool", "roi_align", "ps_roi_align"):
        for dname, dtype in (("f32", np.float32), ("f64", np.float64)):
            for grad in (False, True):
                for i in range(10):
                    yield op, dname, dtype, grad, i


def main(argv):
    out_dir = fresh_output_dir(argv, DEFAULT_OUT_DIR)
    count = 0
    for op, dname, dtype, grad, i in cases():
        name = "%s_%s_%s_%03d" % (op, "grad" if grad else "fwd", dname, i)
        rng = rng_for(name)
        n, c = rng.randint(1, 3), rng.randint(1, 4)
        h, w = rng.randint(4, 13), rng.randint(4, 13)
        scale = SCALES[i % len(SCALES)]
        size = [rng.randint(1, 5), rng.randint(1, 5)] if i % 2 == 0 else [rng.randint(1, 5)] * 2
        attrs = {"output_size": size, "spatial_scale": scale}
        if op == "ps_roi_align":
            c = size[0] * size[1] * rng.randint(1, 3)  # channels: a multiple of the output bins
            # adaptive (-1) and fixed grids; with an adaptive grid a degenerate box has 0 samples and torchvision
            # divides by 0 (NaN), which the cases keep on purpose
            attrs["sampling_ratio"] = [-1, 1, 2][i % 3]
        if op == "roi_align":
            attrs["sampling_ratio"] = [-1, 0, 1, 2][i % 4]
            attrs["aligned"] = bool(i % 3 == 1)
        kind = ["normal", "ties", "nan"][i % 3] if op == "roi_pool" and not grad else ["normal", "ties"][i % 2]
        x = make_input(rng, (n, c, h, w), kind, dtype)
        boxes = make_boxes(rng, n, h, w, scale, rng.randint(3, 8), dtype)
        node = {"domain": "torchvision", "op_type": op, "attributes": attrs,
                "inputs": ["input", "boxes"], "outputs": ["output"],
                "note": "torchvision %s, data: %s" % (torchvision.__version__, kind)}
        arrays = [x, boxes]
        if grad:
            out_shape = run(op, x, boxes, attrs, None).shape
            gy = rng.randn(*out_shape).astype(dtype)
            node["grad"] = True
            node["grad_inputs"] = ["input"]
            node["inputs"] = ["input", "boxes", "grad_output"]
            node["outputs"] = ["grad_input"]
            arrays.append(gy)
            outs = [run(op, x, boxes, attrs, gy)]
        else:
            outs = [run(op, x, boxes, attrs, None)]
        write_case(out_dir / name, node, arrays, outs)
        count += 1
    # ONNX MaxRoiPool: no reference implementation exists; NeuralPool gives it torchvision's roi_pool
    # arithmetic (docs/semantics.md), so these cases carry torchvision's values.
    for dname, dtype in (("f32", np.float32), ("f64", np.float64)):
        for grad in (False, True):
            for i in range(3):
                name = "onnx_maxroipool_%s_%s_%03d" % ("grad" if grad else "fwd", dname, i)
                rng = rng_for(name)
                n, c, h, w = rng.randint(1, 3), rng.randint(1, 4), rng.randint(4, 11), rng.randint(4, 11)
                scale = SCALES[i % len(SCALES)]
                shape = [rng.randint(1, 4), rng.randint(1, 4)]
                x = make_input(rng, (n, c, h, w), ["normal", "ties"][i % 2], dtype)
                boxes = make_boxes(rng, n, h, w, scale, rng.randint(3, 6), dtype)
                attrs = {"output_size": shape, "spatial_scale": scale}
                node = {"op_type": "MaxRoiPool", "attributes": {"pooled_shape": shape, "spatial_scale": scale},
                        "inputs": ["X", "rois"], "outputs": ["Y"],
                        "note": "expected values from torchvision %s roi_pool" % torchvision.__version__}
                arrays = [x, boxes]
                if grad:
                    gy = rng.randn(*run("roi_pool", x, boxes, attrs, None).shape).astype(dtype)
                    node.update({"grad": True, "grad_inputs": ["X"], "inputs": ["X", "rois", "grad_output"], "outputs": ["grad_X"]})
                    arrays.append(gy)
                    outs = [run("roi_pool", x, boxes, attrs, gy)]
                else:
                    outs = [run("roi_pool", x, boxes, attrs, None)]
                write_case(out_dir / name, node, arrays, outs)
                count += 1
    (out_dir / "VERSIONS.txt").write_text("torch %s\ntorchvision %s\nnumpy %s\n"
                                          % (torch.__version__, torchvision.__version__, np.__version__))
    print("wrote %d cases to %s" % (count, out_dir))


if __name__ == "__main__":
    main(sys.argv)
