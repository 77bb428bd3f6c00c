#!/usr/bin/python3
"""Trains the benchmark models deterministically and joblib.dump's them into OUTDIR.

    /usr/bin/python3 bench/models/make_models.py OUTDIR [--small]

Models (issue 6):
  logreg   LogisticRegression, 20 features, 3 classes (multinomial)
  iris     StandardScaler + LogisticRegression on iris (the tutorial's kind of model)
  rf100    RandomForestClassifier, 100 trees, max_depth 10, 20 features
  gbr100   GradientBoostingRegressor, 100 trees, 20 features
  rf500    RandomForestClassifier, 500 trees, max_depth 20 (load time and memory)
  titanic  Pipeline(ColumnTransformer(median-imputed + scaled age/fare, most-frequent-imputed +
           one-hot sex/embarked/cabin_deck, pclass passed through), LogisticRegression), fitted on
           a generated Titanic-like pandas DataFrame (issue 14)
  xgb100   xgboost.XGBClassifier, binary, 100 trees (n_estimators=100), max_depth 6, 20 features
  xgb100m  xgboost.XGBClassifier, 5 classes (multi:softprob), n_estimators=20, max_depth 6: 20
           boosting rounds of one tree per class, 100 trees in the booster, 20 features
  xgb500   xgboost.XGBRegressor, 500 trees, max_depth 6, 20 features
  lgb100   LightGBM model text, binary, 100 trees of 31 leaves, 20 features: the committed
           bench/models/lgb100.txt (LightGBM cannot be installed here; make_lightgbm_model.py wrote
           it), its rows (2 % missing) and Booster.predict's answers on the first rows
           (lgb100.expected.json: labels), which stand in for the reference's own predictions
--small shrinks the tree ensembles (smoke mode: the harness, not the figures).

The XGBoost models are fitted with Debian's python3-xgboost (1.7) with tree_method="hist" and
the wrapper's defaults otherwise (n_jobs=None: as users pickle them). Besides NAME.pkl (joblib.dump
of the sklearn wrapper, as users have it) each is also saved as the native files
booster.save_model writes, NAME.ubj and NAME.json (the same booster): the files
xgboost.Booster(model_file=...) and inferd both load, for the load-time comparison. The manifest
names them under "native".

For every model it also writes 10000 held-out rows from the training distribution, the rows every
benchmark sends (so all servers see the same inputs): NAME.X.npy (a float64 matrix) for the
numeric models, NAME.rows.json (a list of records, column name -> value, JSON null for a missing
value) for the models fitted on a DataFrame. manifest.json describes the set; its "rows" field
per model says which file ("matrix" or "records"). Everything is seeded: the same scikit-learn and
pandas versions write the same models and rows. Files already present with the same manifest are
kept (training rf500 takes a while).
"""
import argparse
import json
import os
import sys
import time

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

N_ROWS = 10000  # held-out rows per model: the largest batch the benchmark sends
TITANIC_TRAIN = 2000
TITANIC_COLUMNS = ["age", "fare", "pclass", "sex", "embarked", "cabin_deck"]
UNSEEN_DECK = "Z"  # a cabin deck the training frame never has: handle_unknown="ignore" at work


def titanic_frame(n, rng):
    """n Titanic-like passengers and whether they survived, drawn from rng.

    Columns as pandas infers them from the data: age float64 with ~20 % NaN, fare float64,
    pclass int64, sex / embarked / cabin_deck object (Python str); embarked is None in ~1 % of rows,
    cabin_deck is "U" (unknown) for most and "T" very rarely, as in the real passenger list."""
    pclass = rng.choice([1, 2, 3], n, p=[0.24, 0.21, 0.55])
    female = rng.rand(n) < 0.35
    age = np.clip(np.round(rng.normal(38.0 - 5.0 * pclass, 13.0, n)), 1.0, 80.0)
    age[rng.rand(n) < 0.2] = np.nan
    fare = np.round(np.exp(rng.normal(np.array([4.2, 3.0, 2.5])[pclass - 1], 0.5, n)), 4)
    embarked = rng.choice(np.array(["S", "C", "Q"], dtype=object), n, p=[0.72, 0.19, 0.09])
    embarked[rng.rand(n) < 0.01] = None
    decks = {1: (["A", "B", "C", "D", "E", "U"], [0.08, 0.2, 0.25, 0.15, 0.12, 0.2]),
             2: (["D", "E", "F", "U"], [0.03, 0.04, 0.05, 0.88]),
             3: (["E", "F", "G", "U"], [0.01, 0.02, 0.01, 0.96])}
    # str(): Python strings, as pandas.read_csv gives (rng.choice on a list returns numpy.str_).
    cabin = np.array([str(rng.choice(decks[c][0], p=decks[c][1])) for c in pclass], dtype=object)
    cabin[rng.rand(n) < 0.002] = "T"
    logit = (2.4 * female - 1.0 * (pclass - 2) - 0.03 * (np.nan_to_num(age, nan=30.0) - 30.0)
             + 0.004 * fare + 0.3 * (embarked == "C") + 0.5 * (cabin != "U") - 1.2)
    survived = (rng.rand(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    df = pd.DataFrame({"age": age, "fare": fare, "pclass": pclass.astype(np.int64),
                       "sex": np.where(female, "female", "male").astype(object), "embarked": embarked,
                       "cabin_deck": cabin})
    return df[TITANIC_COLUMNS], survived


def titanic():
    rng = np.random.RandomState(14)
    df, y = titanic_frame(TITANIC_TRAIN + N_ROWS, rng)
    train, rows = df.iloc[:TITANIC_TRAIN], df.iloc[TITANIC_TRAIN:].reset_index(drop=True)
    # The first rows are the ones every server must answer exactly before it is timed
    # (bench/run's N_VERIFY = 16): make sure they hold a missing age, a missing embarked and an
    # unseen deck, whatever the draw gave. Row 0, the one-row request timed under load, stays a
    # complete row.
    rows.loc[0, "age"] = 22.0
    rows.loc[3, "age"] = np.nan
    rows.loc[5, "embarked"] = None
    rows.loc[7, "cabin_deck"] = UNSEEN_DECK
    assert UNSEEN_DECK not in set(train["cabin_deck"])
    num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    cat = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                    ("onehot", OneHotEncoder(handle_unknown="ignore"))])
    pre = ColumnTransformer([("num", num, ["age", "fare"]), ("cat", cat, ["sex", "embarked", "cabin_deck"]),
                             ("pc", "passthrough", ["pclass"])])
    model = Pipeline([("preprocess", pre), ("classify", LogisticRegression(max_iter=1000))])
    return model, train, y[:TITANIC_TRAIN], rows


def records(df):
    """The rows of df as JSON-ready records: Python scalars, None for NaN and None."""
    out = []
    for row in df.itertuples(index=False):
        rec = {}
        for col, v in zip(df.columns, row):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                rec[col] = None
            elif isinstance(v, (np.integer,)):
                rec[col] = int(v)
            elif isinstance(v, (np.floating,)):
                rec[col] = float(v)
            else:
                rec[col] = v
        out.append(rec)
    return out


def xgboost_version():
    try:
        import xgboost
        return xgboost.__version__
    except ImportError:
        return None


def xgb_model(kind, **params):
    """An XGBoost sklearn wrapper (imported only when an XGBoost model is made)."""
    import xgboost
    cls = {"classifier": xgboost.XGBClassifier, "regressor": xgboost.XGBRegressor}[kind]
    return cls(tree_method="hist", random_state=6, **params)


def specs(small):
    """name -> (description, builder returning (model, X_train, y_train, X_rows))."""
    def clf_data(n_train, seed, n_classes=3):
        X, y = make_classification(n_samples=n_train + N_ROWS, n_features=20, n_informative=12,
                                   n_redundant=4, n_classes=n_classes, random_state=seed)
        return X[:n_train], y[:n_train], X[n_train:]

    def reg_data(n_train, seed):
        X, y = make_regression(n_samples=n_train + N_ROWS, n_features=20, n_informative=12,
                               noise=5.0, random_state=seed)
        return X[:n_train], y[:n_train], X[n_train:]

    def iris():
        X, y = load_iris(return_X_y=True)
        rng = np.random.RandomState(7)
        # Held-out rows: iris rows jittered, so they look like real measurements.
        rows = X[rng.randint(0, len(X), N_ROWS)] + rng.normal(0, 0.2, (N_ROWS, 4))
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), X, y, np.round(rows, 2)

    rf_trees, rf_depth = (10, 6) if small else (100, 10)
    gb_trees = 10 if small else 100
    big_trees, big_depth, big_train = (20, 10, 2000) if small else (500, 20, 10000)
    xgb_rounds, xgb_big = (10, 20) if small else (100, 500)
    return {
        "logreg": ("LogisticRegression, 20 features, 3 classes",
                   lambda: (LogisticRegression(max_iter=1000),) + clf_data(2000, 1)),
        "iris": ("StandardScaler + LogisticRegression, iris (4 features, 3 classes)", iris),
        "rf100": (f"RandomForestClassifier, {rf_trees} trees, max_depth {rf_depth}, 20 features",
                  lambda: (RandomForestClassifier(n_estimators=rf_trees, max_depth=rf_depth,
                                                  random_state=3, n_jobs=1),) + clf_data(5000, 2)),
        "gbr100": (f"GradientBoostingRegressor, {gb_trees} trees, 20 features",
                   lambda: (GradientBoostingRegressor(n_estimators=gb_trees, random_state=4),)
                   + reg_data(5000, 3)),
        "rf500": (f"RandomForestClassifier, {big_trees} trees, max_depth {big_depth}, 20 features",
                  lambda: (RandomForestClassifier(n_estimators=big_trees, max_depth=big_depth,
                                                  random_state=5, n_jobs=2),) + clf_data(big_train, 4)),
        "titanic": ("Titanic-like Pipeline: ColumnTransformer (age, fare: median imputer + scaler; sex, embarked, "
                    "cabin_deck: most-frequent imputer + one-hot, unknown ignored; pclass passed through) + "
                    "LogisticRegression, fitted on a DataFrame", titanic),
        "xgb100": (f"XGBClassifier, binary, {xgb_rounds} trees, max_depth 6, 20 features",
                   lambda: (xgb_model("classifier", n_estimators=xgb_rounds, max_depth=6),)
                   + clf_data(5000, 7, n_classes=2)),
        "xgb100m": (f"XGBClassifier, 5 classes (multi:softprob), {xgb_rounds // 5} rounds = {xgb_rounds} trees, "
                    "max_depth 6, 20 features",
                    lambda: (xgb_model("classifier", n_estimators=xgb_rounds // 5, max_depth=6),)
                    + clf_data(5000, 8, n_classes=5)),
        "xgb500": (f"XGBRegressor, {xgb_big} trees, max_depth 6, 20 features",
                   lambda: (xgb_model("regressor", n_estimators=xgb_big, max_depth=6),) + reg_data(5000, 9)),
    }


KINDS = {"gbr100": "regressor", "xgb500": "regressor"}  # the others are classifiers (titanic, iris too)
NATIVE = ("ubj", "json")  # booster.save_model formats written beside NAME.pkl for the XGBoost models


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--small", action="store_true", help="small tree ensembles (smoke mode)")
    ap.add_argument("--only", nargs="*", help="names of the models to make (default: all); the manifest keeps "
                    "the others already made and still current")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    manifest_path = os.path.join(args.outdir, "manifest.json")
    old = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
    manifest = {"sklearn": sklearn.__version__, "numpy": np.__version__, "pandas": pd.__version__,
                "xgboost": xgboost_version(), "small": args.small, "models": {}}
    for name, (desc, build) in specs(args.small).items():
        pkl = os.path.join(args.outdir, name + ".pkl")
        prev = old.get("models", {}).get(name)
        if prev:  # manifests written before records existed had only matrices
            prev.setdefault("rows", "matrix")
            prev.setdefault("rows_file", name + ".X.npy")
        if (prev and prev.get("description") == desc and old.get("sklearn") == sklearn.__version__
                and old.get("pandas", pd.__version__) == pd.__version__ and os.path.exists(pkl)
                and os.path.exists(os.path.join(args.outdir, prev["rows_file"]))
                and (not name.startswith("xgb") or old.get("xgboost") == manifest["xgboost"])
                and all(os.path.exists(os.path.join(args.outdir, f)) for f in prev.get("native", {}).values())):
            # Still what this script would write: kept, also when --only leaves it out, so a
            # later run that needs it does not train it again.
            manifest["models"][name] = prev
            continue
        if args.only and name not in args.only:
            continue
        t0 = time.time()
        model, X, y, X_rows = build()
        model.fit(X, y)
        joblib.dump(model, pkl)
        if isinstance(X_rows, pd.DataFrame):
            rows_kind, rows_file = "records", name + ".rows.json"
            with open(os.path.join(args.outdir, rows_file), "w") as f:
                json.dump(records(X_rows), f, allow_nan=False)
        else:
            rows_kind, rows_file = "matrix", name + ".X.npy"
            np.save(os.path.join(args.outdir, rows_file), np.ascontiguousarray(X_rows, dtype=np.float64))
        kind = KINDS.get(name, "classifier")
        manifest["models"][name] = {"description": desc, "kind": kind, "n_features": int(X.shape[1]),
                                    "file_bytes": os.path.getsize(pkl), "rows": rows_kind, "rows_file": rows_file}
        if hasattr(model, "get_booster"):  # XGBoost: the native files of the same booster
            native = {}
            for fmt in NATIVE:
                native[fmt] = f"{name}.{fmt}"
                model.get_booster().save_model(os.path.join(args.outdir, native[fmt]))
            manifest["models"][name]["native"] = native
            manifest["models"][name]["native_bytes"] = {
                fmt: os.path.getsize(os.path.join(args.outdir, f)) for fmt, f in native.items()}
        print(f"make_models: {name}: {desc}: {os.path.getsize(pkl)} bytes, {time.time() - t0:.1f} s",
              file=sys.stderr)
    if not args.only or "lgb100" in args.only or "lgb100" in old.get("models", {}):
        manifest["models"]["lgb100"] = make_lgb100(args.outdir)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
    return 0


def make_lgb100(outdir):
    """The LightGBM model: a text file inferd loads by content, served by inferd alone."""
    import shutil
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    shutil.copyfile(os.path.join(here, "lgb100.txt"), os.path.join(outdir, "lgb100.txt"))
    subprocess.run([sys.executable, os.path.join(here, "make_lightgbm_model.py"), os.path.join(outdir, "lgb100.gen.txt"),
                    "--rows", os.path.join(outdir, "lgb100.X.npy"), "--expected",
                    os.path.join(outdir, "lgb100.expected.json")], check=True, timeout=600)
    with open(os.path.join(here, "lgb100.txt")) as a, open(os.path.join(outdir, "lgb100.gen.txt")) as b:
        if a.read() != b.read():
            raise SystemExit("make_models: bench/models/lgb100.txt is not make_lightgbm_model.py's output")
    return {"description": "LightGBM model text, binary, 100 trees of 31 leaves, 20 features (generated)",
            "kind": "classifier", "n_features": 20, "file_bytes": os.path.getsize(os.path.join(outdir, "lgb100.txt")),
            "rows": "matrix", "rows_file": "lgb100.X.npy", "model_file": "lgb100.txt",
            "expected_file": "lgb100.expected.json", "inferd_only": True}


if __name__ == "__main__":
    sys.exit(main())
