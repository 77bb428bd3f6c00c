#!/usr/bin/python3
"""scikit-learn side of the benchmark, run by bench/run as a separate /usr/bin/python3 process
(so its imports and memory never mix with the harness).

    sk.py expected MODEL.pkl ROWS N        -> JSON list: model.predict(rows[:N]).tolist()
    sk.py timing MODEL.pkl ROWS SECONDS    -> JSON object of timings (seconds), see below

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
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
