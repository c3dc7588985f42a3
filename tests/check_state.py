#!/usr/bin/python3
"""Load what `nbrun --save-state` wrote for tests/e2e/0001-basics.yaml and
check the values against numpy's own computation of the same notebook."""
import json
import sys

import numpy as np

d = sys.argv[1]
index = json.load(open(d + "/state.json"))
vals = {e["name"]: np.load(d + "/" + e["file"]) for e in index["values"]}
X = np.array([[0.2, 0.4, 0.8], [1, 1, 1]])
want = {
    "X": X, "y": np.array([[-0.1], [0.15], [0.3]]), "D": 2, "I": 3, "n_points": 5,
    "t_all": np.arange(0, 20, 0.01), "XXTInvX": X @ X.T, "w": np.linspace(0, 1, 5),
    "A": np.arange(24).reshape(2, 3, 4) / 5,
}
want["s"] = np.sum(want["A"], axis=(0, 2))
want["m"] = want["A"][:, [0, 2], 1]
bad = 0
for k, v in want.items():
    got = vals[k]
    v = np.asarray(v)
    if got.shape != v.shape or got.dtype != v.dtype or not np.array_equal(got, v):
        print("state value %s: got %r (%s %s), numpy %r" % (k, got, got.dtype, got.shape, v))
        bad += 1
cells = {e["name"]: e["cell"] for e in index["values"]}
if cells["t_all"] != "time-grid" or cells["n_points"] != "params":
    print("state.json cells wrong:", cells)
    bad += 1
sys.exit(1 if bad else 0)
