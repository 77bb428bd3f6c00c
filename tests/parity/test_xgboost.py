"""Parity of XGBoost models (Debian's python3-xgboost 1.7) through `inferd predict`:
XGBClassifier / XGBRegressor inside sklearn pickles (booster = UBJSON snapshot bytearray)
and native .json / .ubj model files; NaN inputs; early stopping (best_iteration).
Predictions must equal xgboost's own float32 results exactly (the same library computes
them); the 1e-9 bound only absorbs the float32 -> JSON round trip."""
import zlib

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")  # python3-xgboost is in scripts/setup.sh

from parity_util import (N_ROWS, check_classifier, check_regressor, dump, model_path,  # noqa: E402
                             write_rows)

NF = 5


def data(seed, n_classes, nan_frac=0.05, n=500):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, NF))
    X[rng.random(X.shape) < nan_frac] = np.nan
    s = np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) ** 2 - np.nan_to_num(X[:, 2])
    if n_classes is None:
        return X, s * 2 + rng.normal(size=n) * 0.1
    edges = np.quantile(s, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.searchsorted(edges, s)


def rows_for(X, seed):
    rng = np.random.default_rng(seed + 1)
    rows = rng.normal(size=(N_ROWS, NF)) * 1.3
    rows[rng.random(rows.shape) < 0.07] = np.nan
    rows[:50] = X[:50]
    return rows


CASES = [
    ("xgbc_binary", "clf", 2, "joblib", dict(n_estimators=30, max_depth=4)),
    ("xgbc_multi", "clf", 4, "pickle5", dict(n_estimators=20)),
    ("xgbc_multi_early_stop", "clf", 3, "pickle2", dict(n_estimators=200, early_stopping_rounds=3)),
    ("xgbr", "reg", None, "joblib3", dict(n_estimators=40)),
    ("xgbr_missing_zero", "reg", None, "pickle4", dict(n_estimators=25, missing=0.0)),
    ("xgbr_dart", "reg", None, "pickle4", dict(n_estimators=15, booster="dart")),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_xgboost_pickle_parity(case, tmp_path, run_inferd, record_error):
    name, kind, n_classes, container, kwargs = case
    seed = zlib.crc32(name.encode()) % 1000
    X, y = data(seed, n_classes)
    fit_kw = {}
    if "early_stopping_rounds" in kwargs:
        fit_kw = dict(eval_set=[(X[400:], y[400:])], verbose=False)
        X, y = X[:400], y[:400]
    cls = xgb.XGBClassifier if kind == "clf" else xgb.XGBRegressor
    model = cls(random_state=0, **kwargs).fit(X, y, **fit_kw)
    if "early_stopping_rounds" in kwargs:
        assert model.best_iteration + 1 < model.get_booster().num_boosted_rounds()
    path = model_path(tmp_path, name, container)
    dump(model, path, container)
    rows = rows_for(X, seed)
    if name == "xgbr_missing_zero":
        rows[::9, 1] = 0.0
    rows_path = write_rows(tmp_path, rows)
    if kind == "clf":
        check_classifier(run_inferd, record_error, "xgboost", model, path, rows_path, rows, decision=False)
    else:
        check_regressor(run_inferd, record_error, "xgboost", model, path, rows_path, rows)


@pytest.mark.parametrize("ext", ["json", "ubj"])
@pytest.mark.parametrize("kind", ["clf_binary", "clf_multi", "reg"])
def test_xgboost_native_files(ext, kind, tmp_path, run_inferd, record_error):
    n_classes = {"clf_binary": 2, "clf_multi": 3, "reg": None}[kind]
    X, y = data(17, n_classes)
    cls = xgb.XGBRegressor if kind == "reg" else xgb.XGBClassifier
    model = cls(n_estimators=25, random_state=0).fit(X, y)
    path = str(tmp_path / f"model.{ext}")
    model.save_model(path)
    loaded = cls()
    loaded.load_model(path)
    rows = rows_for(X, 17)
    rows_path = write_rows(tmp_path, rows)
    if kind == "reg":
        check_regressor(run_inferd, record_error, "xgboost", loaded, path, rows_path, rows)
    else:
        check_classifier(run_inferd, record_error, "xgboost", loaded, path, rows_path, rows, decision=False)


def test_xgboost_corrupt_blob_is_refused(tmp_path, run_inferd):
    X, y = data(3, 2)
    model = xgb.XGBClassifier(n_estimators=5).fit(X, y)
    booster = model.get_booster()
    raw = bytearray(booster.save_raw("ubj"))
    path = str(tmp_path / "bad.ubj")
    with open(path, "wb") as f:
        f.write(raw[: len(raw) // 2])
    rc, out, err = run_inferd(path, write_rows(tmp_path, X[:3]))
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and path in err


class _BoosterPredict:
    """predict(rows) of a raw Booster trained on categorical data, as check_regressor calls it."""

    def __init__(self, booster, feature_types):
        self.booster, self.feature_types = booster, feature_types

    def predict(self, rows):
        return self.booster.predict(xgb.DMatrix(rows, feature_types=self.feature_types, enable_categorical=True))


@pytest.mark.parametrize("ext", ["json", "ubj"])
@pytest.mark.parametrize("split", ["partition", "onehot"])
def test_xgboost_categorical_splits(ext, split, tmp_path, run_inferd, record_error):
    """Categorical splits (the JSON file writes NaN as their threshold) read by inferd's checker
    and predicted like xgboost, with unseen categories and missing values."""
    rng = np.random.default_rng(23)
    X, y = data(23, None)
    X[:, 0] = rng.integers(0, 12, size=len(X))
    X[rng.random(len(X)) < 0.05, 0] = np.nan
    y = y + np.isin(X[:, 0], [1, 3, 5, 7]) * 2.0
    ft = ["c"] + ["q"] * (NF - 1)
    params = {"tree_method": "hist", "max_depth": 4, "max_cat_to_onehot": 1 if split == "partition" else 32}
    booster = xgb.train(params, xgb.DMatrix(X, label=y, feature_types=ft, enable_categorical=True), num_boost_round=20)
    path = str(tmp_path / f"model.{ext}")
    booster.save_model(path)
    rows = rows_for(X, 23)
    rows[:, 0] = rng.integers(0, 14, size=len(rows))  # 12 and 13 were never seen
    rows[rng.random(len(rows)) < 0.07, 0] = np.nan
    check_regressor(run_inferd, record_error, "xgboost", _BoosterPredict(booster, ft), path, write_rows(tmp_path, rows), rows)


@pytest.mark.parametrize("ext", ["json", "ubj"])
def test_xgboost_pruned_trees_with_deleted_nodes(ext, tmp_path, run_inferd, record_error):
    """Trees pruned by xgboost keep deleted nodes outside the tree; inferd's checker accepts them."""
    X, y = data(29, 2)
    y = np.where(np.random.default_rng(29).random(len(y)) < 0.2, 1 - y, y)  # noise: deep trees to prune
    model = xgb.XGBClassifier(n_estimators=20, max_depth=6, tree_method="exact", gamma=1, min_child_weight=0,
                              random_state=0).fit(X, y)
    path = str(tmp_path / f"model.{ext}")
    model.save_model(path)
    import json as _json
    trees = _json.loads(model.get_booster().save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    assert sum(int(t["tree_param"]["num_deleted"]) for t in trees) > 0
    loaded = xgb.XGBClassifier()
    loaded.load_model(path)
    rows = rows_for(X, 29)
    check_classifier(run_inferd, record_error, "xgboost", loaded, path, write_rows(tmp_path, rows), rows, decision=False)


def test_xgboost_dataframe_columns_are_the_model_columns(tmp_path, run_inferd):
    """A booster fitted on a DataFrame records feature_names: requests may name the columns
    (in any order), in the pickled wrapper and in the native file, with xgboost's answers."""
    import json
    import pandas as pd
    X, y = data(31, 2)
    cols = ["age", "fare", "pclass", "sibsp", "parch"]
    df = pd.DataFrame(X, columns=cols)
    model = xgb.XGBClassifier(n_estimators=15, random_state=0).fit(df, y)
    rows = rows_for(X, 31)[:200]
    want = model.predict_proba(pd.DataFrame(rows, columns=cols))
    records = [{c: (None if np.isnan(v) else float(v)) for c, v in zip(reversed(cols), reversed(r))} for r in rows]
    rows_path = str(tmp_path / "rows.json")
    with open(rows_path, "w") as f:
        json.dump(records, f)
    pkl = model_path(tmp_path, "named", "joblib")
    dump(model, pkl, "joblib")
    native = str(tmp_path / "named.ubj")
    model.save_model(native)
    for path in (pkl, native):
        rc, out, err = run_inferd(path, rows_path, "proba")
        assert rc == 0, err
        got = np.array(out["probabilities"])
        assert np.array_equal(got, want.astype(np.float64)), np.max(np.abs(got - want))


def test_xgboost_legacy_binary_file_is_refused_with_a_hint(tmp_path, run_inferd):
    """save_model to a name that is not .json/.ubj writes xgboost's deprecated binary format:
    refused in one line that says how to re-save it."""
    X, y = data(37, 2)
    booster = xgb.XGBClassifier(n_estimators=3).fit(X, y).get_booster()
    path = str(tmp_path / "model.bin")
    booster.save_model(path)
    with open(path, "rb") as f:
        assert f.read(4) == b"binf"
    rc, out, err = run_inferd(path, write_rows(tmp_path, X[:3]))
    assert rc == 2 and out is None
    assert len(err.strip().splitlines()) == 1 and path in err
    assert "legacy binary xgboost model" in err and "save_model('model.ubj')" in err, err
