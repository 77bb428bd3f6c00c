"""Helpers every parity test shares: the tolerance, saving a model in each container, and
comparing inferd's outputs with scikit-learn's."""
import pickle

import joblib
import numpy as np

# Floats must agree within RTOL relative (ATOL absolute near zero); labels exactly.
RTOL = 1e-9
ATOL = 1e-12
N_ROWS = 1200  # request rows per model


def dump(model, path, container):
    """container: joblib | joblib3 (compress=3) | pickleN (pickle protocol N)."""
    if container == "joblib":
        joblib.dump(model, path)
    elif container == "joblib3":
        joblib.dump(model, path, compress=3)
    else:
        with open(path, "wb") as f:
            pickle.dump(model, f, protocol=int(container[len("pickle"):]))


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
