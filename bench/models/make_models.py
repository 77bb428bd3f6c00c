#!/usr/bin/python3
"""Trains the benchmark models deterministically and joblib.dump's them into OUTDIR.

    /usr/bin/python3 bench/models/make_models.py OUTDIR [--small]

Models (issue 6):
  logreg   LogisticRegression, 20 features, 3 classes (multinomial)
  iris     StandardScaler + LogisticRegression on iris (the tutorial's kind of model)
  rf100    RandomForestClassifier, 100 trees, max_depth 10, 20 features
  gbr100   GradientBoostingRegressor, 100 trees, 20 features
  rf500    RandomForestClassifier, 500 trees, max_depth 20 (load time and memory)
--small shrinks the tree ensembles (smoke mode: the harness, not the figures).

For every model it also writes NAME.X.npy: 10000 held-out rows from the training distribution,
the rows every benchmark sends (so all servers see the same inputs), and manifest.json describing
the set. Everything is seeded: the same scikit-learn version writes the same models and rows.
Files already present with the same manifest are kept (training rf500 takes a while).
"""
import argparse
import json
import os
import sys
import time

import joblib
import numpy as np
import sklearn
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

N_ROWS = 10000  # held-out rows per model: the largest batch the benchmark sends


def specs(small):
    """name -> (description, builder returning (model, X_train, y_train, X_rows))."""
    def clf_data(n_train, seed):
        X, y = make_classification(n_samples=n_train + N_ROWS, n_features=20, n_informative=12,
                                   n_redundant=4, n_classes=3, random_state=seed)
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
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--small", action="store_true", help="small tree ensembles (smoke mode)")
    ap.add_argument("--only", nargs="*", help="names of the models to make (default: all)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    manifest_path = os.path.join(args.outdir, "manifest.json")
    old = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
    manifest = {"sklearn": sklearn.__version__, "numpy": np.__version__, "small": args.small, "models": {}}
    for name, (desc, build) in specs(args.small).items():
        if args.only and name not in args.only:
            continue
        pkl = os.path.join(args.outdir, name + ".pkl")
        rows = os.path.join(args.outdir, name + ".X.npy")
        prev = old.get("models", {}).get(name)
        if (prev and prev.get("description") == desc and old.get("sklearn") == sklearn.__version__
                and os.path.exists(pkl) and os.path.exists(rows)):
            manifest["models"][name] = prev
            continue
        t0 = time.time()
        model, X, y, X_rows = build()
        model.fit(X, y)
        joblib.dump(model, pkl)
        np.save(rows, np.ascontiguousarray(X_rows, dtype=np.float64))
        kind = "regressor" if name.startswith("gbr") else "classifier"
        manifest["models"][name] = {"description": desc, "kind": kind, "n_features": int(X.shape[1]),
                                    "file_bytes": os.path.getsize(pkl)}
        print(f"make_models: {name}: {desc}: {os.path.getsize(pkl)} bytes, {time.time() - t0:.1f} s",
              file=sys.stderr)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
