"""Contributions of linear models: coef * x for each feature and the intercept as the bias, in
the decision-function space for classifiers (one group per decision column) and the value space
for regressors (one per target), checked against the fitted coefficients scikit-learn holds, and
adding up to decision_function / predict for every row. Tolerance 1e-9 relative."""
import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.svm import LinearSVC

from parity_util import dump, max_rel_err, write_rows

NF = 5


def data(kind, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, NF))
    s = X @ rng.normal(size=NF)
    if kind == "binary":
        y = (s > 0).astype(int)
    elif kind == "multi":
        y = np.searchsorted(np.quantile(s, [0.33, 0.66]), s)
    elif kind == "targets":
        y = np.c_[s, 2 * s + X[:, 0]]
    else:
        y = s + rng.normal(size=200) * 0.1
    return X, y, rng.normal(size=(50, NF)) * 2


CASES = {
    "linreg": (LinearRegression, "value", "value"),
    "ridge_targets": (Ridge, "targets", "value"),
    "elasticnet": (lambda: ElasticNet(alpha=0.01), "value", "value"),
    "logreg_binary": (lambda: LogisticRegression(max_iter=1000), "binary", "decision function"),
    "logreg_multi": (lambda: LogisticRegression(max_iter=1000), "multi", "decision function"),
    "sgd_multi": (lambda: SGDClassifier(random_state=0), "multi", "decision function"),
    "linear_svc": (lambda: LinearSVC(max_iter=5000, dual=True), "binary", "decision function"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_linear_contributions(name, tmp_path, run_inferd, record_error):
    make, kind, space = CASES[name]
    X, y, rows = data(kind, seed=len(name))
    model = make().fit(X, y)
    path = str(tmp_path / f"{name}.joblib")
    dump(model, path, "joblib")
    rc, out, err = run_inferd(path, write_rows(tmp_path, rows), "contributions")
    assert rc == 0, err
    assert out["space"] == space
    got = np.asarray(out["contributions"], dtype=np.float64)
    coef = np.atleast_2d(model.coef_)
    intercept = np.atleast_1d(model.intercept_) * np.ones(coef.shape[0])
    want = np.concatenate([rows[:, None, :] * coef[None, :, :], np.broadcast_to(intercept, (len(rows), len(intercept)))[:, :, None]], axis=2)
    if want.shape[1] == 1:
        want = want[:, 0, :]
    assert got.shape == want.shape, (got.shape, want.shape)
    e = max_rel_err(got, want)
    record_error("linear_contrib", e)
    assert e <= 1e-9, f"largest relative difference {e:.3e}"
    totals = got.sum(axis=-1)
    expected = model.predict(rows) if space == "value" else model.decision_function(rows)
    assert np.allclose(totals, expected, rtol=1e-9, atol=1e-9)
