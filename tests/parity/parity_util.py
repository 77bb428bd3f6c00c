"""Helpers every parity test shares: the tolerance, training data and labels, saving a model
in each container, writing request rows, and comparing every output `inferd predict` offers
with scikit-learn's."""
import json
import pickle
import warnings
import zlib

import joblib
import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

# Floats must agree within RTOL relative (ATOL absolute near zero); labels exactly.
RTOL = 1e-9
ATOL = 1e-12
N_ROWS = 1200  # request rows per model
N_FEATURES = 6


def dump(model, path, container):
    """container: joblib | joblib3 (compress=3) | pickleN (pickle protocol N)."""
    if container == "joblib":
        joblib.dump(model, path)
    elif container == "joblib3":
        joblib.dump(model, path, compress=3)
    else:
        with open(path, "wb") as f:
            pickle.dump(model, f, protocol=int(container[len("pickle"):]))


def model_path(tmp_path, name, container):
    return str(tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}")


def max_rel_err(got, want, rtol=RTOL, atol=ATOL):
    """Largest |got - want| / max(|want|, atol / rtol); NaN must sit at the same places."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(np.isnan(got), np.isnan(want)), "NaN positions differ"
    ok = ~np.isnan(want)
    diff = np.abs(got[ok] - want[ok])
    scale = np.maximum(np.abs(want[ok]), atol / rtol)
    return float(np.max(diff / scale)) if diff.size else 0.0


def same_json_types(got, want):
    """Labels keep their Python type through JSON (int stays int, str stays str, ...)."""
    return all(type(g) is type(w) for g, w in zip(got, want))


def seed_of(name):
    return zlib.crc32(name.encode()) % 1000


def labels(kind, y):
    """Integer class ids (< 5) -> labels of the requested Python/numpy type."""
    if kind == "int":
        return y * 3 - 2  # includes negatives
    if kind == "str":
        return np.array(["cat", "dog", "emu", "fox", "gnu"])[y]
    if kind == "objstr":  # pandas-like object array of str (nested pickle in joblib)
        return np.array(["alpha", "beta", "gamma", "delta", "eps"], dtype=object)[y]
    if kind == "bool":
        return y == 1
    if kind == "float":
        return y * 2.0 + 1.0  # float dtype; integral values, else sklearn calls y continuous
    raise ValueError(kind)


def clf_data(n_classes, seed, n_samples=300, n_clusters_per_class=1):
    return make_classification(n_samples=n_samples, n_features=N_FEATURES, n_informative=4, n_redundant=1,
                               n_classes=n_classes, n_clusters_per_class=n_clusters_per_class, random_state=seed)


def reg_data(seed, n_targets=1, n_samples=300):
    return make_regression(n_samples=n_samples, n_features=N_FEATURES, n_informative=5, n_targets=n_targets,
                           noise=0.5, random_state=seed)


def query_rows(X, seed, n_train_rows=50):
    """N_ROWS random rows spread like the training data; the first n_train_rows are training
    rows (exact leaves, thresholds, neighbours, support vectors)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(N_ROWS, X.shape[1])) * X.std(axis=0) * 1.5 + X.mean(axis=0)
    rows[:n_train_rows] = X[:n_train_rows]
    return rows


def write_rows(tmp_path, rows, name="rows.json"):
    """Writes rows as JSON; NaN becomes null (missing)."""
    rows = np.asarray(rows, dtype=np.float64)
    data = [[None if np.isnan(v) else float(v) for v in r] for r in rows]
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return str(p)


def fit_model(model, n_classes, label_kind, seed, scale_targets=False):
    """Fits `model` on clf_data (n_classes, labels of label_kind) or, when n_classes is None,
    on reg_data (label_kind targets, divided by their std if scale_targets), with
    ConvergenceWarning silenced. Returns the training X."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if n_classes:
            X, y = clf_data(n_classes, seed)
            model.fit(X, labels(label_kind, y))
        else:
            X, y = reg_data(seed, n_targets=label_kind)
            model.fit(X, y / y.std() if scale_targets else y)
    return X


def check_case(case, tmp_path, run_inferd, record_error):
    """One row of a family's basic table: (id, family, kind, estimator factory, n_classes or
    None, label kind or n_targets, container), kind clf | reg | transform. Trains on 400
    samples, saves, and compares predict and predict_proba (clf) or transform with sklearn on
    N_ROWS rows."""
    name, family, kind, factory, n_classes, label_kind, container = case
    seed = seed_of(name)
    model = factory()
    if kind == "clf":
        X, y = clf_data(n_classes, seed, n_samples=400, n_clusters_per_class=2)
        model.fit(X, labels(label_kind, y))
    else:
        X, y = reg_data(seed, n_targets=label_kind, n_samples=400)
        model.fit(X, y) if kind == "reg" else model.fit(X)

    path = model_path(tmp_path, name, container)
    dump(model, path, container)
    rows = query_rows(X, seed)
    rows_path = tmp_path / "rows.json"
    rows_path.write_text(json.dumps(rows.tolist()))

    if kind == "transform":
        rc, out, err = run_inferd(path, str(rows_path), "transform")
        assert rc == 0, err
        e = max_rel_err(out["transform"], model.transform(rows))
        record_error(family, e)
        assert e <= RTOL
        return

    rc, out, err = run_inferd(path, str(rows_path), "predict")
    assert rc == 0, err
    want = model.predict(rows)
    if kind == "clf":
        want_list = want.tolist()
        assert out["predictions"] == want_list
        assert same_json_types(out["predictions"], want_list)
        rc, pout, err = run_inferd(path, str(rows_path), "proba")
        assert rc == 0, err
        assert pout["classes"] == model.classes_.tolist()
        assert same_json_types(pout["classes"], model.classes_.tolist())
        e = max_rel_err(pout["probabilities"], model.predict_proba(rows))
    else:
        e = max_rel_err(out["predictions"], want)
    record_error(family, e)
    assert e <= RTOL, f"max relative error {e:.3e}"


def check_parity(model, rows, path, container, run_inferd, record_error, family):
    """Dumps `model`, runs every applicable `inferd predict --output` (predict, proba or its
    refusal, decision_function) and compares with sklearn. Returns the number of outputs
    compared."""
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


def check_classifier(run_inferd, record_error, family, model, path, rows_path, rows, decision=True):
    """predict (labels + JSON types), proba, and decision_function when sklearn has it."""
    rc, out, err = run_inferd(path, rows_path, "predict")
    assert rc == 0, err
    want = model.predict(rows).tolist()
    assert out["predictions"] == want
    assert same_json_types(out["predictions"], want)
    rc, pout, err = run_inferd(path, rows_path, "proba")
    assert rc == 0, err
    assert pout["classes"] == model.classes_.tolist()
    e = max_rel_err(pout["probabilities"], model.predict_proba(rows))
    if decision and hasattr(model, "decision_function"):
        rc, dout, err = run_inferd(path, rows_path, "decision_function")
        assert rc == 0, err
        e = max(e, max_rel_err(dout["decision_function"], model.decision_function(rows)))
    record_error(family, e)
    assert e <= RTOL, f"max relative error {e:.3e}"


def check_regressor(run_inferd, record_error, family, model, path, rows_path, rows):
    rc, out, err = run_inferd(path, rows_path, "predict")
    assert rc == 0, err
    e = max_rel_err(out["predictions"], model.predict(rows))
    record_error(family, e)
    assert e <= RTOL, f"max relative error {e:.3e}"


def check_transformer(run_inferd, record_error, family, model, path, rows_path, rows):
    rc, out, err = run_inferd(path, rows_path, "transform")
    assert rc == 0, err
    want = model.transform(rows)
    if hasattr(want, "toarray"):
        want = want.toarray()
    e = max_rel_err(out["transform"], want)
    record_error(family, e)
    assert e <= RTOL, f"max relative error {e:.3e}"
