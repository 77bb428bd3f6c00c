#!/usr/bin/python3
"""scikit-learn side of the benchmark, run by bench/run as a separate /usr/bin/python3 process
(so its imports and memory never mix with the harness).

    sk.py expected MODEL.pkl ROWS N        -> JSON list: model.predict(rows[:N]).tolist()
    sk.py timing MODEL.pkl ROWS SECONDS    -> JSON object of timings (seconds), see below
    sk.py xgb MODEL.pkl ROWS SECONDS       -> JSON object of xgboost's own timings (XGBoost models)
    sk.py contribs MODEL.pkl ROWS N        -> JSON list: the pickle's booster's predict(pred_contribs=True)
                                              on rows[:N] (XGBoost models; per row F values, bias last)

ROWS is NAME.X.npy (a float64 matrix) or NAME.rows.json (a list of records, as make_models.py
writes for models fitted on a DataFrame). Records are read as pandas.DataFrame(records): the frame
the reference app builds from the same JSON (JSON null becomes NaN in a number column, None in a
string column), so the expected answers are what sklearn says for the rows the servers are sent.

timing measures, in one warm process (sklearn already imported, file in the page cache):
  load_s       joblib.load(MODEL) - median of repeats (>= 3)
  predict_s    {"1": t, "100": t, "1000": t, "10000": t}: model.predict(rows[:n]), median of repeats
               (records: on a DataFrame of the first n records, built before the timing)
  rss_kb       VmRSS after loading (the process also holds sklearn/numpy/scipy)
Each measurement repeats until SECONDS is used (at least 3 repeats, at most 1000): bounded.

xgb measures xgboost's native API on the files make_models.py writes beside MODEL.pkl (same stem,
MODEL.ubj and MODEL.json, the same booster), in one warm process (xgboost already imported, files
in the page cache):
  booster_load_s   {"ubj": t, "json": t}: xgboost.Booster(model_file=F), median of single loads
  inplace_s        {"1": t, "100": t, "1000": t}: booster.inplace_predict(rows[:n]) on the .ubj's
                   booster with nthread=1 (set_param; bench/run also sets OMP_NUM_THREADS=1),
                   median of repeats. rows[:n] is a C-contiguous float64 array made before timing,
                   so the call does not copy or convert it in Python. The result is what
                   predict_proba gives for classifiers ([n] probabilities of class 1 for binary,
                   [n, k] for multi:softprob) and predict for regressors.
  inplace_c_s      the same prediction without the Python wrapper: the C function inplace_predict
                   calls (XGBoosterPredictFromDense, through ctypes) with every argument the
                   wrapper builds per call (the array interface and config JSON strings, the
                   out-pointers) built once before the timing, and the result left in xgboost's
                   buffer instead of copied into a new ndarray. What remains of Python is one
                   ctypes call (~1 µs). Its output is checked equal to inplace_predict's first.
  overhead_s       inplace_s - inplace_c_s per row count: what the Python wrapper adds per call.
  contribs_s       {"1000": t}: booster.predict(DMatrix(rows[:1000]), pred_contribs=True), the
                   DMatrix made before timing, nthread=1: xgboost's exact TreeSHAP (the
                   explanations target compares inferd's Model::Contributions with it).
"""
import json
import statistics
import sys
import time

import joblib
import numpy as np


def timed(fn, budget_s, min_reps=3, max_reps=1000):
    times = []
    t_end = time.perf_counter() + budget_s
    while len(times) < max_reps and (len(times) < min_reps or time.perf_counter() < t_end):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), len(times)


def vmrss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def load_rows(path):
    """A function n -> the first n rows, as the model's predict takes them."""
    if path.endswith(".json"):
        import pandas as pd  # only the DataFrame models need it
        with open(path) as f:
            records = json.load(f)
        return lambda n: pd.DataFrame(records[:n])
    X = np.load(path)
    return lambda n: X[:n]


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, model_path, rows_path = argv[1], argv[2], argv[3]
    rows = load_rows(rows_path)
    if cmd == "expected":
        model = joblib.load(model_path)
        print(json.dumps(model.predict(rows(int(argv[4]))).tolist()))
        return 0
    if cmd == "timing":
        budget = float(argv[4])
        model = joblib.load(model_path)
        rss = vmrss_kb()
        model.predict(rows(10))  # warm up lazy initialisation
        out = {"rss_kb": rss, "predict_s": {}, "predict_min_s": {}, "reps": {}}
        med, mn, reps = timed(lambda: joblib.load(model_path), budget)
        out["load_s"], out["load_min_s"], out["reps"]["load"] = med, mn, reps
        for n in (1, 100, 1000, 10000):
            x = rows(n)
            if len(x) < n:
                break
            med, mn, reps = timed(lambda: model.predict(x), budget)
            out["predict_s"][str(n)], out["predict_min_s"][str(n)], out["reps"][str(n)] = med, mn, reps
        print(json.dumps(out))
        return 0
    if cmd == "xgb":
        return xgb_timing(model_path, rows, float(argv[4]))
    if cmd == "contribs":
        import xgboost
        booster = joblib.load(model_path).get_booster()
        x = np.ascontiguousarray(rows(int(argv[4])), dtype=np.float64)
        print(json.dumps(booster.predict(xgboost.DMatrix(x), pred_contribs=True).astype(np.float64).tolist()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


def xgb_timing(model_path, rows, budget):
    import xgboost
    stem = model_path[:-len(".pkl")] if model_path.endswith(".pkl") else model_path
    out = {"xgboost": xgboost.__version__, "booster_load_s": {}, "booster_load_min_s": {}, "inplace_s": {},
           "inplace_min_s": {}, "inplace_c_s": {}, "inplace_c_min_s": {}, "overhead_s": {}, "reps": {}}
    for fmt in ("ubj", "json"):
        path = f"{stem}.{fmt}"
        xgboost.Booster(model_file=path)  # warm: page cache, lazy initialisation
        med, mn, reps = timed(lambda path=path: xgboost.Booster(model_file=path), budget)
        out["booster_load_s"][fmt], out["booster_load_min_s"][fmt], out["reps"][f"load_{fmt}"] = med, mn, reps
    booster = xgboost.Booster(model_file=f"{stem}.ubj")
    booster.set_param({"nthread": 1})
    for n in (1, 100, 1000):
        x = np.ascontiguousarray(rows(n), dtype=np.float64)
        if len(x) < n:
            break
        want = booster.inplace_predict(x)  # also a warm-up
        med, mn, reps = timed(lambda x=x: booster.inplace_predict(x), budget)
        out["inplace_s"][str(n)], out["inplace_min_s"][str(n)], out["reps"][f"inplace_{n}"] = med, mn, reps
        call, result = c_api_predict(booster, x)
        call()
        if not np.array_equal(result(want.size).reshape(want.shape), want):
            raise SystemExit(f"sk.py xgb: the C API call's output differs from inplace_predict's ({n} rows)")
        med, mn, reps = timed(call, budget)
        out["inplace_c_s"][str(n)], out["inplace_c_min_s"][str(n)], out["reps"][f"inplace_c_{n}"] = med, mn, reps
        out["overhead_s"][str(n)] = out["inplace_s"][str(n)] - med
    # Explanations: predict(pred_contribs=True) on a DMatrix made beforehand, one thread.
    x = np.ascontiguousarray(rows(1000), dtype=np.float64)
    if len(x) == 1000:
        d = xgboost.DMatrix(x, nthread=1)
        booster.predict(d, pred_contribs=True)  # warm-up
        med, mn, reps = timed(lambda: booster.predict(d, pred_contribs=True), budget)
        out["contribs_s"], out["contribs_min_s"], out["reps"]["contribs_1000"] = {"1000": med}, {"1000": mn}, reps
    print(json.dumps(out))
    return 0


def c_api_predict(booster, x):
    """(call, result): call() runs what booster.inplace_predict(x) runs in C, with the arguments
    xgboost 1.7's wrapper builds per call (xgboost/core.py, Booster.inplace_predict for a numpy
    array with the default arguments) built here once; result(size) reads the last call's output."""
    import ctypes
    from xgboost.core import _LIB, _check_call, c_bst_ulong
    from xgboost.data import _array_interface
    config = json.dumps({"type": 0, "training": False, "iteration_begin": 0, "iteration_end": 0,
                         "missing": np.nan, "strict_shape": False, "cache_id": 0}).encode()
    interface = _array_interface(x)
    preds, shape, dims = ctypes.POINTER(ctypes.c_float)(), ctypes.POINTER(c_bst_ulong)(), c_bst_ulong()
    args = (booster.handle, interface, config, ctypes.c_void_p(), ctypes.byref(shape), ctypes.byref(dims),
            ctypes.byref(preds))
    fn = _LIB.XGBoosterPredictFromDense

    def call():
        _check_call(fn(*args))

    return call, lambda size: np.ctypeslib.as_array(preds, shape=(size,)).copy()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
