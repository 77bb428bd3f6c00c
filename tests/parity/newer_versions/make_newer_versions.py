"""Makes model files in the layouts of NEWER library versions from models trained with the
local (Debian) scikit-learn 1.2.1 / numpy 1.24, exactly as
/work/shared/docs/sklearn-model-files.md (§2.5, §3.1, §4.1, §4.3, §5.2) describes them, plus
the predictions those versions make ("the math"), for test_newer_versions.py.

Run:  /usr/bin/python3 tests/parity/newer_versions/make_newer_versions.py
It rewrites files/*.pkl and expected.json in this folder (deterministic: fixed seeds).

Two techniques, both at the level of the pickle stream (nothing newer is imported):
  * Layout changes of arrays (Tree nodes 56 -> 64 bytes with missing_go_to_left, tree
    values as fractions, HistGradientBoosting predictor records 52 -> 56 bytes with an intp
    feature_idx) are produced by pickling the same objects with the new structured dtypes:
    a Pickler.reducer_override emits `Tree(n_features, n_classes, n_outputs)` + the new
    state dict, which is what sklearn >= 1.3 writes; TreePredictor is a plain object whose
    `nodes` array is replaced.
  * Name changes (numpy 2 `numpy._core.*` modules, sklearn >= 1.4 `sklearn._loss.loss.*`
    losses, `_sklearn_version`) are made by an opcode rewriter: it walks
    pickletools.genops, re-encodes the GLOBAL / *BINUNICODE opcodes whose text changes,
    copies every other opcode byte for byte and drops FRAME opcodes (framing is optional
    and their lengths would be stale).
"""
import copy
import functools
import io
import json
import os
import pickle
import pickletools
import struct

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier)
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.tree._tree import Tree
from sklearn.utils.validation import check_array

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "files")
N_ROWS = 1000
NF = 5

NUMPY2_MODULES = {"numpy.core.multiarray": "numpy._core.multiarray", "numpy.core.numeric": "numpy._core.numeric"}
GB14_LOSSES = {
    ("sklearn.ensemble._gb_losses", "BinomialDeviance"): ("sklearn._loss.loss", "HalfBinomialLoss"),
    ("sklearn.ensemble._gb_losses", "MultinomialDeviance"): ("sklearn._loss.loss", "HalfMultinomialLoss"),
    ("sklearn.ensemble._gb_losses", "LeastSquaresError"): ("sklearn._loss.loss", "HalfSquaredError"),
}


# ---------------------------------------------------------------------------------------
# Opcode rewriter

def _unicode_op(text, opname):
    b = text.encode("utf-8")
    if opname == "SHORT_BINUNICODE" and len(b) < 256:
        return b"\x8c" + bytes([len(b)]) + b
    return b"X" + struct.pack("<I", len(b)) + b  # BINUNICODE


def rewrite(data, strings=None, globals_=None):
    """Returns `data` with str constants renamed by `strings` {old: new} and GLOBAL
    (module, name) pairs renamed by `globals_` {(m, n): (m2, n2)}; protocol-4 STACK_GLOBAL
    operands are str constants, so module/class renames go into `strings` as well."""
    strings = dict(strings or {})
    globals_ = dict(globals_ or {})
    for (m, n), (m2, n2) in globals_.items():
        strings.setdefault(m, m2)
        strings.setdefault(n, n2)
    ops = list(pickletools.genops(data))
    out = bytearray()
    for i, (op, arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else len(data)
        raw = data[pos:end]
        if op.name == "FRAME":
            continue
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8") and arg in strings:
            raw = _unicode_op(strings[arg], op.name)
        elif op.name == "GLOBAL":
            m, n = arg.split(" ", 1)
            m, n = globals_.get((m, n), (m, n))
            m = strings.get(m, m)
            raw = b"c" + m.encode() + b"\n" + n.encode() + b"\n"
        out += raw
    pickletools.dis(bytes(out), out=io.StringIO())  # well-formed stream
    return bytes(out)


# ---------------------------------------------------------------------------------------
# Array layouts of newer versions

NODE64 = np.dtype({
    "names": ["left_child", "right_child", "feature", "threshold", "impurity", "n_node_samples",
              "weighted_n_node_samples", "missing_go_to_left"],
    "formats": ["<i8", "<i8", "<i8", "<f8", "<f8", "<i8", "<f8", "u1"],
    "offsets": [0, 8, 16, 24, 32, 40, 48, 56],
    "itemsize": 64,
})

PREDICTOR56 = np.dtype([
    ("value", "<f8"), ("count", "<u4"), ("feature_idx", "<i8"), ("num_threshold", "<f8"),
    ("missing_go_to_left", "u1"), ("left", "<u4"), ("right", "<u4"), ("gain", "<f8"), ("depth", "<u4"),
    ("is_leaf", "u1"), ("bin_threshold", "u1"), ("is_categorical", "u1"), ("bitset_idx", "<u4")])
assert PREDICTOR56.itemsize == 56 and PREDICTOR56.fields["num_threshold"][1] == 20


def repack(arr, dtype):
    out = np.zeros(arr.shape, dtype=dtype)
    for name in arr.dtype.names:
        out[name] = arr[name]
    return out


class NewTreePickler(pickle.Pickler):
    """Pickles sklearn Tree objects as sklearn >= 1.3 does (64-byte nodes); with
    fractions=True also with >= 1.4 classifier values (weighted fractions)."""

    def __init__(self, f, protocol, fractions, rng, written=None):
        super().__init__(f, protocol=protocol)
        self.fractions = fractions
        self.rng = rng
        self.written = written  # if a list: receives each Tree state as written, in order

    def reducer_override(self, obj):
        if not isinstance(obj, Tree):
            return NotImplemented
        _, args, state = obj.__reduce__()
        state = dict(state)
        nodes = repack(state["nodes"], NODE64)
        # Meaningless without NaN inputs (these trees were trained without NaN): random.
        nodes["missing_go_to_left"] = self.rng.integers(0, 2, len(nodes))
        state["nodes"] = nodes
        if self.fractions and obj.n_classes[0] > 1:
            v = state["values"]
            s = v.sum(axis=-1, keepdims=True)
            state["values"] = v / np.where(s == 0, 1.0, s)
        if self.written is not None:
            self.written.append(state)
        return Tree, args, state


def dumps_new_trees(model, protocol, fractions, written=None):
    buf = io.BytesIO()
    NewTreePickler(buf, protocol, fractions, np.random.default_rng(0), written).dump(model)
    return buf.getvalue()


def apply_13(state, X):
    """Leaf reached by each row in a Tree state as sklearn >= 1.3 walks it (Tree._apply_dense):
    X is cast to float32; NaN follows the node's missing_go_to_left, anything else goes left
    iff x <= threshold (compared as doubles)."""
    nodes = state["nodes"]
    left, right, feat = nodes["left_child"], nodes["right_child"], nodes["feature"]
    thr, mgl = nodes["threshold"], nodes["missing_go_to_left"]
    leaves = []
    for row in X.astype(np.float32):
        i = 0
        while left[i] != -1:
            x = row[feat[i]]
            if np.isnan(x):
                i = left[i] if mgl[i] else right[i]
            else:
                i = left[i] if float(x) <= float(thr[i]) else right[i]
        leaves.append(i)
    return np.array(leaves)


# ---------------------------------------------------------------------------------------
# Data

def clf_data(seed, n_classes, n=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, NF))
    s = X[:, 0] + 0.7 * X[:, 1] ** 2 - X[:, 3]
    edges = np.quantile(s, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.searchsorted(edges, s)


def request_rows(seed, nan_frac=0.0):
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(N_ROWS, NF)) * 1.4
    if nan_frac:
        rows[rng.random(rows.shape) < nan_frac] = np.nan
    return rows


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    rows = request_rows(1)
    rows_nan = request_rows(2, nan_frac=0.1)
    labels = np.array(["ant", "bee", "cow", "dog"])

    def save(name, data, kind, predict, proba=None, nan=False, note=""):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        entry = {"kind": kind, "rows": "rows_nan" if nan else "rows", "note": note,
                 "predict": np.asarray(predict).tolist()}
        if proba is not None:
            entry["proba"] = np.asarray(proba).tolist()
        expected[name] = entry

    # numpy 2 module names, protocols 2 (GLOBAL), 4 (STACK_GLOBAL strings), 5 (_frombuffer).
    X, y = clf_data(10, 3)
    lr = LogisticRegression(max_iter=500).fit(X, labels[y])
    for proto in (2, 4, 5):
        data = rewrite(pickle.dumps(lr, protocol=proto), strings=NUMPY2_MODULES)
        assert b"numpy._core" in data and b"numpy.core" not in data
        save(f"logreg_numpy2_p{proto}.pkl", data, "clf", lr.predict(rows), lr.predict_proba(rows),
             note="numpy >= 2 module names")

    # sklearn 1.3: Tree nodes with missing_go_to_left (64-byte records), values still counts.
    X, y = clf_data(11, 3)
    dtc = DecisionTreeClassifier(max_depth=8, random_state=0).fit(X, y * 5 - 3)
    data = rewrite(dumps_new_trees(dtc, 4, fractions=False), strings={"1.2.1": "1.3.2"})
    save("dtc_sklearn13_nodes64.pkl", data, "clf", dtc.predict(rows), dtc.predict_proba(rows),
         note="sklearn 1.3 tree node layout")

    # sklearn 1.4: fractions as tree values (64-byte nodes), single tree and forest; numpy 2.
    X, y = clf_data(12, 4)
    dtc4 = DecisionTreeClassifier(min_samples_leaf=3, random_state=0).fit(X, labels[y])
    data = rewrite(dumps_new_trees(dtc4, 5, fractions=True), strings={"1.2.1": "1.4.2", **NUMPY2_MODULES})
    save("dtc_sklearn14_fractions_numpy2.pkl", data, "clf", dtc4.predict(rows), dtc4.predict_proba(rows),
         note="sklearn 1.4 fractions + numpy 2")
    rf = RandomForestClassifier(n_estimators=15, min_samples_leaf=2, random_state=0).fit(X, y)
    data = rewrite(dumps_new_trees(rf, 4, fractions=True), strings={"1.2.1": "1.4.2"})
    save("rfc_sklearn14_fractions.pkl", data, "clf", rf.predict(rows), rf.predict_proba(rows),
         note="sklearn 1.4 fractions, forest")

    # sklearn 1.4 HistGradientBoosting: 56-byte predictor records (feature_idx intp).
    Xn, yn = clf_data(13, 2)
    Xn[np.random.default_rng(3).random(Xn.shape) < 0.1] = np.nan
    hgb = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(Xn, yn)
    h14 = copy.deepcopy(hgb)
    for it in h14._predictors:
        for p in it:
            p.nodes = repack(p.nodes, PREDICTOR56)
    data = rewrite(pickle.dumps(h14, protocol=5), strings={"1.2.1": "1.4.2", **NUMPY2_MODULES})
    save("hgbc_sklearn14_layout_numpy2.pkl", data, "clf", hgb.predict(rows_nan), hgb.predict_proba(rows_nan),
         nan=True, note="sklearn 1.4 HGB node layout + numpy 2")

    # sklearn 1.4 HistGradientBoosting with categorical features: `_preprocessor`
    # ordinal-encodes columns 1 and 3 and puts them first; the trees index that matrix.
    rng = np.random.default_rng(14)
    cats1 = np.array([-3.0, 0.0, 8.0, 10.5])
    cats3 = np.array([2.0, 20.0, 200.0, 2000.0, 20000.0])
    Xc = rng.normal(size=(600, NF))
    Xc[:, 1] = rng.choice(cats1, 600)
    Xc[:, 3] = rng.choice(cats3, 600)
    yc = Xc[:, 0] * 2 + np.searchsorted(cats1, Xc[:, 1]) * 1.5 - (np.searchsorted(cats3, Xc[:, 3]) % 2) * 3

    def remap(A):
        c1 = np.array([np.searchsorted(cats1, v) if v in cats1 else np.nan for v in A[:, 1]])
        c3 = np.array([np.searchsorted(cats3, v) if v in cats3 else np.nan for v in A[:, 3]])
        return np.column_stack([c1, c3, A[:, 0], A[:, 2], A[:, 4]])

    hgr = HistGradientBoostingRegressor(max_iter=40, categorical_features=[0, 1], random_state=0)
    hgr.fit(remap(Xc), yc)
    mask = np.array([False, True, False, True, False])
    pre = ColumnTransformer([
        ("encoder", OrdinalEncoder(categories=[cats1, cats3], handle_unknown="use_encoded_value",
                                   unknown_value=np.nan, encoded_missing_value=np.nan), mask),
        ("numerical", FunctionTransformer(functools.partial(check_array, force_all_finite=False)), ~mask),
    ], sparse_threshold=0, verbose_feature_names_out=False).fit(Xc)
    h14c = copy.deepcopy(hgr)
    h14c._preprocessor = pre
    h14c.is_categorical_ = mask
    for it in h14c._predictors:
        for p in it:
            p.nodes = repack(p.nodes, PREDICTOR56)
    rows_c = request_rows(3, nan_frac=0.05)
    pick = np.random.default_rng(4)
    rows_c[:, 1] = np.where(pick.random(N_ROWS) < 0.9, pick.choice(cats1, N_ROWS), pick.normal(size=N_ROWS))
    rows_c[:, 3] = np.where(pick.random(N_ROWS) < 0.9, pick.choice(cats3, N_ROWS), 7.0)
    rows_c[::13, 1] = np.nan
    data = rewrite(pickle.dumps(h14c, protocol=4), strings={"1.2.1": "1.4.2"})
    assert b"functools" in data and b"check_array" in data
    save("hgbr_sklearn14_categorical_preprocessor.pkl", data, "reg", hgr.predict(remap(rows_c)),
         note="sklearn 1.4 HGB categorical _preprocessor")
    expected["hgbr_sklearn14_categorical_preprocessor.pkl"]["rows"] = "rows_categorical"

    # sklearn 1.4 GradientBoosting: sklearn._loss losses, float64-eps clipping and the
    # centred log-prior (MultinomialLogit.link) init; softmax probabilities.
    for n_classes, lname in ((2, "binary"), (3, "multi")):
        X, y = clf_data(20 + n_classes, n_classes)
        gb = GradientBoostingClassifier(n_estimators=25, max_depth=3, random_state=0).fit(X, y)
        data = rewrite(pickle.dumps(gb, protocol=4), strings={"1.2.1": "1.4.2"}, globals_=GB14_LOSSES)
        assert b"sklearn._loss.loss" in data and b"_gb_losses" not in data
        raw_old = gb.decision_function(rows)
        prior = gb.init_.class_prior_
        if n_classes == 2:
            p1 = np.clip(prior[1], np.finfo(np.float32).eps, 1 - np.finfo(np.float32).eps)
            q1 = np.clip(prior[1], np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
            raw_new = raw_old - np.log(p1 / (1 - p1)) + np.log(q1 / (1 - q1))
            p = 1 / (1 + np.exp(-raw_new))
            proba = np.column_stack([1 - p, p])
        else:
            p_old = np.clip(prior, np.finfo(np.float32).eps, 1 - np.finfo(np.float32).eps)
            q = np.clip(prior, np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
            init_new = np.log(q / np.exp(np.mean(np.log(q))))
            proba = softmax(raw_old - np.log(p_old) + init_new)
        save(f"gbc_sklearn14_{lname}.pkl", data, "clf", gb.classes_[np.argmax(proba, axis=1)], proba,
             note="sklearn 1.4 GradientBoosting init and losses")
    X, y = clf_data(30, 2)
    gbr = GradientBoostingRegressor(n_estimators=30, random_state=0).fit(X, X[:, 0] * 3 + X[:, 1])
    data = rewrite(pickle.dumps(gbr, protocol=2), strings={"1.2.1": "1.4.2", **NUMPY2_MODULES},
                   globals_=GB14_LOSSES)
    save("gbr_sklearn14_numpy2_p2.pkl", data, "reg", gbr.predict(rows), note="sklearn 1.4 GB regressor + numpy 2")

    # Missing values in trees: sklearn >= 1.3 DecisionTree* (splitter 'best') and >= 1.4
    # RandomForest* accept NaN at predict and route it by missing_go_to_left. The flags in
    # these files are the generator's random ones, so the expected answers come from
    # apply_13 over the nodes exactly as written (these versions' algorithm), not from the
    # local sklearn, which refuses NaN.
    X, y = clf_data(40, 3)
    written = []
    dtc_n = DecisionTreeClassifier(max_depth=7, random_state=0).fit(X, labels[y])
    data = rewrite(dumps_new_trees(dtc_n, 4, fractions=False, written=written), strings={"1.2.1": "1.3.2"})
    # The walker agrees with the local sklearn wherever there is no NaN.
    assert (apply_13(written[0], rows) == dtc_n.apply(rows)).all()
    v = written[0]["values"][apply_13(written[0], rows_nan), 0, :]
    s = v.sum(axis=1, keepdims=True)
    save("dtc_sklearn13_nan_routing.pkl", data, "clf", dtc_n.classes_[np.argmax(v, axis=1)],
         v / np.where(s == 0, 1.0, s), nan=True, note="sklearn 1.3 tree, NaN by missing_go_to_left")
    written = []
    dtr_n = DecisionTreeRegressor(max_depth=7, random_state=0).fit(X, X[:, 0] * 2 - X[:, 2])
    data = rewrite(dumps_new_trees(dtr_n, 5, fractions=False, written=written), strings={"1.2.1": "1.3.2"})
    save("dtr_sklearn13_nan_routing.pkl", data, "reg", written[0]["values"][apply_13(written[0], rows_nan), 0, 0],
         nan=True, note="sklearn 1.3 regression tree, NaN by missing_go_to_left")
    written = []
    rf_n = RandomForestClassifier(n_estimators=12, max_depth=6, random_state=0).fit(X, labels[y])
    data = rewrite(dumps_new_trees(rf_n, 4, fractions=True, written=written), strings={"1.2.1": "1.4.2"})
    proba = np.zeros((len(rows_nan), len(rf_n.classes_)))
    for st in written:  # sklearn sums the trees' probabilities in order, then divides
        proba += st["values"][apply_13(st, rows_nan), 0, :]
    proba /= len(written)
    save("rfc_sklearn14_nan_routing.pkl", data, "clf", rf_n.classes_[np.argmax(proba, axis=1)], proba, nan=True,
         note="sklearn 1.4 forest, NaN by missing_go_to_left")

    def enc(a):
        return [[None if np.isnan(v) else float(v) for v in r] for r in a]

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"rows": enc(rows), "rows_nan": enc(rows_nan), "rows_categorical": enc(rows_c),
                   "models": expected}, f)
    print(f"wrote {len(expected)} files to {OUT}")


if __name__ == "__main__":
    main()
