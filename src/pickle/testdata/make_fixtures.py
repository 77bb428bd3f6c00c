#!/usr/bin/python3
"""Generates the pickle/joblib test fixtures and manifest.json (expected values).

Run with Debian's Python (scikit-learn 1.2.1, numpy 1.24.2, joblib 1.2.0):
    /usr/bin/python3 src/pickle/testdata/make_fixtures.py
Outputs are committed; the C++ tests (reader_test.cc) compare the reader's result with
manifest.json. Everything is seeded, so re-running reproduces the same values.
"""
import json
import os
import pickle
import sys

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

HERE = os.path.dirname(os.path.abspath(__file__))


def describe_dtype(dt):
    d = {"str": dt.str, "kind": dt.kind, "itemsize": dt.itemsize}
    if dt.names:
        d["fields"] = [{"name": n, "dtype": dt.fields[n][0].str, "offset": dt.fields[n][1]} for n in dt.names]
    return d


def describe_array(a):
    a = np.asarray(a)
    d = {"type": "ndarray", "dtype": describe_dtype(a.dtype), "shape": list(a.shape)}
    flat = a.ravel(order="C")
    if a.dtype.names:
        d["fields"] = {n: [float(x) for x in a[n].ravel()] for n in a.dtype.names}
    elif a.dtype.kind in "fiub":
        d["values"] = [float(x) for x in flat]
    elif a.dtype.kind == "U":
        d["strings"] = [str(x) for x in flat]
    elif a.dtype.kind == "S":
        d["strings"] = [x.decode("latin-1") for x in flat]
    elif a.dtype.kind == "O":
        d["objects"] = [describe(x) for x in flat]
    return d


def describe(v):
    if isinstance(v, type):
        return {"type": "global", "name": v.__module__ + "." + v.__qualname__}
    if isinstance(v, np.dtype):
        return {"type": "dtype", "dtype": describe_dtype(v)}
    if v is None:
        return {"type": "none"}
    if isinstance(v, (bool, np.bool_)) and not isinstance(v, np.ndarray):
        if isinstance(v, np.bool_):
            return describe_array(np.asarray(v))
        return {"type": "bool", "value": v}
    if isinstance(v, np.generic):
        return describe_array(np.asarray(v))
    if isinstance(v, int):
        return {"type": "int", "value": v}
    if isinstance(v, float):
        return {"type": "float", "value": v}
    if isinstance(v, str):
        return {"type": "str", "value": v}
    if isinstance(v, (bytes, bytearray)):
        return {"type": "bytes", "hex": bytes(v).hex()}
    if isinstance(v, np.ndarray):
        return describe_array(v)
    if isinstance(v, tuple):
        return {"type": "tuple", "items": [describe(x) for x in v]}
    if isinstance(v, list):
        return {"type": "list", "items": [describe(x) for x in v]}
    if isinstance(v, dict):
        return {"type": "dict", "entries": {str(k): describe(x) for k, x in v.items()}}
    if isinstance(v, slice):
        return {"type": "slice"}
    if isinstance(v, (set, frozenset)):
        return {"type": "set", "count": len(v)}
    return {"type": "object", "cls": type(v).__module__ + "." + type(v).__qualname__}


def arrays():
    rng = np.random.RandomState(0)
    f8 = rng.standard_normal((3, 4))
    structured = np.zeros(3, dtype=[("left", "<i8"), ("thr", "<f8"), ("flag", "u1"), ("cnt", ">i4")])
    structured["left"] = [1, -1, 7]
    structured["thr"] = [0.5, -2.25, 1e300]
    structured["flag"] = [0, 1, 255]
    structured["cnt"] = [10, -20, 123456]
    return {
        "f8": f8,
        "f4": rng.standard_normal(5).astype("<f4"),
        "i8": np.array([-(2**40), -1, 0, 1, 2**62], dtype="<i8"),
        "i4": np.arange(-3, 3, dtype="<i4").reshape(2, 3),
        "u1": np.array([0, 1, 128, 255], dtype="u1"),
        "b1": np.array([True, False, True]),
        "U": np.array(["a", "héllo", "€uro", ""]),
        "S": np.array([b"ab", b"c", b""]),
        "be_f8": np.array([1.5, -2.0, 3.25e-10], dtype=">f8"),
        "be_i8": np.arange(6, dtype=">i8").reshape(2, 3),
        "fortran": np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4)),
        "fortran2d": np.asfortranarray(np.arange(6, dtype="<i4").reshape(2, 3)),
        "scalar0d": np.array(2.5),
        "structured": structured,
        "empty": np.zeros((0, 3)),
        "obj": np.array(["x", "yz", 3], dtype=object),
        "obj_str": np.array(["cat", "dog", "bird"], dtype=object),
    }


def payload():
    a = arrays()
    return {
        "arrays": a,
        "np_f8": np.float64(1.25),
        "np_i8": np.int64(-7),
        "np_u8": np.uint64(2**63 + 5),
        "np_bool": np.bool_(True),
        "py_int": 42,
        "py_big": 2**40 + 3,
        "py_neg": -123456789,
        "py_float": 0.1,
        "py_str": "naïve ✓",
        "py_bytes": b"\x00\xffab",
        "py_empty_bytes": b"",
        "py_none": None,
        "py_true": True,
        "py_list": [1, 2.5, "three", None],
        "py_tuple": (1, (2, 3), ()),
        "shared": [a["f4"], a["f4"]],
        "dtype_obj": np.dtype("<f8"),
        "type_obj": np.float64,
        "slice": slice(1, 5, None),
        "set": {1, 2, 3},
        "bytearray": bytearray(b"xyz"),
    }


def main():
    os.chdir(HERE)
    manifest = {}
    data = payload()
    desc = describe(data)

    files = {}
    for proto in (2, 3, 4, 5):
        name = f"values_p{proto}.pkl"
        with open(name, "wb") as f:
            pickle.dump(data, f, protocol=proto)
        files[name] = "pickle"
    joblib.dump(data, "values.joblib")
    joblib.dump(data, "values_p2.joblib", protocol=2)
    joblib.dump(data, "values_z3.joblib", compress=3)
    for ext in ("gz", "bz2", "xz", "lzma"):
        joblib.dump(data, f"values.joblib.{ext}")
    for name in ["values.joblib", "values_p2.joblib", "values_z3.joblib"] + [f"values.joblib.{e}" for e in ("gz", "bz2", "xz", "lzma")]:
        files[name] = "joblib"
    manifest["values"] = desc
    manifest["values_files"] = sorted(files)
    manifest["estimators"] = {}

    # Real estimators.
    rng = np.random.RandomState(1)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    dtc = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    logreg = LogisticRegression(max_iter=500).fit(X, y)
    dtc_obj = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, np.array(["a", "bb", "c"], dtype=object)[y])
    for name, est in (("dtc", dtc), ("logreg", logreg), ("dtc_objlabels", dtc_obj)):
        joblib.dump(est, f"{name}.joblib")
        with open(f"{name}_p4.pkl", "wb") as f:
            pickle.dump(est, f, protocol=4)
        tree = getattr(est, "tree_", None)
        m = {
            "cls": type(est).__module__ + "." + type(est).__qualname__,
            "classes": describe(est.classes_),
            "sklearn_version": est.__getstate__()["_sklearn_version"],
        }
        if tree is not None:
            m["node_count"] = int(tree.node_count)
            m["nodes"] = describe_array(tree.__getstate__()["nodes"])
            m["values"] = describe_array(tree.value)
            m["n_classes"] = describe_array(tree.n_classes)
        else:
            m["coef"] = describe_array(est.coef_)
            m["intercept"] = describe_array(est.intercept_)
        manifest["estimators"][f"{name}.joblib"] = m
        manifest["estimators"][f"{name}_p4.pkl"] = m

    with open("manifest.json", "w") as f:
        json.dump(manifest, f, sort_keys=True, ensure_ascii=False)
    total = sum(os.path.getsize(n) for n in os.listdir(".") if not n.endswith(".py"))
    print(f"wrote {len(files) + len(manifest['estimators'])} fixtures + manifest, {total} bytes total", file=sys.stderr)


if __name__ == "__main__":
    main()
