"""Parity of transformers and composites (trained now with Debian's sklearn) through
`inferd predict --output transform|predict|proba`: StandardScaler, MinMaxScaler,
SimpleImputer, OneHotEncoder, OrdinalEncoder, PCA, Normalizer, PolynomialFeatures,
FunctionTransformer(identity), ColumnTransformer (by index, by name, slices, masks,
remainder, weights) and Pipelines of them; NaN acceptance through pipelines; request-time
errors for unknown categories."""
import zlib

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (FunctionTransformer, MinMaxScaler, Normalizer, OneHotEncoder, OrdinalEncoder,
                                   PolynomialFeatures, StandardScaler)

from parity_util import (N_ROWS, check_case, check_classifier, check_regressor, check_transformer, dump, model_path,
                         write_rows)

NF = 6
CAT = [1, 4]  # integer-valued columns in every data set


def data(seed, nan_frac=0.0, n=500):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, NF)) * [1, 1, 3, 0.5, 1, 10] + [0, 0, 5, 0, 0, -3]
    X[:, 1] = rng.integers(0, 4, n)
    X[:, 4] = rng.integers(-2, 3, n) * 1.5
    if nan_frac:
        X[rng.random(X.shape) < nan_frac] = np.nan
    y = (X[:, 0] + np.nan_to_num(X[:, 1]) > 1).astype(int)
    return X, y


def rows_for(X, seed, nan_frac=0.0, unseen=False):
    rng = np.random.default_rng(seed + 1)
    idx = rng.integers(0, len(X), N_ROWS)
    rows = X[idx].copy()
    noise = rng.normal(size=rows.shape) * 0.3
    for c in range(NF):
        if c not in CAT:
            rows[:, c] += noise[:, c]
    if unseen:
        rows[::17, 1] = 7.0
        rows[::23, 4] = 0.25
    if nan_frac:
        rows[rng.random(rows.shape) < nan_frac] = np.nan
    else:
        rows = np.where(np.isnan(rows), 0.5, rows)
    return rows


def ct(transformers, **kw):
    return ColumnTransformer(transformers, **kw)


# (id, family, kind, estimator factory, n_classes or None, label kind or n_targets, container)
SCALER_CASES = [
    ("standard_scaler", "preprocessing", "transform", lambda: StandardScaler(), None, 1, "pickle4"),
    ("minmax_clip", "preprocessing", "transform", lambda: MinMaxScaler(feature_range=(-1, 2), clip=True), None, 1,
     "joblib"),
]


@pytest.mark.parametrize("case", SCALER_CASES, ids=[c[0] for c in SCALER_CASES])
def test_scaler_parity(case, tmp_path, run_inferd, record_error):
    check_case(case, tmp_path, run_inferd, record_error)


# (id, factory, fit NaN fraction, request NaN fraction, unseen categories, container, y kind)
CASES = [
    ("imputer_mean_dropcol", lambda: SimpleImputer(), 0.1, 0.1, False, "joblib", None),
    ("imputer_median_indicator", lambda: SimpleImputer(strategy="median", add_indicator=True), 0.1, 0.1, False,
     "pickle5", None),
    ("imputer_most_frequent_keep_empty", lambda: SimpleImputer(strategy="most_frequent", keep_empty_features=True),
     0.1, 0.1, False, "pickle2", None),
    ("imputer_constant", lambda: SimpleImputer(strategy="constant", fill_value=-7.0), 0.1, 0.1, False, "joblib3",
     None),
    ("imputer_missing_minus_one", lambda: SimpleImputer(missing_values=-1.5, strategy="mean"), 0.0, 0.0, False,
     "pickle4", None),
    ("onehot_ignore", lambda: OneHotEncoder(handle_unknown="ignore"), 0.0, 0.0, True, "joblib", "cat"),
    ("onehot_drop_first_dense", lambda: OneHotEncoder(drop="first", sparse_output=False), 0.0, 0.0, False, "pickle4",
     "cat"),
    ("onehot_drop_if_binary_nan", lambda: OneHotEncoder(drop="if_binary", handle_unknown="ignore"), 0.1, 0.1, True,
     "pickle2", "catbin"),
    ("ordinal_encoded_value", lambda: OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), 0.0, 0.0,
     True, "joblib3", "cat"),
    ("ordinal_nan", lambda: OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-9,
                                           encoded_missing_value=-5), 0.1, 0.1, True, "pickle5", "cat"),
    ("pca", lambda: PCA(n_components=4), 0.0, 0.0, False, "joblib", None),
    ("pca_whiten", lambda: PCA(whiten=True), 0.0, 0.0, False, "pickle2", None),
    ("normalizer_l2", lambda: Normalizer(), 0.0, 0.0, False, "pickle4", None),
    ("normalizer_l1", lambda: Normalizer(norm="l1"), 0.0, 0.0, False, "joblib", None),
    ("normalizer_max", lambda: Normalizer(norm="max"), 0.0, 0.0, False, "pickle5", None),
    ("poly2", lambda: PolynomialFeatures(2), 0.0, 0.0, False, "joblib", None),
    ("poly3_interaction_nobias", lambda: PolynomialFeatures(3, interaction_only=True, include_bias=False), 0.0, 0.0,
     False, "pickle4", None),
    ("poly_2_3", lambda: PolynomialFeatures((2, 3)), 0.0, 0.0, False, "pickle2", None),
    ("function_identity", lambda: FunctionTransformer(), 0.1, 0.1, False, "joblib", None),
    ("ct_index_remainder_passthrough",
     lambda: ct([("num", StandardScaler(), [0, 2, 3]), ("cat", OneHotEncoder(handle_unknown="ignore"), CAT)],
                remainder="passthrough"), 0.0, 0.0, True, "joblib", None),
    ("ct_drop_weights_slice",
     lambda: ct([("a", PCA(2), slice(0, 4)), ("b", "passthrough", [5]), ("c", "drop", [4])],
                transformer_weights={"a": 2.5, "b": -1.0}), 0.0, 0.0, False, "pickle5", None),
    ("ct_mask_negative_index",
     lambda: ct([("m", MinMaxScaler(), np.array([True, False, True, False, False, True])),
                 ("o", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), [-5, -2])],
                remainder=Normalizer()), 0.0, 0.0, True, "pickle2", None),
    ("ct_nested_pipeline_nan",
     lambda: ct([("num", Pipeline([("imp", SimpleImputer()), ("sc", StandardScaler())]), [0, 2, 3, 5]),
                 ("cat", Pipeline([("imp", SimpleImputer(strategy="most_frequent")),
                                   ("oh", OneHotEncoder(handle_unknown="ignore"))]), CAT)]), 0.1, 0.1, True,
     "joblib3", None),
    ("pipe_ends_in_transformer",
     lambda: Pipeline([("imp", SimpleImputer(add_indicator=True)), ("sc", StandardScaler()), ("pca", PCA(3))]),
     0.1, 0.1, False, "pickle4", None),
]


def fit_rows(case):
    name, factory, fit_nan, req_nan, unseen, container, ykind = case
    seed = zlib.crc32(name.encode()) % 1000
    X, _ = data(seed, fit_nan)
    rows = rows_for(X, seed, req_nan, unseen)
    if ykind in ("cat", "catbin"):
        cols = CAT if ykind == "cat" else [1]
        X, rows = X[:, cols], rows[:, cols]
        if ykind == "catbin":
            X = np.where(np.isnan(X), np.nan, X % 2)
            rows = np.where(np.isnan(rows), np.nan, np.where(rows == 7.0, 7.0, rows % 2))
    if name == "imputer_mean_dropcol":
        X[:, 3] = np.nan  # all-missing column: dropped by transform
    if name == "imputer_missing_minus_one":
        X[::7, 2] = -1.5
        rows[::5, 2] = -1.5
    if name.startswith("normalizer"):
        rows[:5] = 0.0  # zero rows keep their zeros
    return factory().fit(X), X, rows, container


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_transformer_parity(case, tmp_path, run_inferd, record_error):
    model, X, rows, container = fit_rows(case)
    path = model_path(tmp_path, case[0], container)
    dump(model, path, container)
    check_transformer(run_inferd, record_error, "transformers", model, path, write_rows(tmp_path, rows), rows)


def test_column_transformer_by_name(tmp_path, run_inferd, record_error):
    """feature_names_in_ + string columns (as after fitting on a DataFrame; pandas is not
    installed here, so the names are attached to an index-fitted model): the request row is
    still positional, in feature_names_in_ order."""
    X, _ = data(11)
    names = np.array(["a", "b", "c", "d", "e", "f"], dtype=object)
    model = ct([("num", StandardScaler(), [0, 2]), ("cat", OneHotEncoder(handle_unknown="ignore"), [1, 4])],
               remainder="passthrough").fit(X)
    reference = model.transform(rows_for(X, 11))
    model.feature_names_in_ = names
    model.transformers_ = [(n, t, list(names[c]) if isinstance(c, list) else c)
                           for n, t, c in model.transformers_]
    model.transformers_[-1] = ("remainder", "passthrough", ["d", "f"])
    del model._transformer_to_input_indices
    path = model_path(tmp_path, "ct_names", "joblib")
    dump(model, path, "joblib")
    rows = rows_for(X, 11)
    rc, out, err = run_inferd(path, write_rows(tmp_path, rows), "transform")
    assert rc == 0, err
    np.testing.assert_allclose(out["transform"], reference.toarray() if hasattr(reference, "toarray") else reference,
                               rtol=1e-12, atol=1e-15)
    record_error("transformers", 0.0)


# Pipelines ending in an estimator; NaN acceptance follows the first NaN-consuming step.
PIPES = [
    ("pipe_imputer_logreg_nan", lambda: Pipeline([("imp", SimpleImputer()), ("lr", LogisticRegression())]), 0.1,
     "clf", "joblib"),
    ("pipe_ct_onehot_logreg", lambda: Pipeline([
        ("ct", ct([("num", Pipeline([("imp", SimpleImputer(strategy="median")), ("sc", StandardScaler())]),
                    [0, 2, 3, 5]),
                   ("cat", OneHotEncoder(handle_unknown="ignore"), CAT)])),
        ("lr", LogisticRegression(max_iter=500))]), 0.0, "clf", "pickle5"),
    ("pipe_poly_ridge", lambda: Pipeline([("sc", StandardScaler()), ("poly", PolynomialFeatures(2)),
                                          ("r", Ridge())]), 0.0, "reg", "pickle4"),
    ("pipe_pca_rf", lambda: Pipeline([("pca", PCA(3, whiten=True)), ("rf", RandomForestRegressor(20, random_state=0))]),
     0.0, "reg", "joblib3"),
    ("pipe_ordinal_hgb_nan", lambda: Pipeline([
        ("ct", ct([("o", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), CAT)],
                  remainder="passthrough")),
        ("h", HistGradientBoostingClassifier(max_iter=20))]), 0.1, "clf", "pickle2"),
]


@pytest.mark.parametrize("case", PIPES, ids=[c[0] for c in PIPES])
def test_pipeline_parity(case, tmp_path, run_inferd, record_error):
    name, factory, nan_frac, kind, container = case
    seed = zlib.crc32(name.encode()) % 1000
    X, y = data(seed, nan_frac)
    rows = rows_for(X, seed, nan_frac, unseen=True)
    if kind == "reg":
        y = X[:, 0] * 2 + X[:, 2] ** 2 + X[:, 1]
    model = factory().fit(X, y)
    path = model_path(tmp_path, name, container)
    dump(model, path, container)
    rows_path = write_rows(tmp_path, rows)
    if kind == "clf":
        check_classifier(run_inferd, record_error, "composites", model, path, rows_path, rows)
    else:
        check_regressor(run_inferd, record_error, "composites", model, path, rows_path, rows)


def test_nan_refused_when_first_consumer_rejects_it(tmp_path, run_inferd):
    X, y = data(3)
    model = Pipeline([("sc", StandardScaler()), ("lr", LogisticRegression())]).fit(X, y)
    path = model_path(tmp_path, "scaler_logreg", "joblib")
    dump(model, path, "joblib")
    rows = X[:5].copy()
    rows[2, 3] = np.nan
    rc, out, err = run_inferd(path, write_rows(tmp_path, rows), "predict")
    assert rc == 1
    assert len(err.strip().splitlines()) == 1 and "missing" in err


def test_unknown_category_is_a_request_error(tmp_path, run_inferd):
    X, _ = data(5)
    model = OneHotEncoder().fit(X[:, CAT])
    path = model_path(tmp_path, "onehot_error", "pickle4")
    dump(model, path, "pickle4")
    rows = X[:4, CAT].copy()
    rows[1, 1] = 0.25  # never seen
    with pytest.raises(ValueError):
        model.transform(rows)
    rc, out, err = run_inferd(path, write_rows(tmp_path, rows), "transform")
    assert rc == 1
    assert err.strip().splitlines() == ["inferd: OneHotEncoder: column 1 has unknown category 0.25"]


def test_function_transformer_with_code_is_refused(tmp_path, run_inferd):
    """A function is code: a numpy ufunc global is refused by the reader, an allow-listed
    sklearn function by the FunctionTransformer adapter; both with one line, exit 2."""
    from sklearn.utils.validation import check_array
    X, _ = data(5)
    for name, func, needle in [("ft_log", np.log1p, "log1p"), ("ft_check", check_array, "FunctionTransformer")]:
        model = FunctionTransformer(func).fit(X)
        path = model_path(tmp_path, name, "pickle4")
        dump(model, path, "pickle4")
        rc, out, err = run_inferd(path, write_rows(tmp_path, X[:3]), "transform")
        assert rc == 2
        assert len(err.strip().splitlines()) == 1 and needle in err, err
