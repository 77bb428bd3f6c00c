"""The OpenAPI document (docs/openapi.json, served at GET /openapi.json) against the real binary:

- the document is well formed (every $ref resolves, operationIds unique, path parameters declared)
  and the served document is the repository's, with the request rows (ModelRow, ModelNamedRow)
  describing the default model's columns;
- the router's routes (the route labels /metrics exposes, plus a probe of every method on every
  path) are exactly the document's paths and operations, so a route added to the server without
  documenting it fails here;
- every operation is called with valid and invalid requests, and each real answer has a status
  the document lists for that operation, the documented content type and required headers, and
  a body that validates against the documented schema (python3-jsonschema, Draft 4, after
  resolving $refs and OpenAPI's `nullable`).

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_openapi.py
"""
import copy
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from prod_util import Server

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed (scripts/setup.sh installs it)")

REPO = pathlib.Path(__file__).resolve().parents[2]
DOC_FILE = REPO / "docs" / "openapi.json"
DOC = json.loads(DOC_FILE.read_text())
METHODS = ("get", "post", "put", "delete", "patch")
ROW = [5.1, 3.5, 1.4, 0.2]
ROW2 = [6.7, 3.0, 5.2, 2.3]

TRAIN = r"""
import sys, joblib, numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, LinearRegression
from sklearn.preprocessing import StandardScaler
out = sys.argv[1]
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), out + "/iris.pkl")
joblib.dump(LogisticRegression(max_iter=1000).fit(X, np.array(["a", "b", "c"])[y]), out + "/iris_str.pkl")
joblib.dump(LinearRegression().fit(X, np.c_[X[:, 0] * 2 + 1, X[:, 1]]), out + "/lin2.pkl")
joblib.dump(StandardScaler().fit(X), out + "/scaler.pkl")
import xgboost
joblib.dump(xgboost.XGBClassifier(n_estimators=5, max_depth=3).fit(X, y), out + "/xgb.pkl")
"""


# ---- the document ------------------------------------------------------------------------------

def deref(node):
    """`node` with every $ref replaced by its target and OpenAPI's nullable turned into JSON
    Schema (anyOf with null), ready for a Draft 4 validator."""
    if isinstance(node, list):
        return [deref(x) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return deref(target)
    out = {k: deref(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def template_regex(template):
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "([^/]+)", re.escape(template)) + "$")


TEMPLATES = [(t, template_regex(t)) for t in DOC["paths"]]


def match_templates(path):
    """Documented templates matching a concrete path, as the router orders them: exact paths
    first, then patterns in document order (the router's registration order)."""
    found = [t for t, rx in TEMPLATES if rx.match(path)]
    return sorted(found, key=lambda t: "{" in t)


def concrete(template, name, version="1"):
    return template.replace("{name}", name).replace("{version}", version)


class Checker:
    """Validates real answers against the operation the document says handles them."""

    def __init__(self):
        self.seen = {}  # (method, template) -> set of statuses

    def check(self, method, path, status, headers, raw):
        method = method.lower()
        path = path.split("?")[0]
        headers = {k.lower(): v for k, v in headers.items()}
        templates = match_templates(path)
        with_method = [t for t in templates if method in DOC["paths"][t]]
        if not with_method:
            # Not an operation: 404 for an unknown path, 405 (Allow = the documented methods) else.
            assert headers.get("x-request-id"), f"{method} {path}: no X-Request-Id"
            body = json.loads(raw)
            jsonschema.Draft4Validator(deref(DOC["components"]["schemas"]["Error"])).validate(body)
            if not templates:
                assert status == 404, f"{method} {path}: undocumented path answered {status}: {raw[:200]!r}"
            else:
                assert status == 405, f"{method} {path}: answered {status} but the document has no {method} there: {raw[:200]!r}"
                allow = {m.strip().lower() for m in headers["allow"].split(",")}
                documented = set(DOC["paths"][templates[0]]) - {"parameters"}
                assert allow == documented, f"{path}: the server allows {sorted(allow)}, the document {sorted(documented)}"
            return None
        template = with_method[0]
        op = DOC["paths"][template][method]
        assert str(status) in op["responses"], f"{method} {template}: status {status} is not documented: {raw[:300]!r}"
        resp = deref(op["responses"][str(status)])
        for name, h in resp.get("headers", {}).items():
            if h.get("required"):
                assert headers.get(name.lower()), f"{method} {template} {status}: missing header {name}"
        content = resp.get("content", {})
        ctype = headers.get("content-type", "").split(";")[0].strip()
        assert ctype in content, f"{method} {template} {status}: content type {ctype!r} is not one of {list(content)}"
        schema = content[ctype]["schema"]
        body = json.loads(raw) if ctype == "application/json" else raw.decode("utf-8")
        jsonschema.Draft4Validator(schema).validate(body)
        self.seen.setdefault((method, template), set()).add(status)
        return template


CHECKER = Checker()


def call(server, method, path, body=None, headers=None):
    """Sends a request, validates the answer against the document, returns (status, body)."""
    status, hdrs, raw = server.request(method.upper(), path, body, headers=headers)
    CHECKER.check(method, path, status, hdrs, raw)
    return status, (json.loads(raw) if hdrs.get("Content-Type", "").startswith("application/json") else raw)


# ---- servers -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("openapi-models")
    subprocess.run([sys.executable, "-c", TRAIN, str(d)], check=True, timeout=300)
    repo = d / "repo"
    for name, versions in (("iris", ("1", "2")), ("iris_str", ("1",)), ("lin2", ("1",)), ("scaler", ("1",)), ("xgb", ("1",))):
        for v in versions:
            (repo / name / v).mkdir(parents=True)
            os.link(d / f"{name}.pkl", repo / name / v / "model.pkl")
    return d


@pytest.fixture(scope="module")
def servers(models):
    # "m": a repository with model control; "s": one transformer, small body limit, no control.
    m = Server("--model-repository", models / "repo", "--version-policy", "latest:2", "--default-model", "iris",
               "--enable-model-control", "--threads", "2")
    s = Server("--model", models / "scaler.pkl", "--threads", "1", "--max-body-bytes", "2048", "--read-timeout-seconds", "1")
    yield {"m": m, "s": s}
    assert m.stop() == 0 and s.stop() == 0


def infer(name="x", shape=(1, 4), datatype="FP64", data=ROW, **kw):
    return dict({"inputs": [{"name": name, "shape": list(shape), "datatype": datatype, "data": data}]}, **kw)


BIG = {"instances": [ROW] * 200}  # > 2048 bytes
CASES = [
    # (server, method, path, body, expected status)
    ("m", "post", "/predict", {"features": ROW}, 200),
    ("m", "post", "/predict", {"features": ROW, "proba": True}, 200),
    ("m", "post", "/predict", {"instances": [ROW, ROW2]}, 200),
    ("m", "post", "/predict", {"instances": [ROW, ROW2], "proba": True}, 200),
    ("m", "post", "/predict", {"features": ROW, "explain": True}, 200),
    ("m", "post", "/predict", {"instances": [ROW, ROW2], "explain": True, "proba": True}, 200),
    ("m", "post", "/predict", "{not json", 400),
    ("m", "post", "/predict", {"features": [1, 2]}, 400),
    ("m", "post", "/predict", {"rows": [ROW]}, 400),
    ("s", "post", "/predict", {"features": ROW}, 400),
    ("s", "post", "/predict", BIG, 413),
    ("s", "post", "/transform", {"features": ROW}, 200),
    ("s", "post", "/transform", {"instances": [ROW, ROW2]}, 200),
    ("s", "post", "/transform", {"features": [5.1, None, 1.4, 0.2]}, 200),
    ("s", "post", "/transform", {"features": [1]}, 400),
    ("m", "post", "/transform", {"features": ROW}, 400),
    ("m", "get", "/healthz", None, 200),
    ("m", "get", "/readyz", None, 200),
    ("m", "get", "/metrics", None, 200),
    ("m", "get", "/openapi.json", None, 200),
    ("m", "get", "/", None, 200),
    ("m", "get", "/v2", None, 200),
    ("s", "get", "/v2", None, 200),
    ("m", "get", "/v2/health/live", None, 200),
    ("m", "get", "/v2/health/ready", None, 200),
    ("m", "get", "/v2/models/iris", None, 200),
    ("m", "get", "/v2/models/iris_str", None, 200),
    ("m", "get", "/v2/models/lin2", None, 200),
    ("m", "get", "/v2/models/scaler", None, 200),
    ("m", "get", "/v2/models/nope", None, 404),
    ("m", "get", "/v2/models/iris/versions/1", None, 200),
    ("m", "get", "/v2/models/iris/versions/9", None, 404),
    ("m", "get", "/v2/models/iris/ready", None, 200),
    ("m", "get", "/v2/models/nope/ready", None, 404),
    ("m", "get", "/v2/models/iris/versions/2/ready", None, 200),
    ("m", "get", "/v2/models/iris/versions/9/ready", None, 404),
    ("m", "post", "/v2/models/iris/infer",
     infer(data=[ROW, ROW2], shape=(2, 4), id="r1", outputs=[{"name": "predict"}, {"name": "predict_proba"}, {"name": "decision_function"}]), 200),
    ("m", "post", "/v2/models/iris_str/infer", infer(), 200),
    ("m", "post", "/v2/models/lin2/infer", infer(datatype="FP32"), 200),
    ("m", "post", "/v2/models/scaler/infer", infer(data=[5.1, None, 1.4, 0.2]), 200),
    ("m", "post", "/v2/models/iris/infer", infer(shape=(1, 3), data=[1, 2, 3]), 400),
    ("m", "post", "/v2/models/iris/infer", infer(outputs=[{"name": "transform"}]), 400),
    ("m", "post", "/v2/models/iris/infer", "{not json", 400),
    ("m", "post", "/v2/models/nope/infer", infer(), 404),
    ("s", "post", "/v2/models/scaler/infer", {"inputs": [{"name": "x", "shape": [200, 4], "datatype": "FP64", "data": [ROW] * 200}]}, 413),
    ("m", "post", "/v2/models/iris/versions/2/infer", {"inputs": [{"name": f"f{j}", "shape": [1], "datatype": "FP64", "data": [ROW[j]]} for j in range(4)]}, 200),
    ("m", "post", "/v2/models/iris/versions/1/infer", infer(datatype="FP99"), 400),
    ("m", "post", "/v2/models/iris/versions/9/infer", infer(), 404),
    ("m", "get", "/v1/models/iris", None, 200),
    ("m", "get", "/v1/models/nope", None, 404),
    ("m", "get", "/v1/models/iris/versions/2", None, 200),
    ("m", "get", "/v1/models/iris/versions/9", None, 404),
    ("m", "post", "/v1/models/iris:predict", {"instances": [ROW, ROW2]}, 200),
    ("m", "post", "/v1/models/iris_str:predict", {"inputs": {"x": [ROW]}}, 200),
    ("m", "post", "/v1/models/lin2:predict", {"instances": [ROW]}, 200),
    ("m", "post", "/v1/models/scaler:predict", {"inputs": [ROW]}, 200),
    ("m", "post", "/v1/models/iris:predict", {"instances": [[1, 2, 3]]}, 400),
    ("m", "post", "/v1/models/nope:predict", {"instances": [ROW]}, 404),
    ("m", "post", "/v1/models/iris/versions/1:predict", {"instances": [ROW]}, 200),
    ("m", "post", "/v1/models/iris/versions/1:predict", {"nothing": 1}, 400),
    ("m", "post", "/v1/models/iris/versions/9:predict", {"instances": [ROW]}, 404),
    ("m", "post", "/v1/models/xgb:explain", {"instances": [ROW, ROW2]}, 200),
    ("m", "post", "/v1/models/scaler:explain", {"instances": [ROW]}, 400),
    ("m", "post", "/v1/models/nope:explain", {"instances": [ROW]}, 404),
    ("m", "post", "/v1/models/xgb/versions/1:explain", {"instances": [ROW]}, 200),
    ("m", "post", "/v1/models/xgb/versions/1:explain", {"nothing": 1}, 400),
    ("s", "post", "/v2/repository/models/scaler/load", None, 403),
    ("s", "post", "/v2/repository/models/scaler/unload", None, 403),
    ("m", "post", "/v2/repository/models/nope/load", None, 404),
    ("m", "post", "/v2/repository/models/iris/load", None, 200),
    # Unloading the default model: /predict has no model until it is loaded again.
    ("m", "post", "/v2/repository/models/iris/unload", None, 200),
    ("m", "post", "/v2/repository/models/iris/unload", None, 404),
    ("m", "post", "/predict", {"features": ROW}, 503),
    ("m", "get", "/readyz", None, 200),  # a model unloaded through the API is no longer expected
    ("m", "post", "/v2/repository/models/iris/load", {}, 200),
    ("m", "post", "/predict", {"features": ROW}, 200),
    ("m", "post", "/invocations", {"dataframe_split": {"columns": ["x0", "x1", "x2", "x3"], "data": [ROW, ROW2]}}, 200),
    ("m", "post", "/invocations", {"instances": [ROW], "params": {"predict_method": "predict_proba"}}, 200),
    ("s", "post", "/invocations", {"inputs": {"x0": [5.1], "x1": [3.5], "x2": [1.4], "x3": [0.2]}}, 200),
    ("m", "post", "/invocations", {"instances": [ROW], "inputs": [ROW]}, 400),
    ("s", "post", "/invocations", {"instances": [ROW] * 200}, 413),
    ("m", "get", "/ping", None, 200),
    ("m", "get", "/health", None, 200),
    ("m", "get", "/version", None, 200),
]


# Calls made by the other tests below (not in the table): (method, path, status).
ELSEWHERE = [("get", "/readyz", 503), ("get", "/v2/health/ready", 400),  # test_readiness_while_draining
             ("get", "/healthz", 431), ("post", "/predict", 408),  # test_common_errors_...
             ("post", "/invocations", 200), ("post", "/invocations", 415)]  # test_mlflow_content_types


def case_id(c):
    return f"{c[0]}-{c[1].upper()} {c[2]} -> {c[4]}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_operation_answers_match_the_document(servers, case):
    server, method, path, body, expected = case
    status, answer = call(servers[server], method, path, body)
    assert status == expected, answer


def test_every_operation_is_exercised_with_success_and_error():
    """The case tables (not the run order) cover every documented operation with a 2xx, and
    every operation that documents an operation-specific 4xx with one of those too."""
    common = {"408", "413", "431", "503", "504"}
    for template, item in DOC["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            calls = [(c[1], c[2], c[4]) for c in CASES] + ELSEWHERE
            statuses = {st for m, path, st in calls
                        if m == method and [t for t in match_templates(path) if m in DOC["paths"][t]][:1] == [template]}
            assert any(200 <= s < 300 for s in statuses), f"no successful call of {method} {template} in CASES"
            specific = {int(s) for s in op["responses"] if s.startswith("4") and s not in common}
            if specific:
                assert statuses & specific, f"no error call of {method} {template} in CASES"


def test_mlflow_content_types(servers):
    m = servers["m"]
    csv = "x0,x1,x2,x3\n" + ",".join(map(str, ROW)) + "\n"
    assert call(m, "post", "/invocations", csv, headers={"Content-Type": "text/csv; charset=utf-8"})[0] == 200
    assert call(m, "post", "/invocations", csv, headers={"Content-Type": "text/plain"})[0] == 415


def test_common_errors_header_too_large_and_read_timeout(servers):
    s = servers["s"]
    status, _ = call(s, "get", "/healthz", headers={"X-Padding": "a" * 20000})
    assert status == 431
    # A body that never arrives: 408 after --read-timeout-seconds 1, documented for every operation.
    with socket.create_connection(("127.0.0.1", s.port), timeout=10) as c:
        c.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"features\"")
        raw = b""
        while b"\r\n\r\n" not in raw or len(raw.split(b"\r\n\r\n", 1)[1]) < int(re.search(rb"Content-Length: (\d+)", raw).group(1)):
            chunk = c.recv(65536)
            if not chunk:
                break
            raw += chunk
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(l.split(": ", 1) for l in lines[1:])
    assert status == 408
    CHECKER.check("post", "/predict", status, headers, body)


def test_readiness_while_draining(models):
    d = Server("--model", models / "iris.pkl", "--threads", "1", "--drain-seconds", "2")
    try:
        assert call(d, "get", "/readyz")[0] == 200
        d.proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 5
        while call(d, "get", "/readyz")[0] != 503:
            assert time.time() < deadline
            time.sleep(0.05)
        status, body = call(d, "get", "/v2/health/ready")
        assert status == 400 and body == {"error": "not ready"}
        assert call(d, "post", "/predict", {"features": ROW})[0] == 200  # still serving while draining
    finally:
        assert d.stop() == 0


def test_document_is_well_formed_and_served_verbatim(servers):
    assert DOC["openapi"].startswith("3.0.")
    refs = []

    def walk(n):
        if isinstance(n, dict):
            if "$ref" in n:
                refs.append(n["$ref"])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)
    walk(DOC)
    assert refs
    for r in refs:
        deref({"$ref": r})  # raises KeyError if dangling
    op_ids = [op["operationId"] for item in DOC["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(op_ids) == len(set(op_ids))
    for template, item in DOC["paths"].items():
        want = set(re.findall(r"\{([a-z_]+)\}", template))
        for m, op in item.items():
            have = {p["name"] for p in map(deref, op.get("parameters", [])) if p["in"] == "path"}
            assert have == want, (m, template)
            assert any(s.startswith("2") for s in op["responses"]), (m, template)
            for s in op["responses"].values():  # every response schema is a valid JSON Schema
                for media in deref(s).get("content", {}).values():
                    jsonschema.Draft4Validator.check_schema(media["schema"])
    # Served: the repository's document, with the rows of /predict and /transform (ModelRow,
    # ModelNamedRow) describing the default model, iris (4 unnamed number columns).
    status, headers, raw = servers["m"].request("GET", "/openapi.json")
    assert status == 200
    served = json.loads(raw)
    schemas = served["components"]["schemas"]
    assert schemas["ModelRow"]["minItems"] == schemas["ModelRow"]["maxItems"] == 4
    assert schemas["ModelNamedRow"]["properties"] == {f"x{i}": {"type": "number"} for i in range(4)}
    assert schemas["ModelNamedRow"]["required"] == ["x0", "x1", "x2", "x3"]
    for name in ("ModelRow", "ModelNamedRow"):
        jsonschema.Draft4Validator.check_schema(deref(schemas[name]))
    expected = copy.deepcopy(DOC)
    for name in ("ModelRow", "ModelNamedRow"):
        del schemas[name], expected["components"]["schemas"][name]
    assert served == expected


def test_router_routes_are_exactly_the_documented_operations(servers):
    s = servers["s"]
    routes = {k.split('route="', 1)[1].split('"', 1)[0] for k in s.metrics() if k.startswith("inferd_request_duration_seconds_count")}
    routes.discard("other")
    assert routes == set(DOC["paths"]), (
        f"in the router but not documented: {sorted(routes - set(DOC['paths']))}; "
        f"documented but not in the router: {sorted(set(DOC['paths']) - routes)}")
    # Every method on every path: documented ones are handled with a documented status,
    # the others answer 405 with the documented methods in Allow (Checker does both).
    for template in DOC["paths"]:
        path = concrete(template, "scaler")
        for method in METHODS:
            body = "{}" if method in ("post", "put", "patch") else None
            status, headers, raw = s.request(method.upper(), path, body)
            template_used = CHECKER.check(method, path, status, headers, raw)
            if method in DOC["paths"][template]:
                assert template_used is not None
            elif template_used is None:
                assert status == 405
