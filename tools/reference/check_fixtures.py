#!/usr/bin/env python3
"""Self-check of a torch conformance suite.

Re-reads every case (a folder holding node.json) under the suite folder, recomputes the
outputs with torch from node.json and the stored inputs (same op mapping as
gen_torch_fixtures.py), and compares them with the stored outputs using the FORMAT.md
tolerance rule. Prints one line per failing case and a last line "N passed, N failed".
Exits non-zero when any case failed.

Usage:  /usr/bin/python3 tools/reference/check_fixtures.py [suite_dir]
        (default suite_dir: tests/fixtures/torch)
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_torch_fixtures import DEFAULT_OUT_DIR, case_tolerance, close, run_node  # noqa: E402


def check_case(folder):
    """Returns None when the case passes, else the reason."""
    node = json.loads((folder / "node.json").read_text())
    if node.get("domain") != "torch":
        return "domain is %r, not 'torch'" % node.get("domain")
    inputs = []
    for i in range(len(node["inputs"])):
        inputs.append(np.load(folder / ("input_%d.npy" % i), allow_pickle=False))
    expected = []
    for i in range(len(node["outputs"])):
        expected.append(np.load(folder / ("output_%d.npy" % i), allow_pickle=False))
    extra = sorted(p.name for p in folder.glob("*.npy")
                   if p.name not in ["input_%d.npy" % i for i in range(len(inputs))]
                   + ["output_%d.npy" % i for i in range(len(expected))])
    if extra:
        return "unexpected files: %s" % ", ".join(extra)
    try:
        actual = run_node(node, inputs)
    except Exception as e:  # noqa: BLE001 - report any failure of the op itself
        return "torch raised %s: %s" % (type(e).__name__, str(e).splitlines()[0])
    if len(actual) != len(expected):
        return "%d outputs, expected %d" % (len(actual), len(expected))
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e.dtype != a.dtype:
            return "output %d: dtype %s, expected %s" % (i, a.dtype, e.dtype)
        dname = e.dtype.name if e.dtype.kind == "f" else "float64"
        if e.dtype.kind == "f" and dname not in ("float32", "float64"):
            return "output %d: unsupported dtype %s" % (i, e.dtype)
        rtol, atol = case_tolerance(node, dname)
        why = close(e, a, rtol, atol)
        if why is not None:
            return "output %d (%s): %s" % (i, node["outputs"][i], why)
    return None


def main(argv):
    suite = Path(argv[1]).resolve() if len(argv) > 1 else DEFAULT_OUT_DIR
    cases = sorted(p.parent for p in suite.rglob("node.json"))
    passed = failed = 0
    for folder in cases:
        why = check_case(folder)
        if why is None:
            passed += 1
        else:
            failed += 1
            print("FAIL %s: %s" % (folder.relative_to(suite), why))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
