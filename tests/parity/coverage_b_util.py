"""Shared helpers of the coverB parity tests (HistGradientBoosting, transformers,
ColumnTransformer, XGBoost, re-labelled newer-version files): saving a model in each
container, writing request rows (NaN -> JSON null), comparing outputs."""
import json
import pickle

import joblib
import numpy as np

RTOL = 1e-9
ATOL = 1e-12
N_ROWS = 1200


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


def write_rows(tmp_path, rows, name="rows.json"):
    """Writes rows as JSON; NaN becomes null (missing)."""
    rows = np.asarray(rows, dtype=np.float64)
    data = [[None if np.isnan(v) else float(v) for v in r] for r in rows]
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return str(p)


def max_rel_err(got, want, rtol=RTOL, atol=ATOL):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(np.isnan(got), np.isnan(want)), "NaN positions differ"
    ok = ~np.isnan(want)
    diff = np.abs(got[ok] - want[ok])
    scale = np.maximum(np.abs(want[ok]), atol / rtol)
    return float(np.max(diff / scale)) if diff.size else 0.0


def same_json_types(got, want):
    return all(type(g) is type(w) for g, w in zip(got, want))


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
