"""Regenerates the seed corpus of load_model_fuzz: small real model files of the families the
loader supports, written with Debian's scikit-learn (joblib and plain pickle, compressed and not).
Run: /usr/bin/python3 src/sklearn/fuzz/make_corpus.py  (writes src/sklearn/fuzz/corpus/)."""
import os
import pickle
import sys

import joblib
import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
X, y = load_iris(return_X_y=True)
X, y = X[::10], y[::10]  # 15 rows keep the files (and the fuzzer's inputs) small
models = {
    "logreg": LogisticRegression(max_iter=500).fit(X, y),
    "logreg_str": LogisticRegression(max_iter=500).fit(X, np.array(["a", "b", "c"])[y]),
    "linreg": LinearRegression().fit(X, X[:, 0]),
    "ridge2": Ridge().fit(X, X[:, :2]),
    "scaler": StandardScaler().fit(X),
    "pipe": make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=500)).fit(X, y),
    "dtc": DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
    "dtr": DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, X[:, 1]),
    "rfr": RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0).fit(X, X[:, 1]),
    "gbc": GradientBoostingClassifier(n_estimators=2, max_depth=1, random_state=0).fit(X, y),
    "gnb": GaussianNB().fit(X, y),
    "knn": KNeighborsClassifier(n_neighbors=3).fit(X, y),
    "svc": SVC(probability=False).fit(X, y),
}
for name, m in models.items():
    joblib.dump(m, os.path.join(out, name + ".joblib"))
    with open(os.path.join(out, name + "_p2.pkl"), "wb") as f:
        pickle.dump(m, f, protocol=2)
joblib.dump(models["logreg"], os.path.join(out, "logreg_z3.joblib"), compress=3)
joblib.dump(models["dtc"], os.path.join(out, "dtc_gz.joblib"), compress=("gzip", 1))
with open(os.path.join(out, "logreg_p5.pkl"), "wb") as f:
    pickle.dump(models["logreg"], f, protocol=5)
print(len(os.listdir(out)), "files in", out, file=sys.stderr)
