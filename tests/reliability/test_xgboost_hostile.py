"""Hostile XGBoost files for inferd's own evaluator (xgboost_hostile.TARGET_CASES and the deep
chains), each on gbtree / multi-class / dart / gblinear / categorical models as a native .json,
a native .ubj and the booster snapshot inside a pickled XGBClassifier/XGBRegressor:

* `inferd predict` and `inferd serve` refuse each with exit 2 and one line naming the file and
  what is wrong (no libxgboost CHECK text), quickly;
* a legal but deep tree (a chain of 1000 and of 1024 splits, kMaxXgbTreeDepth) loads and every
  row gets the leaf it reaches, the bottom one included, as xgboost itself computes it; 1025 and
  more splits are refused;
* a running server (model control, and a polled `--model` file) given each of them keeps serving
  the model it had, answers every request meanwhile, and counts each failure.

The older table (xgboost_hostile.ISSUE_CASES on the binary model) is run by
tests/integration/test_hostile_models.py and test_prod_reload.py.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/reliability/test_xgboost_hostile.py
"""
import contextlib
import http.client
import json
import math
import os
import socket
import subprocess
import threading
import time

import numpy as np
import pytest

import xgboost_hostile as xh
from prod_util import Server, wait_for

TARGET = xh.target_case_names()
CHAIN_OK = [1000, 1024]
CHAIN_REFUSED = [1025, 5000]
CHAINS = [(f, d) for f in xh.CHAIN_FORMS for d in CHAIN_OK + CHAIN_REFUSED]
DEEPER = "is deeper than 1024 levels"


@pytest.fixture(scope="module")
def bases():
    pytest.importorskip("xgboost")  # python3-xgboost makes the real models the edits start from
    return xh.real_models(groups=list(xh.TARGET_BASES) + ["pickled"])


@pytest.fixture(scope="module")
def files(bases, tmp_path_factory):
    """name -> (path, expected): every target case and every chain, written once."""
    d = tmp_path_factory.mktemp("xgb-target")
    out = {}
    for name, data, expected in xh.target_cases(bases):
        (d / name).write_bytes(data)
        out[name] = (d / name, expected)
    for name, data, depth in xh.chain_files(bases, CHAIN_OK + CHAIN_REFUSED):
        (d / name).write_bytes(data)
        out[name] = (d / name, DEEPER if depth > 1024 else None)
    return out


def write_rows(path, rows):
    path.write_text(json.dumps([[None if math.isnan(v) else v for v in r] for r in rows]))
    return path


def predict(inferd_bin, model, rows_path, *args, timeout=60):
    return subprocess.run([str(inferd_bin), "predict", "--model", str(model), "--input", str(rows_path), *args],
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_refusal(r, path, expected):
    assert r.returncode == 2, (r.returncode, r.stdout[:300], r.stderr[-500:])
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0], lines[0]
    assert any(e in lines[0] for e in expected.split("|")), lines[0]
    assert ".cc:" not in lines[0] and ".h:" not in lines[0], lines[0]  # not libxgboost's CHECK text


@pytest.mark.parametrize("name,expected", TARGET, ids=[n for n, _ in TARGET])
def test_predict_refuses_target_case(inferd_bin, files, tmp_path, name, expected):
    path, _ = files[name]
    t0 = time.monotonic()
    r = predict(inferd_bin, path, write_rows(tmp_path / "rows.json", [[0.5] * xh.NF]))
    assert_one_line_refusal(r, path, expected)
    assert time.monotonic() - t0 < 30


def test_the_files_the_edits_start_from_load_and_predict(inferd_bin, bases, tmp_path):
    """Each unedited TARGET_BASES file loads and predicts (so a refusal above is the edit's)."""
    by_name = {b.name: b for b in bases}
    rows = write_rows(tmp_path / "rows.json", [[0.5] * xh.NF, [float("nan")] * xh.NF])
    failed = []
    for names in xh.TARGET_BASES.values():
        for name in names:
            path = tmp_path / name
            path.write_bytes(by_name[name].raw)
            r = predict(inferd_bin, path, rows)
            if r.returncode != 0 or len(json.loads(r.stdout)["predictions"]) != 2:
                failed.append((name, r.returncode, r.stderr.strip()[-300:]))
    assert failed == []


# The pickled Python Booster keeps its own early-stopping record beside the snapshot's attributes.
BOOSTER_STATE = [(60, "best_iteration is 60 but the model has 60 boosting rounds"),
                 (10**9, "best_iteration is 1000000000 but the model has 60 boosting rounds"),
                 (-3, "best_iteration is -3"), ("abc", "_Booster.best_iteration")]


@pytest.mark.parametrize("value,expected", BOOSTER_STATE, ids=[str(v) for v, _ in BOOSTER_STATE])
def test_pickled_booster_best_iteration_beyond_rounds_is_refused(inferd_bin, bases, tmp_path, value, expected):
    base = next(b for b in bases if b.name == "XGBClassifier.pkl")
    path = tmp_path / "XGBClassifier.pkl"
    path.write_bytes(xh.pickle_with_snapshot(base.wrapper, base.snapshot_bytes(base.doc), {"best_iteration": value}))
    r = predict(inferd_bin, path, write_rows(tmp_path / "rows.json", [[0.5] * xh.NF]))
    assert_one_line_refusal(r, path, expected)


SERVE_CASES = ["binary.ubj.threshold_inf", "multi.json.softprob_num_class_4_of_3",
               "XGBRegressor_dart.pkl.weight_drop_nan", "gblinear.ubj.weights_truncated",
               "XGBRegressor_categorical.pkl.category_2_24",
               "binary.json.best_iteration_beyond_rounds", "XGBClassifier.pkl.chain1025"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("name", SERVE_CASES)
def test_serve_refuses_before_opening_port(inferd_bin, files, name):
    path, expected = files[name]
    port = free_port()
    r = subprocess.run([str(inferd_bin), "serve", "--model", str(path), "--host", "127.0.0.1", "--port", str(port)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])
    assert str(path) in r.stderr and any(e in r.stderr for e in expected.split("|")), r.stderr
    with socket.socket() as s:  # the port was never opened
        s.bind(("127.0.0.1", port))


# ---- deep chains ----
def reference_proba(data, form, rows):
    """xgboost's own predict_proba for the file bytes (float32)."""
    import pickle

    import xgboost as xgb
    X = np.array(rows, dtype=np.float64)
    if form.startswith("pickle"):
        clf = pickle.loads(data)
    else:
        clf = xgb.XGBClassifier()
        clf.load_model(bytearray(data))
    return clf.predict_proba(X), clf.predict(X)


@pytest.mark.parametrize("form,depth", [c for c in CHAINS if c[1] in CHAIN_OK], ids=lambda v: str(v))
def test_deep_chain_loads_and_rows_reach_the_right_leaf(inferd_bin, bases, files, tmp_path, form, depth):
    path, _ = files[f"{form}.chain{depth}"]
    rows, leaves = xh.chain_rows(depth)
    assert leaves.count(2 * depth) >= 4  # several rows reach the bottom (large values, NaN, mixed)
    rows_path = write_rows(tmp_path / "rows.json", rows)
    t0 = time.monotonic()
    r = predict(inferd_bin, path, rows_path, "--output", "proba")
    assert r.returncode == 0, r.stderr[-500:]
    got = np.array(json.loads(r.stdout)["probabilities"], dtype=np.float64)
    r2 = predict(inferd_bin, path, rows_path)
    assert r2.returncode == 0, r2.stderr[-500:]
    labels = json.loads(r2.stdout)["predictions"]
    assert time.monotonic() - t0 < 30
    base = next(b for b in bases if b.name == form)
    want, want_labels = reference_proba(path.read_bytes(), base.form, rows)
    assert got.tolist() == want.astype(np.float64).tolist(), (got[:4], want[:4])  # float32, exactly
    assert labels == want_labels.tolist()
    # And the leaves themselves: the bottom leaf's margin 2.5 is the only positive one.
    p_bottom = np.float32(1) / (np.float32(1) + np.exp(np.float32(-xh.CHAIN_BOTTOM)))
    for i, leaf in enumerate(leaves):
        if leaf == 2 * depth:
            assert labels[i] == 1 and abs(got[i][1] - p_bottom) < 1e-6, (i, rows[i][:2], got[i])
        else:
            k = (leaf - 1) // 2
            p = 1 / (1 + math.exp(0.5 + k / 4096))
            assert labels[i] == 0 and abs(got[i][1] - p) < 1e-6, (i, rows[i][:2], got[i], k)


@pytest.mark.parametrize("form,depth", [c for c in CHAINS if c[1] in CHAIN_REFUSED], ids=lambda v: str(v))
def test_chain_deeper_than_1024_is_refused(inferd_bin, files, tmp_path, form, depth):
    path, expected = files[f"{form}.chain{depth}"]
    r = predict(inferd_bin, path, write_rows(tmp_path / "rows.json", [[0.5] * xh.NF]))
    assert_one_line_refusal(r, path, expected)


# ---- a served replica given each file ----
ROW = [0.25 * i - 0.5 for i in range(xh.NF)]


class Client(threading.Thread):
    """POSTs ROW to /predict in a loop until stopped; records every non-200 answer."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.stop, self.n, self.bad, self.answers = port, threading.Event(), 0, [], set()

    def run(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop.is_set():
            try:
                c.request("POST", "/predict", json.dumps({"features": ROW}), {"Content-Type": "application/json"})
                r = c.getresponse()
                body = r.read()
            except OSError as e:  # the server died
                self.bad.append(("connection", repr(e)))
                return
            self.n += 1
            if r.status != 200:
                self.bad.append((r.status, body[:200]))
            else:
                self.answers.add(body)
        c.close()


@contextlib.contextmanager
def answered_throughout(s):
    """Runs the block while a Client keeps asking `s`; kills `s` if the block fails. Afterwards
    the client must have had only 200s, and more than 20 of them."""
    client = Client(s.port)
    client.start()
    try:
        yield client
    except BaseException:
        s.kill()
        raise
    finally:
        client.stop.set()
        client.join(timeout=10)
    assert client.bad == [] and client.n > 20, (client.bad[:3], client.n)


def put_bytes(data, dst):
    """Writes `data` beside `dst` and renames it over `dst`, as a deploy would."""
    tmp = dst.with_name(dst.name + ".staged")
    tmp.write_bytes(data)
    os.replace(tmp, dst)


def test_model_control_load_of_each_hostile_file_keeps_serving(bases, files, tmp_path):
    """A repository serving a valid binary model as version 1: every target case and every too
    deep chain, dropped in as version 2 and loaded through the V2 model-control API, is answered
    with an error naming what is wrong, while version 1 answers every request; then a valid
    1024-deep chain as version 2 loads and answers as xgboost does."""
    valid = next(b for b in bases if b.name == "binary.json").raw
    repo = tmp_path / "repo"
    (repo / "xgb" / "1").mkdir(parents=True)
    (repo / "xgb" / "1" / "model.pkl").write_bytes(valid)
    (repo / "xgb" / "2").mkdir()
    hostile = [(n, p, e) for n, (p, e) in sorted(files.items()) if e is not None]
    s = Server("--model-repository", repo, "--enable-model-control", "--threads", "2")
    with answered_throughout(s) as client:
        expected = s.json("POST", "/predict", {"features": ROW})
        assert expected[0] == 200, expected
        wrong = []
        for name, path, message in hostile:
            put_bytes(path.read_bytes(), repo / "xgb" / "2" / "model.pkl")
            st, body = s.json("POST", "/v2/repository/models/xgb/load")
            err = (body or {}).get("error", "")
            if st < 400 or "\n" in err or not any(m in err for m in message.split("|")):
                wrong.append((name, st, err[:300]))
            assert s.proc.poll() is None, f"the server died on {name}"
        assert wrong == []
        assert s.json("GET", "/v2/models/xgb")[1]["versions"] == ["1"]
        assert s.json("GET", "/readyz")[0] == 200
        n_before = client.n
        assert wait_for(lambda: client.n > n_before + 20)  # still answering after the last one
        m = s.metrics()
        assert m['inferd_model_load_failures_total{model="xgb"}'] == len(hostile)
        # A legal deep tree as version 2: loads, and serves what xgboost computes.
        chain, _ = files["binary.json.chain1024"]
        put_bytes(chain.read_bytes(), repo / "xgb" / "2" / "model.pkl")
        assert s.json("POST", "/v2/repository/models/xgb/load")[0] == 200
        assert s.json("GET", "/v2/models/xgb")[1]["versions"] == ["2"]
        rows, _ = xh.chain_rows(1024)
        st, body = s.json("POST", "/predict", {"instances": [[None if math.isnan(v) else v for v in r] for r in rows],
                                               "proba": True})
        assert st == 200, body
        want, want_labels = reference_proba(chain.read_bytes(), "json", rows)
        assert body["predictions"] == want_labels.tolist()
        assert [[p["0"], p["1"]] for p in body["probabilities"]] == want.astype(np.float64).tolist()
    assert s.stop() == 0
    failed = [r for r in s.logs() if r["msg"] == "model load failed"]
    assert len(failed) == len(hostile)
    assert all(r["version"] == "2" and r["kept_previous"] is True and "\n" not in r["error"] for r in failed)


RELOAD_CASES = SERVE_CASES + ["XGBClassifier_multi.pkl.num_class_2_trees_for_3", "categorical.json.category_list_empty",
                              "XGBRegressor_gblinear.pkl.weight_nan", "dart.ubj.weight_drop_truncated"]


def test_polled_model_file_replaced_by_hostile_files_keeps_serving(bases, files, tmp_path):
    """`inferd serve --model F --poll-seconds`: F replaced by hostile files one after another
    (one per kind of booster and form); each is refused and logged, the old model answers every
    request, and a valid file afterwards is picked up."""
    live = tmp_path / "model.json"
    live.write_bytes(next(b for b in bases if b.name == "binary.json").raw)
    s = Server("--model", live, "--poll-seconds", "0.2", "--threads", "2")
    with answered_throughout(s):
        expected = s.json("POST", "/predict", {"features": ROW})
        assert expected[0] == 200, expected
        for name in RELOAD_CASES:
            path, message = files[name]
            before = len(s.log_lines)
            put_bytes(path.read_bytes(), live)

            def refused():
                return any(r["msg"] == "model load failed" and r["kept_previous"] is True
                           and any(m in r["error"] for m in message.split("|")) for r in s.logs()[before:])
            assert wait_for(refused, timeout=15), (name, s.logs()[before:][-3:], s.proc.poll())
            assert s.proc.poll() is None, f"the server died on {name}"
        assert s.json("POST", "/predict", {"features": ROW}) == expected
        assert s.metrics()['inferd_model_load_failures_total{model="model"}'] == len(RELOAD_CASES)
        # A valid file again (the chain: another answer) is picked up.
        chain, _ = files["binary.ubj.chain1000"]
        put_bytes(chain.read_bytes(), live)
        assert wait_for(lambda: s.json("POST", "/predict", {"features": [1e6] * xh.NF}) == (200, {"prediction": 1}))
    assert s.stop() == 0
