"""Parity: models trained NOW with Debian's scikit-learn, saved with joblib (plain and
compress=3) and pickle protocols 2/4/5, must predict through `inferd predict` exactly like
sklearn on >= 1000 random rows: identical labels (value and JSON type), probabilities and
values within 1e-9 relative (1e-12 absolute near 0)."""
import json
import pickle
import zlib

import joblib
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import OneClassSVM
from sklearn.tree import (DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier,
                          ExtraTreeRegressor)

from parity_util import N_ROWS, RTOL, dump, max_rel_err, same_json_types

N_FEATURES = 6


def labels(kind, y):
    """Map integer class ids to labels of the requested Python/numpy type."""
    if kind == "int":
        return y * 3 - 2  # includes negatives
    if kind == "str":
        return np.array(["cat", "dog", "emu", "fox"])[y]
    if kind == "objstr":  # pandas-like object array of str (nested pickle in joblib)
        return np.array(["alpha", "beta", "gamma", "delta"], dtype=object)[y]
    if kind == "bool":
        return y == 1
    if kind == "float":
        return y * 2.0 + 1.0  # float dtype; integral values, else sklearn calls y continuous
    raise ValueError(kind)


def clf_data(n_classes, seed):
    X, y = make_classification(n_samples=400, n_features=N_FEATURES, n_informative=4, n_redundant=1,
                               n_classes=n_classes, random_state=seed)
    return X, y


def reg_data(seed, n_targets=1):
    X, y = make_regression(n_samples=400, n_features=N_FEATURES, n_informative=5, n_targets=n_targets,
                           noise=0.5, random_state=seed)
    return X, y


# (id, family, kind, estimator factory, n_classes or None, label kind or n_targets, container)
CASES = [
    ("linreg", "linear", "reg", lambda: LinearRegression(), None, 1, "pickle4"),
    ("ridge_multi", "linear", "reg", lambda: Ridge(alpha=0.5), None, 2, "joblib"),
    ("lasso", "linear", "reg", lambda: Lasso(alpha=0.1), None, 1, "joblib3"),
    ("enet_noicpt", "linear", "reg", lambda: ElasticNet(alpha=0.1, fit_intercept=False), None, 1, "pickle2"),
    ("logreg_bin_int", "logistic", "clf", lambda: LogisticRegression(), 2, "int", "pickle5"),
    ("logreg_multi_str", "logistic", "clf", lambda: LogisticRegression(max_iter=500), 3, "str", "joblib"),
    ("logreg_ovr", "logistic", "clf", lambda: LogisticRegression(multi_class="ovr"), 3, "int", "pickle2"),
    ("logreg_liblinear", "logistic", "clf", lambda: LogisticRegression(solver="liblinear"), 4, "objstr", "joblib3"),
    ("logreg_bin_multinomial_bool", "logistic", "clf", lambda: LogisticRegression(multi_class="multinomial"), 2,
     "bool", "pickle4"),
    ("logreg_multi_float", "logistic", "clf", lambda: LogisticRegression(multi_class="multinomial"), 3, "float",
     "pickle5"),
    ("dtc_int", "tree", "clf", lambda: DecisionTreeClassifier(random_state=0), 3, "int", "joblib"),
    ("dtc_objstr", "tree", "clf", lambda: DecisionTreeClassifier(max_depth=6, random_state=0), 4, "objstr",
     "joblib3"),
    ("dtr", "tree", "reg", lambda: DecisionTreeRegressor(random_state=0), None, 1, "pickle5"),
    ("dtr_multi", "tree", "reg", lambda: DecisionTreeRegressor(max_depth=8, random_state=0), None, 2, "joblib"),
    ("etc_single_str", "tree", "clf", lambda: ExtraTreeClassifier(random_state=0), 3, "str", "pickle2"),
    ("etr_single", "tree", "reg", lambda: ExtraTreeRegressor(random_state=0), None, 1, "pickle4"),
    ("rfc_str", "forest", "clf", lambda: RandomForestClassifier(n_estimators=30, random_state=0), 3, "str",
     "joblib3"),
    ("rfc_100_int", "forest", "clf", lambda: RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0),
     2, "int", "pickle5"),
    ("rfr", "forest", "reg", lambda: RandomForestRegressor(n_estimators=40, random_state=0), None, 1, "joblib"),
    ("etc_bool", "forest", "clf", lambda: ExtraTreesClassifier(n_estimators=25, random_state=0), 2, "bool",
     "pickle4"),
    ("etc_float", "forest", "clf", lambda: ExtraTreesClassifier(n_estimators=25, random_state=0), 3, "float",
     "joblib"),
    ("etr", "forest", "reg", lambda: ExtraTreesRegressor(n_estimators=25, random_state=0), None, 1, "pickle2"),
    ("gbc_binary", "boosting", "clf", lambda: GradientBoostingClassifier(n_estimators=60, random_state=0), 2, "int",
     "joblib"),
    ("gbc_multi_str", "boosting", "clf", lambda: GradientBoostingClassifier(n_estimators=40, random_state=0), 3,
     "str", "pickle5"),
    ("gbc_multi_obj", "boosting", "clf", lambda: GradientBoostingClassifier(n_estimators=30, max_depth=4,
                                                                            random_state=1), 4, "objstr", "joblib3"),
    ("gbc_exponential", "boosting", "clf", lambda: GradientBoostingClassifier(loss="exponential", n_estimators=50,
                                                                              random_state=0), 2, "bool", "pickle4"),
    ("gbc_init_zero", "boosting", "clf", lambda: GradientBoostingClassifier(init="zero", n_estimators=30,
                                                                            random_state=0), 3, "int", "pickle2"),
    ("gbr", "boosting", "reg", lambda: GradientBoostingRegressor(n_estimators=80, random_state=0), None, 1,
     "joblib3"),
    ("gbr_init_zero", "boosting", "reg", lambda: GradientBoostingRegressor(init="zero", n_estimators=50,
                                                                           random_state=0), None, 1, "pickle2"),
    ("gbr_huber", "boosting", "reg", lambda: GradientBoostingRegressor(loss="huber", n_estimators=40,
                                                                       random_state=0), None, 1, "pickle5"),
    ("pipe_scaler_logreg", "pipeline", "clf",
     lambda: Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]), 3, "str", "joblib3"),
    ("pipe_minmax_rf", "pipeline", "clf",
     lambda: Pipeline([("scale", MinMaxScaler()), ("skip", "passthrough"),
                       ("rf", RandomForestClassifier(n_estimators=20, random_state=0))]), 2, "int", "pickle5"),
    ("pipe_scaler_ridge", "pipeline", "reg",
     lambda: Pipeline([("scale", StandardScaler()), ("reg", Ridge())]), None, 1, "pickle2"),
    ("standard_scaler", "preprocessing", "transform", lambda: StandardScaler(), None, 1, "pickle4"),
    ("minmax_clip", "preprocessing", "transform", lambda: MinMaxScaler(feature_range=(-1, 2), clip=True), None, 1,
     "joblib"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_parity(case, tmp_path, run_inferd, record_error):
    name, family, kind, factory, n_classes, label_kind, container = case
    seed = zlib.crc32(name.encode()) % 1000
    model = factory()
    if kind == "clf":
        X, y = clf_data(n_classes, seed)
        model.fit(X, labels(label_kind, y))
    else:
        X, y = reg_data(seed, n_targets=label_kind)
        model.fit(X, y) if kind == "reg" else model.fit(X)

    path = tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}"
    dump(model, str(path), container)

    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(N_ROWS, N_FEATURES)) * X.std(axis=0) * 1.5 + X.mean(axis=0)
    rows[:50] = X[:50]  # training rows hit exact leaves / thresholds neighbourhoods too
    rows_path = tmp_path / "rows.json"
    rows_path.write_text(json.dumps(rows.tolist()))

    if kind == "transform":
        rc, out, err = run_inferd(str(path), str(rows_path), "transform")
        assert rc == 0, err
        e = max_rel_err(out["transform"], model.transform(rows))
        record_error(family, e)
        assert e <= RTOL
        return

    rc, out, err = run_inferd(str(path), str(rows_path), "predict")
    assert rc == 0, err
    want = model.predict(rows)
    if kind == "clf":
        want_list = want.tolist()
        assert out["predictions"] == want_list
        assert same_json_types(out["predictions"], want_list)
        rc, pout, err = run_inferd(str(path), str(rows_path), "proba")
        assert rc == 0, err
        assert pout["classes"] == model.classes_.tolist()
        assert same_json_types(pout["classes"], model.classes_.tolist())
        e = max_rel_err(pout["probabilities"], model.predict_proba(rows))
    else:
        e = max_rel_err(out["predictions"], want)
    record_error(family, e)
    assert e <= RTOL, f"max relative error {e:.3e}"


def test_unsupported_estimator_is_refused(tmp_path, run_inferd):
    X, y = clf_data(2, 0)
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
    X, y = clf_data(2, 0)
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
