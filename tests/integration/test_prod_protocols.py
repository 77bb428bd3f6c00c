"""KServe V2 / Open Inference Protocol REST, TF Serving / KServe V1 REST, POST /transform and
`inferd probe --post-json` against the real binary, predictions checked against scikit-learn.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_prod_protocols.py
"""
import json
import os
import subprocess
import sys

import pytest

from prod_util import BIN, Server, train

ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 2.8, 4.3, 1.3]]

EXPECT = r"""
import json, sys, joblib, numpy as np
d = sys.argv[1]; rows = np.array(json.loads(sys.argv[2]))
iris = joblib.load(d + "/iris.pkl"); s = joblib.load(d + "/iris_str.pkl")
lin = joblib.load(d + "/lin.pkl"); sc = joblib.load(d + "/scaler.pkl")
print(json.dumps({"pred": iris.predict(rows).tolist(), "proba": iris.predict_proba(rows).tolist(),
  "dec": iris.decision_function(rows).tolist(), "str": s.predict(rows).tolist(),
  "lin": lin.predict(rows).tolist(), "scaled": sc.transform(rows).tolist()}))
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    train(d)
    exp = json.loads(subprocess.run([sys.executable, "-c", EXPECT, str(d), json.dumps(ROWS)], check=True,
                                    capture_output=True, text=True, timeout=120).stdout)
    repo = d / "repo"
    for name in ("iris", "iris_str", "lin", "scaler"):
        (repo / name / "1").mkdir(parents=True)
        os.link(d / f"{name}.pkl", repo / name / "1" / "model.pkl")
    s = Server("--model-repository", repo, "--threads", "2", "--default-model", "iris")
    yield s, exp, d
    assert s.stop() == 0


def close(a, b):
    return all(abs(x - y) <= 1e-9 * max(1, abs(y)) for x, y in zip(a, b))


def is_missing(v):
    """NaN as JSON: inferd writes it as null (or NaN, which json.loads reads as nan)."""
    return v is None or v != v


def flat(m):
    return [x for row in m for x in row]


def test_v2_server_endpoints(env):
    s, _, _ = env
    st, body = s.json("GET", "/v2")
    assert st == 200 and body["name"] == "inferd" and isinstance(body["version"], str) and body["extensions"] == []
    assert s.json("GET", "/v2/health/live") == (200, {"live": True})
    assert s.json("GET", "/v2/health/ready") == (200, {"ready": True})
    assert s.json("GET", "/v2/models/iris/ready")[0] == 200
    assert s.json("GET", "/v2/models/iris/versions/1/ready")[0] == 200
    st, body = s.json("GET", "/v2/models/nope/ready")
    assert st == 404 and "nope" in body["error"]


def test_v2_model_metadata(env):
    s, _, _ = env
    st, m = s.json("GET", "/v2/models/iris")
    assert st == 200 and m["name"] == "iris" and m["versions"] == ["1"] and m["platform"] == "sklearn"
    assert m["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
    outs = {o["name"]: o for o in m["outputs"]}
    assert outs["predict"] == {"name": "predict", "datatype": "INT64", "shape": [-1]}
    assert outs["predict_proba"]["shape"] == [-1, 3]
    st, m = s.json("GET", "/v2/models/iris_str/versions/1")
    assert st == 200 and {o["name"]: o for o in m["outputs"]}["predict"]["datatype"] == "BYTES"
    st, m = s.json("GET", "/v2/models/scaler")
    assert [o["name"] for o in m["outputs"]] == ["transform"] and m["outputs"][0]["shape"] == [-1, 4]
    st, body = s.json("GET", "/v2/models/iris/versions/7")
    assert st == 404 and "version" in body["error"]


def test_v2_infer_matches_sklearn(env):
    s, exp, _ = env
    req = {"id": "r1", "inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP64", "data": ROWS}],
           "outputs": [{"name": "predict"}, {"name": "predict_proba"}, {"name": "decision_function"}]}
    st, body = s.json("POST", "/v2/models/iris/infer", req)
    assert st == 200, body
    assert body["model_name"] == "iris" and body["model_version"] == "1" and body["id"] == "r1"
    outs = {o["name"]: o for o in body["outputs"]}
    assert outs["predict"] == {"name": "predict", "datatype": "INT64", "shape": [3], "data": exp["pred"]}
    assert outs["predict_proba"]["shape"] == [3, 3] and close(outs["predict_proba"]["data"], flat(exp["proba"]))
    assert outs["decision_function"]["shape"] == [3, 3] and close(outs["decision_function"]["data"], flat(exp["dec"]))
    # Flat data, versioned path, default output.
    req = {"inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP32", "data": flat(ROWS)}]}
    st, body = s.json("POST", "/v2/models/iris/versions/1/infer", req)
    assert st == 200 and [o["name"] for o in body["outputs"]] == ["predict"] and "id" not in body
    assert body["outputs"][0]["data"] == exp["pred"]
    # One input per feature column.
    cols = [{"name": f"f{j}", "shape": [3], "datatype": "FP64", "data": [r[j] for r in ROWS]} for j in range(4)]
    st, body = s.json("POST", "/v2/models/iris/infer", {"inputs": cols})
    assert st == 200 and body["outputs"][0]["data"] == exp["pred"]
    # String labels come back as BYTES; regressors as FP64; transformers' default is transform.
    st, body = s.json("POST", "/v2/models/iris_str/infer", {"inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP64", "data": ROWS}]})
    assert body["outputs"][0]["datatype"] == "BYTES" and body["outputs"][0]["data"] == exp["str"]
    st, body = s.json("POST", "/v2/models/lin/infer", {"inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP64", "data": ROWS}]})
    assert body["outputs"][0]["datatype"] == "FP64" and close(body["outputs"][0]["data"], exp["lin"])
    st, body = s.json("POST", "/v2/models/scaler/infer", {"inputs": [{"name": "x", "shape": [3, 4], "datatype": "FP64", "data": ROWS}]})
    assert body["outputs"][0]["name"] == "transform" and body["outputs"][0]["shape"] == [3, 4]
    assert close(body["outputs"][0]["data"], flat(exp["scaled"]))


@pytest.mark.parametrize("req,status,fragment", [
    ({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}, 400, "expected [N,4]"),
    ({"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}]}, 400, "shape needs 8"),
    ({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, None, 3, 4]}]}, 400, "null"),
    ({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "INT64", "data": [1, 2.5, 3, 4]}]}, 400, "integer"),
    ({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "BOOL", "data": [1, 2, 3, 4]}]}, 400, "boolean"),
    ({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP99", "data": [1, 2, 3, 4]}]}, 400, "datatype"),
    ({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}], "outputs": [{"name": "transform"}]}, 400, "no transform"),
    ({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3, 4]}], "outputs": [{"name": "foo"}]}, 400, "unknown output"),
    ({"nothing": 1}, 400, "inputs"),
])
def test_v2_errors(env, req, status, fragment):
    s, _, _ = env
    st, body = s.json("POST", "/v2/models/iris/infer", req)
    assert st == status and fragment in body["error"], body
    assert s.json("POST", "/v2/models/nope/infer", req)[0] == 404
    st, _, raw = s.request("POST", "/v2/models/iris/infer", "{not json")
    assert st == 400 and b"malformed JSON" in raw


def test_v1_tf_serving(env):
    s, exp, _ = env
    st, body = s.json("GET", "/v1/models/iris")
    assert st == 200 and body == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    assert s.json("POST", "/v1/models/iris:predict", {"instances": ROWS}) == (200, {"predictions": exp["pred"]})
    assert s.json("POST", "/v1/models/iris/versions/1:predict", {"inputs": ROWS}) == (200, {"predictions": exp["pred"]})
    assert s.json("POST", "/v1/models/iris_str:predict", {"inputs": {"x": ROWS}}) == (200, {"predictions": exp["str"]})
    st, body = s.json("POST", "/v1/models/lin:predict", {"instances": ROWS})
    assert st == 200 and close(body["predictions"], exp["lin"])
    st, body = s.json("POST", "/v1/models/scaler:predict", {"instances": ROWS})
    assert st == 200 and close(flat(body["predictions"]), flat(exp["scaled"]))
    st, body = s.json("POST", "/v1/models/iris:predict", {"instances": [[1, 2, 3]]})
    assert st == 400 and "expected 4 features" in body["error"]
    assert s.json("POST", "/v1/models/nope:predict", {"instances": ROWS})[0] == 404
    assert s.json("GET", "/v1/models/iris:predict")[0] == 404  # GET on a name with ':' is a lookup


def test_reference_predict_unchanged_and_transform(env, tmp_path):
    s, exp, d = env
    assert s.request("POST", "/predict", json.dumps({"features": ROWS[1]}))[2] == b'{"prediction":%d}\n' % exp["pred"][1]
    st, body = s.json("POST", "/transform", {"features": ROWS[0]})
    assert st == 400 and "not a transformer" in body["error"]
    t = Server("--model", d / "scaler.pkl", "--threads", "1")
    try:
        st, body = t.json("POST", "/transform", {"instances": ROWS})
        assert st == 200 and close(flat(body["transform"]), flat(exp["scaled"]))
        st, body = t.json("POST", "/transform", {"features": ROWS[0]})
        assert st == 200 and close(body["transform"], exp["scaled"][0])
        # StandardScaler accepts missing values (sklearn passes NaN through): null -> NaN.
        st, body = t.json("POST", "/transform", {"features": [5.1, None, 1.4, 0.2]})
        assert st == 200 and is_missing(body["transform"][1]) and close(body["transform"][2:], exp["scaled"][0][2:])
        st, body = s.json("POST", "/v2/models/scaler/infer",
                          {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP64", "data": [5.1, None, 1.4, 0.2]}]})
        assert st == 200 and is_missing(body["outputs"][0]["data"][1])
        st, body = t.json("POST", "/predict", {"features": ROWS[0]})
        assert st == 400 and "transformer" in body["error"]
    finally:
        assert t.stop() == 0


def test_probe_post_json(env):
    s, _, _ = env
    url = f"http://127.0.0.1:{s.port}/predict"
    body = json.dumps({"features": ROWS[0]})
    run = lambda *a: subprocess.run([BIN, "probe", *a], capture_output=True, text=True, timeout=20)
    assert run(url, "--post-json", body, "--expect-substring", "prediction").returncode == 0
    bad = run(url, "--post-json", body, "--expect-substring", "probabilities")
    assert bad.returncode == 1 and "does not contain" in bad.stderr
    assert run(url, "--post-json", "{}").returncode == 1  # 400
    assert run(f"http://127.0.0.1:{s.port}/healthz", "--expect-substring", "alive").returncode == 0
