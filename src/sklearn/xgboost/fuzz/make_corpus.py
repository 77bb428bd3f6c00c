"""Regenerates the seed corpus of xgboost_document_fuzz: small real XGBoost model documents
written by Debian's python3-xgboost (binary, multi-class, dart, gblinear, categorical splits, a
pruned tree with deleted nodes), as save_model JSON and UBJSON files and as the snapshots that
pickled XGBClassifiers carry (UBJSON, and the JSON form of xgboost 1.4-1.5).
Run: /usr/bin/python3 src/sklearn/xgboost/fuzz/make_corpus.py  (writes .../fuzz/corpus/)."""
import json
import os

import numpy as np
import xgboost as xgb

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
s = X[:, 0] - X[:, 1]
yb = (s > 0).astype(int)
ym = np.digitize(s, [-0.5, 0.5])
Xc = X.copy()
Xc[:, 0] = rng.integers(0, 6, size=len(X))
models = {
    "binary": xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(X, yb).get_booster(),
    "multi": xgb.XGBClassifier(n_estimators=1, max_depth=2).fit(X, ym).get_booster(),
    "dart": xgb.XGBRegressor(n_estimators=2, max_depth=2, booster="dart", rate_drop=0.5).fit(X, s).get_booster(),
    "gblinear": xgb.XGBRegressor(n_estimators=2, booster="gblinear").fit(X, s).get_booster(),
    # Noisy labels grown deep, then pruned: the tree keeps deleted nodes.
    "pruned": xgb.XGBClassifier(n_estimators=1, max_depth=4, tree_method="exact", gamma=1, min_child_weight=0)
    .fit(X, (s + rng.normal(size=len(X)) > 0).astype(int)).get_booster(),
    "categorical": xgb.train({"tree_method": "hist", "max_cat_to_onehot": 1, "max_depth": 2},
                             xgb.DMatrix(Xc, label=s + (Xc[:, 0] % 2), feature_types=["c", "q", "q"],
                                         enable_categorical=True), num_boost_round=2),
}
for name, b in models.items():
    for fmt in ("json", "ubj"):
        with open(os.path.join(out, f"{name}.{fmt}"), "wb") as f:
            f.write(bytes(b.save_raw(fmt)))
b = models["binary"]
with open(os.path.join(out, "binary_snapshot.ubj"), "wb") as f:
    f.write(bytes(b.__getstate__()["handle"]))
with open(os.path.join(out, "binary_snapshot.json"), "wb") as f:
    doc = {"Config": json.loads(b.save_config()), "Model": json.loads(bytes(b.save_raw("json")))}
    f.write(json.dumps(doc, separators=(",", ":")).encode())
