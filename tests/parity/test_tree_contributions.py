"""Per-feature contributions of scikit-learn's trees and forests against Shapley values computed
from the definition (an oracle independent of inferd's TreeSHAP): for every subset S of the
features, v(S) is the tree's expectation when the features in S follow the row and every other
split averages its children weighted by their training cover (tree_.weighted_n_node_samples);
each feature's value is the Shapley-weighted sum of v(S + i) - v(S) over every S. Forests
average their trees; GradientBoosting adds init + learning_rate * trees, HistGradientBoosting
baseline + trees (covers: each node's training `count`; learned missing-value directions).
Random forests are explained per class in probability space, regressors in their value space,
boosting in its raw-score space; contributions plus bias must equal predict_proba / predict /
decision_function for every row.
Models have <= 8 features so that every subset can be enumerated. Tolerance 1e-9 relative.
The largest difference is recorded as "tree_contrib".
"""
import itertools
import math

import numpy as np
import pytest
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              GradientBoostingRegressor, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeRegressor

from parity_util import dump, max_rel_err, write_rows

NF = 6
N_ROWS = 60


class Tree:
    """A tree as the oracle reads it: children, features, covers, the value per node (one per
    output) and `goes_left(node, row)`, the model's own split rule."""

    def __init__(self, left, right, feature, cover, values, goes_left):
        self.left, self.right, self.feature, self.cover = left, right, feature, cover
        self.values, self.goes_left = values, goes_left


def sklearn_tree(est, classifier, scale=1.0):
    t = est.tree_
    v = t.value[:, 0, :]
    if classifier:
        v = v / v.sum(axis=1, keepdims=True)
    # sklearn compares the row's float32 cell, as a double, with the threshold.
    return Tree(t.children_left, t.children_right, t.feature, t.weighted_n_node_samples, v * scale,
                lambda n, row: np.float32(row[t.feature[n]]) <= t.threshold[n])


def hgb_tree(predictor):
    nodes = predictor.nodes

    def goes_left(n, row):
        v = row[nodes["feature_idx"][n]]
        return bool(nodes["missing_go_to_left"][n]) if np.isnan(v) else v <= nodes["num_threshold"][n]

    left = np.where(nodes["is_leaf"] == 1, -1, nodes["left"])
    right = np.where(nodes["is_leaf"] == 1, -1, nodes["right"])
    return Tree(left, right, nodes["feature_idx"], nodes["count"].astype(float), nodes["value"].reshape(-1, 1),
                goes_left)


def expectation(tree, row, known, node=0):
    left, right = tree.left[node], tree.right[node]
    if left < 0:
        return tree.values[node]
    if tree.feature[node] in known:
        return expectation(tree, row, known, left if tree.goes_left(node, row) else right)
    w = tree.cover
    return (w[left] * expectation(tree, row, known, left) + w[right] * expectation(tree, row, known, right)) / w[node]


def shapley(tree, row, nf):
    """[outputs, nf + 1]: the Shapley values of v(S) from the definition, v({}) last."""
    out = np.zeros((tree.values.shape[1], nf + 1))
    cache = {}

    def v(s):
        if s not in cache:
            cache[s] = expectation(tree, row, set(s))
        return cache[s]

    for i in range(nf):
        others = [j for j in range(nf) if j != i]
        for size in range(nf):
            weight = math.factorial(size) * math.factorial(nf - size - 1) / math.factorial(nf)
            for s in itertools.combinations(others, size):
                out[:, i] += weight * (v(tuple(sorted(s + (i,)))) - v(s))
    out[:, nf] = v(())
    return out


def oracle(model, rows, kind):
    """[rows, groups, nf + 1] in the model's contribution space."""
    if kind in ("clf", "reg"):  # averaged trees
        trees = [sklearn_tree(e, kind == "clf") for e in getattr(model, "estimators_", [model])]
        total = np.zeros((len(rows), trees[0].values.shape[1], NF + 1))
        for t in trees:
            for r, row in enumerate(rows):
                total[r] += shapley(t, row, NF)
        return total / len(trees)
    if kind == "gb":  # init + learning_rate * trees, one group per raw score
        stages = model.estimators_
        total = np.zeros((len(rows), stages.shape[1], NF + 1))
        total[:, :, NF] = model._raw_predict_init(rows[:1])[0]
        for s in range(stages.shape[0]):
            for k in range(stages.shape[1]):
                t = sklearn_tree(stages[s, k], False, model.learning_rate)
                for r, row in enumerate(rows):
                    total[r, k] += shapley(t, row, NF)[0]
        return total
    # hgb: baseline + trees
    k = len(model._predictors[0])
    total = np.zeros((len(rows), k, NF + 1))
    total[:, :, NF] = np.asarray(model._baseline_prediction).reshape(-1)
    for it in model._predictors:
        for c, p in enumerate(it):
            t = hgb_tree(p)
            for r, row in enumerate(rows):
                total[r, c] += shapley(t, row, NF)[0]
    return total


def data(classifier, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, NF))
    s = X[:, 0] + X[:, 1] * X[:, 2] - X[:, 3]
    y = np.searchsorted(np.quantile(s, [0.33, 0.66]), s) if classifier else s + rng.normal(size=300) * 0.1
    rows = rng.normal(size=(N_ROWS, NF)) * 1.3
    return X, y, rows


CASES = {
    # name: (factory, kind, space)
    "dt_clf": (lambda: DecisionTreeClassifier(max_depth=6, random_state=0), "clf", "probability"),
    "dt_reg": (lambda: DecisionTreeRegressor(max_depth=7, random_state=0), "reg", "value"),
    "extra_tree_reg": (lambda: ExtraTreeRegressor(max_depth=6, random_state=0), "reg", "value"),
    "rf_clf": (lambda: RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0), "clf", "probability"),
    "rf_reg": (lambda: RandomForestRegressor(n_estimators=8, max_depth=5, random_state=0), "reg", "value"),
    "et_clf": (lambda: ExtraTreesClassifier(n_estimators=6, max_depth=5, random_state=0), "clf", "probability"),
    "et_reg_weighted": (lambda: ExtraTreesRegressor(n_estimators=5, max_depth=5, random_state=0), "reg", "value"),
    "gb_reg": (lambda: GradientBoostingRegressor(n_estimators=10, max_depth=3, random_state=0), "gb", "value"),
    "gb_binary": (lambda: GradientBoostingClassifier(n_estimators=10, max_depth=3, random_state=0), "gb", "raw score"),
    "gb_multi": (lambda: GradientBoostingClassifier(n_estimators=6, max_depth=3, random_state=0), "gb", "raw score"),
    "hgb_reg_nan": (lambda: HistGradientBoostingRegressor(max_iter=10, max_depth=4, random_state=0), "hgb",
                    "raw value"),
    "hgb_binary": (lambda: HistGradientBoostingClassifier(max_iter=10, max_depth=4, random_state=0), "hgb",
                   "raw score"),
    "hgb_multi_nan": (lambda: HistGradientBoostingClassifier(max_iter=6, max_depth=3, random_state=0), "hgb",
                      "raw score"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_contributions_equal_shapley_values_from_the_definition(name, tmp_path, run_inferd, record_error):
    make, kind, space = CASES[name]
    classifier = kind == "clf" or name.startswith(("gb_b", "gb_m", "hgb_b", "hgb_m"))
    X, y, rows = data(classifier, seed=len(name))
    if name.endswith("binary"):
        y = (y > 0).astype(int)
    if name.endswith("nan"):  # HistGradientBoosting learns where missing values go
        X[np.random.default_rng(2).random(X.shape) < 0.1] = np.nan
        rows[np.random.default_rng(3).random(rows.shape) < 0.1] = np.nan
    model = make()
    if name.endswith("weighted"):
        model.fit(X, y, sample_weight=np.random.default_rng(3).uniform(0.2, 3.0, size=len(y)))
    else:
        model.fit(X, y)
    path = str(tmp_path / f"{name}.joblib")
    dump(model, path, "joblib")
    rc, out, err = run_inferd(path, write_rows(tmp_path, rows), "contributions")
    assert rc == 0, err
    assert out["space"] == space
    got = np.asarray(out["contributions"], dtype=np.float64)
    want = oracle(model, rows, kind)
    if want.shape[1] == 1:
        want = want[:, 0, :]
    assert got.shape == want.shape, (got.shape, want.shape)
    err = max_rel_err(got, want)
    record_error("tree_contrib", err)
    assert err <= 1e-9, f"largest relative difference {err:.3e}"
    # Additivity: every group adds up to the model's output for the row in its space.
    totals = got.sum(axis=-1)
    if kind == "clf":
        expected = model.predict_proba(rows)
    elif space == "raw score":
        expected = model.decision_function(rows)
    else:
        expected = model.predict(rows)
    assert np.allclose(totals, expected, rtol=1e-9, atol=1e-9)
