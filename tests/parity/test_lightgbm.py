"""Parity of LightGBM models (issue 19) with LightGBM 4.6 itself, through `inferd predict` and
over HTTP (`inferd serve`: the KServe V2 API and /predict).

LightGBM cannot be installed here, so the oracle is tests/data/lightgbm (see its README): 20
models made by the real LightGBM, each as a pickled sklearn wrapper or Booster (.pkl) and as a
model text file (.txt), with LightGBM's own outputs on 400 rows with missing values and unseen
categories. Every fixture, both forms, every output: predict (labels exact and of the same JSON
type), predict_proba, raw_score (values within parity_util.RTOL relative).

A text file is Booster.predict's model: binary / multiclass objectives answer labels 0..K-1
and predict_proba (Booster.predict's probabilities), the others their value.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/parity/test_lightgbm.py -q
"""
import json
import pathlib
import pickle
import subprocess
import sys
import threading
import time
import types

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from prod_util import Server  # noqa: E402

from parity_util import RTOL, max_rel_err, same_json_types  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "lightgbm"
NAMES = sorted(p.name[: -len(".case.json")] for p in DATA.glob("*.case.json"))
FAMILY = "lightgbm"


def load_case(name):
    return json.loads((DATA / f"{name}.case.json").read_text())


def request_rows(case):
    """The case's rows as inferd takes them: records by column name when the model was fitted
    on a DataFrame, else arrays (null is missing either way)."""
    if case["columns"]:
        return [dict(zip(case["columns"], r)) for r in case["rows"]]
    return case["rows"]


def expected(name, form):
    """What inferd must answer for fixture `name` in `form` (pkl | txt): (labels or None,
    probabilities or None, values or None, raw scores)."""
    case = load_case(name)
    raw = case["raw_score"]
    if name == "lgb_booster":  # a bare Booster: Booster.predict gives P(class 1)
        p = np.asarray(case["predict"])
        return [int(v > 1 - v) for v in p], np.stack([1 - p, p], axis=1), None, raw
    if "predict_proba" in case:
        labels = case["predict"]
        if form == "txt":  # Booster.predict's model: labels are the class indices
            labels = [case["classes"].index(v) for v in labels]
        return labels, case["predict_proba"], None, raw
    return None, None, case["predict"], raw


def classes_of(name, form):
    case = load_case(name)
    if "classes" in case and form == "pkl":
        return case["classes"]
    n = np.asarray(case["raw_score"]).reshape(len(case["rows"]), -1).shape[1]
    return list(range(max(n, 2))) if "predict_proba" in case or name == "lgb_booster" else None


def check_labels(got, want, what):
    assert len(got) == len(want), f"{what}: {len(got)} labels for {len(want)} rows"
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
    assert not bad, f"{what}: {len(bad)} labels differ, first at row {bad[0]}: {got[bad[0]]!r} vs {want[bad[0]]!r}"
    assert same_json_types(got, want), f"{what}: label types differ"


def check_values(got, want, record_error, what):
    e = max_rel_err(got, want)
    record_error(FAMILY, e)
    assert e <= RTOL, f"{what}: max relative error {e:.3e}"


@pytest.fixture(scope="module")
def rows_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("lgb_rows")
    out = {}
    for name in NAMES:
        p = d / f"{name}.rows.json"
        p.write_text(json.dumps(request_rows(load_case(name))))
        out[name] = str(p)
    return out


@pytest.mark.parametrize("form", ["pkl", "txt"])
@pytest.mark.parametrize("name", NAMES)
def test_lightgbm_predict_cli(name, form, rows_files, run_inferd, record_error):
    model = str(DATA / f"{name}.{form}")
    labels, proba, values, raw = expected(name, form)
    rc, out, err = run_inferd(model, rows_files[name], "predict")
    assert rc == 0, err
    if labels is not None:
        check_labels(out["predictions"], labels, "predict")
        rc, pout, err = run_inferd(model, rows_files[name], "proba")
        assert rc == 0, err
        assert pout["classes"] == classes_of(name, form)
        check_values(pout["probabilities"], proba, record_error, "predict_proba")
    else:
        check_values(out["predictions"], values, record_error, "predict")
        rc, _, err = run_inferd(model, rows_files[name], "proba")
        assert rc != 0 and "predict_proba" in err, err
    rc, rout, err = run_inferd(model, rows_files[name], "raw_score")
    assert rc == 0, err
    check_values(rout["raw_score"], raw, record_error, "raw_score")
    # LightGBM's wrappers have no decision_function; raw_score is its own output.
    rc, _, err = run_inferd(model, rows_files[name], "decision_function")
    assert rc != 0 and "decision_function" in err, err


class LgbServer(Server):
    """prod_util.Server started from the binary the parity fixtures found."""

    def __init__(self, binary, *args):  # noqa: super().__init__ reads BIN from the environment
        self.log_lines = []
        self.proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", *map(str, args)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log_lines.append(line)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("msg") == "listening":
                self.port = msg["port"]
                break
        if self.port is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"inferd serve did not start: {''.join(self.log_lines)[-2000:]}")
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()


def v2_inputs(case, metadata):
    """V2 inputs: one tensor of rows, or (named columns) one tensor per column."""
    if not case["columns"]:
        return [{"name": metadata["inputs"][0]["name"], "datatype": "FP64", "shape": [len(case["rows"]), 6],
                 "data": case["rows"]}]
    cols = []
    for j, c in enumerate(case["columns"]):
        vals = [r[j] for r in case["rows"]]
        dtype = "BYTES" if any(isinstance(v, str) for v in vals) else "FP64"
        cols.append({"name": c, "datatype": dtype, "shape": [len(vals)], "data": vals})
    return cols


@pytest.mark.parametrize("form", ["pkl", "txt"])
@pytest.mark.parametrize("name", NAMES)
def test_lightgbm_http(name, form, inferd_bin, record_error):
    case = load_case(name)
    labels, proba, values, raw = expected(name, form)
    server = LgbServer(inferd_bin, "--model", DATA / f"{name}.{form}", "--threads", "1")
    try:
        status, meta = server.json("GET", f"/v2/models/{name}")
        assert status == 200, meta
        outputs = {o["name"]: o for o in meta["outputs"]}
        assert "raw_score" in outputs and "decision_function" not in outputs, meta
        assert ("predict_proba" in outputs) == (labels is not None), meta
        names = ["predict", "raw_score"] + (["predict_proba"] if labels is not None else [])
        body = {"inputs": v2_inputs(case, meta), "outputs": [{"name": n} for n in names]}
        status, resp = server.json("POST", f"/v2/models/{name}/infer", body)
        assert status == 200, resp
        got = {o["name"]: o for o in resp["outputs"]}
        n = len(case["rows"])
        want_raw = np.asarray(raw, dtype=np.float64)
        check_values(np.asarray(got["raw_score"]["data"], dtype=np.float64).reshape(want_raw.shape), want_raw,
                     record_error, "V2 raw_score")
        if labels is not None:
            check_labels(got["predict"]["data"], labels, "V2 predict")
            check_values(np.asarray(got["predict_proba"]["data"]).reshape(n, -1), proba, record_error,
                         "V2 predict_proba")
        else:
            check_values(got["predict"]["data"], values, record_error, "V2 predict")
        # The reference API: {"instances": rows} -> {"predictions": [...]}.
        status, resp = server.json("POST", "/predict", {"instances": request_rows(case)})
        assert status == 200, resp
        if labels is not None:
            check_labels(resp["predictions"], labels, "/predict")
        else:
            check_values(resp["predictions"], values, record_error, "/predict")
    finally:
        assert server.stop() == 0


def test_lightgbm_pandas_categories_by_name(tmp_path, inferd_bin, run_inferd, record_error):
    """A model fitted on a DataFrame with a pandas category column takes the category itself;
    a null goes where LightGBM sends a missing category (the stored outputs include nulls), and
    so does a string the model never saw: LightGBM's pandas path makes both missing (code -1,
    then NaN), so the stored answers for null rows are the answers for an unseen string."""
    case = load_case("lgb_pandas_cat")
    region = case["columns"].index("region")
    assert None in {r[region] for r in case["rows"]}
    rows = [list(r) for r in case["rows"]]
    unseen = 0
    for r in rows:
        if r[region] is None and unseen % 2 == 0:
            r[region] = "island"
        unseen += r[region] is None or r[region] == "island"
    assert sum(r[region] == "island" for r in rows) > 3
    # Columns in another order, by name: the same answers.
    records = [dict(reversed(list(zip(case["columns"], r)))) for r in rows]
    p = tmp_path / "rows.json"
    p.write_text(json.dumps(records))
    for form in ("pkl", "txt"):
        rc, out, err = run_inferd(str(DATA / f"lgb_pandas_cat.{form}"), str(p), "proba")
        assert rc == 0, err
        check_values(out["probabilities"], case["predict_proba"], record_error, "predict_proba by name")
        # inspect shows the named columns and the string column's categories.
        r = subprocess.run([inferd_bin, "inspect", str(DATA / f"lgb_pandas_cat.{form}")], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        info = json.loads(r.stdout)
        cols = {c["name"]: c for c in info["input"]["columns"]}
        assert info["input"]["named"] and list(cols) == case["columns"], info
        assert cols["region"]["type"] == "string", cols["region"]
        assert cols["age"]["type"] == "number", cols["age"]


def fake_lightgbm_modules(monkeypatch):
    """Stand-ins for lightgbm.basic.Booster and lightgbm.sklearn.LGBMRegressor, so that this
    test can write the pickles LightGBM writes (a class is pickled by its module and name); the
    modules are registered for the test only."""
    basic = types.ModuleType("lightgbm.basic")
    skl = types.ModuleType("lightgbm.sklearn")

    class Booster:
        pass

    class LGBMRegressor:
        pass

    Booster.__module__, Booster.__qualname__ = "lightgbm.basic", "Booster"
    LGBMRegressor.__module__, LGBMRegressor.__qualname__ = "lightgbm.sklearn", "LGBMRegressor"
    basic.Booster, skl.LGBMRegressor = Booster, LGBMRegressor
    monkeypatch.setitem(sys.modules, "lightgbm", types.ModuleType("lightgbm"))
    monkeypatch.setitem(sys.modules, "lightgbm.basic", basic)
    monkeypatch.setitem(sys.modules, "lightgbm.sklearn", skl)
    return Booster, LGBMRegressor


def first_iterations(text, k):
    """A model text with only the first k trees (one tree per iteration)."""
    head, rest = text.split("\nTree=0\n", 1)
    blocks = ("Tree=0\n" + rest).split("end of trees")[0].strip().split("\n\n\n")
    return head + "\n" + "\n\n\n".join(blocks[:k]) + "\n\n\nend of trees\n" + text.split("end of trees", 1)[1]


def test_lightgbm_best_iteration_of_the_booster(tmp_path, monkeypatch, run_inferd, rows_files):
    """The wrapper and a bare Booster predict with the booster's best_iteration (as
    Booster.predict does): equal to the model cut to that many iterations."""
    Booster, LGBMRegressor = fake_lightgbm_modules(monkeypatch)
    text = (DATA / "lgb_reg.txt").read_text()
    (tmp_path / "cut.txt").write_text(first_iterations(text, 10))
    b = Booster()
    b.__dict__.update({"_handle": text, "best_iteration": 10, "pandas_categorical": None, "best_score": {}})
    w = LGBMRegressor()
    w.__dict__.update({"_Booster": b, "_n_features": 6, "_best_iteration": 10, "_objective": "regression"})
    for obj, fname in ((b, "booster.pkl"), (w, "wrapper.pkl")):
        (tmp_path / fname).write_bytes(pickle.dumps(obj, protocol=4))
    rc, cut, err = run_inferd(str(tmp_path / "cut.txt"), rows_files["lgb_reg"])
    assert rc == 0, err
    rc, full, err = run_inferd(str(DATA / "lgb_reg.txt"), rows_files["lgb_reg"])
    assert rc == 0, err
    assert cut["predictions"] != full["predictions"]
    for fname in ("booster.pkl", "wrapper.pkl"):
        rc, out, err = run_inferd(str(tmp_path / fname), rows_files["lgb_reg"])
        assert rc == 0, err
        assert out["predictions"] == cut["predictions"], fname
    # best_iteration 0 (no early stopping): every iteration.
    b.__dict__["best_iteration"] = 0
    (tmp_path / "all.pkl").write_bytes(pickle.dumps(w, protocol=4))
    rc, out, err = run_inferd(str(tmp_path / "all.pkl"), rows_files["lgb_reg"])
    assert rc == 0, err
    assert out["predictions"] == full["predictions"]


def hostile(text):
    """Hostile variants of a real model text: (name, text, what the refusal must say)."""
    t0 = text.index("\nTree=0\n")

    def tokens(key):
        return text[t0:].split("\n" + key + "=", 1)[1].split("\n", 1)[0].split()

    def set_line(key, values):
        """Tree 0's `key` line with other values."""
        i = text.index("\n" + key + "=", t0) + 1
        j = text.index("\n", i)
        return text[:i] + key + "=" + " ".join(values) + text[j:]

    def set_token(key, index, value):
        v = tokens(key)
        v[index] = value
        return set_line(key, v)

    def cycle():
        """Node a's parent P takes a grandchild c instead, and c's parent b (a's child) points
        back to a: every node still has one parent, but a -> b -> a is a loop off the tree."""
        kids = {"left_child": [int(v) for v in tokens("left_child")],
                "right_child": [int(v) for v in tokens("right_child")]}
        for node_a in range(1, len(kids["left_child"])):
            for side_b in kids:
                b = kids[side_b][node_a]
                if b <= 0:
                    continue
                parent = next((p, k) for k in kids for p, v in enumerate(kids[k]) if v == node_a)
                side_c = "left_child"
                c = kids[side_c][b]
                kids[parent[1]][parent[0]] = c
                kids[side_c][b] = node_a
                out = text
                for k in kids:
                    i = out.index("\n" + k + "=", t0) + 1
                    j = out.index("\n", i)
                    out = out[:i] + k + "=" + " ".join(map(str, kids[k])) + out[j:]
                return out
        raise AssertionError("tree 0 has no node with an internal child")

    right = tokens("right_child")
    leaf_slot = next(i for i, v in enumerate(right) if int(v) < 0)
    node_slot = next(i for i, v in enumerate(tokens("left_child")) if int(v) > 0)
    return [
        ("absurd_num_leaves", set_line("num_leaves", ["4000000000"]), "num_leaves is 4000000000"),
        ("absurd_max_feature_idx", text.replace("max_feature_idx=5", "max_feature_idx=999999999", 1),
         "max_feature_idx is 999999999"),
        ("absurd_num_class", text.replace("num_class=1", "num_class=1000000000", 1), "num_class is 1000000000"),
        ("absurd_num_cat", set_line("num_cat", ["99999"]), "num_cat is 99999"),
        ("child_out_of_range", set_token("left_child", node_slot, "77"), "has child node 77, out of range"),
        ("leaf_out_of_range", set_token("right_child", leaf_slot, "-1000"), "has child leaf 999, out of range"),
        ("feature_out_of_range", set_token("split_feature", 0, "6"), "splits on feature 6"),
        ("cycle", cycle(), "not reached from the root"),
        ("truncated", text[: len(text) // 3], "line"),
        ("not_a_number", set_token("threshold", 0, "abc"), "not a number: 'abc'"),
        ("bad_version", text.replace("version=v4", "version=v1", 1), "load it with LightGBM >= 3 and save it again"),
    ]


HOSTILE = ["absurd_num_leaves", "absurd_max_feature_idx", "absurd_num_class", "absurd_num_cat", "child_out_of_range",
           "leaf_out_of_range", "feature_out_of_range", "cycle", "truncated", "not_a_number", "bad_version"]


@pytest.mark.parametrize("name", HOSTILE)
def test_lightgbm_hostile_text_files_are_refused(name, tmp_path, inferd_bin, run_inferd, rows_files):
    cases = {n: (t, w) for n, t, w in hostile((DATA / "lgb_binary.txt").read_text())}
    assert sorted(cases) == sorted(HOSTILE)
    text, want = cases[name]
    path = tmp_path / f"{name}.txt"
    path.write_text(text)
    rc, _, err = run_inferd(str(path), rows_files["lgb_binary"])
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert want in lines[0] and str(path) in lines[0], err
    if name != "bad_version":
        assert "lightgbm model line " in lines[0], err
    # The server refuses to start on it, with the same line.
    p = subprocess.run([inferd_bin, "serve", "--host", "127.0.0.1", "--port", "0", "--model", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and want in p.stderr, p.stderr[-2000:]


def test_lightgbm_handle_that_is_not_a_model_text_is_refused(tmp_path, monkeypatch, run_inferd, rows_files):
    Booster, _ = fake_lightgbm_modules(monkeypatch)
    b = Booster()
    b.__dict__.update({"_handle": "tree\nversion=v4\nnum_class=1\n", "best_iteration": 0})
    path = tmp_path / "b.pkl"
    path.write_bytes(pickle.dumps(b, protocol=4))
    rc, _, err = run_inferd(str(path), rows_files["lgb_reg"])
    assert rc != 0 and "Booster: lightgbm model line" in err, err


@pytest.mark.parametrize("form", ["pkl", "txt"])
@pytest.mark.parametrize("name", NAMES)
def test_lightgbm_contributions(name, form, rows_files, run_inferd, record_error):
    """`inferd predict --output contributions` equals LightGBM's stored pred_contrib (its
    TreeSHAP in double, raw-score space); a model LightGBM does not explain (linear trees) is
    refused the same way."""
    case = load_case(name)
    rc, out, err = run_inferd(str(DATA / f"{name}.{form}"), rows_files[name], "contributions")
    if "pred_contrib" not in case:
        assert rc == 1 and "no exact contributions" in err, (rc, err)
        return
    assert rc == 0, err
    assert out["space"] == "raw score"
    got = np.asarray(out["contributions"], dtype=np.float64).reshape(len(case["rows"]), -1)
    want = np.asarray(case["pred_contrib"], dtype=np.float64).reshape(len(case["rows"]), -1)
    assert got.shape == want.shape, (got.shape, want.shape)
    e = max_rel_err(got, want)
    record_error("lightgbm_contrib", e)
    assert e <= RTOL, f"pred_contrib: max relative error {e:.3e}"
