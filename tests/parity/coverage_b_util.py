"""Shared helpers of the coverB parity tests (HistGradientBoosting, transformers,
ColumnTransformer, XGBoost, re-labelled newer-version files): saving a model in each
container, writing request rows (NaN -> JSON null), comparing outputs."""
import json

import numpy as np

from parity_util import ATOL, N_ROWS, RTOL, dump, max_rel_err, same_json_types  # noqa: F401 (re-exported)


def model_path(tmp_path, name, container):
    return str(tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}")


def write_rows(tmp_path, rows, name="rows.json"):
    """Writes rows as JSON; NaN becomes null (missing)."""
    rows = np.asarray(rows, dtype=np.float64)
    data = [[None if np.isnan(v) else float(v) for v in r] for r in rows]
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return str(p)


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
