"""Shared helpers for the coverage-A parity tests (SGD/LinearSVC, libsvm, neighbours, naive
Bayes, MLP, decision_function): train with Debian's scikit-learn, save in a given container,
and compare every output `inferd predict` offers with sklearn's on >= 1000 random rows."""
import json
import zlib

import numpy as np
from sklearn.datasets import make_classification, make_regression

from parity_util import ATOL, N_ROWS, RTOL, dump, max_rel_err, same_json_types  # noqa: F401 (re-exported)

N_FEATURES = 6


def seed_of(name):
    return zlib.crc32(name.encode()) % 1000


def labels(kind, y):
    """Integer class ids -> labels of the requested Python/numpy type."""
    if kind == "int":
        return y * 3 - 2
    if kind == "str":
        return np.array(["cat", "dog", "emu", "fox", "gnu"])[y]
    if kind == "objstr":
        return np.array(["alpha", "beta", "gamma", "delta", "eps"], dtype=object)[y]
    if kind == "bool":
        return y == 1
    raise ValueError(kind)


def clf_data(n_classes, seed, n_samples=300):
    return make_classification(n_samples=n_samples, n_features=N_FEATURES, n_informative=4, n_redundant=1,
                               n_classes=n_classes, n_clusters_per_class=1, random_state=seed)


def reg_data(seed, n_targets=1, n_samples=300):
    return make_regression(n_samples=n_samples, n_features=N_FEATURES, n_informative=5, n_targets=n_targets,
                           noise=0.5, random_state=seed)


def query_rows(X, seed, n_train_rows=50):
    """N_ROWS random rows spread like the training data; the first n_train_rows are training
    rows (exact neighbours / support vectors)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(N_ROWS, X.shape[1])) * X.std(axis=0) * 1.5 + X.mean(axis=0)
    rows[:n_train_rows] = X[:n_train_rows]
    return rows


def check_parity(model, rows, path, container, run_inferd, record_error, family):
    """Dumps `model`, runs every applicable `inferd predict --output` and compares with
    sklearn. Returns the number of outputs compared."""
    dump(model, str(path), container)
    rows_path = path.parent / (path.name + ".rows.json")
    rows_path.write_text(json.dumps(rows.tolist()))
    compared = 0

    rc, out, err = run_inferd(str(path), str(rows_path), "predict")
    assert rc == 0, err
    want = model.predict(rows)
    is_clf = hasattr(model, "classes_")
    if is_clf:
        want_list = want.tolist()
        mismatches = [i for i, (g, w) in enumerate(zip(out["predictions"], want_list)) if g != w]
        assert not mismatches, f"{len(mismatches)} labels differ, first at row {mismatches[0]}: " \
                               f"{out['predictions'][mismatches[0]]!r} vs {want_list[mismatches[0]]!r}"
        assert same_json_types(out["predictions"], want_list)
    else:
        e = max_rel_err(out["predictions"], want)
        record_error(family, e)
        assert e <= RTOL, f"predict: max relative error {e:.3e}"
    compared += 1

    if is_clf and hasattr(model, "predict_proba"):
        rc, pout, err = run_inferd(str(path), str(rows_path), "proba")
        assert rc == 0, err
        assert pout["classes"] == model.classes_.tolist()
        assert same_json_types(pout["classes"], model.classes_.tolist())
        e = max_rel_err(pout["probabilities"], model.predict_proba(rows))
        record_error(family, e)
        assert e <= RTOL, f"predict_proba: max relative error {e:.3e}"
        compared += 1
    elif is_clf:
        rc, _, err = run_inferd(str(path), str(rows_path), "proba")
        assert rc != 0 and "predict_proba" in err, err

    if hasattr(model, "decision_function"):
        rc, dout, err = run_inferd(str(path), str(rows_path), "decision_function")
        assert rc == 0, err
        want_df = model.decision_function(rows)
        got_df = np.asarray(dout["decision_function"], dtype=np.float64)
        assert got_df.shape == want_df.shape, (got_df.shape, want_df.shape)
        e = max_rel_err(got_df, want_df)
        record_error(family + "_df", e)
        assert e <= RTOL, f"decision_function: max relative error {e:.3e}"
        compared += 1
    return compared
