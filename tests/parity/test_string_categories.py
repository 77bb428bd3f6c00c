"""Tabular models fitted on pandas DataFrames with string categories (issue 14): Pipelines of
ColumnTransformer (column names, masks, make_column_selector), SimpleImputer with string
statistics, OneHotEncoder (drop, infrequent categories) and OrdinalEncoder over object columns
holding str, None and NaN must load; models that hold code (a callable column selector, a
FunctionTransformer with a function, a class of the training script) are refused with one
line naming it. Predictions from string cells need the request decoders; the runtimes are
checked with string codes in the C++ unit tests. OrdinalEncoder -> HistGradientBoosting with
numeric categories is compared with sklearn through `inferd predict`."""
import json
import subprocess

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from parity_util import N_ROWS, check_classifier, dump, model_path, write_rows


def titanic_like(n=300, seed=0):
    rng = np.random.RandomState(seed)
    df = pd.DataFrame({
        "age": np.where(rng.rand(n) < 0.2, np.nan, rng.randint(1, 80, n).astype(float)),
        "fare": rng.rand(n) * 100,
        "pclass": rng.randint(1, 4, n),
        "sex": rng.choice(["male", "female"], n),
        "embarked": pd.Series([["S", "C", "Q", None][k] for k in rng.choice(4, n, p=[.6, .2, .15, .05])],
                              dtype=object),
        "cabin_deck": pd.Series([["A", "B", "C", "D", np.nan, "T"][k]
                                 for k in rng.choice(6, n, p=[.1, .1, .1, .1, .55, .05])], dtype=object),
    })
    y = ((df.sex == "female") ^ (rng.rand(n) < 0.2)).astype(int)
    return df, y


def selectors_onehot():
    return Pipeline([
        ("pre", ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), make_column_selector(dtype_include=np.number)),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
             make_column_selector(dtype_include=object))])),
        ("clf", LogisticRegression(max_iter=1000))])


def infrequent_drop():
    return Pipeline([
        ("pre", ColumnTransformer([
            ("num", SimpleImputer(), ["age", "fare"]),
            ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20, drop="if_binary"),
             ["sex", "embarked", "cabin_deck"])], remainder="passthrough")),
        ("clf", LogisticRegression(max_iter=1000))])


def ordinal_hgb():
    return Pipeline([
        ("pre", ColumnTransformer([
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
             ["sex", "embarked", "cabin_deck"])], remainder="passthrough")),
        ("clf", HistGradientBoostingClassifier(categorical_features=[0, 1, 2], max_iter=20))])


def none_and_constant():
    return Pipeline([
        ("pre", ColumnTransformer([
            ("emb", make_pipeline(SimpleImputer(missing_values=None, strategy="constant", fill_value="missing"),
                                  OneHotEncoder()), ["embarked"]),
            ("deck", make_pipeline(SimpleImputer(strategy="constant", fill_value="U"), OneHotEncoder(drop="first")),
             ["cabin_deck"]),
            ("sex", OrdinalEncoder(), ["sex"])], remainder=SimpleImputer())),
        ("clf", RandomForestClassifier(n_estimators=5, random_state=0))])


def selector_types_and_masks():
    return Pipeline([
        ("pre", ColumnTransformer([
            ("a", SimpleImputer(),
             make_column_selector(pattern="^(age|fare)$", dtype_exclude=[object, "category", bool])),
            ("b", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=[object, np.object_])),
            ("c", "passthrough", make_column_selector(dtype_include=[np.integer, int])),
            ("d", "drop", make_column_selector(dtype_include=[np.floating, float, np.bool_])),
            ("e", "drop", [True, False, False, False, False, False]),
            ("f", "drop", slice(0, 2))])),
        ("clf", LogisticRegression(max_iter=1000))])


LOADING = [
    ("selectors_onehot", selectors_onehot,
     "ColumnTransformer(num=Pipeline(SimpleImputer, StandardScaler), cat=Pipeline(SimpleImputer, OneHotEncoder))"),
    ("infrequent_drop", infrequent_drop,
     "ColumnTransformer(num=SimpleImputer, cat=OneHotEncoder, remainder=passthrough)"),
    ("ordinal_hgb", ordinal_hgb, "ColumnTransformer(cat=OrdinalEncoder, remainder=passthrough)"),
    ("none_and_constant", none_and_constant,
     "ColumnTransformer(emb=Pipeline(SimpleImputer, OneHotEncoder), deck=Pipeline(SimpleImputer, OneHotEncoder), "
     "sex=OrdinalEncoder, remainder=SimpleImputer)"),
    ("selector_types_and_masks", selector_types_and_masks, "ColumnTransformer(a=SimpleImputer, b=OneHotEncoder, "
                                                           "c=passthrough)"),
]


def inspect(inferd_bin, path):
    p = subprocess.run([inferd_bin, "inspect", str(path)], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("container", ["joblib", "joblib3", "pickle2", "pickle5"])
@pytest.mark.parametrize("case", LOADING, ids=[c[0] for c in LOADING])
def test_string_category_pipeline_loads(case, container, tmp_path, inferd_bin):
    name, factory, described = case
    df, y = titanic_like()
    model = factory().fit(df, y)
    path = tmp_path / f"{name}.pkl"
    dump(model, str(path), container)
    rc, out, err = inspect(inferd_bin, path)
    assert rc == 0, err
    info = json.loads(out)
    assert described in info["model"], info["model"]
    assert info["n_features"] == 6
    assert info["classes"] == [0, 1]


def select_fare(X):
    return ["fare"]


class ClippingTransformer(BaseEstimator, TransformerMixin):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.clip(X, 0, 50)


REFUSED = [
    ("callable_selector", lambda: ColumnTransformer([("a", "passthrough", select_fare)]), "select_fare"),
    ("function_transformer", lambda: ColumnTransformer([("a", FunctionTransformer(np.log1p), ["fare"])]), "log1p"),
    ("custom_class", lambda: ColumnTransformer([("a", ClippingTransformer(), ["fare"])]), "ClippingTransformer"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_code_in_a_model_is_refused_in_one_line(case, tmp_path, inferd_bin):
    name, factory, needle = case
    df, y = titanic_like()
    model = Pipeline([("pre", factory()), ("clf", LogisticRegression())]).fit(df, y)
    path = tmp_path / f"{name}.joblib"
    joblib.dump(model, str(path))
    rc, out, err = inspect(inferd_bin, path)
    assert rc == 2, out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0], lines[0]


def test_slice_by_name_loads(tmp_path, inferd_bin):
    df, y = titanic_like()
    ct = ColumnTransformer([("a", OneHotEncoder(handle_unknown="ignore"), slice("sex", "embarked"))])
    model = Pipeline([("pre", ct), ("clf", LogisticRegression())]).fit(df, y)
    path = tmp_path / "slice.joblib"
    joblib.dump(model, str(path))
    rc, out, err = inspect(inferd_bin, path)
    assert rc == 0, err


@pytest.mark.parametrize("container", ["joblib", "pickle4"])
def test_ordinal_encoder_into_categorical_hgb_matches_sklearn(container, tmp_path, run_inferd, record_error):
    rng = np.random.default_rng(14)
    n = 600
    X = rng.normal(size=(n, 4))
    X[:, 0] = rng.choice([3.0, 7.0, 11.0, 20.0], size=n)
    X[:, 1] = rng.choice([-1.0, 0.5, 2.0], size=n)
    X[rng.random(n) < 0.1, 1] = np.nan
    y = ((X[:, 0] > 7) ^ (X[:, 1] == 0.5) ^ (X[:, 2] > 0)).astype(int)
    model = Pipeline([
        ("pre", ColumnTransformer([("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
                                    [0, 1])], remainder="passthrough")),
        ("clf", HistGradientBoostingClassifier(categorical_features=[0, 1], max_iter=30, random_state=0)),
    ]).fit(X, y)
    rows = rng.normal(size=(N_ROWS, 4))
    rows[:, 0] = rng.choice([3.0, 7.0, 11.0, 20.0, 5.0], size=N_ROWS)  # 5 is unknown
    rows[:, 1] = rng.choice([-1.0, 0.5, 2.0, 9.0, np.nan], size=N_ROWS)
    rows[:50] = X[:50]
    path = model_path(tmp_path, "ordinal_hgb", container)
    dump(model, path, container)
    rows_path = write_rows(tmp_path, rows)
    check_classifier(run_inferd, record_error, "string_cats", model, path, rows_path, rows)


def test_numpy_str_categories_load_and_match_sklearn(tmp_path, run_inferd):
    # Object columns built from numpy string arrays hold numpy.str_ scalars, and so do the
    # fitted statistics_ and categories_.
    rng = np.random.default_rng(3)
    sex = pd.Series([np.str_(s) for s in np.array(["male", "female"])[rng.integers(0, 2, 400)]], dtype=object)
    emb = pd.Series([np.str_(s) for s in np.array(["S", "C", "Q"])[rng.integers(0, 3, 400)]], dtype=object)
    emb[::7] = np.nan
    df = pd.DataFrame({"sex": sex, "emb": emb, "age": rng.uniform(1, 80, 400)})
    y = ((df.sex == "male") ^ (df.age < 20)).astype(int)
    model = Pipeline([
        ("pre", ColumnTransformer([("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                                         OneHotEncoder(handle_unknown="ignore")), ["sex", "emb"])],
                                  remainder="passthrough")),
        ("clf", LogisticRegression()),
    ]).fit(df, y)
    assert type(model.named_steps["pre"].transformers_[0][1][0].statistics_[0]) is np.str_
    path = str(tmp_path / "npstr.joblib")
    joblib.dump(model, path)
    records = [{"sex": ["male", "female", "robot"][i % 3], "emb": [None, "S", "Q", "X"][i % 4], "age": float(i % 70)}
               for i in range(60)]
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(records))
    rc, out, err = run_inferd(path, str(rows), "proba")
    assert rc == 0, err
    want = model.predict_proba(pd.DataFrame(records))
    assert np.allclose(np.asarray(out["probabilities"]), want, rtol=1e-9, atol=1e-12)
