"""Hostile XGBoost model files, made from real models trained with Debian's python3-xgboost 1.7.

Real models of every kind inferd loads (binary, multi-class, regressor, dart, gblinear,
categorical splits, pruned trees with deleted nodes; save_model JSON and UBJSON; pickled
XGBClassifier / XGBRegressor whose booster is the UBJSON snapshot, and a JSON snapshot as
xgboost 1.4-1.5 wrote them) are decoded into Python values, edited one field at a time, and
encoded again. `mutants()` yields every edit; `hostile_cases()` is the subset the test suites
run. Run as a script, this is the mutation driver: every mutant through `inferd predict` in
its own process with a timeout, reporting any signal or hang.

Usage: python3 tests/reliability/xgboost_hostile.py --bin build/bin/inferd [--jobs 2] [--only NAME]
"""
import argparse
import collections
import concurrent.futures
import copy
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np


# ---- UBJSON as xgboost writes it: objects, counted arrays, typed arrays, big-endian numbers ----
class TypedArray:
    """A UBJSON `[$T#N` array: `marker` is the element type (d l L U ...)."""

    def __init__(self, marker, values):
        self.marker, self.values = marker, list(values)

    def __deepcopy__(self, memo):
        return TypedArray(self.marker, list(self.values))


class F64(float):
    """A float written as UBJSON 'D' (float64) instead of 'd' (float32)."""


class Pairs(list):
    """An object written from (key, value) pairs in order: lets a mutant repeat a key."""


class Raw(bytes):
    """Bytes inserted verbatim by the encoders (a lie about a count, a bad marker, ...)."""


_FMT = {"i": ">b", "U": ">B", "I": ">h", "l": ">i", "L": ">q", "d": ">f", "D": ">d"}


def ubj_decode(b):
    def num(p, t):
        f = _FMT[t]
        n = struct.calcsize(f)
        return struct.unpack(f, b[p:p + n])[0], p + n

    def length(p):
        return num(p + 1, chr(b[p]))

    def value(p, t=None):
        if t is None:
            t = chr(b[p])
            p += 1
        if t == "{":
            d = {}
            while chr(b[p]) != "}":
                n, p = length(p)
                k = b[p:p + n].decode()
                p += n
                d[k], p = value(p)
            return d, p + 1
        if t == "[":
            if chr(b[p]) == "$":
                et = chr(b[p + 1])
                n, p = length(p + 3)
                vals = []
                for _ in range(n):
                    v, p = value(p, et)
                    vals.append(v)
                return TypedArray(et, vals), p
            out = []
            if chr(b[p]) == "#":
                n, p = length(p + 1)
                for _ in range(n):
                    v, p = value(p)
                    out.append(v)
                return out, p
            while chr(b[p]) != "]":
                v, p = value(p)
                out.append(v)
            return out, p + 1
        if t == "S":
            n, p = length(p)
            return b[p:p + n].decode(), p + n
        if t in _FMT:
            v, p = num(p, t)
            return (F64(v) if t == "D" else v), p
        if t == "T":
            return True, p
        if t == "F":
            return False, p
        if t == "Z":
            return None, p
        raise ValueError(f"marker {t!r} at {p}")

    v, p = value(0)
    assert p == len(b), (p, len(b))
    return v


def _ubj_scalar(t, v):
    if t in "dD":
        return struct.pack(_FMT[t], v)
    lo, hi = {"i": (-128, 127), "U": (0, 255), "I": (-32768, 32767), "l": (-2**31, 2**31 - 1),
              "L": (-2**63, 2**63 - 1)}[t]
    return struct.pack(_FMT[t], min(max(int(v), lo), hi))  # a typed array cannot hold more


def ubj_encode(v):
    out = bytearray()

    def key(k):
        kb = k.encode()
        out.extend(b"L" + struct.pack(">q", len(kb)) + kb)

    def enc(v):
        if isinstance(v, Raw):
            out.extend(v)
        elif isinstance(v, Pairs):
            out.extend(b"{")
            for k, x in v:
                key(k)
                enc(x)
            out.extend(b"}")
        elif isinstance(v, dict):
            enc(Pairs(v.items()))
        elif isinstance(v, TypedArray):
            out.extend(b"[$" + v.marker.encode() + b"#L" + struct.pack(">q", len(v.values)))
            for x in v.values:
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    out.extend(_ubj_scalar(v.marker, x))
                else:  # a wrong-typed element: the array becomes untyped
                    raise TypeError("typed arrays hold numbers")
        elif isinstance(v, list):
            out.extend(b"[#L" + struct.pack(">q", len(v)))
            for x in v:
                enc(x)
        elif isinstance(v, bool):
            out.extend(b"T" if v else b"F")
        elif v is None:
            out.extend(b"Z")
        elif isinstance(v, int):  # the smallest marker that holds it, as xgboost writes
            v = max(min(v, 2**63 - 1), -2**63)
            t = next(t for t, lim in (("i", 2**7), ("I", 2**15), ("l", 2**31), ("L", 2**64)) if -lim < v < lim - 1
                     or t == "L")
            out.extend(t.encode() + struct.pack(_FMT[t], v))
        elif isinstance(v, F64):
            out.extend(b"D" + struct.pack(">d", v))
        elif isinstance(v, float):
            try:
                out.extend(b"d" + struct.pack(">f", v))
            except OverflowError:  # beyond float32: written as float64
                out.extend(b"D" + struct.pack(">d", v))
        elif isinstance(v, str):
            sb = v.encode()
            out.extend(b"SL" + struct.pack(">q", len(sb)) + sb)
        else:
            raise TypeError(type(v))

    enc(v)
    return bytes(out)


class _NeedsSlowPath(Exception):
    pass


def _json_default(o):
    if isinstance(o, TypedArray):
        return o.values
    raise _NeedsSlowPath()


def json_encode(v):
    """Compact JSON as xgboost writes it; NaN/Infinity as xgboost's bare words."""
    if not _has_pairs(v):
        try:
            return json.dumps(v, separators=(",", ":"), default=_json_default)
        except _NeedsSlowPath:
            pass
    return _json_encode_slow(v)


def _has_pairs(v):
    if isinstance(v, (Pairs, Raw)):
        return True
    if isinstance(v, dict):
        return any(_has_pairs(x) for x in v.values() if isinstance(x, (dict, list, bytes)))
    if isinstance(v, list):
        return any(_has_pairs(x) for x in v if isinstance(x, (dict, list, bytes)))
    return False


def _json_encode_slow(v):
    if isinstance(v, Raw):
        return v.decode()
    if isinstance(v, Pairs):
        return "{" + ",".join(json.dumps(k) + ":" + _json_encode_slow(x) for k, x in v) + "}"
    if isinstance(v, dict):
        return _json_encode_slow(Pairs(v.items()))
    if isinstance(v, TypedArray):
        return _json_encode_slow(v.values)
    if isinstance(v, list):
        return "[" + ",".join(_json_encode_slow(x) for x in v) + "]"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(float(v))
    return json.dumps(v)


# ---- real models ----
NF = 8


def _data(seed, n=400, nf=NF):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, nf))
    return X, X[:, 0] + X[:, 1] - 0.5 * X[:, 2] ** 2


class Base:
    """A real model in one file form: `doc` (decoded), `form` (json | ubj | pickle-ubj |
    pickle-json), `n_features`, and `encode(doc)` -> file bytes."""

    def __init__(self, name, form, doc, n_features, wrapper=None, raw=None):
        self.name, self.form, self.doc, self.n_features, self.wrapper = name, form, doc, n_features, wrapper
        self.raw = raw if raw is not None else self.encode(doc)

    def snapshot_bytes(self, doc):
        return ubj_encode(doc) if self.form == "pickle-ubj" else json_encode(doc).encode()

    def encode(self, doc):
        if self.form == "json":
            return json_encode(doc).encode()
        if self.form == "ubj":
            return ubj_encode(doc)
        return pickle_with_snapshot(self.wrapper, self.snapshot_bytes(doc))

    def encode_bytes(self, blob):
        """File bytes for a given booster blob (byte-level mutants)."""
        if self.form in ("json", "ubj"):
            return blob
        return pickle_with_snapshot(self.wrapper, blob)

    @property
    def model(self):
        """The {"learner":..., "version":...} part."""
        return self.doc["Model"] if self.form.startswith("pickle") else self.doc


def pickle_with_snapshot(wrapper, snapshot, booster_state=None):
    """pickle.dumps(wrapper) with its booster's snapshot replaced by `snapshot` (and the Python
    Booster's own attributes that are present, e.g. best_iteration, by `booster_state`)."""
    import xgboost as xgb
    orig = xgb.core.Booster.__getstate__

    def getstate(self):
        st = orig(self)
        st["handle"] = bytearray(snapshot)
        st.update({k: v for k, v in (booster_state or {}).items() if k in st})
        return st

    xgb.core.Booster.__getstate__ = getstate
    try:
        return pickle.dumps(wrapper, protocol=4)
    finally:
        xgb.core.Booster.__getstate__ = orig


GROUPS = ["binary", "multi", "reg", "dart", "gblinear", "pruned", "categorical", "pickled"]


def real_models(small=False, n_features=NF, groups=None):
    """[Base]: every kind of model, every file form. `small` keeps the trees few; `groups`
    (names from GROUPS) limits which are trained."""
    import xgboost as xgb
    want = set(groups or GROUPS)
    X, s = _data(0, nf=n_features)
    yb = (s > 0).astype(int)
    ym = np.digitize(s, np.quantile(s, [0.33, 0.66]))
    n = 6 if small else 60
    bases = []
    cache = {}

    def native(name, booster, forms=("json", "ubj")):
        for f in forms:
            raw = bytes(booster.save_raw("json" if f == "json" else "ubj"))
            doc = json.loads(raw) if f == "json" else ubj_decode(raw)
            bases.append(Base(f"{name}.{f}", f, doc, booster.num_features()))

    def model(key):
        if key not in cache:
            cache[key] = {
                "binary": lambda: xgb.XGBClassifier(n_estimators=n, max_depth=5, random_state=0).fit(X, yb),
                "multi": lambda: xgb.XGBClassifier(n_estimators=max(2, n // 6), max_depth=3, random_state=0).fit(X, ym),
                "dart": lambda: xgb.XGBRegressor(n_estimators=8, max_depth=3, booster="dart", rate_drop=0.3,
                                                 random_state=0).fit(X, s),
            }[key]()
        return cache[key]

    if "binary" in want:
        native("binary", model("binary").get_booster())
    if "multi" in want:
        native("multi", model("multi").get_booster())
    if "reg" in want:
        reg = xgb.XGBRegressor(n_estimators=max(2, n // 4), max_depth=4, random_state=0).fit(X, s)
        native("reg", reg.get_booster(), ("json",))
    if "dart" in want:
        native("dart", model("dart").get_booster())
    if "gblinear" in want:
        lin = cache["gblinear"] = xgb.XGBRegressor(n_estimators=5, booster="gblinear", random_state=0).fit(X, s)
        native("gblinear", lin.get_booster())
        linm = xgb.XGBClassifier(n_estimators=5, booster="gblinear", random_state=0).fit(X, ym)
        native("gblinear_multi", linm.get_booster(), ("json",))
    if "pruned" in want:
        pruned = xgb.XGBClassifier(n_estimators=4, max_depth=6, tree_method="exact", gamma=5,
                                   random_state=0).fit(X, yb)
        native("pruned", pruned.get_booster(), ("json",))
    if "categorical" in want:
        # Feature 0 holds 12 categories; partition splits (max_cat_to_onehot=1).
        rng = np.random.default_rng(5)
        Xc = X.copy()
        Xc[:, 0] = rng.integers(0, 12, size=len(X))
        yc = s + np.isin(Xc[:, 0], [1, 3, 5, 7]) * 2.0
        dm = xgb.DMatrix(Xc, label=yc, feature_types=["c"] + ["q"] * (n_features - 1), enable_categorical=True)
        cat = xgb.train({"tree_method": "hist", "max_cat_to_onehot": 1, "max_depth": 3}, dm, num_boost_round=4)
        native("categorical", cat)
        # The same booster inside a pickled XGBRegressor (as fit on a DataFrame with a category column).
        cache["categorical"] = xgb.XGBRegressor(n_estimators=4, tree_method="hist", max_cat_to_onehot=1, max_depth=3,
                                                enable_categorical=True)
        cache["categorical"]._Booster = cat

    def pickled(name, wrapper, json_snapshot=False):
        b = wrapper.get_booster()
        snap = bytes(b.__getstate__()["handle"])
        if json_snapshot:  # the 1.4-1.5 form: {"Config": <JSON config>, "Model": <JSON model>}
            doc = {"Config": json.loads(b.save_config()), "Model": json.loads(bytes(b.save_raw("json")))}
            base = Base(name, "pickle-json", doc, b.num_features(), wrapper)
        else:
            base = Base(name, "pickle-ubj", ubj_decode(snap), b.num_features(), wrapper)
            assert ubj_encode(base.doc) == snap, "the UBJSON codec must round-trip xgboost's bytes"
        bases.append(base)

    if "pickled" in want:
        pickled("XGBClassifier.pkl", model("binary"))
        pickled("XGBClassifier_jsonsnap.pkl", model("binary"), json_snapshot=True)
        if "multi" in want:
            pickled("XGBClassifier_multi.pkl", model("multi"))
        if "dart" in want:
            pickled("XGBRegressor_dart.pkl", model("dart"))
        if "gblinear" in want:
            pickled("XGBRegressor_gblinear.pkl", cache["gblinear"])
        if "categorical" in want:
            pickled("XGBRegressor_categorical.pkl", cache["categorical"])
    for b in bases:
        if b.form == "ubj":
            assert ubj_encode(b.doc) == b.raw
    return bases


# ---- mutations: (name, edit) where edit(doc) changes the decoded document in place ----
def _gb(model):
    return model["learner"]["gradient_booster"]


def _gbtree_model(model):
    gb = _gb(model)
    if gb.get("name") == "dart":
        return gb["gbtree"]["model"]
    return gb["model"]


def _arr(a):
    return a.values if isinstance(a, TypedArray) else a


def _set_elem(container, key, idx, value):
    a = container[key]
    if isinstance(a, TypedArray):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if a.marker in "lLiUI" and isinstance(value, float):
                container[key] = TypedArray("d", a.values)  # float value: a float array
                a = container[key]
            a.values[idx] = value
            if a.marker == "d" and math.isfinite(value) and abs(value) > 3.4028234663852886e38:
                a.marker = "D"
            if a.marker in "lUiI" and not (-2**31 <= value < 2**31 and (a.marker != "U" or 0 <= value < 256)):
                a.marker = "L"
            return
        container[key] = list(a.values)  # a wrong-typed element: an untyped array
        a = container[key]
    a[idx] = value


INT_VALUES = [-1, -2, 2**31 - 1, 2**31, 2**32 + 1, -2**31, 1000000, 1000000000, 2**63 - 1]
FLOAT_VALUES = [float("nan"), float("inf"), float("-inf"), 3.5e38, F64(1e300)]
WRONG_TYPES = [("str", "1"), ("list", []), ("obj", {}), ("null", None), ("bool", True)]
NODE_INT = ["left_children", "right_children", "parents", "split_indices"]
NODE_FLOAT = ["split_conditions", "base_weights", "loss_changes", "sum_hessian"]
NODE_FLAGS = ["default_left", "split_type"]
CAT_ARRAYS = ["categories", "categories_nodes", "categories_segments", "categories_sizes"]


def tree_mutants(prefix, get_tree):
    """Edits of one tree (get_tree(model) -> tree dict)."""
    out = []

    def add(name, fn):
        out.append((f"{prefix}.{name}", lambda m, fn=fn: fn(get_tree(m))))

    def n_nodes(t):
        return len(_arr(t["left_children"]))

    def first_leaf(t):
        return _arr(t["left_children"]).index(-1)

    def first_internal_child(t):  # a node below the root that has children, else the root
        lc = _arr(t["left_children"])
        return next((i for i in range(1, len(lc)) if lc[i] != -1), 0)

    for key in NODE_INT + NODE_FLOAT + NODE_FLAGS:
        for where, idx in (("root", lambda t: 0), ("leaf", first_leaf), ("last", lambda t: n_nodes(t) - 1)):
            values = INT_VALUES + [0, 1] if key in NODE_INT + NODE_FLAGS else FLOAT_VALUES
            if key in NODE_INT:
                values = values + ["n", "n-1"]
            for v in values:
                def fn(t, key=key, idx=idx, v=v):
                    val = n_nodes(t) if v == "n" else n_nodes(t) - 1 if v == "n-1" else v
                    _set_elem(t, key, idx(t), val)
                add(f"{key}[{where}]={v}", fn)
            for tn, tv in WRONG_TYPES + [("float", 1.5)]:
                if key in NODE_FLOAT and tn == "bool":
                    continue
                add(f"{key}[{where}]={tn}", lambda t, key=key, idx=idx, tv=tv: _set_elem(t, key, idx(t), copy.deepcopy(tv)))
        add(f"{key}=truncated", lambda t, key=key: _arr(t[key]).pop())
        add(f"{key}=empty", lambda t, key=key: _arr(t[key]).clear())
        add(f"{key}=longer", lambda t, key=key: _arr(t[key]).append(_arr(t[key])[-1]))
        add(f"{key}=string", lambda t, key=key: t.__setitem__(key, "abc"))
        add(f"{key}=object", lambda t, key=key: t.__setitem__(key, {}))
        add(f"{key}=removed", lambda t, key=key: t.pop(key))
    for key in CAT_ARRAYS + ["id", "tree_param"]:
        add(f"{key}=removed", lambda t, key=key: t.pop(key))
    for v in [-1, 1, 99, 2**31, "0", None]:
        add(f"id={v}", lambda t, v=v: t.__setitem__("id", v))
    # Structure: cycles, sharing, children of leaves, unreachable nodes.
    add("root.left=root", lambda t: _set_elem(t, "left_children", 0, 0))
    add("root.right=root", lambda t: _set_elem(t, "right_children", 0, 0))
    add("child.left=root", lambda t: _set_elem(t, "left_children", first_internal_child(t), 0))
    add("child.right=parent", lambda t: _set_elem(t, "right_children", first_internal_child(t),
                                                  _arr(t["parents"])[first_internal_child(t)]))
    add("children.swapped_with_parent", lambda t: (_set_elem(t, "left_children", _arr(t["left_children"])[0], 0)))
    add("root.left=root.right", lambda t: _set_elem(t, "left_children", 0, _arr(t["right_children"])[0]))
    add("leaf.left=1", lambda t: _set_elem(t, "left_children", first_leaf(t), 1))
    add("leaf.right=1", lambda t: _set_elem(t, "right_children", first_leaf(t), 1))
    add("leaf.children=root,1", lambda t: (_set_elem(t, "left_children", first_leaf(t), 0),
                                           _set_elem(t, "right_children", first_leaf(t), 1)))
    add("root.leaf_one_side", lambda t: _set_elem(t, "left_children", 0, -1))
    add("root.made_leaf", lambda t: (_set_elem(t, "left_children", 0, -1), _set_elem(t, "right_children", 0, -1)))
    add("parents[1]=1", lambda t: _set_elem(t, "parents", min(1, n_nodes(t) - 1), 1))
    add("parents[last]=last", lambda t: _set_elem(t, "parents", n_nodes(t) - 1, n_nodes(t) - 1))
    add("default_left[root]=2", lambda t: _set_elem(t, "default_left", 0, 2))
    add("split_type[root]=1", lambda t: _set_elem(t, "split_type", 0, 1))
    add("split_type[root]=2", lambda t: _set_elem(t, "split_type", 0, 2))
    add("split_type[leaf]=1", lambda t: _set_elem(t, "split_type", first_leaf(t), 1))
    add("deleted_marker[root]", lambda t: (_set_elem(t, "split_indices", 0, 2**31 - 1), _set_elem(t, "default_left", 0, 1)))
    add("deleted_marker[leaf]", lambda t: (_set_elem(t, "split_indices", first_leaf(t), 2**31 - 1),
                                           _set_elem(t, "default_left", first_leaf(t), 1)))
    # tree_param strings.
    for key in ["num_nodes", "num_deleted", "num_feature", "size_leaf_vector"]:
        for v in ["0", "-1", "1", "2", "99999999", "2147483648", "abc", "", " 5", "1e3", 5, None]:
            add(f"tree_param.{key}={v!r}", lambda t, key=key, v=v: t["tree_param"].__setitem__(key, v))
        add(f"tree_param.{key}=removed", lambda t, key=key: t["tree_param"].pop(key))
    add("tree_param.num_nodes=n+1", lambda t: t["tree_param"].__setitem__("num_nodes", str(n_nodes(t) + 1)))
    add("tree_param.num_nodes=n-1", lambda t: t["tree_param"].__setitem__("num_nodes", str(n_nodes(t) - 1)))
    add("tree_param=string", lambda t: t.__setitem__("tree_param", "x"))
    return out


def categorical_mutants(prefix, get_tree):
    out = []

    def add(name, fn):
        out.append((f"{prefix}.{name}", lambda m, fn=fn: fn(get_tree(m))))

    for key in CAT_ARRAYS:
        for v in [-1, 2**31 - 1, 2**31, 1000000000, 2**24, 2**63 - 1, 0, 100000]:
            add(f"{key}[0]={v}", lambda t, key=key, v=v: _set_elem(t, key, 0, v))
            add(f"{key}[last]={v}", lambda t, key=key, v=v: _set_elem(t, key, len(_arr(t[key])) - 1, v))
        add(f"{key}=truncated", lambda t, key=key: _arr(t[key]).pop())
        add(f"{key}=empty", lambda t, key=key: _arr(t[key]).clear())
        add(f"{key}=longer", lambda t, key=key: _arr(t[key]).append(_arr(t[key])[-1]))
        add(f"{key}[0]=str", lambda t, key=key: _set_elem(t, key, 0, "x"))
    add("categories_nodes=leaf", lambda t: _set_elem(t, "categories_nodes", 0, _arr(t["left_children"]).index(-1)))
    add("categories_nodes=reversed", lambda t: _arr(t["categories_nodes"]).reverse())
    add("categories_nodes=duplicated", lambda t: _set_elem(t, "categories_nodes", len(_arr(t["categories_nodes"])) - 1,
                                                           _arr(t["categories_nodes"])[0]))
    add("split_type=all_numeric", lambda t: _arr(t["split_type"]).__setitem__(slice(None), [0] * len(_arr(t["split_type"]))))
    add("categories_sizes[0]+1000", lambda t: _set_elem(t, "categories_sizes", 0, _arr(t["categories_sizes"])[0] + 1000))
    add("categories_segments[0]=len", lambda t: _set_elem(t, "categories_segments", 0, len(_arr(t["categories"]))))
    return out


def model_mutants(base):
    """[(name, edit(model))] for the {"learner", "version"} document of `base`."""
    out = []

    def add(name, fn):
        out.append((name, fn))

    gbname = _gb(base.model)["name"]
    if gbname in ("gbtree", "dart"):
        trees = _gbtree_model(base.model)["trees"]
        picks = sorted({0, len(trees) // 2, len(trees) - 1})
        for i in picks:
            out += tree_mutants(f"tree{i}", lambda m, i=i: _gbtree_model(m)["trees"][i])
        if any(len(_arr(t.get("categories_nodes", []))) for t in trees):
            ti = next(i for i, t in enumerate(trees) if len(_arr(t["categories_nodes"])))
            out += categorical_mutants(f"cattree{ti}", lambda m, ti=ti: _gbtree_model(m)["trees"][ti])
        gm = lambda m: _gbtree_model(m)  # noqa: E731
        add("tree_info=[]", lambda m: gm(m).__setitem__("tree_info", []))
        add("tree_info=truncated", lambda m: _arr(gm(m)["tree_info"]).pop())
        add("tree_info=longer", lambda m: _arr(gm(m)["tree_info"]).append(0))
        for v in [-1, 1, 2, 3, 1000000000, 2**31, "0", None, 1.5]:
            add(f"tree_info[0]={v!r}", lambda m, v=v: _set_elem(gm(m), "tree_info", 0, v))
            add(f"tree_info[last]={v!r}", lambda m, v=v: _set_elem(gm(m), "tree_info", len(_arr(gm(m)["tree_info"])) - 1, v))
        add("tree_info=string", lambda m: gm(m).__setitem__("tree_info", "0"))
        add("tree_info=removed", lambda m: gm(m).pop("tree_info"))
        add("trees=removed", lambda m: gm(m).pop("trees"))
        add("trees=[]", lambda m: gm(m).__setitem__("trees", []))
        add("trees=object", lambda m: gm(m).__setitem__("trees", {}))
        add("trees[0]=deleted", lambda m: gm(m)["trees"].pop(0))
        add("trees[last]=deleted", lambda m: gm(m)["trees"].pop())
        add("trees[0]=duplicated", lambda m: gm(m)["trees"].append(copy.deepcopy(gm(m)["trees"][0])))
        add("trees[0]=string", lambda m: gm(m)["trees"].__setitem__(0, "tree"))
        add("trees[0]=null", lambda m: gm(m)["trees"].__setitem__(0, None))
        add("trees[0,1]=swapped", lambda m: gm(m)["trees"].reverse())
        add("trees.ids=all_zero", lambda m: [t.__setitem__("id", 0) for t in gm(m)["trees"]])
        for key in ["num_trees", "num_parallel_tree", "size_leaf_vector"]:
            for v in ["0", "-1", "1", "2", "3", "99999999", "2147483648", "1000000", "abc", "", 60, None]:
                add(f"gbtree_model_param.{key}={v!r}",
                    lambda m, key=key, v=v: gm(m)["gbtree_model_param"].__setitem__(key, v))
            add(f"gbtree_model_param.{key}=removed", lambda m, key=key: gm(m)["gbtree_model_param"].pop(key))
        add("gbtree_model_param.num_trees=n+1", lambda m: gm(m)["gbtree_model_param"].__setitem__(
            "num_trees", str(len(gm(m)["trees"]) + 1)))
        add("gbtree_model_param=removed", lambda m: gm(m).pop("gbtree_model_param"))
        add("iteration_indptr=bad", lambda m: gm(m).__setitem__("iteration_indptr", [0, 5, 2]))
        add("iteration_indptr=huge", lambda m: gm(m).__setitem__("iteration_indptr", [0, 2**40]))
        add("model=removed", lambda m: (_gb(m)["gbtree"] if gbname == "dart" else _gb(m)).pop("model"))
    if gbname == "dart":
        gb = lambda m: _gb(m)  # noqa: E731
        add("weight_drop=[]", lambda m: gb(m).__setitem__("weight_drop", []))
        add("weight_drop=truncated", lambda m: _arr(gb(m)["weight_drop"]).pop())
        add("weight_drop=longer", lambda m: _arr(gb(m)["weight_drop"]).append(1.0))
        add("weight_drop[0]=nan", lambda m: _set_elem(gb(m), "weight_drop", 0, float("nan")))
        add("weight_drop[0]=inf", lambda m: _set_elem(gb(m), "weight_drop", 0, float("inf")))
        add("weight_drop[0]=str", lambda m: _set_elem(gb(m), "weight_drop", 0, "1"))
        add("weight_drop=removed", lambda m: gb(m).pop("weight_drop"))
        add("gbtree.name=dart", lambda m: gb(m)["gbtree"].__setitem__("name", "dart"))
        add("gbtree=removed", lambda m: gb(m).pop("gbtree"))
        add("name=gbtree", lambda m: gb(m).__setitem__("name", "gbtree"))
    if gbname == "gblinear":
        w = lambda m: _gb(m)["model"]  # noqa: E731
        add("weights=[]", lambda m: w(m).__setitem__("weights", []))
        add("weights=truncated", lambda m: _arr(w(m)["weights"]).pop())
        add("weights=longer", lambda m: _arr(w(m)["weights"]).append(0.5))
        add("weights=one", lambda m: w(m).__setitem__("weights", [0.5]))
        add("weights[0]=nan", lambda m: _set_elem(w(m), "weights", 0, float("nan")))
        add("weights[0]=str", lambda m: _set_elem(w(m), "weights", 0, "x"))
        add("weights=removed", lambda m: w(m).pop("weights"))
        add("weights=string", lambda m: w(m).__setitem__("weights", "x"))
        add("boosted_rounds=-1", lambda m: w(m).__setitem__("boosted_rounds", -1))
        add("boosted_rounds=huge", lambda m: w(m).__setitem__("boosted_rounds", 2**40))
        add("model=removed", lambda m: _gb(m).pop("model"))
    # Booster name.
    for v in ["gbtree", "dart", "gblinear", "foo", "", 1, None]:
        if v != gbname:
            add(f"gradient_booster.name={v!r}", lambda m, v=v: _gb(m).__setitem__("name", v))
    add("gradient_booster=removed", lambda m: m["learner"].pop("gradient_booster"))
    add("gradient_booster=list", lambda m: m["learner"].__setitem__("gradient_booster", []))
    # learner_model_param.
    lmp = lambda m: m["learner"]["learner_model_param"]  # noqa: E731
    for key, values in {
        "num_feature": ["0", "-1", "1", "7", "9", "1000000", "99999999", "2147483648", "abc", "", 8],
        "num_class": ["0", "1", "2", "3", "4", "-1", "1000000", "99999999", "abc", 3],
        "num_target": ["0", "2", "3", "-1", "1000000", "abc"],
        "base_score": ["nan", "inf", "-inf", "abc", "", "2", "-1", "0", "1", "1e40", "5E-1", 0.5],
        "boost_from_average": ["0", "2", "-1", "abc"],
    }.items():
        for v in values:
            add(f"learner_model_param.{key}={v!r}", lambda m, key=key, v=v: lmp(m).__setitem__(key, v))
        add(f"learner_model_param.{key}=removed", lambda m, key=key: lmp(m).pop(key))
    add("learner_model_param=removed", lambda m: m["learner"].pop("learner_model_param"))
    add("learner_model_param=string", lambda m: m["learner"].__setitem__("learner_model_param", "x"))
    # Objective.
    obj = lambda m: m["learner"]["objective"]  # noqa: E731
    for v in ["binary:logistic", "multi:softprob", "multi:softmax", "binary:logitraw", "binary:hinge",
              "reg:squarederror", "reg:logistic", "reg:tweedie", "reg:gamma", "count:poisson", "survival:cox",
              "survival:aft", "rank:pairwise", "rank:ndcg", "reg:pseudohubererror", "reg:absoluteerror",
              "reg:linear", "foo", "", 1]:
        add(f"objective.name={v!r}", lambda m, v=v: obj(m).__setitem__("name", v))
    for v in ["0", "1", "-1", "2", "4", "1000000", "abc"]:
        add(f"objective.softmax_num_class={v}", lambda m, v=v: obj(m).__setitem__(
            "softmax_multiclass_param", {"num_class": v}))
    add("objective.multi_with_num_class_0", lambda m: (obj(m).__setitem__("name", "multi:softprob"),
                                                      obj(m).__setitem__("softmax_multiclass_param", {"num_class": "0"})))
    add("objective.tweedie_power=100", lambda m: (obj(m).__setitem__("name", "reg:tweedie"), obj(m).__setitem__(
        "tweedie_regression_param", {"tweedie_variance_power": "100"})))
    add("objective.params_removed", lambda m: [obj(m).pop(k) for k in list(obj(m)) if k != "name"])
    add("objective=removed", lambda m: m["learner"].pop("objective"))
    add("objective=string", lambda m: m["learner"].__setitem__("objective", "binary:logistic"))
    # Attributes, names, types.
    att = lambda m: m["learner"].setdefault("attributes", {})  # noqa: E731
    for v in ["99999", "1000000000", "-5", "abc", "", "1e9", "2147483648", "0"]:
        add(f"attributes.best_iteration={v}", lambda m, v=v: att(m).__setitem__("best_iteration", v))
        add(f"attributes.best_ntree_limit={v}", lambda m, v=v: att(m).__setitem__("best_ntree_limit", v))
    add("attributes.scikit_learn=garbage", lambda m: att(m).__setitem__("scikit_learn", '{"_estimator_type": 5'))
    add("attributes.value=int", lambda m: att(m).__setitem__("best_iteration", 3))
    add("attributes=list", lambda m: m["learner"].__setitem__("attributes", []))
    add("attributes=removed", lambda m: m["learner"].pop("attributes"))
    nf = base.n_features
    for key, vals in {"feature_names": [["a"], ["f"] * (nf + 3), [1] * nf, ["x"] * nf],
                      "feature_types": [["c"], ["c"] * nf, ["q"] * (nf + 2), ["zz"] * nf, [None] * nf]}.items():
        for i, v in enumerate(vals):
            add(f"{key}=variant{i}", lambda m, key=key, v=v: m["learner"].__setitem__(key, list(v)))
        add(f"{key}=string", lambda m, key=key: m["learner"].__setitem__(key, "x"))
    # Version.
    for v in [[], [1], [1, 7], ["1", 7, 4], [2, 0, 0], [0, 0, 0], [-1, -1, -1], [1, 3, 0], [1, 7, 4, 1], "1.7.4"]:
        add(f"version={v!r}", lambda m, v=v: m.__setitem__("version", copy.deepcopy(v)))
    add("version=removed", lambda m: m.pop("version"))
    add("learner=removed", lambda m: m.pop("learner"))
    add("learner=array", lambda m: m.__setitem__("learner", []))
    return out


def config_mutants():
    """Edits of the snapshot's "Config" (pickled wrappers)."""
    out = []
    c = lambda d: d["Config"]["learner"]  # noqa: E731

    def gen(d):
        return c(d)["generic_param"]

    for key, vals in {"nthread": ["1000000", "-1", "abc"], "n_jobs": ["100000", "-5"], "gpu_id": ["0", "7", "abc"],
                      "seed": ["-1", "abc"], "validate_parameters": ["2"]}.items():
        for v in vals:
            out.append((f"Config.generic_param.{key}={v}", lambda d, key=key, v=v: gen(d).__setitem__(key, v)))
    tp = lambda d: c(d)["gradient_booster"].get("gbtree_train_param") or c(d)["gradient_booster"]["gbtree"]["gbtree_train_param"]  # noqa: E731
    for key, vals in {"predictor": ["gpu_predictor", "foo"], "process_type": ["update"], "updater": ["grow_gpu_hist", "foo"],
                      "tree_method": ["gpu_hist", "foo"]}.items():
        for v in vals:
            out.append((f"Config.gbtree_train_param.{key}={v}", lambda d, key=key, v=v: tp(d).__setitem__(key, v)))
    for key, v in [("num_class", "5"), ("num_feature", "1000"), ("num_feature", "1"), ("base_score", "nan")]:
        out.append((f"Config.learner_model_param.{key}={v}", lambda d, key=key, v=v: c(d)["learner_model_param"].__setitem__(key, v)))
    out.append(("Config.objective=multi:softprob", lambda d: c(d)["objective"].__setitem__("name", "multi:softprob")))
    out.append(("Config.learner_train_param.booster=gblinear", lambda d: c(d)["learner_train_param"].__setitem__("booster", "gblinear")))
    out.append(("Config.learner_train_param.objective=foo", lambda d: c(d)["learner_train_param"].__setitem__("objective", "foo")))
    out.append(("Config.gradient_booster.name=dart", lambda d: c(d)["gradient_booster"].__setitem__("name", "dart")))
    out.append(("Config.updater=bogus", lambda d: c(d)["gradient_booster"].__setitem__("updater", {"grow_bogus": {}})))
    out.append(("Config=removed", lambda d: d.pop("Config")))
    out.append(("Config=list", lambda d: d.__setitem__("Config", [])))
    out.append(("Model=removed", lambda d: d.pop("Model")))
    out.append(("Model=string", lambda d: d.__setitem__("Model", "m")))
    out.append(("snapshot=model_only", lambda d: (d.pop("Config"), d.update(d.pop("Model")))))
    return out


def _find_all(b, needle, limit):
    out, p = [], 0
    while len(out) < limit:
        p = b.find(needle, p)
        if p < 0:
            break
        out.append(p)
        p += 1
    return out


def byte_mutants(base):
    """Edits of the encoded booster bytes: lying counts and lengths, bad markers, truncation,
    duplicate keys, deep nesting, whitespace."""
    blob = base.snapshot_bytes(base.doc) if base.form.startswith("pickle") else base.raw
    ubj = base.form in ("ubj", "pickle-ubj")
    out = []

    def add(name, b):
        out.append((name, bytes(b)))

    n = len(blob)
    for frac in [0, 1, 2, 10, 100, 999]:
        cut = max(1, n * frac // 1000) if frac else 1
        add(f"truncated@{cut}", blob[:cut])
    add("truncated@-1", blob[:-1])
    add("trailing_garbage", blob + b"xyz")
    add("two_documents", blob + blob)
    if ubj:
        for what, needle in [("typed_count", b"#L"), ("str_len", b"SL")]:
            for k, p in enumerate(_find_all(blob, needle, 40)[::8]):
                for v in [2**40, 2**62, -1, 2**31, n]:
                    off = p + 2
                    add(f"{what}{k}={v}", blob[:off] + struct.pack(">q", v) + blob[off + 8:])
        for k, p in enumerate(_find_all(blob, b"[$", 20)[::5]):
            for m in b"SCHZTFNx{[":
                add(f"typed_marker{k}={chr(m)}", blob[:p + 2] + bytes([m]) + blob[p + 3:])
        key = b"\x00\x00\x00\x00\x00\x00\x00\x05"
        for k, p in enumerate(_find_all(blob, b"L" + key, 10)[:3]):
            add(f"key_len{k}=huge", blob[:p + 1] + struct.pack(">q", 2**50) + blob[p + 9:])
        for m in b"HCN$#]}":
            add(f"bad_marker_{chr(m)}", blob[:1] + bytes([m]) + blob[2:])
        add("deep_nesting", b"{L" + struct.pack(">q", 1) + b"x" + b"[" * 100000 + blob[1:])
        add("not_ubjson_marker_after_brace", b"{\x01" + blob[2:])
        # A duplicate key: "learner" again as the first key, with garbage inside.
        dup = b"L" + struct.pack(">q", 7) + b"learner" + b"{}"
        add("duplicate_key_first", blob[:1] + dup + blob[1:])
    else:
        add("deep_nesting", b'{"x":' + b"[" * 100000 + b"]" * 100000 + b"," + blob[1:])
        add("whitespace_after_brace", b"{ " + blob[1:])
        add("bom", b"\xef\xbb\xbf" + blob)
        add("nan_literal_threshold", blob.replace(b'"split_conditions":[', b'"split_conditions":[NaN,', 1))
        add("duplicate_num_trees", blob.replace(b'"num_trees":', b'"num_trees":"99999999","num_trees":', 1))
        add("duplicate_num_trees_after", blob.replace(b'"num_parallel_tree":', b'"num_trees":"99999999","num_parallel_tree":', 1))
        add("duplicate_learner_key", b'{"learner":{},' + blob[1:])
        add("bigint", blob.replace(b'"left_children":[', b'"left_children":[123456789012345678901234567890,', 1))
        add("float_exponent_int", blob.replace(b'"left_children":[1', b'"left_children":[1e0', 1))
        add("escaped_key", blob.replace(b'"left_children"', b'"left_\\u0063hildren"', 1))
        add("nul_in_key", blob.replace(b'"left_children"', b'"left_children\\u0000"', 1))
        add("invalid_utf8", blob.replace(b'"gbtree"', b'"gbtr\xff\xfe"', 1))
    return out


def mutants(bases, stride=1):
    """Yields (base, mutant_name, file_bytes), every `stride`-th of them."""
    count = 0

    def take():
        nonlocal count
        count += 1
        return count % stride == 0

    for base in bases:
        edits = [(f"model.{n}", f) for n, f in model_mutants(base)]
        if base.form.startswith("pickle"):
            edits = [(n, (lambda d, f=f: f(d["Model"]))) for n, f in edits] + config_mutants()
        frozen = pickle.dumps(base.doc)
        for name, fn in edits:
            if not take():
                continue
            doc = pickle.loads(frozen)  # a deep copy, several times faster than copy.deepcopy
            try:
                fn(doc)
                data = base.encode(doc)
            except (KeyError, IndexError, ValueError, TypeError, AttributeError, OverflowError, StopIteration):
                continue  # the edit does not apply to this model
            yield base, name, data
        for name, blob in byte_mutants(base):
            if not take():
                continue
            yield base, "bytes." + name, base.encode_bytes(blob)


# The issue's table and more of its kind, for the test suites: (name, edit, expected text of
# the refusal; "a|b" means either).
def _tree0(m):
    return _gbtree_model(m)["trees"][0]


ISSUE_CASES = [
    ("left_child_huge", lambda m: _set_elem(_tree0(m), "left_children", 0, 1000000000), "left child 1000000000"),
    ("split_index_huge", lambda m: _set_elem(_tree0(m), "split_indices", 0, 1000000), "feature 1000000"),
    ("split_index_negative", lambda m: _set_elem(_tree0(m), "split_indices", 0, -1), "feature -1"),
    ("num_trees_huge", lambda m: _gbtree_model(m)["gbtree_model_param"].__setitem__("num_trees", "99999999"), "num_trees"),
    ("tree_info_empty", lambda m: _gbtree_model(m).__setitem__("tree_info", []), "tree_info"),
    ("own_child", lambda m: _set_elem(_tree0(m), "left_children", 0, 0), "left child 0"),
    ("child_cycle", lambda m: _set_elem(_tree0(m), "left_children", _arr(_tree0(m)["left_children"])[0], 0), "left child 0"),
    ("shared_child", lambda m: _set_elem(_tree0(m), "left_children", _arr(_tree0(m)["left_children"])[0],
                                         _arr(_tree0(m)["right_children"])[0]), "reached twice"),
    ("both_children_same", lambda m: _set_elem(_tree0(m), "left_children", 0, _arr(_tree0(m)["right_children"])[0]),
     "both children"),
    ("num_nodes_mismatch", lambda m: _tree0(m)["tree_param"].__setitem__("num_nodes", "99999999"), "num_nodes"),
    ("array_truncated", lambda m: _arr(_tree0(m)["right_children"]).pop(), "right_children"),
    # JSON cannot hold a NaN: there the file is malformed.
    ("nan_threshold", lambda m: _set_elem(_tree0(m), "split_conditions", 0, float("nan")),
     "split_conditions|malformed JSON"),
    ("num_feature_zero", lambda m: m["learner"]["learner_model_param"].__setitem__("num_feature", "0"), "num_feature"),
    ("tree_info_out_of_range", lambda m: _set_elem(_gbtree_model(m), "tree_info", 0, 5), "tree_info"),
    ("num_class_huge", lambda m: m["learner"]["learner_model_param"].__setitem__("num_class", "99999999"), "num_class"),
    ("tree_deleted", lambda m: _gbtree_model(m)["trees"].pop(), "num_trees"),
    ("wrong_type", lambda m: _tree0(m).__setitem__("left_children", "x"), "left_children"),
]


HOSTILE_BASES = ["binary.json", "binary.ubj", "XGBClassifier.pkl", "XGBClassifier_jsonsnap.pkl"]
BYTE_CASES = [("binary.ubj.typed_count_huge", "array count"), ("binary.ubj.string_length_huge", "string length"),
              ("binary.ubj.truncated", "malformed UBJSON"), ("binary.json.duplicate_key", "duplicate key"),
              ("binary.json.deep_nesting", "nested deeper")]


def hostile_case_names():
    """[(name, expected substring)] of hostile_cases(), without training anything."""
    return [(f"{b}.{n}", e) for b in HOSTILE_BASES for n, _, e in ISSUE_CASES] + BYTE_CASES


def hostile_cases(n_features=NF, bases=None):
    """[(name, file_bytes, expected substring)]: the issue's table and more of its kind on a
    binary classifier (60 trees, depth 5) as a JSON and a UBJSON file and as pickled
    XGBClassifiers (UBJSON and JSON snapshots), plus lies in the bytes of both encodings.
    `bases`: real_models(groups=["binary", "pickled"]) when the caller has them already."""
    bases = bases or real_models(n_features=n_features, groups=["binary", "pickled"])
    by_name = {b.name: b for b in bases}
    out = []
    for bname in HOSTILE_BASES:
        base = by_name[bname]
        for name, fn, expect in ISSUE_CASES:
            doc = pickle.loads(pickle.dumps(base.doc))
            fn(doc["Model"] if base.form.startswith("pickle") else doc)
            out.append((f"{bname}.{name}", base.encode(doc), expect))
    ubj = by_name["binary.ubj"].raw
    js = by_name["binary.json"].raw
    p = ubj.find(b"[$d#L")
    q = ubj.find(b"SL")
    data = {
        "binary.ubj.typed_count_huge": ubj[:p + 5] + struct.pack(">q", 2**40) + ubj[p + 13:],
        "binary.ubj.string_length_huge": ubj[:q + 2] + struct.pack(">q", 2**62) + ubj[q + 10:],
        "binary.ubj.truncated": ubj[: len(ubj) // 2],
        "binary.json.duplicate_key": js.replace(b'"num_trees":', b'"num_trees":"99999999","num_trees":', 1),
        "binary.json.deep_nesting": b'{"x":' + b"[" * 100000 + b"]" * 100000 + b"," + js[1:],
    }
    out += [(name, data[name], expect) for name, expect in BYTE_CASES]
    assert [(n, e) for n, _, e in out] == hostile_case_names()
    return out


# ---- The cases the issue of inferd's own evaluator names, on every kind of booster and in every
# file form: (group, name, edit(model), expected text of the refusal; "a|b" means either). The
# group picks the real model the edit starts from (TARGET_BASES: a native .json, a native .ubj and
# the booster snapshot inside a pickled wrapper, each).
TARGET_BASES = {
    "binary": ["binary.json", "binary.ubj", "XGBClassifier.pkl"],
    "multi": ["multi.json", "multi.ubj", "XGBClassifier_multi.pkl"],
    "dart": ["dart.json", "dart.ubj", "XGBRegressor_dart.pkl"],
    "gblinear": ["gblinear.json", "gblinear.ubj", "XGBRegressor_gblinear.pkl"],
    "categorical": ["categorical.json", "categorical.ubj", "XGBRegressor_categorical.pkl"],
}


def _lmp(m):
    return m["learner"]["learner_model_param"]


def _attrs(m):
    return m["learner"]["attributes"]


def _softmax(m):
    return m["learner"]["objective"]["softmax_multiclass_param"]


def _first_leaf(t):
    return _arr(t["left_children"]).index(-1)


def _below_root(t):
    """A node two levels down that has children (its parent is a child of the root)."""
    lc = _arr(t["left_children"])
    return next(i for i in range(1, len(lc)) if lc[i] != -1 and _arr(t["parents"])[i] != 0)


def _cat_tree(m):
    return next(t for t in _gbtree_model(m)["trees"] if len(_arr(t["categories_nodes"])))


def _weights(m):
    return _gb(m)["model"]["weights"]


def _rounds(m):
    return len(_gbtree_model(m)["trees"]) // max(1, int(_lmp(m)["num_class"]))


TARGET_CASES = [
    # Thresholds and leaf values: NaN and infinities (xgboost's JSON writes them as bare words).
    ("binary", "threshold_nan", lambda m: _set_elem(_tree0(m), "split_conditions", 0, float("nan")),
     "tree 0 node 0: threshold (split_conditions) is not a finite"),
    ("binary", "threshold_inf", lambda m: _set_elem(_tree0(m), "split_conditions", 0, float("inf")),
     "tree 0 node 0: threshold (split_conditions) is not a finite"),
    ("binary", "threshold_minus_inf", lambda m: _set_elem(_tree0(m), "split_conditions", 0, float("-inf")),
     "tree 0 node 0: threshold (split_conditions) is not a finite"),
    ("binary", "leaf_value_nan",
     lambda m: _set_elem(_tree0(m), "split_conditions", _first_leaf(_tree0(m)), float("nan")),
     "leaf value (split_conditions) is not a finite"),
    ("binary", "leaf_value_inf",
     lambda m: _set_elem(_tree0(m), "split_conditions", _first_leaf(_tree0(m)), float("inf")),
     "leaf value (split_conditions) is not a finite"),
    # Children, parents and features out of range; cycles below the root.
    ("binary", "right_child_negative", lambda m: _set_elem(_tree0(m), "right_children", 0, -5),
     "tree 0 node 0: right child -5 is out of range"),
    ("binary", "right_child_huge", lambda m: _set_elem(_tree0(m), "right_children", 0, 1000000),
     "tree 0 node 0: right child 1000000 is out of range"),
    ("binary", "cycle_to_grandparent", lambda m: _set_elem(_tree0(m), "right_children", _below_root(_tree0(m)),
                                                           _arr(_tree0(m)["parents"])[_below_root(_tree0(m))]),
     "is reached twice from the root"),
    ("binary", "parent_wrong", lambda m: _set_elem(_tree0(m), "parents", 1, 2), "tree 0 node 1: parent is 2"),
    ("binary", "num_feature_below_splits", lambda m: _lmp(m).__setitem__("num_feature", "1"),
     "is out of range (the model has 1 features)"),
    # Mismatched array lengths.
    ("binary", "split_conditions_longer", lambda m: _arr(_tree0(m)["split_conditions"]).append(0.5),
     "\"split_conditions\" has"),
    ("binary", "default_left_truncated", lambda m: _arr(_tree0(m)["default_left"]).pop(), "\"default_left\" has"),
    ("binary", "parents_empty", lambda m: _arr(_tree0(m)["parents"]).clear(), "\"parents\" has 0 entries"),
    ("binary", "split_indices_truncated", lambda m: _arr(_tree0(m)["split_indices"]).pop(), "\"split_indices\" has"),
    # Absurd counts.
    ("binary", "num_feature_huge", lambda m: _lmp(m).__setitem__("num_feature", "1048577"),
     "\"num_feature\" is 1048577, must be in [1, 1048576]"),
    ("binary", "num_feature_int64", lambda m: _lmp(m).__setitem__("num_feature", "9223372036854775807"),
     "\"num_feature\" is"),
    ("binary", "num_target_huge", lambda m: _lmp(m).__setitem__("num_target", "99999999"),
     "\"num_target\" is 99999999"),
    ("binary", "num_parallel_tree_huge",
     lambda m: _gbtree_model(m)["gbtree_model_param"].__setitem__("num_parallel_tree", "99999999"),
     "\"num_parallel_tree\" is 99999999"),
    ("binary", "num_deleted_lie", lambda m: _tree0(m)["tree_param"].__setitem__("num_deleted", "5"),
     "num_deleted is 5"),
    # tree_info naming an output group the model does not have.
    ("binary", "tree_info_group_1_of_1", lambda m: _set_elem(_gbtree_model(m), "tree_info", 0, 1),
     "tree_info[0] is 1, the model has 1 output group"),
    ("binary", "tree_info_negative", lambda m: _set_elem(_gbtree_model(m), "tree_info", 0, -1), "tree_info[0] is -1"),
    # Early stopping beyond the rounds.
    ("binary", "best_iteration_beyond_rounds", lambda m: _attrs(m).__setitem__("best_iteration", str(_rounds(m))),
     "best_iteration is 60 but the model has 60 boosting rounds"),
    ("binary", "best_iteration_huge", lambda m: _attrs(m).__setitem__("best_iteration", "1000000000"),
     "best_iteration is 1000000000"),
    ("binary", "best_iteration_negative", lambda m: _attrs(m).__setitem__("best_iteration", "-5"),
     "best_iteration is \"-5\""),
    # Objective and base_score.
    ("binary", "objective_unknown", lambda m: m["learner"]["objective"].__setitem__("name", "reg:foo"),
     "unknown objective \"reg:foo\""),
    ("binary", "base_score_nan", lambda m: _lmp(m).__setitem__("base_score", "nan"), "\"base_score\" is \"nan\""),
    ("binary", "base_score_inf", lambda m: _lmp(m).__setitem__("base_score", "1e40"),
     "\"base_score\" is \"1e40\", not a finite"),
    ("binary", "base_score_zero", lambda m: _lmp(m).__setitem__("base_score", "0"),
     "binary:logistic needs a probability in (0, 1)"),
    ("binary", "base_score_one", lambda m: _lmp(m).__setitem__("base_score", "1E0"),
     "binary:logistic needs a probability in (0, 1)"),
    ("binary", "base_score_above_one", lambda m: _lmp(m).__setitem__("base_score", "1.5"),
     "binary:logistic needs a probability in (0, 1)"),
    ("binary", "base_score_negative", lambda m: _lmp(m).__setitem__("base_score", "-5E-1"),
     "binary:logistic needs a probability in (0, 1)"),
    # multi:softprob: num_class disagreements.
    ("multi", "softprob_num_class_4_of_3", lambda m: _softmax(m).__setitem__("num_class", "4"),
     "softmax_multiclass_param.num_class is 4 but learner_model_param.num_class is 3"),
    ("multi", "learner_num_class_2_of_3", lambda m: _lmp(m).__setitem__("num_class", "2"),
     "softmax_multiclass_param.num_class is 3 but learner_model_param.num_class is 2"),
    ("multi", "num_class_0_softprob",
     lambda m: (_lmp(m).__setitem__("num_class", "0"), _softmax(m).__setitem__("num_class", "0")),
     "multi:softprob needs num_class >= 1"),
    ("multi", "num_class_2_trees_for_3",
     lambda m: (_lmp(m).__setitem__("num_class", "2"), _softmax(m).__setitem__("num_class", "2")),
     "tree_info[2] is 2, the model has 2 output groups"),
    ("multi", "tree_info_group_3_of_3", lambda m: _set_elem(_gbtree_model(m), "tree_info", 0, 3),
     "tree_info[0] is 3, the model has 3 output groups"),
    ("multi", "base_score_nan", lambda m: _lmp(m).__setitem__("base_score", "NaN"), "\"base_score\" is \"NaN\""),
    # dart: one finite weight per tree.
    ("dart", "weight_drop_truncated", lambda m: _arr(_gb(m)["weight_drop"]).pop(),
     "weight_drop has 7 entries for 8 trees"),
    ("dart", "weight_drop_longer", lambda m: _arr(_gb(m)["weight_drop"]).append(1.0),
     "weight_drop has 9 entries for 8 trees"),
    ("dart", "weight_drop_empty", lambda m: _arr(_gb(m)["weight_drop"]).clear(),
     "weight_drop has 0 entries for 8 trees"),
    ("dart", "weight_drop_nan", lambda m: _set_elem(_gb(m), "weight_drop", 0, float("nan")),
     "weight_drop[0] is not finite"),
    ("dart", "weight_drop_inf", lambda m: _set_elem(_gb(m), "weight_drop", 3, float("inf")),
     "weight_drop[3] is not finite"),
    ("dart", "tree_info_group_1_of_1", lambda m: _set_elem(_gbtree_model(m), "tree_info", 7, 1), "tree_info[7] is 1"),
    # gblinear: (num_feature + 1) * groups finite weights.
    ("gblinear", "weights_truncated", lambda m: _arr(_weights(m)).pop(),
     "has 8 weights, (num_feature + 1) * 1 groups is 9"),
    ("gblinear", "weights_longer", lambda m: _arr(_weights(m)).append(0.5),
     "has 10 weights, (num_feature + 1) * 1 groups is 9"),
    ("gblinear", "weights_empty", lambda m: _arr(_weights(m)).clear(),
     "has 0 weights, (num_feature + 1) * 1 groups is 9"),
    ("gblinear", "num_feature_4_for_9_weights", lambda m: _lmp(m).__setitem__("num_feature", "4"),
     "has 9 weights, (num_feature + 1) * 1 groups is 5"),
    ("gblinear", "num_class_3_for_9_weights", lambda m: (_lmp(m).__setitem__("num_class", "3")),
     "has 9 weights, (num_feature + 1) * 3 groups is 27"),
    ("gblinear", "weight_nan", lambda m: _set_elem(_gb(m)["model"], "weights", 2, float("nan")),
     "weight 2 is not finite"),
    ("gblinear", "weight_inf", lambda m: _set_elem(_gb(m)["model"], "weights", 8, float("-inf")),
     "weight 8 is not finite"),
    ("gblinear", "num_feature_huge", lambda m: _lmp(m).__setitem__("num_feature", "2147483648"),
     "\"num_feature\" is 2147483648"),
    # Categorical splits: absurd categories, empty category lists, lists outside `categories`.
    ("categorical", "category_2_24", lambda m: _set_elem(_cat_tree(m), "categories", 0, 2**24),
     "category 16777216 (categories[0]) is not in [0, 16777215]"),
    ("categorical", "category_int32_max", lambda m: _set_elem(_cat_tree(m), "categories", 0, 2**31 - 1),
     "category 2147483647 (categories[0])"),
    ("categorical", "category_negative", lambda m: _set_elem(_cat_tree(m), "categories", 0, -1),
     "category -1 (categories[0])"),
    ("categorical", "category_list_empty", lambda m: _set_elem(_cat_tree(m), "categories_sizes", 0, 0),
     "has a categorical split with no categories"),
    ("categorical", "categories_all_empty", lambda m: (_arr(_cat_tree(m)["categories"]).clear()),
     "are outside the 0 categories"),
    ("categorical", "category_segment_past_end", lambda m: _set_elem(_cat_tree(m), "categories_segments", 0,
                                                                     len(_arr(_cat_tree(m)["categories"]))),
     "node 0: categories 8 + 8 are outside"),
    ("categorical", "category_size_huge", lambda m: _set_elem(_cat_tree(m), "categories_sizes", 0, 2**40),
     "node 0: categories 0 + 1099511627776 are outside"),
    ("categorical", "categories_sizes_truncated", lambda m: _arr(_cat_tree(m)["categories_sizes"]).pop(),
     "categories_nodes, categories_segments and categories_sizes have"),
    ("categorical", "categorical_node_not_listed", lambda m: _arr(_cat_tree(m)["categories_nodes"]).__setitem__(0, 1),
     "node 0: has a categorical split but no categories"),
    ("categorical", "categorical_leaf", lambda m: _set_elem(_cat_tree(m), "split_type", _first_leaf(_cat_tree(m)), 1),
     "is a leaf with a categorical split_type"),
    ("categorical", "threshold_nan_numeric_node", lambda m: _set_elem(_cat_tree(m),
     "split_conditions", 1, float("nan")),
     "node 1: threshold (split_conditions) is not a finite"),
]


def target_case_names():
    """[(name, expected substring)] of target_cases(), without training anything."""
    return [(f"{b}.{n}", e) for g, n, _, e in TARGET_CASES for b in TARGET_BASES[g]]


def target_cases(bases=None):
    """[(name, file_bytes, expected substring)]: TARGET_CASES on each of its group's files.
    `bases`: real_models() (or at least the TARGET_BASES groups and "pickled")."""
    bases = bases or real_models(groups=list(TARGET_BASES) + ["pickled"])
    by_name = {b.name: b for b in bases}
    out = []
    for group, name, fn, expect in TARGET_CASES:
        for bname in TARGET_BASES[group]:
            base = by_name[bname]
            doc = pickle.loads(pickle.dumps(base.doc))
            fn(doc["Model"] if base.form.startswith("pickle") else doc)
            out.append((f"{bname}.{name}", base.encode(doc), expect))
    assert [(n, e) for n, _, e in out] == target_case_names()
    return out


# ---- A legal but deep tree: one chain of `depth` splits (kMaxXgbTreeDepth = 1024 is the
# deepest accepted). Internal node 2k splits on feature k % num_feature at k + 0.5 and sends a
# smaller value left to leaf 2k + 1 (value -0.5 - k / 4096), a larger or missing value right to
# node 2k + 2; node 2 * depth is the bottom leaf (value CHAIN_BOTTOM). A row whose features all
# hold v >= depth - 0.5 (or NaN) reaches the bottom; v < depth - 0.5 stops at k = round-up(v - 0.5).
CHAIN_BOTTOM = 2.5
CHAIN_FORMS = ["binary.json", "binary.ubj", "XGBClassifier.pkl"]


def _like(old, values):
    """`values` in the container type (and UBJSON marker) xgboost wrote for this array."""
    return TypedArray(old.marker, values) if isinstance(old, TypedArray) else list(values)


def chain_tree(template, depth, nf):
    n = 2 * depth + 1
    left, right, parents, feats, cond = [-1] * n, [-1] * n, [0] * n, [0] * n, [0.0] * n
    parents[0] = 2147483647
    for k in range(depth):
        i = 2 * k
        left[i], right[i], feats[i], cond[i] = i + 1, i + 2, k % nf, k + 0.5
        parents[i + 1] = parents[i + 2] = i
        cond[i + 1] = -0.5 - k / 4096
    cond[n - 1] = CHAIN_BOTTOM
    internal = [1 if left[i] != -1 else 0 for i in range(n)]
    t = {}
    for key, old in template.items():
        if key == "tree_param":
            t[key] = {"num_deleted": "0", "num_feature": str(nf), "num_nodes": str(n), "size_leaf_vector": "0"}
        elif key == "id":
            t[key] = 0
        elif key in CAT_ARRAYS:
            t[key] = _like(old, [])
        else:
            t[key] = _like(old, {
                "left_children": left, "right_children": right, "parents": parents, "split_indices": feats,
                "split_conditions": cond, "base_weights": cond, "default_left": [0] * n, "split_type": [0] * n,
                "loss_changes": [float(x) for x in internal], "sum_hessian": [1.0] * n}[key])
    return t


def chain_doc(base, depth):
    """base's document with its trees replaced by one chain of `depth` splits."""
    doc = pickle.loads(pickle.dumps(base.doc))
    m = doc["Model"] if base.form.startswith("pickle") else doc
    gm = _gbtree_model(m)
    gm["trees"] = [chain_tree(gm["trees"][0], depth, int(_lmp(m)["num_feature"]))]
    gm["tree_info"] = _like(gm["tree_info"], [0])
    gm["gbtree_model_param"]["num_trees"] = "1"
    if "iteration_indptr" in gm:
        gm["iteration_indptr"] = _like(gm["iteration_indptr"], [0, 1])
    att = _attrs(m)
    if "best_iteration" in att:
        att["best_iteration"], att["best_ntree_limit"] = "0", "1"
    return doc


def chain_files(bases, depths):
    """[(name, file_bytes, depth)] for each CHAIN_FORMS file and depth."""
    out = []
    for f in CHAIN_FORMS:
        base = next(b for b in bases if b.name == f)
        for d in depths:
            doc = chain_doc(base, d)
            if base.form.startswith("pickle"):  # the Python Booster's early-stopping record too
                data = pickle_with_snapshot(base.wrapper, base.snapshot_bytes(doc),
                                            {"best_iteration": 0, "best_ntree_limit": 1})
            else:
                data = base.encode(doc)
            out.append((f"{f}.chain{d}", data, d))
    return out


def chain_rows(depth, nf=NF):
    """Rows for a chain of `depth`, and the leaf each reaches (node id)."""
    values = [-1.0, 0.0, 0.7, 3.0, depth / 2, depth - 1.0, depth - 0.6, depth - 0.5, depth + 0.0, 1e6,
              float("nan")]
    rows = [[v] * nf for v in values]
    rows.append([float("nan") if j % 2 else 1e6 for j in range(nf)])  # missing and large mixed: the bottom
    leaves = []
    for r in rows:
        k = next((k for k in range(depth) if not math.isnan(r[k % nf]) and r[k % nf] < k + 0.5), None)
        leaves.append(2 * depth if k is None else 2 * k + 1)
    return rows, leaves


def sampled_mutants(stride, n_features, small=True):
    """Every `stride`-th mutant of every real model: [(name, file_bytes)]."""
    bases = real_models(small=small, n_features=n_features)
    return [(f"{b.name}:{n}", data) for b, n, data in mutants(bases, stride=stride)]


# ---- the driver ----
def _rows(nf):
    rng = np.random.default_rng(7)
    r = rng.normal(size=(3, nf))
    r[0, ::3] = np.nan
    return json.dumps([[None if math.isnan(v) else float(v) for v in row] for row in r])


def run_one(binary, path, rows, timeout):
    t0 = time.monotonic()
    try:
        p = subprocess.run([binary, "predict", "--model", path, "--input", rows], capture_output=True,
                           timeout=timeout, text=True, errors="replace")
    except subprocess.TimeoutExpired:
        return "hang", None, "", time.monotonic() - t0
    if p.returncode < 0:
        return "signal", -p.returncode, p.stderr, time.monotonic() - t0
    lines = p.stderr.strip().splitlines()
    if p.returncode == 0:
        return "loaded", 0, p.stderr, time.monotonic() - t0
    if p.returncode == 2 and len(lines) == 1:
        return "refused", 2, p.stderr, time.monotonic() - t0
    if p.returncode == 1 and len(lines) == 1 and "rows have" in lines[0]:
        return "loaded, rows refused", 1, p.stderr, time.monotonic() - t0  # the model asks for other rows
    return "other", p.returncode, p.stderr, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--only", default="")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--stride", type=int, default=1, help="run every Nth mutant")
    ap.add_argument("--show", type=int, default=40)
    ap.add_argument("--messages", action="store_true", help="print every refusal message")
    args = ap.parse_args()
    bases = real_models(small=args.small)
    with tempfile.TemporaryDirectory() as d:
        rows = {}
        for b in bases:
            if b.n_features not in rows:
                rows[b.n_features] = os.path.join(d, f"rows{b.n_features}.json")
                with open(rows[b.n_features], "w") as f:
                    f.write(_rows(b.n_features))
        jobs = []
        bad = []
        for base in bases:
            path = os.path.join(d, "orig-" + base.name)
            with open(path, "wb") as f:
                f.write(base.raw)
            r = run_one(args.bin, path, rows[base.n_features], args.timeout)
            print(f"original {base.name}: {r[0]} {r[2].strip()[:200]}", flush=True)
            # Every real file must load; inferd refuses gblinear boosters by design.
            if r[0] != "loaded" and not ("gblinear" in base.name and "not supported" in r[2]):
                bad.append((base.name, "original", r[0], r[1], r[2].strip()[-300:]))
        i = 0
        for base, name, data in mutants(bases):
            if args.only and args.only not in f"{base.name}:{name}":
                continue
            i += 1
            if i % args.stride:
                continue
            ext = ".pkl" if base.form.startswith("pickle") else "." + base.form
            path = os.path.join(d, f"m{i:06d}{ext}")
            with open(path, "wb") as f:
                f.write(data)
            jobs.append((base.name, name, path, rows[base.n_features]))
        counts = collections.Counter()
        messages = []
        loaded = []
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futs = {pool.submit(run_one, args.bin, p, r, args.timeout): (bn, n, p) for bn, n, p, r in jobs}
            for fut in concurrent.futures.as_completed(futs):
                bn, n, p = futs[fut]
                kind, code, err, secs = fut.result()
                counts[kind] += 1
                if kind in ("signal", "hang", "other"):
                    bad.append((bn, n, kind, code, err.strip()[-300:]))
                elif kind == "refused":
                    messages.append((bn, n, err.strip()))
                else:
                    loaded.append((bn, n))
                os.remove(p)
        print(f"\n{len(jobs)} mutants in {time.monotonic() - t0:.0f} s: " +
              ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for b in sorted(bad)[: args.show]:
            print("BUG", *b)
        if args.messages:
            for m in sorted(messages):
                print("MSG", m[0], m[1], "->", m[2])
            for m in sorted(loaded):
                print("LOADED", *m)
        libxgb = [m for m in messages if "[" in m[2] and ("xgboost" in m[2] and ".cc:" in m[2] or ".h:" in m[2])]
        print(f"refusals with libxgboost internals: {len(libxgb)}")
        for m in sorted(libxgb)[: args.show]:
            print("LIBXGB", m[0], m[1], "->", m[2][:250])
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
