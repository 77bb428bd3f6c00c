"""Tabular (pandas DataFrame) models for the end-to-end tests of issue 14 (test_tabular.py).

A Titanic-like data set generated with a fixed seed, nine scikit-learn models fitted on
DataFrames (ColumnTransformer pipelines with string categories, and estimators fitted directly
on a numeric DataFrame), the request rows each model is asked about, and the expected answers:
scikit-learn's output on `pandas.DataFrame(records)` built from the very JSON a test sends, or
on `pandas.read_csv` of the very CSV it sends.

Columns (TRAIN and REQUEST frames, in this order):
  pclass      int 1..3
  sex         str  male / female
  age         float, NaN for about 20 % of rows
  sibsp       int 0..4
  parch       int 0..3
  fare        float, NaN for about 1 %
  embarked    str  S / C / Q; None (about 2 %) and NaN (about 1 %) in TRAIN
  cabin_deck  str  A..G and a rare T; None for most rows, NaN for a few
  ticket      str  high cardinality (the models that keep it drop it)
Request rows add unseen categories (embarked 'X', cabin_deck 'Z' / 'U'), unseen tickets and
missing values; their first rows are hand-made corner cases.

Run directly to print a summary: /usr/bin/python3 tests/parity/tabular_models.py
or to write the models, rows and expected outputs for debugging the server by hand:
  /usr/bin/python3 tests/parity/tabular_models.py --dump /tmp/tab
"""
import io
import json
import math
import warnings

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import (GradientBoostingClassifier, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

SEED = 14
N_TRAIN = 2000
N_REQUEST = 1200

ALL_COLUMNS = ["pclass", "sex", "age", "sibsp", "parch", "fare", "embarked", "cabin_deck", "ticket"]
INT_COLUMNS = {"pclass", "sibsp", "parch"}
FLOAT_COLUMNS = {"age", "fare"}
STRING_COLUMNS = {"sex", "embarked", "cabin_deck", "ticket"}


def _tickets(rng, n, prefix_pool):
    prefixes = rng.choice(prefix_pool, size=n)
    numbers = rng.randint(1000, 400000, size=n)
    return [f"{p}{k}" if p else str(k) for p, k in zip(prefixes, numbers)]


def make_frame(n, seed, request=False):
    """n Titanic-like rows (see the module doc) and the binary target `survived`."""
    rng = np.random.RandomState(seed)
    pclass = rng.choice([1, 2, 3], size=n, p=[0.25, 0.2, 0.55])
    sex = rng.choice(["male", "female"], size=n, p=[0.64, 0.36])
    age = np.round(np.clip(rng.normal(30 - 3 * (pclass - 2), 13, size=n), 0.4, 80), 1)
    age[rng.rand(n) < 0.2] = np.nan
    sibsp = rng.choice([0, 1, 2, 3, 4], size=n, p=[0.68, 0.23, 0.04, 0.03, 0.02])
    parch = rng.choice([0, 1, 2, 3], size=n, p=[0.76, 0.13, 0.09, 0.02])
    fare = np.round(np.exp(rng.normal(4.4 - 0.8 * (pclass - 1), 0.6, size=n)), 4)
    fare[rng.rand(n) < 0.01] = np.nan
    embarked = rng.choice(["S", "C", "Q"], size=n, p=[0.72, 0.19, 0.09]).astype(object)
    u = rng.rand(n)
    embarked[u < 0.02] = None
    embarked[(u >= 0.02) & (u < 0.03)] = np.nan
    deck = rng.choice(list("ABCDEFG"), size=n, p=[0.08, 0.2, 0.25, 0.15, 0.14, 0.1, 0.08]).astype(object)
    deck[rng.rand(n) < 0.003] = "T"  # rare: infrequent for min_frequency
    u = rng.rand(n)
    has_cabin = u < np.where(pclass == 1, 0.8, 0.12)
    deck[~has_cabin] = None
    deck[(~has_cabin) & (rng.rand(n) < 0.05)] = np.nan
    ticket = np.array(_tickets(rng, n, ["", "", "PC ", "A/5 ", "STON/O2. ", "C.A. "]), dtype=object)
    logit = (1.3 * (sex == "female") * 2 - 1.0 * (pclass - 2) - 0.03 * (np.nan_to_num(age, nan=30) - 30)
             - 0.3 * sibsp + 0.4 * (embarked == "C") + 0.3 * (pd.isna(deck) == False) - 0.5)  # noqa: E712
    survived = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    df = pd.DataFrame({"pclass": pclass, "sex": sex.astype(object), "age": age, "sibsp": sibsp, "parch": parch,
                       "fare": fare, "embarked": embarked, "cabin_deck": deck, "ticket": ticket})
    if request:
        u = rng.rand(n)
        df.loc[u < 0.02, "embarked"] = "X"  # unseen port
        df.loc[(u >= 0.02) & (u < 0.035), "cabin_deck"] = "Z"  # unseen decks
        df.loc[(u >= 0.035) & (u < 0.045), "cabin_deck"] = "U"
        # in JSON a missing string is null (None); NaN string cells come from CSV and the NaN test
        for c in ("embarked", "cabin_deck"):
            df[c] = [None if (isinstance(v, float) and math.isnan(v)) else v for v in df[c]]
        corner = [
            # the docs' example row, then unseen / missing / rare values
            dict(pclass=3, sex="male", age=22.0, sibsp=1, parch=0, fare=7.25, embarked="S", cabin_deck="C",
                 ticket="A/5 21171"),
            dict(pclass=1, sex="female", age=np.nan, sibsp=0, parch=0, fare=71.2833, embarked=None,
                 cabin_deck=None, ticket="PC 17599"),
            dict(pclass=2, sex="female", age=4.0, sibsp=1, parch=2, fare=np.nan, embarked="X", cabin_deck="Z",
                 ticket="UNSEEN 1"),
            dict(pclass=1, sex="male", age=80.0, sibsp=4, parch=3, fare=512.3292, embarked="Q", cabin_deck="T",
                 ticket="113803"),
            dict(pclass=3, sex="female", age=0.4, sibsp=0, parch=1, fare=0.0, embarked="C", cabin_deck="U",
                 ticket="C.A. 2343"),
            dict(pclass=2, sex="male", age=np.nan, sibsp=3, parch=0, fare=np.nan, embarked=None, cabin_deck="G",
                 ticket="STON/O2. 3101282"),
        ]
        df.iloc[:len(corner)] = pd.DataFrame(corner)[ALL_COLUMNS].values
        df = df.astype({"pclass": np.int64, "sibsp": np.int64, "parch": np.int64, "age": np.float64,
                        "fare": np.float64})
    return df, survived


# ---------------------------------------------------------------------------------------------
# The models. Each spec: columns (the DataFrame it is fitted on, in order), target, and notes.
# `unread`: columns the model has in feature_names_in_ but never reads (remainder='drop').
# `error_columns`: string columns under handle_unknown='error' (request rows get only known values
# there). `none_only`: string columns whose imputer has missing_values=None (NaN is an error in
# scikit-learn there, so CSV rows with an empty cell in them are left out of the parity rows).
# ---------------------------------------------------------------------------------------------


def _logreg_names_ohe():
    ct = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "fare"]),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
         ["sex", "embarked", "cabin_deck"]),
        ("ints", "passthrough", ["pclass", "sibsp"]),
    ], remainder="drop")  # parch and ticket are dropped
    return Pipeline([("prep", ct), ("clf", LogisticRegression(max_iter=2000))])


def _forest_selectors():
    ct = ColumnTransformer([
        ("num", SimpleImputer(strategy="mean"), make_column_selector(dtype_include=np.number)),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing", missing_values=None),
                              OneHotEncoder(drop="first", handle_unknown="error")),
         make_column_selector(dtype_include=object)),
    ])
    return Pipeline([("prep", ct), ("clf", RandomForestClassifier(n_estimators=40, max_depth=8, random_state=0))])


def _gbc_ordinal():
    ct = ColumnTransformer([
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2),
         ["sex", "embarked", "cabin_deck"]),
        ("num", SimpleImputer(strategy="median"), ["age", "fare"]),
    ], remainder="passthrough")  # pclass, sibsp, parch
    return Pipeline([("prep", ct), ("clf", GradientBoostingClassifier(n_estimators=60, max_depth=3,
                                                                       random_state=0))])


def _hgb_categorical():
    ct = ColumnTransformer([
        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
         ["sex", "embarked", "cabin_deck"]),
    ], remainder="passthrough")  # pclass, age (NaN), sibsp, parch
    return Pipeline([("prep", ct), ("reg", HistGradientBoostingRegressor(categorical_features=[0, 1, 2],
                                                                         max_iter=60, random_state=0))])


def _hgb_infrequent():
    ct = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20, max_categories=5,
                              sparse_output=False), ["cabin_deck", "embarked"]),
        ("sex", OneHotEncoder(drop="if_binary", sparse_output=False), ["sex"]),
        ("num", "passthrough", ["age", "fare", "sibsp", "parch"]),
    ])
    return Pipeline([("prep", ct), ("clf", HistGradientBoostingClassifier(max_iter=40, random_state=0))])


def _forest_mask_slice():
    # columns: pclass, sex, age, sibsp, parch, fare, embarked
    mask = [False, True, False, False, False, False, True]  # sex, embarked
    ct = ColumnTransformer([
        ("ints", "passthrough", slice(0, 1)),  # pclass (position slice)
        ("num", SimpleImputer(strategy="median"), slice("age", "sibsp")),  # age, sibsp (label slice)
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
         mask),
    ], remainder=make_pipeline(SimpleImputer(strategy="median"), StandardScaler()))  # parch, fare
    return Pipeline([("prep", ct), ("clf", RandomForestClassifier(n_estimators=40, max_depth=10,
                                                                   random_state=1))])


def _ridge_constant():
    ct = ColumnTransformer([
        ("sex", OneHotEncoder(drop="if_binary"), ["sex"]),
        ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="none"),
                              OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
         ["embarked", "cabin_deck"]),
        ("age", SimpleImputer(strategy="median"), ["age"]),
    ], remainder="passthrough")  # pclass, sibsp, parch
    return Pipeline([("prep", ct), ("reg", Ridge(alpha=0.5))])


SPECS = {
    "logreg_names_ohe": dict(
        columns=ALL_COLUMNS, target="survived", factory=_logreg_names_ohe, unread=["parch", "ticket"],
        covers="ColumnTransformer by names, remainder='drop' (parch, ticket unread), SimpleImputer "
               "median / most_frequent (missing_values=NaN on strings: None stays a category), OneHotEncoder "
               "handle_unknown='ignore', StandardScaler, LogisticRegression, int labels"),
    "forest_selectors": dict(
        columns=["pclass", "sex", "age", "fare", "embarked"], target="survived_str", factory=_forest_selectors,
        error_columns=["sex", "embarked"], none_only=["embarked"],
        covers="make_column_selector(dtype_include=np.number / object), SimpleImputer(strategy='constant', "
               "fill_value='missing', missing_values=None), OneHotEncoder(drop='first', handle_unknown='error'), "
               "RandomForestClassifier, string labels"),
    "gbc_ordinal": dict(
        columns=ALL_COLUMNS[:8], target="survived", factory=_gbc_ordinal,
        covers="OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=-1, encoded_missing_value=-2), "
               "remainder='passthrough', GradientBoostingClassifier"),
    "hgb_categorical": dict(
        columns=["pclass", "sex", "age", "sibsp", "parch", "embarked", "cabin_deck"], target="fare",
        factory=_hgb_categorical,
        covers="OrdinalEncoder(unknown_value=NaN) feeding HistGradientBoostingRegressor(categorical_features), "
               "NaN passthrough, regression"),
    "hgb_infrequent": dict(
        columns=["sex", "age", "sibsp", "parch", "fare", "embarked", "cabin_deck"], target="pclass",
        factory=_hgb_infrequent,
        covers="OneHotEncoder(handle_unknown='infrequent_if_exist', min_frequency, max_categories), "
               "OneHotEncoder(drop='if_binary'), remainder dropped by default, "
               "HistGradientBoostingClassifier 3 classes"),
    "forest_mask_slice": dict(
        columns=["pclass", "sex", "age", "sibsp", "parch", "fare", "embarked"], target="survived",
        factory=_forest_mask_slice,
        covers="columns by position slice, label slice and boolean mask, remainder=estimator (imputer + "
               "scaler), RandomForestClassifier"),
    "ridge_constant": dict(
        columns=["pclass", "sex", "age", "sibsp", "parch", "embarked", "cabin_deck"], target="fare",
        factory=_ridge_constant,
        covers="SimpleImputer(strategy='constant', fill_value='none') on strings then OrdinalEncoder, sparse "
               "OneHotEncoder(drop='if_binary'), Ridge regression"),
    "hgb_numeric_df": dict(
        columns=["pclass", "age", "sibsp", "parch", "fare"], target="survived",
        factory=lambda: HistGradientBoostingClassifier(max_iter=40, random_state=0),
        covers="HistGradientBoostingClassifier fitted directly on a numeric DataFrame with NaN "
               "(feature_names_in_)"),
    "linreg_numeric_df": dict(
        columns=["pclass", "sibsp", "parch"], target="age", factory=LinearRegression,
        covers="LinearRegression fitted directly on a numeric DataFrame (feature_names_in_)"),
}
NAMES = list(SPECS)


def _frame_for(name, df):
    """The model's columns of df, made to suit its encoders (see SPECS' error_columns / none_only)."""
    spec = SPECS[name]
    out = df[spec["columns"]].copy()
    for c in spec.get("error_columns", []):
        known = {"sex": ["male", "female"], "embarked": ["S", "C", "Q"]}[c]
        out[c] = [v if (v in known or v is None) else known[i % len(known)] for i, v in enumerate(out[c])]
    for c in spec.get("none_only", []):
        out[c] = [None if (isinstance(v, float) and math.isnan(v)) else v for v in out[c]]
    return out


def train_frame():
    return make_frame(N_TRAIN, SEED)


def request_frame():
    df, _ = make_frame(N_REQUEST, SEED + 1, request=True)
    return df


def fit(name, df=None, survived=None):
    """Fits model `name` on the training frame; rows with a missing target are left out."""
    if df is None:
        df, survived = train_frame()
    spec = SPECS[name]
    X = _frame_for(name, df)
    t = spec["target"]
    if t == "survived":
        y = survived
    elif t == "survived_str":
        y = np.where(survived == 1, "survived", "died").astype(object)
    else:
        y = df[t].to_numpy()
    keep = ~pd.isna(y)
    model = spec["factory"]()
    # one OpenMP thread: HistGradientBoosting on a shared 2-core machine is 30x faster so, and
    # the fitted model is the same
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        model.fit(X[keep].reset_index(drop=True), y[keep])
    return model


def fit_all():
    df, survived = train_frame()
    return {name: fit(name, df, survived) for name in NAMES}


def dump(model, path):
    joblib.dump(model, path)


def dump_all(models, directory):
    """Writes <directory>/<name>.pkl for every model; returns {name: path}."""
    paths = {}
    for name, model in models.items():
        p = f"{directory}/{name}.pkl"
        dump(model, p)
        paths[name] = p
    return paths


# ---------------------------------------------------------------------------------------------
# Request rows and their encodings.
# ---------------------------------------------------------------------------------------------


def _cell(v, column):
    """A DataFrame cell as the JSON value a client sends: NaN / None -> None (null)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if column in INT_COLUMNS:
        return int(v)
    if column in FLOAT_COLUMNS:
        return float(v)
    return str(v)


def request_records(name, df=None):
    """The model's request rows as JSON records (dicts in the model's column order)."""
    df = request_frame() if df is None else df
    X = _frame_for(name, df)
    cols = list(X.columns)
    return [{c: _cell(v, c) for c, v in zip(cols, row)} for row in X.itertuples(index=False)]


def columns_of(name):
    return list(SPECS[name]["columns"])


def to_csv(records, columns):
    """CSV text with a header row; a missing value is an empty cell; floats in repr (exact)."""
    out = io.StringIO()
    out.write(",".join(columns) + "\n")
    for r in records:
        cells = []
        for c in columns:
            v = r[c]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("")
            elif isinstance(v, float):
                cells.append(repr(v))
            else:
                s = str(v)
                cells.append('"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n') else s)
        out.write(",".join(cells) + "\n")
    return out.getvalue()


def csv_records(name, records):
    """The rows of `records` that also make a valid CSV for scikit-learn: models whose imputer
    takes missing_values=None refuse the NaN an empty CSV cell becomes in those columns."""
    none_only = SPECS[name].get("none_only", [])
    return [r for r in records if all(r[c] is not None for c in none_only)]


def frame_from_json(body_records):
    """pandas.DataFrame(records) from exactly the JSON a test sends."""
    return pd.DataFrame(json.loads(json.dumps(body_records)))


def frame_from_csv(text):
    return pd.read_csv(io.StringIO(text))


def expected(model, frame):
    """{"predict": list, "classes": list, "proba": 2-D array} as scikit-learn gives them."""
    with threadpool_limits(1):
        out = {"predict": model.predict(frame).tolist()}
        if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
            out["classes"] = model.classes_.tolist()
            out["proba"] = model.predict_proba(frame)
    return out


def is_classifier(model):
    return hasattr(model, "classes_")


# ---------------------------------------------------------------------------------------------
# MLflow model directories (the documented format; no mlflow package here).
# ---------------------------------------------------------------------------------------------

_MLFLOW_TYPES = {"int": "long", "float": "double", "str": "string"}


def column_kind(column):
    return "int" if column in INT_COLUMNS else "float" if column in FLOAT_COLUMNS else "str"


def mlflow_signature(name, model):
    inputs = [{"name": c, "type": _MLFLOW_TYPES[column_kind(c)]} for c in columns_of(name)]
    if is_classifier(model):
        out_type = "string" if isinstance(model.classes_.tolist()[0], str) else "long"
    else:
        out_type = "double"
    return json.dumps(inputs), json.dumps([{"type": out_type}])


def write_mlflow_dir(name, model, directory, signature=True):
    """An MLflow model directory as mlflow.sklearn.save_model writes it: MLmodel (YAML),
    model.pkl (pickle, what serialization_format 'cloudpickle' produces for these classes),
    conda.yaml, python_env.yaml, requirements.txt."""
    import os
    import pickle
    import sklearn

    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "model.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=4)
    lines = [
        "artifact_path: model",
        "flavors:",
        "  python_function:",
        "    env:",
        "      conda: conda.yaml",
        "      virtualenv: python_env.yaml",
        "    loader_module: mlflow.sklearn",
        "    model_path: model.pkl",
        "    predict_fn: predict",
        "    python_version: 3.11.2",
        "  sklearn:",
        "    code: null",
        "    pickled_model: model.pkl",
        "    serialization_format: cloudpickle",
        f"    sklearn_version: {sklearn.__version__}",
        "mlflow_version: 2.9.2",
        f"model_uuid: {'%032x' % (abs(hash(name)) % (1 << 128))}",
        "run_id: 5a3c1d0e2b7f4e6a9c8d7b6a5f4e3d2c",
    ]
    if signature:
        sig_in, sig_out = mlflow_signature(name, model)
        lines += ["signature:", f"  inputs: '{sig_in}'", f"  outputs: '{sig_out}'", "  params: null"]
    lines.append("utc_time_created: '2026-12-04 12:00:00.000000'")
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(directory, "conda.yaml"), "w") as f:
        f.write("channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip<=23.0.1\n- pip:\n"
                f"  - mlflow==2.9.2\n  - scikit-learn=={sklearn.__version__}\nname: mlflow-env\n")
    with open(os.path.join(directory, "python_env.yaml"), "w") as f:
        f.write("python: 3.11.2\nbuild_dependencies:\n- pip==23.0.1\ndependencies:\n- -r requirements.txt\n")
    with open(os.path.join(directory, "requirements.txt"), "w") as f:
        f.write(f"mlflow==2.9.2\nscikit-learn=={sklearn.__version__}\n")
    return directory


def write_debug_dir(directory):
    """For working on the server by hand: <name>.pkl, <name>.mlflow/ (MLflow directory),
    <name>.rows.json (records), <name>.rows.csv and <name>.expected.json (sklearn's predict /
    predict_proba on each)."""
    import os

    os.makedirs(directory, exist_ok=True)
    models = fit_all()
    dump_all(models, directory)
    reqs = request_frame()
    for name, m in models.items():
        write_mlflow_dir(name, m, os.path.join(directory, name + ".mlflow"))
        recs = request_records(name, reqs)
        c = csv_records(name, recs)
        text = to_csv(c, columns_of(name))
        with open(os.path.join(directory, name + ".rows.json"), "w") as f:
            json.dump(recs, f)
        with open(os.path.join(directory, name + ".rows.csv"), "w") as f:
            f.write(text)
        e, ec = expected(m, frame_from_json(recs)), expected(m, frame_from_csv(text))
        with open(os.path.join(directory, name + ".expected.json"), "w") as f:
            json.dump({"json": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in e.items()},
                       "csv": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in ec.items()}}, f)


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        write_debug_dir(sys.argv[2])
        print(f"wrote {len(NAMES)} models, their MLflow directories, rows and expected outputs to {sys.argv[2]}")
        sys.exit(0)
    models = fit_all()
    reqs = request_frame()
    for name, m in models.items():
        recs = request_records(name, reqs)
        e = expected(m, frame_from_json(recs))
        c = csv_records(name, recs)
        ec = expected(m, frame_from_csv(to_csv(c, columns_of(name))))
        print(f"{name:20s} rows={len(recs)} csv_rows={len(c)} first={e['predict'][:4]} "
              f"csv_first={ec['predict'][:2]} classes={e.get('classes')}")
