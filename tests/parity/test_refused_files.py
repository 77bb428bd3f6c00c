"""Files inferd must refuse, with exactly one line on stderr naming the problem, never a crash
or a wrong answer: tampered models (real sklearn objects whose fitted arrays were made
inconsistent before pickling), an unsupported estimator, a truncated file."""
import json
import pickle

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC, OneClassSVM

from parity_util import clf_data


def _svc_n_support(m):
    m._n_support = m._n_support + np.array([1, 0, 0], dtype=m._n_support.dtype)


def _svc_n_support_negative(m):
    m._n_support = np.array([-5, 5 + m._n_support[0] + m._n_support[1], m._n_support[2]], dtype=np.int32)


def _svc_dual_coef(m):
    m._dual_coef_ = m._dual_coef_[:, :-1]


def _svc_intercept(m):
    m._intercept_ = m._intercept_[:2]


def _svc_proba(m):
    m._probA = m._probA[:1]


def _knn_y(m):
    m._y = m._y.copy()
    m._y[7] = len(m.classes_)


def _knn_k(m):
    m.n_neighbors = m._fit_X.shape[0] + 1


def _mlp_chain(m):
    m.coefs_[1] = np.zeros((m.coefs_[1].shape[0] + 1, m.coefs_[1].shape[1]))


def _mlp_intercepts(m):
    m.intercepts_ = m.intercepts_[:-1]


def _gnb_var(m):
    m.var_ = m.var_[:, :-1]


def _sgd_coef(m):
    m.coef_ = m.coef_[:2]


# (id, factory, n_classes, tamper, substring expected in the error)
CASES = [
    ("svc_n_support_sum", lambda: SVC(), 3, _svc_n_support, "_n_support"),
    ("svc_n_support_negative", lambda: SVC(), 3, _svc_n_support_negative, "_n_support"),
    ("svc_dual_coef_shape", lambda: SVC(), 3, _svc_dual_coef, "_dual_coef_"),
    ("svc_intercept_shape", lambda: SVC(), 3, _svc_intercept, "_intercept_"),
    ("svc_proba_shape", lambda: SVC(probability=True, random_state=0), 3, _svc_proba, "_probA"),
    ("knn_y_index", lambda: KNeighborsClassifier(), 3, _knn_y, "_y"),
    ("knn_too_many_neighbors", lambda: KNeighborsClassifier(), 3, _knn_k, "n_neighbors"),
    ("mlp_layer_chain", lambda: MLPClassifier(hidden_layer_sizes=(5, 4), max_iter=20, random_state=0), 3, _mlp_chain,
     "coefs_[1]"),
    ("mlp_intercepts", lambda: MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0), 3,
     _mlp_intercepts, "intercepts_"),
    ("gnb_var_shape", lambda: GaussianNB(), 3, _gnb_var, "var_"),
    ("sgd_coef_rows", lambda: SGDClassifier(random_state=0), 3, _sgd_coef, "coef_"),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_tampered_model_is_refused(case, tmp_path, run_inferd):
    name, factory, n_classes, tamper, needle = case
    X, y = clf_data(n_classes, 3)
    model = factory().fit(X, y)
    tamper(model)
    path = tmp_path / f"{name}.pkl"
    with open(path, "wb") as f:
        pickle.dump(model, f, protocol=4)
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(X[:5].tolist()))
    rc, out, err = run_inferd(str(path), str(rows))
    assert rc != 0 and out is None
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0], lines[0]


def test_unsupported_estimator_is_refused(tmp_path, run_inferd):
    X, y = clf_data(2, 0, n_samples=400, n_clusters_per_class=2)
    path = tmp_path / "model.pkl"
    joblib.dump(OneClassSVM().fit(X), str(path))
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(X[:3].tolist()))
    rc, out, err = run_inferd(str(path), str(rows))
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"{path}: unsupported estimator 'sklearn.svm._classes.OneClassSVM'" in lines[0]


def test_truncated_file_is_refused(tmp_path, run_inferd):
    X, y = clf_data(2, 0, n_samples=400, n_clusters_per_class=2)
    good = tmp_path / "good.pkl"
    with open(good, "wb") as f:
        pickle.dump(LogisticRegression().fit(X, y), f, protocol=4)
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(good.read_bytes()[:-40])
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(X[:3].tolist()))
    rc, out, err = run_inferd(str(bad), str(rows))
    assert rc != 0
    assert len(err.strip().splitlines()) == 1 and str(bad) in err
