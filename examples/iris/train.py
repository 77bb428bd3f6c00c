#!/usr/bin/python3
"""Trains the bundled example model exactly as a data scientist would: an iris classifier
saved with joblib.dump as model.pkl (the file inferd serves in the README's first command).

Run with Debian's Python (it has scikit-learn): /usr/bin/python3 examples/iris/train.py
Deterministic: the same sklearn version writes the same predictions.
"""
import os
import sys

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.pkl")
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(X, y)
    joblib.dump(model, out)
    print(f"wrote {out}: {model} accuracy={model.score(X, y):.3f} classes={list(model.classes_)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
