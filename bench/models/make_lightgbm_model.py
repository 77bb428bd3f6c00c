#!/usr/bin/python3
"""Writes the LightGBM benchmark model, deterministically, without LightGBM (which Debian does not
package): a valid model text (`version=v4`, binary objective) of 100 trees with 31 leaves each on
20 features, grown the way LightGBM grows trees (leaf-wise: each split turns a leaf into a node
whose left child keeps the leaf's index and whose right child is a new leaf), with random
features, thresholds, missing-value types / default directions and leaf values.

    /usr/bin/python3 bench/models/make_lightgbm_model.py OUT.txt [--rows OUT.X.npy --expected OUT.json]

The committed bench/models/lgb100.txt is this script's output. With --rows it also writes 10000
rows (float64, 2 % missing) and with --expected Booster.predict's labels and probabilities of
the first rows, computed here by a direct reading of the trees with LightGBM's decision rules,
for bench/run to check inferd's answers before timing it.
"""
import argparse
import json

import numpy as np

N_TREES, N_LEAVES, N_FEATURES, SEED = 100, 31, 20, 20261205
N_ROWS, N_EXPECTED = 10000, 64


def grow(rng):
    """One tree as LightGBM's arrays (children < 0 are ~leaf)."""
    left, right, feature, threshold, dtype = [], [], [], [], []
    parent_of_leaf = {0: None}  # leaf -> (node, side) that points at it
    for node in range(N_LEAVES - 1):
        leaf = int(rng.integers(node + 1))  # any existing leaf
        new_leaf = node + 1
        left.append(~leaf)
        right.append(~new_leaf)
        feature.append(int(rng.integers(N_FEATURES)))
        threshold.append(float(rng.normal()))
        dtype.append(int(rng.choice([0, 2, 8, 10])))  # missing None/NaN, default right/left
        if parent_of_leaf[leaf] is not None:
            p, side = parent_of_leaf[leaf]
            (left if side == 0 else right)[p] = node
        parent_of_leaf[leaf] = (node, 0)
        parent_of_leaf[new_leaf] = (node, 1)
    values = [float(v) for v in rng.normal(scale=0.1, size=N_LEAVES)]
    return dict(left=left, right=right, feature=feature, threshold=threshold, dtype=dtype, values=values)


def fmt(v):
    return repr(v) if isinstance(v, float) else str(v)


def tree_text(i, t):
    n = N_LEAVES - 1
    lines = [f"Tree={i}", f"num_leaves={N_LEAVES}", "num_cat=0",
             "split_feature=" + " ".join(map(str, t["feature"])),
             "split_gain=" + " ".join(["1"] * n),
             "threshold=" + " ".join(map(fmt, t["threshold"])),
             "decision_type=" + " ".join(map(str, t["dtype"])),
             "left_child=" + " ".join(map(str, t["left"])),
             "right_child=" + " ".join(map(str, t["right"])),
             "leaf_value=" + " ".join(map(fmt, t["values"])),
             "leaf_weight=" + " ".join(["1"] * N_LEAVES),
             "leaf_count=" + " ".join(["1"] * N_LEAVES),
             "internal_value=" + " ".join(["0"] * n),
             "internal_weight=" + " ".join(["1"] * n),
             "internal_count=" + " ".join(["1"] * n),
             "is_linear=0", "shrinkage=1"]
    return "\n".join(lines) + "\n\n\n"


def model_text(trees):
    names = " ".join(f"Column_{j}" for j in range(N_FEATURES))
    infos = " ".join(["[-4:4]"] * N_FEATURES)
    head = ("tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\n"
            f"max_feature_idx={N_FEATURES - 1}\nobjective=binary sigmoid:1\nfeature_names={names}\n"
            f"feature_infos={infos}\n\n")
    return (head + "".join(tree_text(i, t) for i, t in enumerate(trees)) +
            "end of trees\n\nparameters:\n[boosting: gbdt]\n[objective: binary]\nend of parameters\n\n"
            "pandas_categorical:null\n")


def leaf_value(t, row):
    node = 0
    while node >= 0:
        x, d = row[t["feature"][node]], t["dtype"][node]
        missing_nan = (d >> 2) & 3 == 2
        if np.isnan(x) and not missing_nan:
            x = 0.0
        if missing_nan and np.isnan(x):
            node = t["left"][node] if d & 2 else t["right"][node]
        else:
            node = t["left"][node] if x <= t["threshold"][node] else t["right"][node]
    return t["values"][~node]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows")
    ap.add_argument("--expected")
    a = ap.parse_args()
    rng = np.random.default_rng(SEED)
    trees = [grow(rng) for _ in range(N_TREES)]
    with open(a.out, "w") as f:
        f.write(model_text(trees))
    X = rng.normal(size=(N_ROWS, N_FEATURES))
    X[rng.random(X.shape) < 0.02] = np.nan
    if a.rows:
        np.save(a.rows, X)
    if a.expected:
        raw = [sum(leaf_value(t, r) for t in trees) for r in X[:N_EXPECTED]]
        p = [1.0 / (1.0 + np.exp(-s)) for s in raw]
        with open(a.expected, "w") as f:
            json.dump({"predict": [int(v > 1 - v) for v in p], "proba1": p, "raw_score": raw}, f)


if __name__ == "__main__":
    main()
