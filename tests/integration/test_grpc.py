"""The gRPC API (inference.GRPCInferenceService, grpc.health.v1.Health, server reflection)
through a real gRPC client (python3-grpcio, stubs generated from src/grpc/proto), against the
real binary: every RPC, every datatype in typed and raw contents, answers equal to the REST V2
answers and to scikit-learn, errors as gRPC status codes, model control, metrics, logs, health
transitions during a drain and no failed call through SIGTERM under load.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_grpc.py
"""
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

grpc = pytest.importorskip("grpc")

from grpc_util import REPO, GrpcServer, stubs  # noqa: E402
from prod_util import train, wait_for  # noqa: E402

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 2.8, 4.3, 1.3], [6.0, 2.2, 5.0, 1.5]])

TRAIN_MORE = r"""
import sys, joblib, numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
out = sys.argv[1]
X, y = load_iris(return_X_y=True)
joblib.dump(RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y), out + "/rf.pkl")
rng = np.random.RandomState(0)
n = 300
df = pd.DataFrame({"age": rng.uniform(1, 80, n), "sex": rng.choice(["female", "male"], n),
                   "embarked": rng.choice(["C", "Q", "S"], n)})
yt = ((df.sex == "female") | (df.age < 12)).astype(int)
ct = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "embarked"])], remainder="passthrough")
joblib.dump(make_pipeline(ct, LogisticRegression(max_iter=1000)).fit(df, yt), out + "/titanic.pkl")
"""

TITANIC = {"age": [22.0, 4.0, 60.5], "sex": ["male", "female", "male"], "embarked": ["S", "C", "Q"]}

EXPECT = r"""
import json, sys, joblib, numpy as np, pandas as pd
d = sys.argv[1]; rows = np.array(json.loads(sys.argv[2])); titanic = pd.DataFrame(json.loads(sys.argv[3]))
iris = joblib.load(d + "/iris.pkl"); s = joblib.load(d + "/iris_str.pkl"); t = joblib.load(d + "/titanic.pkl")
print(json.dumps({"pred": iris.predict(rows).tolist(), "proba": iris.predict_proba(rows).tolist(),
  "str": s.predict(rows).tolist(), "titanic": t.predict(titanic).tolist(),
  "titanic_proba": t.predict_proba(titanic).tolist()}))
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    train(d)
    subprocess.run([sys.executable, "-c", TRAIN_MORE, str(d)], check=True, timeout=300)
    exp = json.loads(subprocess.run([sys.executable, "-c", EXPECT, str(d), json.dumps(ROWS.tolist()),
                                     json.dumps(TITANIC)], check=True, capture_output=True, text=True,
                                    timeout=120).stdout)
    repo = d / "repo"
    for name in ("iris", "iris_str", "lin", "rf", "titanic"):
        (repo / name / "1").mkdir(parents=True)
        os.link(d / f"{name}.pkl", repo / name / "1" / "model.pkl")
    return d, repo, exp


@pytest.fixture(scope="module")
def env(models):
    d, repo, exp = models
    s = GrpcServer("--model-repository", repo, "--threads", "2", "--default-model", "iris", "--log-requests")
    ch = s.channel()
    pb, pbg, hpb, hpbg, rpb, rpbg = stubs()
    yield s, pbg.GRPCInferenceServiceStub(ch), exp
    ch.close()
    assert s.stop() == 0


# --- building requests ---------------------------------------------------------------------

FIELDS = {"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
          "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents",
          "UINT32": "uint_contents", "UINT64": "uint64_contents", "FP32": "fp32_contents",
          "FP64": "fp64_contents", "BYTES": "bytes_contents"}
NUMPY = {"BOOL": np.bool_, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
         "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64, "FP16": np.float16,
         "FP32": np.float32, "FP64": np.float64}


def raw_bytes(values, datatype):
    if datatype == "BYTES":
        out = b""
        for v in values:
            b = v.encode() if isinstance(v, str) else v
            out += len(b).to_bytes(4, "little") + b
        return out
    return np.asarray(values, dtype=NUMPY[datatype]).astype(np.dtype(NUMPY[datatype]).newbyteorder("<")).tobytes()


def infer_request(model, inputs, raw=False, outputs=(), rid=""):
    """inputs: [(name, datatype, shape, flat values)]."""
    pb = stubs()[0]
    req = pb.ModelInferRequest(model_name=model, id=rid)
    for name, datatype, shape, values in inputs:
        t = req.inputs.add(name=name, datatype=datatype, shape=shape)
        if raw:
            req.raw_input_contents.append(raw_bytes(values, datatype))
        else:
            if values:
                field = getattr(t.contents, FIELDS[datatype])
                field.extend([v.encode() if isinstance(v, str) else v for v in values])
    for o in outputs:
        req.outputs.add(name=o)
    return req


def decode_output(resp, i):
    """Output i as a flat Python list (either form)."""
    o = resp.outputs[i]
    if len(resp.raw_output_contents):
        raw = resp.raw_output_contents[i]
        if o.datatype == "BYTES":
            out, pos = [], 0
            while pos < len(raw):
                n = int.from_bytes(raw[pos:pos + 4], "little")
                out.append(raw[pos + 4:pos + 4 + n].decode())
                pos += 4 + n
            return out
        return np.frombuffer(raw, dtype=np.dtype(NUMPY[o.datatype]).newbyteorder("<")).tolist()
    values = list(getattr(o.contents, FIELDS[o.datatype]))
    return [v.decode() for v in values] if o.datatype == "BYTES" else values


def rest_outputs(s, model, body):
    st, out = s.json("POST", f"/v2/models/{model}/infer", body)
    assert st == 200, out
    return {o["name"]: o for o in out["outputs"]}


# --- the RPCs ------------------------------------------------------------------------------

def test_server_and_model_rpcs(env):
    s, stub, _ = env
    pb = stubs()[0]
    assert stub.ServerLive(pb.ServerLiveRequest()).live is True
    assert stub.ServerReady(pb.ServerReadyRequest()).ready is True
    assert stub.ModelReady(pb.ModelReadyRequest(name="iris")).ready is True
    assert stub.ModelReady(pb.ModelReadyRequest(name="iris", version="1")).ready is True
    meta = stub.ServerMetadata(pb.ServerMetadataRequest())
    _, rest_server = s.json("GET", "/v2")
    assert (meta.name, meta.version, list(meta.extensions)) == (rest_server["name"], rest_server["version"], [])
    for model in ("iris", "iris_str", "lin", "rf", "titanic"):
        m = stub.ModelMetadata(pb.ModelMetadataRequest(name=model))
        st, rest = s.json("GET", f"/v2/models/{model}")
        assert st == 200
        assert m.name == rest["name"] and list(m.versions) == rest["versions"] and m.platform == rest["platform"]
        assert m.parameters["estimator"].string_param == rest["parameters"]["estimator"]
        for mine, theirs in ((m.inputs, rest["inputs"]), (m.outputs, rest["outputs"])):
            assert [(t.name, t.datatype, list(t.shape)) for t in mine] == \
                [(t["name"], t["datatype"], t["shape"]) for t in theirs]
        for t, r in zip(m.inputs, rest["inputs"]):
            if "parameters" in r:
                assert json.loads(t.parameters["categories"].string_param) == r["parameters"]["categories"]
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelReady(pb.ModelReadyRequest(name="nope"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and e.value.details() == "no model named 'nope'"
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelMetadata(pb.ModelMetadataRequest(name="iris", version="9"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND and "has no version '9'" in e.value.details()


# FP16 has no typed contents field (raw only; its typed form is refused in the error test).
DATATYPE_FORMS = [(dt, raw) for dt in ("FP64", "FP32", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
                                       "UINT32", "UINT64") for raw in (False, True) if raw or dt != "FP16"]


@pytest.mark.parametrize("datatype,raw", DATATYPE_FORMS, ids=[f"{d}-{'raw' if r else 'typed'}" for d, r in DATATYPE_FORMS])
def test_infer_equals_rest_for_every_datatype(env, datatype, raw):
    s, stub, _ = env
    rows = ROWS if datatype.startswith("FP") else np.round(ROWS)
    values = np.asarray(rows, dtype=NUMPY[datatype]).ravel().tolist()
    req = infer_request("iris", [("input-0", datatype, [4, 4], values)], raw=raw,
                        outputs=["predict", "predict_proba", "decision_function"])
    resp = stub.ModelInfer(req)
    assert resp.model_name == "iris" and resp.model_version == "1"
    assert bool(len(resp.raw_output_contents)) == raw
    rest_values = [values[i:i + 4] for i in range(0, 16, 4)]
    rest_dt = "FP64" if datatype == "FP16" else datatype  # JSON has no half floats; same values in FP64
    rest = rest_outputs(s, "iris", {"inputs": [{"name": "input-0", "datatype": rest_dt, "shape": [4, 4],
                                                "data": rest_values}],
                                    "outputs": [{"name": "predict"}, {"name": "predict_proba"},
                                                {"name": "decision_function"}]})
    for i, name in enumerate(["predict", "predict_proba", "decision_function"]):
        o = resp.outputs[i]
        assert (o.name, o.datatype, list(o.shape)) == (name, rest[name]["datatype"], rest[name]["shape"])
        assert decode_output(resp, i) == rest[name]["data"]  # the same doubles, bit for bit


def test_infer_equals_sklearn(env):
    _, stub, exp = env
    for raw in (False, True):
        resp = stub.ModelInfer(infer_request("iris", [("input-0", "FP64", [4, 4], ROWS.ravel().tolist())], raw=raw,
                                             outputs=["predict", "predict_proba"]))
        assert decode_output(resp, 0) == exp["pred"]
        proba = np.array(decode_output(resp, 1)).reshape(4, 3)
        assert np.allclose(proba, exp["proba"], rtol=1e-12, atol=1e-15)
        # String labels come back as BYTES.
        resp = stub.ModelInfer(infer_request("iris_str", [("input-0", "FP64", [4, 4], ROWS.ravel().tolist())],
                                             raw=raw))
        assert resp.outputs[0].datatype == "BYTES" and decode_output(resp, 0) == exp["str"]


def test_many_connections_calling_at_once_each_get_their_own_answers(env):
    """While several connections call, answers leave behind the loop's other work: every call
    on every connection must still get the answer to its own row, and a lone caller after them
    too."""
    s, stub, exp = env
    _, pbg, _, _, _, _ = stubs()
    results, lock = [], threading.Lock()

    def caller(i):
        # A channel of its own (not the process-wide subchannel pool) is a connection of its own.
        ch = grpc.insecure_channel(f"127.0.0.1:{s.grpc_port}", options=[("grpc.use_local_subchannel_pool", 1)])
        own = pbg.GRPCInferenceServiceStub(ch)
        wrong = 0
        try:
            for n in range(60):
                row = (i + n) % len(ROWS)
                resp = own.ModelInfer(infer_request("iris", [("input-0", "FP64", [1, 4], ROWS[row].tolist())],
                                                    outputs=["predict_proba"]), timeout=10)
                if decode_output(resp, 0) != pytest.approx(exp["proba"][row], rel=1e-12, abs=1e-15):
                    wrong += 1
        except grpc.RpcError as e:
            wrong = f"{e.code()}: {e.details()}"
        ch.close()
        with lock:
            results.append(wrong)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [0] * 12
    resp = stub.ModelInfer(infer_request("iris", [("input-0", "FP64", [1, 4], ROWS[1].tolist())]), timeout=10)
    assert decode_output(resp, 0) == [exp["pred"][1]]


@pytest.mark.parametrize("raw", [False, True], ids=["typed", "raw"])
def test_named_columns_with_strings(env, raw):
    s, stub, exp = env
    inputs = [("sex", "BYTES", [3], TITANIC["sex"]), ("embarked", "BYTES", [3, 1], TITANIC["embarked"]),
              ("age", "FP64", [3], TITANIC["age"])]
    resp = stub.ModelInfer(infer_request("titanic", inputs, raw=raw, outputs=["predict", "predict_proba"]))
    assert decode_output(resp, 0) == exp["titanic"]
    assert np.allclose(np.array(decode_output(resp, 1)).reshape(3, 2), exp["titanic_proba"], rtol=1e-12)
    rest = rest_outputs(s, "titanic", {"inputs": [
        {"name": n, "datatype": dt, "shape": shape, "data": v} for n, dt, shape, v in inputs],
        "outputs": [{"name": "predict_proba"}]})
    assert decode_output(resp, 1) == rest["predict_proba"]["data"]
    # A category the encoder never saw is ignored by it (handle_unknown="ignore"): same as REST.
    unknown = [("sex", "BYTES", [1], ["other"]), ("embarked", "BYTES", [1], ["S"]), ("age", "FP64", [1], [30.0])]
    resp = stub.ModelInfer(infer_request("titanic", unknown, raw=raw, outputs=["predict_proba"]))
    rest = rest_outputs(s, "titanic", {"inputs": [
        {"name": n, "datatype": dt, "shape": shape, "data": v} for n, dt, shape, v in unknown],
        "outputs": [{"name": "predict_proba"}]})
    assert decode_output(resp, 0) == rest["predict_proba"]["data"]


def test_contributions_equal_rest(env):
    s, stub, _ = env
    resp = stub.ModelInfer(infer_request("rf", [("input-0", "FP64", [4, 4], ROWS.ravel().tolist())],
                                         outputs=["contributions"]))
    rest = rest_outputs(s, "rf", {"inputs": [{"name": "input-0", "datatype": "FP64", "shape": [4, 4],
                                              "data": ROWS.tolist()}], "outputs": [{"name": "contributions"}]})
    o = resp.outputs[0]
    assert list(o.shape) == rest["contributions"]["shape"] == [4, 3, 5]
    assert decode_output(resp, 0) == rest["contributions"]["data"]
    assert o.parameters["contributions_of"].string_param == rest["contributions"]["parameters"]["contributions_of"]
    assert json.loads(o.parameters["features"].string_param) == rest["contributions"]["parameters"]["features"]
    bad = infer_request("rf", [("input-0", "FP64", [1, 4], ROWS[0].tolist())], outputs=["contributions"])
    bad.parameters["explain"].string_param = "everything"
    code, msg = code_of(stub, bad)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "parameters['explain']" in msg
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(infer_request("lin", [("input-0", "FP64", [1, 4], ROWS[0].tolist())],
                                      outputs=["predict_proba"]))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "has no predict_proba" in e.value.details()


def test_bool_inputs_and_default_model(env):
    s, stub, _ = env
    flags = [True, False, True, True, False, False, True, False]
    for raw in (False, True):
        # An empty model name is the default model (--default-model iris), as for /predict.
        resp = stub.ModelInfer(infer_request("", [("input-0", "BOOL", [2, 4], flags)], raw=raw))
        assert resp.model_name == "iris"
        rest = rest_outputs(s, "iris", {"inputs": [{"name": "input-0", "datatype": "BOOL", "shape": [2, 4],
                                                    "data": flags}]})
        assert decode_output(resp, 0) == rest["predict"]["data"]


# --- errors --------------------------------------------------------------------------------

def code_of(stub, req):
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(req)
    return e.value.code(), e.value.details()


def test_errors_are_status_codes(env):
    _, stub, _ = env
    pb = stubs()[0]
    row = ROWS[0].tolist()
    assert code_of(stub, infer_request("nope", [("x", "FP64", [1, 4], row)])) == \
        (grpc.StatusCode.NOT_FOUND, "no model named 'nope'")
    code, msg = code_of(stub, infer_request("iris", [("x", "FP64", [1, 3], row[:3])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "expected [N,4]" in msg
    code, msg = code_of(stub, infer_request("iris", [("x", "FP64", [1, 4], row[:3])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "fp64_contents has 3 elements" in msg
    code, msg = code_of(stub, infer_request("iris", [("x", "FP8", [1, 4], [])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "unknown datatype 'FP8'" in msg
    code, msg = code_of(stub, infer_request("iris", [("x", "FP16", [1, 4], [])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "raw_input_contents" in msg
    req = infer_request("iris", [("x", "FP64", [1, 4], row)], raw=True)
    req.raw_input_contents[0] = req.raw_input_contents[0][:-1]
    code, msg = code_of(stub, req)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "31 bytes" in msg
    code, msg = code_of(stub, infer_request("iris", [("x", "FP64", [1, 4], [1.0, float("nan"), 2.0, 3.0])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "x1" in msg
    code, msg = code_of(stub, infer_request("iris", [("x", "FP64", [1, 4], row)], outputs=["shap"]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "unknown output 'shap'" in msg
    code, msg = code_of(stub, infer_request("titanic", [("sex", "BYTES", [1], ["male"]),
                                                        ("age", "FP64", [1], [3.0])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "embarked" in msg
    code, msg = code_of(stub, infer_request("titanic", [("sex", "FP64", [1], [1.0]), ("embarked", "BYTES", [1], ["S"]),
                                                        ("age", "FP64", [1], [3.0])]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "sex" in msg
    code, msg = code_of(stub, pb.ModelInferRequest(model_name="iris"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "no inputs" in msg
    # Other Triton RPCs are not served.
    ch = grpc.insecure_channel(f"127.0.0.1:{env[0].grpc_port}")
    call = ch.unary_unary("/inference.GRPCInferenceService/ModelStatistics",
                          request_serializer=lambda x: x, response_deserializer=lambda x: x)
    with pytest.raises(grpc.RpcError) as e:
        call(b"")
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    ch.close()


def test_limits(models):
    _, repo, _ = models
    s = GrpcServer("--model-repository", repo, "--max-body-bytes", "4096", "--max-batch-rows", "10")
    try:
        ch = s.channel()
        stub = stubs()[1].GRPCInferenceServiceStub(ch)
        big = infer_request("iris", [("x", "FP64", [200, 4], [1.0] * 800)])
        code, msg = code_of(stub, big)
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        rows = infer_request("iris", [("x", "FP64", [11, 4], [1.0] * 44)])
        code, msg = code_of(stub, rows)
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED and "--max-batch-rows" in msg
        assert stub.ModelInfer(infer_request("iris", [("x", "FP64", [10, 4], [1.0] * 40)])).outputs[0].shape == [10]
        ch.close()
    finally:
        assert s.stop() == 0


# --- metadata, metrics, logs ---------------------------------------------------------------

def test_request_ids_metrics_and_logs(env):
    s, stub, _ = env
    req = infer_request("iris", [("x", "FP64", [1, 4], ROWS[0].tolist())], rid="abc")
    before = s.metrics().get('inferd_model_requests_total{model="iris",protocol="grpc",code="200"}', 0)
    resp, call = stub.ModelInfer.with_call(req, metadata=[("x-request-id", "client-7")])
    assert resp.id == "abc"
    assert dict(call.initial_metadata())["x-request-id"] == "client-7"
    _, call = stub.ModelInfer.with_call(req)
    generated = dict(call.initial_metadata())["x-request-id"]
    assert generated and generated != "client-7"
    after = s.metrics()['inferd_model_requests_total{model="iris",protocol="grpc",code="200"}']
    assert after == before + 2
    code_of(stub, infer_request("iris", [("x", "FP64", [1, 3], [1.0, 2.0, 3.0])]))
    assert s.metrics()['inferd_model_requests_total{model="iris",protocol="grpc",code="400"}'] >= 1
    assert wait_for(lambda: any(l.get("msg") == "request" and l.get("request_id") == "client-7" for l in s.logs()))
    line = next(l for l in s.logs() if l.get("msg") == "request" and l.get("request_id") == "client-7")
    assert (line["protocol"], line["method"], line["model"], line["status"]) == ("grpc", "ModelInfer", "iris", "OK")


# --- model control -------------------------------------------------------------------------

def test_repository_calls(models):
    _, repo, _ = models
    pb = stubs()[0]
    s = GrpcServer("--model-repository", repo)
    try:
        ch = s.channel()
        stub = stubs()[1].GRPCInferenceServiceStub(ch)
        for call, req in ((stub.RepositoryIndex, pb.RepositoryIndexRequest()),
                          (stub.RepositoryModelUnload, pb.RepositoryModelUnloadRequest(model_name="lin"))):
            with pytest.raises(grpc.RpcError) as e:
                call(req)
            assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "--enable-model-control" in e.value.details()
        ch.close()
    finally:
        assert s.stop() == 0
    s = GrpcServer("--model-repository", repo, "--enable-model-control")
    try:
        ch = s.channel()
        stub = stubs()[1].GRPCInferenceServiceStub(ch)
        assert list(stub.ServerMetadata(pb.ServerMetadataRequest()).extensions) == ["model_repository"]
        index = stub.RepositoryIndex(pb.RepositoryIndexRequest())
        assert [(m.name, m.version, m.state) for m in index.models] == \
            [(n, "1", "READY") for n in ("iris", "iris_str", "lin", "rf", "titanic")]
        stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="lin"))
        with pytest.raises(grpc.RpcError) as e:
            stub.ModelReady(pb.ModelReadyRequest(name="lin"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        index = stub.RepositoryIndex(pb.RepositoryIndexRequest())
        assert ("lin", "", "UNAVAILABLE", "unloaded") in [(m.name, m.version, m.state, m.reason) for m in index.models]
        assert "lin" not in [m.name for m in stub.RepositoryIndex(pb.RepositoryIndexRequest(ready=True)).models]
        with pytest.raises(grpc.RpcError) as e:
            stub.RepositoryModelUnload(pb.RepositoryModelUnloadRequest(model_name="lin"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as e:
            stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="ghost"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as e:
            stub.RepositoryIndex(pb.RepositoryIndexRequest(repository_name="other"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        stub.RepositoryModelLoad(pb.RepositoryModelLoadRequest(model_name="lin"))
        assert stub.ModelReady(pb.ModelReadyRequest(name="lin")).ready is True
        resp = stub.ModelInfer(infer_request("lin", [("x", "FP64", [1, 4], ROWS[0].tolist())]))
        assert resp.outputs[0].datatype == "FP64"
        ch.close()
    finally:
        assert s.stop() == 0


# --- health, reflection, drain -------------------------------------------------------------

def test_health_service(env):
    s, _, _ = env
    _, _, hpb, hpbg, _, _ = stubs()
    ch = s.channel()
    health = hpbg.HealthStub(ch)
    serving = hpb.HealthCheckResponse.SERVING
    for service in ("", "inference.GRPCInferenceService", "liveness"):
        assert health.Check(hpb.HealthCheckRequest(service=service)).status == serving
    with pytest.raises(grpc.RpcError) as e:
        health.Check(hpb.HealthCheckRequest(service="no.such.Service"))
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    ch.close()


def test_reflection_lists_and_describes_the_services(env):
    from google.protobuf import descriptor_pb2
    s, _, _ = env
    _, _, _, _, rpb, rpbg = stubs()
    ch = s.channel()
    refl = rpbg.ServerReflectionStub(ch)
    answers = list(refl.ServerReflectionInfo(iter([
        rpb.ServerReflectionRequest(list_services=""),
        rpb.ServerReflectionRequest(file_containing_symbol="inference.GRPCInferenceService"),
        rpb.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.Health"),
        rpb.ServerReflectionRequest(file_by_filename="reflection.proto"),
        rpb.ServerReflectionRequest(file_containing_symbol="no.such.Thing"),
    ])))
    ch.close()
    assert sorted(x.name for x in answers[0].list_services_response.service) == \
        ["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", "inference.GRPCInferenceService"]
    files = []
    for a in answers[1:4]:
        (raw,) = a.file_descriptor_response.file_descriptor_proto
        files.append(descriptor_pb2.FileDescriptorProto.FromString(raw))
    assert files[0].package == "inference"
    methods = {m.name: (m.input_type, m.output_type) for m in files[0].service[0].method}
    assert methods["ModelInfer"] == (".inference.ModelInferRequest", ".inference.ModelInferResponse")
    assert set(methods) == {"ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata",
                            "ModelInfer", "RepositoryIndex", "RepositoryModelLoad", "RepositoryModelUnload"}
    assert [m.name for m in files[1].service[0].method] == ["Check", "Watch"]
    assert files[2].package == "grpc.reflection.v1alpha"
    assert answers[4].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_drain_health_turns_not_serving_and_no_call_fails(models):
    """SIGTERM under load: health Watch reports NOT_SERVING at once, calls keep being answered
    through the drain period, clients that stop when told lose no call, and new calls are
    refused after the shutdown."""
    _, repo, _ = models
    _, pbg, hpb, hpbg, _, _ = stubs()
    s = GrpcServer("--model-repository", repo, "--drain-seconds", "2", "--threads", "2")
    ch = s.channel()
    stub = pbg.GRPCInferenceServiceStub(ch)
    statuses = []
    not_serving = threading.Event()

    def watch():
        try:
            for r in hpbg.HealthStub(ch).Watch(hpb.HealthCheckRequest(service="")):
                statuses.append(r.status)
                if r.status == hpb.HealthCheckResponse.NOT_SERVING:
                    not_serving.set()
        except grpc.RpcError:
            pass

    ok, failed, after_not_serving = [0], [], [0]
    lock = threading.Lock()
    req = infer_request("iris", [("x", "FP64", [4, 4], ROWS.ravel().tolist())], raw=True)

    def load():
        while not not_serving.is_set():
            try:
                stub.ModelInfer(req, timeout=10)
                with lock:
                    ok[0] += 1
            except grpc.RpcError as e:  # pragma: no cover - the assertion below reports it
                with lock:
                    failed.append((e.code(), e.details()))
        # Calls during the drain period (after NOT_SERVING, before the listener closes) still work.
        for _ in range(20):
            stub.ModelInfer(req, timeout=10)
            after_not_serving[0] += 1

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    assert wait_for(lambda: statuses[:1] == [hpb.HealthCheckResponse.SERVING])
    workers = [threading.Thread(target=load) for _ in range(8)]
    for w in workers:
        w.start()
    time.sleep(1.0)
    s.proc.send_signal(15)
    assert not_serving.wait(5), statuses
    for w in workers:
        w.join(30)
    assert failed == [] and ok[0] > 50, (failed[:3], ok)
    assert after_not_serving[0] == 8 * 20
    assert s.proc.wait(20) == 0
    with pytest.raises(grpc.RpcError) as e:
        stub.ModelInfer(req, timeout=2)
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    ch.close()


def test_the_documented_python_client(env, tmp_path):
    """examples/grpc/client.py (docs/api.md) works as documented."""
    s, _, exp = env
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{REPO / 'src' / 'grpc' / 'proto'}",
                    f"--python_out={tmp_path}", f"--grpc_python_out={tmp_path}", "inference.proto"], check=True)
    out = subprocess.run([sys.executable, str(REPO / "examples" / "grpc" / "client.py"), f"127.0.0.1:{s.grpc_port}",
                          "iris"] + [",".join(map(str, r)) for r in ROWS.tolist()],
                         check=True, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(tmp_path))).stdout
    answer = json.loads(out)
    assert answer["model"] == "iris" and answer["predict"] == exp["pred"]
    assert np.allclose(answer["predict_proba"], exp["proba"], rtol=1e-12, atol=1e-15)


def test_server_request_timeout_bounds_the_call(models):
    """--request-timeout-ms: a ModelInfer call that computes longer than it is answered
    DEADLINE_EXCEEDED (a 504, counted under code="5xx")."""
    d, _, _ = models
    s = GrpcServer("--model", d / "slow.pkl", "--request-timeout-ms", "5")
    try:
        ch = s.channel()
        stub = stubs()[1].GRPCInferenceServiceStub(ch)
        rows = np.random.RandomState(1).normal(size=(10000, 4))
        code, msg = code_of(stub, infer_request("slow", [("x", "FP64", [10000, 4], rows.ravel().tolist())], raw=True))
        assert code == grpc.StatusCode.DEADLINE_EXCEEDED and "--request-timeout-ms" in msg
        assert s.metrics()['inferd_model_requests_total{model="slow",protocol="grpc",code="5xx"}'] == 1
        ch.close()
    finally:
        assert s.stop() == 0


def test_large_concurrent_messages_never_stall_the_connection(models):
    """More large requests at once than the connection's flow-control window holds (24 x 2.56 MB
    against 16 MB): grpc-core interleaves their DATA, which would fill the window with partial
    requests, none able to complete, and stall every call until the read timeout. Each call
    ends at once instead, answered or RESOURCE_EXHAUSTED naming the window."""
    d, _, _ = models
    s = GrpcServer("--model", d / "iris.pkl", "--max-batch-rows", "100000", "--read-timeout-seconds", "120")
    try:
        opts = [("grpc.max_send_message_length", 16 << 20), ("grpc.max_receive_message_length", 16 << 20)]
        ch = grpc.insecure_channel(f"127.0.0.1:{s.grpc_port}", options=opts)
        stub = stubs()[1].GRPCInferenceServiceStub(ch)
        rows = np.tile(ROWS, (20000, 1))  # 80,000 x 4 float64: 2.56 MB raw
        req = infer_request("iris", [("x", "FP64", list(rows.shape), rows.ravel().tolist())], raw=True)
        for attempt in range(3):
            started = time.monotonic()
            futures = [stub.ModelInfer.future(req, timeout=60) for _ in range(24)]
            codes, messages = [], []
            for f in futures:
                try:
                    assert f.result().outputs[0].shape == [80000]
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as e:
                    codes.append(e.code())
                    messages.append(e.details())
            elapsed = time.monotonic() - started
            assert elapsed < 30, (attempt, elapsed, codes, messages)
            assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}, (codes, messages)
            assert codes.count(grpc.StatusCode.OK) >= 1, messages
            assert all("flow-control window" in m for m in messages), messages
        # The connection still serves.
        assert stub.ModelInfer(infer_request("iris", [("x", "FP64", [1, 4], ROWS[0].tolist())])).outputs[0].shape == [1]
        ch.close()
    finally:
        assert s.stop() == 0
