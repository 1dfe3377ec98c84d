#!/usr/bin/env python3
"""Generate the fractional max pooling conformance suite in tests/fixtures/torch_fractional/.

torch.nn.functional.fractional_max_pool2d / fractional_max_pool3d with an explicit _random_samples
tensor (the second input, shape N x C x rank), output_size or output_ratio, return_indices, forward and
backward (gradient with respect to the input), float32 and float64, in the conformance FORMAT.md
("domain": "torch"). Data includes ties and NaN. Deterministic: every case draws from a RandomState seeded
with the CRC32 of its name; the output folder is deleted and recreated.

Usage:  /usr/bin/python3 tools/reference/gen_fractional_fixtures.py [output_dir]
"""

import sys
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gen_torch_fixtures import fresh_output_dir, write_case  # same case layout (FORMAT.md)

torch.set_num_threads(1)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT_DIR = REPO / "tests" / "fixtures" / "torch_fractional"


def main(argv):
    out_dir = fresh_output_dir(argv, DEFAULT_OUT_DIR)
    count = 0
    for rank in (2, 3):
        op = "fractional_max_pool%dd" % rank
        fn = F.fractional_max_pool2d if rank == 2 else F.fractional_max_pool3d
        for dname, dtype in (("f32", np.float32), ("f64", np.float64)):
            for grad in (False, True):
                for i in range(8):
                    name = "%s_%s_%s_%03d" % (op, "grad" if grad else "fwd", dname, i)
                    rng = np.random.RandomState(zlib.crc32(name.encode()))
                    n, c = rng.randint(1, 3), rng.randint(1, 4)
                    k = [int(rng.randint(1, 4)) for _ in range(rank)]
                    spatial = [int(k[a] + rng.randint(1, 9 if rank == 2 else 5)) for a in range(rank)]
                    attrs = {"kernel_size": k if i % 3 else k[0] if len(set(k)) == 1 else k}
                    # torch needs output + kernel - 1 <= input (2-D), < input (3-D).
                    slack = 1 if rank == 3 else 0
                    if i % 2 == 0:
                        attrs["output_size"] = [int(rng.randint(1, spatial[a] - k[a] + 2 - slack)) for a in range(rank)]
                    else:
                        attrs["output_ratio"] = [float(rng.choice([0.3, 0.5, 0.7])) for _ in range(rank)]
                        for a in range(rank):
                            while (int(spatial[a] * attrs["output_ratio"][a]) + k[a] - 1 + slack > spatial[a]
                                   or int(spatial[a] * attrs["output_ratio"][a]) < 1):
                                spatial[a] += 1
                    return_indices = (i % 4 == 1) and not grad
                    attrs["return_indices"] = return_indices
                    shape = [n, c] + spatial
                    if i % 4 == 2:
                        x = rng.randint(-2, 3, size=shape).astype(np.float64)
                    else:
                        x = rng.randn(*shape)
                        if i % 4 == 3 and not grad:
                            x[rng.rand(*shape) < 0.1] = np.nan
                    x = x.astype(dtype)
                    samples = rng.rand(n, c, rank).astype(dtype)
                    xt = torch.from_numpy(x).requires_grad_(grad)
                    kwargs = {k2: v for k2, v in attrs.items() if k2 != "return_indices"}
                    out = fn(xt, return_indices=True, _random_samples=torch.from_numpy(samples), **kwargs)
                    node = {"domain": "torch", "op_type": op, "attributes": attrs,
                            "inputs": ["input", "_random_samples"], "outputs": ["output"],
                            "note": "torch %s" % torch.__version__}
                    arrays = [x, samples]
                    if grad:
                        gy = rng.randn(*out[0].shape).astype(dtype)
                        out[0].backward(torch.from_numpy(gy))
                        node.update({"grad": True, "grad_inputs": ["input"], "inputs": ["input", "_random_samples", "grad_output"],
                                     "outputs": ["grad_input"]})
                        arrays.append(gy)
                        outs = [xt.grad.numpy()]
                    elif return_indices:
                        node["outputs"] = ["output", "indices"]
                        outs = [out[0].detach().numpy(), out[1].numpy().astype(np.int64)]
                    else:
                        outs = [out[0].detach().numpy()]
                    write_case(out_dir / name, node, arrays, outs)
                    count += 1
    (out_dir / "VERSIONS.txt").write_text("torch %s\nnumpy %s\n" % (torch.__version__, np.__version__))
    print("wrote %d cases to %s" % (count, out_dir))


if __name__ == "__main__":
    main(sys.argv)
