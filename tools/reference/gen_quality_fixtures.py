#!/usr/bin/env python3
"""Generate the image-quality fixtures in tests/fixtures/quality/.

SSIM and PSNR cases: pairs of small float32 images (1, C, H, W) in [0, 1] with the values of
skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=1.0) and skimage.metrics.peak_signal_noise_ratio(data_range=1.0), computed on the colour channels
(an RGBA case leaves alpha out; SSIM is the mean over the colour channels, channel_axis), in float64 on the
stored float32 values.

Bilinear cases: a float32 input (1, C, H, W) and torch.nn.functional.interpolate(x, size=(H', W'),
mode='bilinear', align_corners=False), upscaling, downscaling, non-integer ratios, mixed and identity sizes.

cases.json lists every case: {"name", "kind": "ssim" | "bilinear", ...}; arrays are NAME_a.npy / NAME_b.npy
(ssim) and NAME_input.npy / NAME_output.npy (bilinear). Deterministic: each case draws from a RandomState
seeded with the CRC32 of its name; the output folder is deleted and recreated.

Usage:  /usr/bin/python3 tools/reference/gen_quality_fixtures.py [output_dir]
"""

import json
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
import scipy
import skimage
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = REPO / "tests" / "fixtures" / "quality"


def rng_for(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def smooth(rng, c, h, w):
    """A smooth random image: a low-resolution random field, upsampled, plus a ramp."""
    low = rng.rand(1, c, max(2, h // 4), max(2, w // 4))
    x = F.interpolate(torch.from_numpy(low), size=(h, w), mode="bilinear", align_corners=False).numpy()
    ramp = np.linspace(0, 0.3, w)[None, None, None, :]
    return np.clip(0.7 * x + ramp, 0, 1)


def ssim_pairs():
    """(name, a, b) with a, b float32 of shape (1, C, H, W) in [0, 1]."""
    name = "ssim_grey_noise_16x16"
    r = rng_for(name)
    a = r.rand(1, 1, 16, 16)
    yield name, a, np.clip(a + 0.1 * r.randn(*a.shape), 0, 1)

    name = "ssim_rgb_smooth_noise_13x17"
    r = rng_for(name)
    a = smooth(r, 3, 13, 17)
    yield name, a, np.clip(a + 0.05 * r.randn(*a.shape), 0, 1)

    name = "ssim_rgb_blurred_24x20"
    r = rng_for(name)
    a = r.rand(1, 3, 24, 20)
    small = F.avg_pool2d(torch.from_numpy(a), 2)
    b = F.interpolate(small, size=(24, 20), mode="bilinear", align_corners=False).numpy()
    yield name, a, b

    name = "ssim_rgba_shift_12x14"
    r = rng_for(name)
    a = smooth(r, 4, 12, 14)
    b = a.copy()
    b[:, :3] = np.clip(0.8 * a[:, :3] + 0.15, 0, 1)
    b[:, 3] = r.rand(12, 14)  # alpha differs, and must not count
    yield name, a, b

    name = "ssim_grey_unrelated_11x11"
    r = rng_for(name)
    yield name, r.rand(1, 1, 11, 11), r.rand(1, 1, 11, 11)


BILINEAR = [
    # name, (C, H, W), (H', W')
    ("bilinear_up2_c1", (1, 5, 6), (10, 12)),
    ("bilinear_up4_c3", (3, 4, 5), (16, 20)),
    ("bilinear_down2_c2", (2, 10, 8), (5, 4)),
    ("bilinear_odd_c1", (1, 5, 7), (13, 4)),
    ("bilinear_down_nonint_c3", (3, 9, 9), (4, 7)),
    ("bilinear_identity_c4", (4, 3, 5), (3, 5)),
    ("bilinear_from1x1_c1", (1, 1, 1), (3, 2)),
    ("bilinear_mixed_c2", (2, 6, 4), (2, 9)),
]


def colour(x):
    c = x.shape[1]
    return x[0, : c - 1 if c in (2, 4) else c]


def main(argv):
    out_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT_DIR
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    cases = []
    for name, a, b in ssim_pairs():
        a, b = a.astype(np.float32), b.astype(np.float32)
        # The float32 values, computed in float64 (skimage keeps float32 inputs in float32).
        ca, cb = colour(a).astype(np.float64), colour(b).astype(np.float64)  # (C, H, W)
        ssim = structural_similarity(ca, cb, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                     data_range=1.0, channel_axis=0)
        psnr = peak_signal_noise_ratio(ca, cb, data_range=1.0)
        np.save(out_dir / (name + "_a.npy"), a)
        np.save(out_dir / (name + "_b.npy"), b)
        cases.append({"name": name, "kind": "ssim", "ssim": float(ssim), "psnr": float(psnr)})
    for name, (c, h, w), (oh, ow) in BILINEAR:
        x = rng_for(name).rand(1, c, h, w).astype(np.float32)
        y = F.interpolate(torch.from_numpy(x), size=(oh, ow), mode="bilinear", align_corners=False).numpy()
        np.save(out_dir / (name + "_input.npy"), x)
        np.save(out_dir / (name + "_output.npy"), y)
        cases.append({"name": name, "kind": "bilinear", "size": [oh, ow]})
    (out_dir / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    (out_dir / "VERSIONS.txt").write_text(
        "scikit-image %s\nscipy %s\ntorch %s\nnumpy %s\n" % (skimage.__version__, scipy.__version__, torch.__version__, np.__version__))
    print("wrote %d cases to %s" % (len(cases), out_dir))


if __name__ == "__main__":
    main(sys.argv)
