#!/usr/bin/python3
"""Trains the tabular example model as a data scientist would: a Titanic-like CSV read with
pandas, a Pipeline whose ColumnTransformer picks columns by name (median imputation and scaling
for numbers, most-frequent imputation and one-hot encoding for strings), a LogisticRegression,
saved with joblib.dump as model.pkl. inferd serves it with named columns, strings and missing
values on every protocol (README.md).

The data are generated (seeded, no download): titanic.csv, 800 rows, the columns pclass, sex,
age (some missing), sibsp, parch, fare, embarked (some missing) and the target survived.

Run with Debian's Python (it has scikit-learn and pandas):
    /usr/bin/python3 examples/titanic/train.py [OUTDIR]
writes OUTDIR/titanic.csv and OUTDIR/model.pkl (OUTDIR defaults to this directory).
Deterministic: the same versions write the same CSV bytes and the same predictions.
"""
import os
import sys

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

N_ROWS = 800
SEED = 1912


def make_data(n=N_ROWS, seed=SEED):
    rng = np.random.RandomState(seed)
    pclass = rng.choice([1, 2, 3], size=n, p=[0.24, 0.21, 0.55])
    sex = rng.choice(["male", "female"], size=n, p=[0.65, 0.35])
    age = np.round(np.clip(rng.normal(30 - 3 * (pclass - 2), 14, size=n), 0.5, 80), 1)
    age[rng.rand(n) < 0.2] = np.nan
    sibsp = rng.choice([0, 1, 2, 3, 4], size=n, p=[0.68, 0.23, 0.04, 0.03, 0.02])
    parch = rng.choice([0, 1, 2, 3], size=n, p=[0.76, 0.13, 0.09, 0.02])
    fare = np.round(np.exp(rng.normal(4.4 - 0.8 * (pclass - 1), 0.6, size=n)), 4)
    embarked = rng.choice(["S", "C", "Q"], size=n, p=[0.72, 0.19, 0.09]).astype(object)
    embarked[rng.rand(n) < 0.02] = np.nan
    logit = (2.6 * (sex == "female") - 1.0 * (pclass - 2) - 0.03 * (np.nan_to_num(age, nan=30) - 30)
             - 0.3 * sibsp + 0.4 * (embarked == "C") - 1.0)
    survived = (rng.rand(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"pclass": pclass, "sex": sex, "age": age, "sibsp": sibsp, "parch": parch,
                         "fare": fare, "embarked": embarked, "survived": survived})


def make_model():
    prep = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "fare"]),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
         ["sex", "embarked"]),
    ], remainder="passthrough")  # pclass, sibsp, parch as they are
    return Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000))])


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    csv_path = os.path.join(out, "titanic.csv")
    make_data().to_csv(csv_path, index=False)
    df = pd.read_csv(csv_path)
    X, y = df.drop(columns="survived"), df["survived"]
    model = make_model().fit(X, y)
    joblib.dump(model, os.path.join(out, "model.pkl"))
    print(f"wrote {csv_path} ({len(df)} rows) and {os.path.join(out, 'model.pkl')}: "
          f"accuracy={model.score(X, y):.3f} columns={list(model.feature_names_in_)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
