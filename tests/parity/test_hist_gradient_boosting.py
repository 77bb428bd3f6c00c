"""Parity of HistGradientBoostingClassifier/Regressor (trained now with Debian's sklearn)
through `inferd predict`: NaN inputs (JSON null), categorical features incl. unseen,
negative, fractional and out-of-range category values, binary/multiclass, every output."""
import zlib

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from parity_util import (N_ROWS, check_classifier, check_regressor, dump, model_path, write_rows)

N_FEATURES = 6
LABELS = {
    "int": lambda y: y * 3 - 2,
    "str": lambda y: np.array(["cat", "dog", "emu", "fox"])[y],
    "objstr": lambda y: np.array(["alpha", "beta", "gamma", "delta"], dtype=object)[y],
    "bool": lambda y: y == 1,
}


def make_data(seed, n_classes, cat_cols, nan_frac, n=600):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    for c in cat_cols:
        X[:, c] = rng.integers(0, 5 + c, size=n)
    score = X[:, 0] + 0.5 * X[:, 1] - X[:, 2] + sum((X[:, c] % 3) - 1 for c in cat_cols)
    if nan_frac:
        X[rng.random(X.shape) < nan_frac] = np.nan
    if n_classes is None:
        return X, score * 3 + rng.normal(size=n)
    edges = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.searchsorted(edges, score)


def request_rows(X, seed, cat_cols, nan_frac):
    rng = np.random.default_rng(seed + 1)
    mean, std = np.nanmean(X, axis=0), np.nanstd(X, axis=0)
    rows = rng.normal(size=(N_ROWS, N_FEATURES)) * std * 1.5 + mean
    for c in cat_cols:
        rows[:, c] = rng.integers(-2, 12 + c, size=N_ROWS).astype(float)
        special = np.array([-0.5, 0.5, 2.5, 254.0, 255.0, 256.0, 300.0, 1e10, 4294967297.0, -1e10])
        rows[: len(special), c] = special
    if nan_frac:
        rows[rng.random(rows.shape) < nan_frac] = np.nan
    rows[20:70] = X[:50]  # training rows: exact thresholds and bins
    return rows


# (id, kind, n_classes, label kind, categorical columns, NaN fraction, container, estimator kwargs)
CASES = [
    ("hgbc_binary_nan", "clf", 2, "int", [], 0.1, "joblib", dict(max_iter=40)),
    ("hgbc_multi_str", "clf", 3, "str", [], 0.0, "pickle5", dict(max_iter=30)),
    ("hgbc_multi_objstr_nan", "clf", 4, "objstr", [], 0.05, "joblib3", dict(max_iter=25, max_depth=4)),
    ("hgbc_bool_early_stop", "clf", 2, "bool", [], 0.0, "pickle4", dict(max_iter=200, early_stopping=True,
                                                                      n_iter_no_change=3)),
    ("hgbc_categorical", "clf", 2, "int", [3, 5], 0.05, "pickle2", dict(max_iter=30)),
    ("hgbc_multi_categorical", "clf", 3, "str", [1], 0.08, "joblib", dict(max_iter=20)),
    ("hgbr_nan", "reg", None, None, [], 0.1, "pickle4", dict(max_iter=50)),
    ("hgbr_categorical_mask", "reg", None, None, [0, 4], 0.05, "joblib3", dict(max_iter=40)),
    ("hgbr_absolute", "reg", None, None, [], 0.0, "pickle5", dict(loss="absolute_error", max_iter=30)),
    ("hgbr_poisson", "reg", None, None, [], 0.05, "joblib", dict(loss="poisson", max_iter=30)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hgb_parity(case, tmp_path, run_inferd, record_error):
    name, kind, n_classes, label_kind, cat_cols, nan_frac, container, kwargs = case
    seed = zlib.crc32(name.encode()) % 1000
    X, y = make_data(seed, n_classes, cat_cols, nan_frac)
    if cat_cols:
        if name.endswith("_mask"):
            kwargs = dict(kwargs, categorical_features=np.isin(np.arange(N_FEATURES), cat_cols))
        else:
            kwargs = dict(kwargs, categorical_features=cat_cols)
    if kind == "clf":
        model = HistGradientBoostingClassifier(random_state=0, **kwargs).fit(X, LABELS[label_kind](y))
    else:
        if "poisson" in name:
            y = np.exp(y / 10)
        model = HistGradientBoostingRegressor(random_state=0, **kwargs).fit(X, y)
    path = model_path(tmp_path, name, container)
    dump(model, path, container)
    rows = request_rows(X, seed, cat_cols, nan_frac or 0.05)
    rows_path = write_rows(tmp_path, rows)
    if kind == "clf":
        check_classifier(run_inferd, record_error, "hgb", model, path, rows_path, rows)
    else:
        check_regressor(run_inferd, record_error, "hgb", model, path, rows_path, rows)


def test_hgb_pipeline_with_scaler_accepts_nan(tmp_path, run_inferd, record_error):
    """StandardScaler passes NaN on and HGB handles it: the pipeline accepts null."""
    X, y = make_data(7, 2, [], 0.1)
    model = Pipeline([("s", StandardScaler()), ("h", HistGradientBoostingClassifier(max_iter=20))]).fit(X, y)
    path = model_path(tmp_path, "pipe_hgb", "joblib")
    dump(model, path, "joblib")
    rows = request_rows(X, 7, [], 0.1)
    check_classifier(run_inferd, record_error, "hgb", model, path, write_rows(tmp_path, rows), rows)
