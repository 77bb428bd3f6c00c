"""Model repository, version policies and hot reload of the real `inferd serve`: file polling
under load with zero failed requests, a corrupt new file (the old version keeps serving and the
failure is counted), SIGHUP, and the V2 repository load/unload API.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_prod_reload.py
"""
import http.client
import json
import os
import pathlib
import shutil
import signal
import sys
import threading
import time

import pytest

from prod_util import Server, train, wait_for

ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    train(d)
    return d


def put(src, dst):
    """Atomically replaces dst with a copy of src (write beside, then rename), as a deploy would."""
    tmp = str(dst) + ".tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def test_reload_under_load_and_corrupt_file_keeps_old(models, tmp_path):
    live = tmp_path / "model.pkl"
    shutil.copyfile(models / "iris.pkl", live)
    s = Server("--model", live, "--threads", "2", "--poll-seconds", "0.2")
    stop = threading.Event()
    lock = threading.Lock()
    seen = {"bad": [], "answers": set(), "n": 0}

    def client():
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        while not stop.is_set():
            c.request("POST", "/predict", json.dumps({"features": ROW}), {"Content-Type": "application/json"})
            r = c.getresponse()
            body = r.read()
            with lock:
                seen["n"] += 1
                if r.status != 200:
                    seen["bad"].append((r.status, body))
                else:
                    seen["answers"].add(json.loads(body)["prediction"])
        c.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        assert seen["answers"] == {0}
        put(models / "iris_str.pkl", live)  # int labels -> string labels
        assert wait_for(lambda: "a" in seen["answers"]), seen["answers"]
        time.sleep(0.3)
        # A corrupt file: the string-label model keeps serving; the failure is logged and counted.
        (tmp_path / "junk").write_bytes(b"\x80\x04\x95garbage, not a pickle")
        os.replace(tmp_path / "junk", live)
        assert wait_for(lambda: any(r["msg"] == "model load failed" for r in s.logs()))
        with lock:
            seen["answers"].clear()
        time.sleep(0.5)
        assert seen["answers"] == {"a"}
        m = s.metrics()
        assert m['inferd_model_load_failures_total{model="model"}'] == 1
        assert m['inferd_model_loads_total{model="model"}'] == 2
        assert s.json("GET", "/readyz")[0] == 200
        # Fixed again: reloads.
        put(models / "iris.pkl", live)
        with lock:
            seen["answers"].clear()
        assert wait_for(lambda: 0 in seen["answers"])
    except BaseException:
        s.kill()  # never leak the server when an assertion fails
        raise
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert seen["bad"] == [] and seen["n"] > 200, (seen["bad"][:3], seen["n"])
    assert s.stop() == 0
    failed = [r for r in s.logs() if r["msg"] == "model load failed"]
    assert len(failed) == 1 and failed[0]["kept_previous"] is True and "model.pkl" in failed[0]["error"]


def test_sighup_reloads_and_name_option(models, tmp_path):
    live = tmp_path / "x.pkl"
    shutil.copyfile(models / "iris.pkl", live)
    s = Server("--model", live, "--name", "flowers", "--threads", "1")
    try:
        assert s.json("GET", "/v2/models/flowers")[0] == 200
        assert s.json("POST", "/predict", {"features": ROW}) == (200, {"prediction": 0})
        put(models / "iris_str.pkl", live)
        time.sleep(0.3)
        assert s.json("POST", "/predict", {"features": ROW}) == (200, {"prediction": 0})  # no polling
        s.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: s.json("POST", "/predict", {"features": ROW})[1] == {"prediction": "a"})
    finally:
        assert s.stop() == 0


def make_repo(models, root):
    for name, versions in {"iris": {"1": "iris.pkl", "2": "iris_str.pkl"}, "lin": {"1": "lin.pkl"}}.items():
        for v, f in versions.items():
            (root / name / v).mkdir(parents=True)
            shutil.copyfile(models / f, root / name / v / "model.pkl")
    return root


def infer(s, path):
    st, body = s.json("POST", path, {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [ROW]}]})
    return st, body


@pytest.mark.parametrize("policy,versions", [("latest", ["2"]), ("latest:2", ["1", "2"]), ("specific:1", ["1"])])
def test_repository_version_policies(models, tmp_path, policy, versions):
    repo = make_repo(models, tmp_path / "repo")
    s = Server("--model-repository", repo, "--version-policy", policy, "--threads", "1")
    try:
        st, meta = s.json("GET", "/v2/models/iris")
        assert st == 200 and meta["versions"] == versions
        st, body = infer(s, "/v2/models/iris/infer")
        assert body["model_version"] == versions[-1]
        for v in versions:
            st, body = infer(s, f"/v2/models/iris/versions/{v}/infer")
            assert st == 200 and body["outputs"][0]["data"] == ([0] if v == "1" else ["a"])
        for v in {"1", "2"} - set(versions):
            assert infer(s, f"/v2/models/iris/versions/{v}/infer")[0] == 404
        assert s.json("GET", "/v2/models/lin")[0] == 200
        m = s.metrics()
        assert m['inferd_model_versions_loaded{model="iris"}'] == len(versions)
    finally:
        assert s.stop() == 0


def test_new_version_appears_and_model_control(models, tmp_path):
    repo = make_repo(models, tmp_path / "repo")
    s = Server("--model-repository", repo, "--poll-seconds", "0.2", "--enable-model-control", "--threads", "1")
    try:
        assert s.json("GET", "/v2")[1]["extensions"] == ["model_repository"]
        (repo / "iris" / "3").mkdir()
        put(models / "iris.pkl", repo / "iris" / "3" / "model.pkl")
        assert wait_for(lambda: s.json("GET", "/v2/models/iris")[1]["versions"] == ["3"])
        assert s.json("POST", "/v2/repository/models/lin/unload") == (200, {"name": "lin", "unloaded": True})
        assert s.json("GET", "/v2/models/lin")[0] == 404
        time.sleep(0.5)  # polling leaves an unloaded model alone
        assert s.json("GET", "/v2/models/lin")[0] == 404
        assert s.json("POST", "/v2/repository/models/lin/load") == (200, {"name": "lin", "loaded": True})
        assert s.json("GET", "/v2/models/lin")[0] == 200
        assert s.json("POST", "/v2/repository/models/nope/load")[0] == 404
        assert s.json("GET", "/readyz")[0] == 200
    finally:
        assert s.stop() == 0
    s = Server("--model-repository", repo, "--threads", "1")
    try:
        st, body = s.json("POST", "/v2/repository/models/lin/unload")
        assert st == 403 and "--enable-model-control" in body["error"]
    finally:
        assert s.stop() == 0


def test_repository_with_a_broken_model_does_not_start(models, tmp_path):
    repo = make_repo(models, tmp_path / "repo")
    (repo / "lin" / "1" / "model.pkl").write_bytes(b"not a pickle")
    s_proc = __import__("subprocess").run(
        [__import__("prod_util").BIN, "serve", "--model-repository", str(repo), "--port", "0"],
        capture_output=True, text=True, timeout=30)
    assert s_proc.returncode == 2 and "lin/1/model.pkl" in s_proc.stderr


# The edits of a valid XGBoost file that crashed (SIGSEGV) or hung the server when libxgboost
# read them unchecked, as JSON, UBJSON and pickled XGBClassifier (tests/reliability/xgboost_hostile.py).
CRASHING_XGBOOST = [
    ("binary.json.left_child_huge", "left child 1000000000"),
    ("binary.json.split_index_huge", "feature 1000000"),
    ("binary.json.split_index_negative", "feature -1"),
    ("binary.json.num_trees_huge", "num_trees is 99999999"),
    ("binary.json.tree_info_empty", "tree_info has 0 entries"),
    ("binary.json.own_child", "left child 0 is the root"),
    ("binary.ubj.left_child_huge", "left child 1000000000"),
    ("binary.ubj.child_cycle", "left child 0 is the root"),
    ("XGBClassifier.pkl.split_index_huge", "feature 1000000"),
    ("XGBClassifier.pkl.tree_info_empty", "tree_info has 0 entries"),
]


def test_xgboost_crashing_files_as_version_2_under_load_keep_version_1(tmp_path):
    """Serving a valid XGBoost model from a repository under continuous load, each crashing
    file dropped in as version 2 is refused and counted; the process stays up and every request
    is answered 200 by version 1."""
    pytest.importorskip("xgboost")
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "reliability"))
    import xgboost_hostile
    bases = xgboost_hostile.real_models(groups=["binary", "pickled"])
    files = {name: data for name, data, _ in xgboost_hostile.hostile_cases(bases=bases)}
    valid = next(b for b in bases if b.name == "binary.json").raw
    repo = tmp_path / "repo"
    (repo / "xgb" / "1").mkdir(parents=True)
    (repo / "xgb" / "1" / "model.pkl").write_bytes(valid)
    (repo / "xgb" / "2").mkdir()
    row = [0.25 * i - 0.5 for i in range(xgboost_hostile.NF)]
    s = Server("--model-repository", repo, "--poll-seconds", "1", "--threads", "2")
    stop = threading.Event()
    lock = threading.Lock()
    seen = {"bad": [], "answers": set(), "n": 0}
    expected = s.json("POST", "/predict", {"features": row})

    def client():
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        while not stop.is_set():
            try:
                c.request("POST", "/predict", json.dumps({"features": row}), {"Content-Type": "application/json"})
                r = c.getresponse()
                body = r.read()
            except OSError as e:  # the server died
                with lock:
                    seen["bad"].append(("connection", repr(e)))
                return
            with lock:
                seen["n"] += 1
                if r.status != 200:
                    seen["bad"].append((r.status, body))
                else:
                    seen["answers"].add(body)
        c.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        assert expected[0] == 200, expected
        for i, (name, message) in enumerate(CRASHING_XGBOOST):
            before = len(s.log_lines)
            put_bytes(files[name], repo / "xgb" / "2" / "model.pkl", tmp_path / f"staged{i}")

            def refused():
                return any(r["msg"] == "model load failed" and r["version"] == "2" and message in r["error"]
                           and r["kept_previous"] is True for r in s.logs()[before:])
            assert wait_for(refused, timeout=15), (name, s.logs()[before:][-3:], s.proc.poll())
            assert s.proc.poll() is None, f"the server died on {name}"
        with lock:
            n_before = seen["n"]
        assert wait_for(lambda: seen["n"] > n_before + 20)  # still answering after the last one
        m = s.metrics()
        # Each broken file is counted once (not again at every poll while it stays there).
        assert m['inferd_model_load_failures_total{model="xgb"}'] == len(CRASHING_XGBOOST)
        assert s.json("GET", "/v2/models/xgb")[1]["versions"] == ["1"]
        assert s.json("GET", "/readyz")[0] == 200
    except BaseException:
        s.kill()
        raise
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert seen["bad"] == [] and seen["n"] > 200, (seen["bad"][:3], seen["n"])
    assert len(seen["answers"]) == 1 and json.loads(next(iter(seen["answers"]))) == expected[1], seen["answers"]
    assert s.stop() == 0
    failed = [r for r in s.logs() if r["msg"] == "model load failed"]
    assert all(r["version"] == "2" and "xgboost" in r["error"] and "\n" not in r["error"] for r in failed)


def put_bytes(data, dst, staging):
    """Writes `data` beside `dst` and renames it over `dst`, as a deploy would."""
    staging.write_bytes(data)
    os.replace(staging, dst)
