"""Per-feature contributions of scikit-learn's trees and forests against Shapley values computed
from the definition (an oracle independent of inferd's TreeSHAP): for every subset S of the
features, v(S) is the tree's expectation when the features in S follow the row and every other
split averages its children weighted by their training cover (tree_.weighted_n_node_samples);
each feature's value is the Shapley-weighted sum of v(S + i) - v(S) over every S. Forests
average their trees. Classifiers are explained per class in probability space, regressors in
their value space; contributions plus bias must equal predict_proba / predict for every row.
Models have <= 8 features so that every subset can be enumerated. Tolerance 1e-9 relative.
The largest difference is recorded as "tree_contrib".
"""
import itertools
import math

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeRegressor

from parity_util import dump, max_rel_err, write_rows

NF = 6
N_ROWS = 60


def tree_values(est, classifier):
    """Per node: the outputs the model averages (normalised class counts, or the values)."""
    v = est.tree_.value[:, 0, :] if not classifier else est.tree_.value[:, 0, :]
    if classifier:
        v = v / v.sum(axis=1, keepdims=True)
    return v


def expectation(tree, values, row, known, node=0):
    left, right = tree.children_left[node], tree.children_right[node]
    if left < 0:
        return values[node]
    f = tree.feature[node]
    if f in known:
        go_left = np.float32(row[f]) <= tree.threshold[node]  # sklearn compares the float32 cell as double
        return expectation(tree, values, row, known, left if go_left else right)
    w = tree.weighted_n_node_samples
    return (w[left] * expectation(tree, values, row, known, left) +
            w[right] * expectation(tree, values, row, known, right)) / w[node]


def shapley(tree, values, row, nf):
    out = np.zeros((values.shape[1], nf + 1))
    cache = {}

    def v(s):
        if s not in cache:
            cache[s] = expectation(tree, values, row, set(s))
        return cache[s]

    for i in range(nf):
        others = [j for j in range(nf) if j != i]
        for size in range(nf):
            weight = math.factorial(size) * math.factorial(nf - size - 1) / math.factorial(nf)
            for s in itertools.combinations(others, size):
                out[:, i] += weight * (v(tuple(sorted(s + (i,)))) - v(s))
    out[:, nf] = v(())
    return out


def oracle(model, rows, classifier):
    trees = getattr(model, "estimators_", [model])
    total = np.zeros((len(rows), model.n_classes_ if classifier else 1, NF + 1))
    for est in trees:
        values = tree_values(est, classifier)
        for r, row in enumerate(rows):
            total[r] += shapley(est.tree_, values, row, NF)
    return total / len(trees)


def data(classifier, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, NF))
    s = X[:, 0] + X[:, 1] * X[:, 2] - X[:, 3]
    y = np.searchsorted(np.quantile(s, [0.33, 0.66]), s) if classifier else s + rng.normal(size=300) * 0.1
    rows = rng.normal(size=(N_ROWS, NF)) * 1.3
    return X, y, rows


CASES = {
    "dt_clf": (lambda: DecisionTreeClassifier(max_depth=6, random_state=0), True),
    "dt_reg": (lambda: DecisionTreeRegressor(max_depth=7, random_state=0), False),
    "extra_tree_reg": (lambda: ExtraTreeRegressor(max_depth=6, random_state=0), False),
    "rf_clf": (lambda: RandomForestClassifier(n_estimators=8, max_depth=5, random_state=0), True),
    "rf_reg": (lambda: RandomForestRegressor(n_estimators=8, max_depth=5, random_state=0), False),
    "et_clf": (lambda: ExtraTreesClassifier(n_estimators=6, max_depth=5, random_state=0), True),
    "et_reg_weighted": (lambda: ExtraTreesRegressor(n_estimators=5, max_depth=5, random_state=0), False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_contributions_equal_shapley_values_from_the_definition(name, tmp_path, run_inferd, record_error):
    make, classifier = CASES[name]
    X, y, rows = data(classifier, seed=len(name))
    model = make()
    if name.endswith("weighted"):
        model.fit(X, y, sample_weight=np.random.default_rng(3).uniform(0.2, 3.0, size=len(y)))
    else:
        model.fit(X, y)
    path = str(tmp_path / f"{name}.joblib")
    dump(model, path, "joblib")
    rc, out, err = run_inferd(path, write_rows(tmp_path, rows), "contributions")
    assert rc == 0, err
    assert out["space"] == ("probability" if classifier else "value")
    got = np.asarray(out["contributions"], dtype=np.float64)
    want = oracle(model, rows, classifier)
    if not classifier:
        want = want[:, 0, :]
    assert got.shape == want.shape, (got.shape, want.shape)
    err = max_rel_err(got, want)
    record_error("tree_contrib", err)
    assert err <= 1e-9, f"largest relative difference {err:.3e}"
    # Additivity: every group adds up to the model's output for the row.
    totals = got.sum(axis=-1)
    expected = model.predict_proba(rows) if classifier else model.predict(rows)
    assert np.allclose(totals, expected, rtol=1e-9, atol=1e-12)
