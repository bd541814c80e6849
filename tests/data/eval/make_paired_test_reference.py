#!/usr/bin/python3
"""Reference p-values of the paired sign-flip test, for tests/eval/tst_paired_test.cpp.

Run with /usr/bin/python3. Enumerates every sign pattern with numpy (an independent implementation of the
definition: p = #{patterns s : |sum s_i d_i| >= |sum d_i|} / 2^n, two-sided), for difference vectors drawn
here with a fixed seed. Writes paired_test_reference.json next to this script.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20261201)


def exact_p(d):
    n = len(d)
    patterns = np.arange(2 ** n, dtype=np.int64)
    signs = 1 - 2 * ((patterns[:, None] >> np.arange(n)) & 1)  # [2^n, n], +1 or -1
    sums = np.abs(signs @ d)
    observed = abs(d.sum())
    return float(np.count_nonzero(sums >= observed * (1 - 1e-12)) / 2 ** n)


cases = []
for name, n, shift in [("n5 no effect", 5, 0.0), ("n8 small effect", 8, 0.3), ("n12 clear effect", 12, 1.0),
                       ("n16 mixed", 16, 0.2), ("n20 strong", 20, 0.8)]:
    b = rng.normal(size=n)
    a = b + shift + rng.normal(scale=0.7, size=n)
    cases.append({"name": name, "a": a.tolist(), "b": b.tolist(), "p": exact_p(a - b),
                  "mean_difference": float((a - b).mean())})
    print(f"{name:>18}: p = {cases[-1]['p']:.6g}")

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "paired_test_reference.json")
with open(path, "w") as f:
    json.dump({"cases": cases}, f, indent=1)
    f.write("\n")
print("wrote", path)
