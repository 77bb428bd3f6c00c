"""The MLflow scoring protocol against the real binary: models fitted with Debian's scikit-learn
on pandas DataFrames, saved as MLflow model directories the way mlflow.sklearn.save_model lays
them out (MLmodel + the pickle; MLflow itself is not installed), served with
`inferd serve --model DIR`. Every request form of POST /invocations must give what sklearn's
predict gives on the same DataFrame; errors are 400/415 with {"error": ...}.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_mlflow_protocol.py
"""
import json
import shutil
import subprocess
import sys

import pytest

from prod_util import BIN, Server, wait_for

pd = pytest.importorskip("pandas", reason="python3-pandas is not installed (scripts/setup.sh installs it)")
np = pytest.importorskip("numpy")

TRAIN = r"""
import json, pickle, sys
import numpy as np, pandas as pd, yaml
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

out = sys.argv[1]


def save(path, model, signature=None, serialization_format="cloudpickle"):
    # mlflow.sklearn.save_model's layout: MLmodel (YAML) beside model.pkl.
    import os
    os.makedirs(path)
    with open(path + "/model.pkl", "wb") as f:
        pickle.dump(model, f, protocol=4)
    mlmodel = {
        "artifact_path": "model",
        "flavors": {
            "python_function": {"env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                                "loader_module": "mlflow.sklearn", "model_path": "model.pkl",
                                "predict_fn": "predict", "python_version": "3.11.2"},
            "sklearn": {"code": None, "pickled_model": "model.pkl",
                        "serialization_format": serialization_format, "sklearn_version": "1.2.1"},
        },
        "mlflow_version": "2.9.2",
        "model_uuid": "5e1f0b2c",
        "utc_time_created": "2026-12-04 12:00:00.000000",
    }
    if signature is not None:
        mlmodel["signature"] = {"inputs": json.dumps(signature), "outputs": json.dumps([{"type": "long"}])}
    with open(path + "/MLmodel", "w") as f:
        yaml.safe_dump(mlmodel, f, default_flow_style=False)


def column_signature(df):
    types = {"float64": "double", "int64": "long", "object": "string"}
    return [{"type": types[str(df[c].dtype)], "name": c, "required": True} for c in df.columns]


rng = np.random.RandomState(0)
n = 300
train = pd.DataFrame({
    "age": rng.uniform(1, 80, n).round(1),
    "sex": rng.choice(["male", "female"], n),
    "fare": rng.uniform(5, 120, n).round(2),
    "embarked": rng.choice(["S", "C", "Q"], n),
})
y = ((train.age < 30) ^ (train.sex == "female") ^ (train.embarked == "C")).astype(int)
clf = Pipeline([
    ("ct", ColumnTransformer([("num", StandardScaler(), ["age", "fare"]),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "embarked"])])),
    ("lr", LogisticRegression()),
]).fit(train, y)
save(out + "/titanic", clf, column_signature(train))
test = pd.DataFrame({
    "age": [22.0, 38.0, 26.0, 35.0, 54.0, 2.0, 71.5],
    "sex": ["male", "female", "female", "female", "male", "male", "female"],
    "fare": [7.25, 71.28, 7.92, 53.1, 51.86, 21.07, 8.05],
    "embarked": ["S", "C", "S", "S", "Q", "X", "C"],  # "X": unseen, ignored by the encoder
})

# Fitted on a matrix (no feature names): the signature names its columns.
Xn = rng.normal(size=(100, 3))
lin = LinearRegression().fit(Xn, Xn @ np.array([1.0, 2.0, -1.0]) + 0.5)
save(out + "/lin", lin, [{"type": "double", "name": n} for n in ("f1", "f2", "f3")], "pickle")
lin_test = pd.DataFrame(rng.normal(size=(5, 3)), columns=["f1", "f2", "f3"])

# A signature that contradicts the model: a string column where it reads numbers.
save(out + "/bad_signature", lin, [{"type": "double", "name": "f1"}, {"type": "string", "name": "f2"},
                                   {"type": "double", "name": "f3"}])

json.dump({
    "test": test.to_dict(orient="list"),
    "predict": clf.predict(test).tolist(),
    "proba": clf.predict_proba(test).tolist(),
    "lin_test": lin_test.to_dict(orient="list"),
    "lin_predict": lin.predict(lin_test.values).tolist(),
}, open(out + "/expected.json", "w"))
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlflow")
    subprocess.run([sys.executable, "-c", TRAIN, str(d)], check=True, timeout=300)
    return d


@pytest.fixture(scope="module")
def expected(models):
    e = json.loads((models / "expected.json").read_text())
    e["test"] = pd.DataFrame(e["test"])
    e["lin_test"] = pd.DataFrame(e["lin_test"])
    return e


@pytest.fixture(scope="module")
def titanic(models):
    s = Server("--model", models / "titanic", "--threads", "2", "--max-batch-rows", "100")
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def lin(models):
    s = Server("--model", str(models / "lin") + "/", "--threads", "1")
    yield s
    assert s.stop() == 0


def invoke(server, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    status, headers, raw = server.request("POST", "/invocations", data, headers={"Content-Type": content_type})
    return status, json.loads(raw)


def json_forms(df):
    """Every JSON request form MLflow 2.x accepts for a DataFrame."""
    split = df.to_dict(orient="split")
    records = df.to_dict(orient="records")
    return {
        "dataframe_split": {"dataframe_split": split},
        "dataframe_split_reordered": {"dataframe_split": df[df.columns[::-1]].to_dict(orient="split")},
        "dataframe_split_no_index": {"dataframe_split": {"columns": split["columns"], "data": split["data"]}},
        "dataframe_records": {"dataframe_records": records},
        "instances_objects": {"instances": records},
        "instances_lists": {"instances": df.values.tolist()},
        "inputs_columns": {"inputs": df.to_dict(orient="list")},
        "inputs_objects": {"inputs": records},
        "inputs_lists": {"inputs": df.values.tolist()},
        "with_params": {"dataframe_split": split, "params": {"temperature": 0.5}},
    }


@pytest.mark.parametrize("form", list(json_forms(pd.DataFrame({"a": [1]}))))
def test_json_forms_match_sklearn(titanic, expected, form):
    status, answer = invoke(titanic, json_forms(expected["test"])[form])
    assert status == 200, answer
    assert answer == {"predictions": expected["predict"]}


@pytest.mark.parametrize("content_type", ["text/csv", "text/csv; charset=utf-8"])
def test_csv_matches_sklearn(titanic, expected, content_type):
    status, answer = invoke(titanic, expected["test"].to_csv(index=False), content_type)
    assert status == 200, answer
    assert answer == {"predictions": expected["predict"]}
    # Quoted cells, CRLF line ends, columns in another order.
    df = expected["test"][["sex", "fare", "embarked", "age"]]
    status, answer = invoke(titanic, df.to_csv(index=False, quoting=1, lineterminator="\r\n"), content_type)
    assert status == 200, answer
    assert answer == {"predictions": expected["predict"]}


def test_predict_method_param(titanic, expected):
    body = {"dataframe_records": expected["test"].to_dict(orient="records"), "params": {"predict_method": "predict_proba"}}
    status, answer = invoke(titanic, body)
    assert status == 200, answer
    np.testing.assert_allclose(answer["predictions"], expected["proba"], rtol=1e-9, atol=1e-12)


def test_signature_names_a_model_fitted_without_names(lin, expected):
    df = expected["lin_test"]
    for body in ({"dataframe_split": df.to_dict(orient="split")},
                 {"dataframe_records": df.to_dict(orient="records")},
                 {"inputs": df.values.tolist()}):
        status, answer = invoke(lin, body)
        assert status == 200, answer
        np.testing.assert_allclose(answer["predictions"], expected["lin_predict"], rtol=1e-12)
    status, answer = invoke(lin, df.to_csv(index=False), "text/csv")
    assert status == 200, answer
    np.testing.assert_allclose(answer["predictions"], expected["lin_predict"], rtol=1e-12)
    status, answer = invoke(lin, {"dataframe_split": {"columns": ["x0", "x1", "x2"], "data": [[1, 2, 3]]}})
    assert status == 400 and "unknown column 'x0'" in answer["error"], answer


@pytest.mark.parametrize("body, fragment", [
    ({}, "exactly one of the input fields"),
    ({"params": {}}, "Received dictionary with input fields: []"),
    ({"instances": [[1]], "inputs": [[1]]}, "Received dictionary with input fields: ['instances', 'inputs']"),
    ({"data": [[1, "male", 2, "S"]]}, "Received dictionary with input fields: ['data']"),
    ({"instances": [[22, "male", 7.25, "S"], [1, "male"]]}, "instances[1] has 2 values; expected 4"),
    ({"instances": [[22, "male", 7.25, "S"], {"age": 1}]}, "instances[1] is an object but earlier rows are not"),
    ({"dataframe_records": [{"age": 22, "sex": "male", "fare": 7.25}]}, "missing column 'embarked'"),
    ({"dataframe_records": [{"age": "old", "sex": "male", "fare": 7.25, "embarked": "S"}]},
     "column 'age' expects a number (got string 'old')"),
    ({"dataframe_split": {"columns": ["age", "sex", "fare", "embarked", "cabin"], "data": [[1, "male", 2, "S", "C85"]]}},
     "unknown column 'cabin'"),
    ({"inputs": {"age": [1, 2], "sex": ["male"], "fare": [1, 2], "embarked": ["S", "S"]}}, "has 1 values"),
    ({"instances": [[22, "male", 7.25, "S"]], "params": "fast"}, "params must be a JSON object"),
    ({"instances": [[22, "male", 7.25, "S"]], "params": {"predict_method": "fit"}}, "predict_method"),
    ({"instances": []}, "instances has no rows"),
    ("{not json", "malformed JSON"),
    ("[1, 2]", "must be a JSON dictionary"),
])
def test_bad_json_is_400(titanic, body, fragment):
    status, answer = invoke(titanic, body)
    assert status == 400, answer
    assert fragment in answer["error"], answer


@pytest.mark.parametrize("body, fragment", [
    ("", "the CSV body is empty"),
    ("age,sex,fare,embarked\n", "has a header but no rows"),
    ("age,sex,fare,embarked\n22,male,7.25\n", "CSV line 2 has 3 fields; the header has 4"),
    ("age,sex,fare,embarked\n22,\"male,7.25,S\n", "not closed"),
    ("age,sex,fare\n22,male,7.25\n", "missing column 'embarked'"),
])
def test_bad_csv_is_400(titanic, body, fragment):
    status, answer = invoke(titanic, body, "text/csv")
    assert status == 400, answer
    assert fragment in answer["error"], answer


def test_too_many_rows_is_413(titanic):
    status, answer = invoke(titanic, {"instances": [[22, "male", 7.25, "S"]] * 101})
    assert status == 413, answer
    assert "--max-batch-rows" in answer["error"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/csv; charset=latin-1",
                                          "application/json; format=pandas-split"])
def test_other_content_types_are_415(titanic, expected, content_type):
    status, answer = invoke(titanic, {"dataframe_split": expected["test"].to_dict(orient="split")}, content_type)
    assert status == 415, answer
    assert answer["error"], answer


def test_missing_content_type_is_415(titanic):
    # (an empty dict would get Server.request's default Content-Type)
    status, headers, raw = titanic.request("POST", "/invocations", b'{"instances": [[1, "male", 2, "S"]]}',
                                           headers={"Accept": "*/*"})
    assert status == 415, raw
    assert "only supports the following content types" in json.loads(raw)["error"]


def test_ping_health_version(titanic):
    for path in ("/ping", "/health"):
        status, _, raw = titanic.request("GET", path)
        assert (status, raw) == (200, b"\n")
    status, headers, raw = titanic.request("GET", "/version")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert raw and b"{" not in raw and b"\n" not in raw
    metrics = titanic.metrics()
    assert any('protocol="mlflow"' in k and 'code="200"' in k for k in metrics if k.startswith("inferd_model_requests_total")), metrics


def test_ping_is_503_while_draining(models):
    s = Server("--model", models / "titanic", "--drain-seconds", "3")
    try:
        assert s.request("GET", "/ping")[0] == 200
        s.proc.send_signal(15)
        deadline = __import__("time").time() + 3
        codes = set()
        while __import__("time").time() < deadline and 503 not in codes:
            try:
                codes.add(s.request("GET", "/ping")[0])
            except OSError:
                break
        assert 503 in codes
    finally:
        s.kill()


def test_signature_contradicting_the_model_refuses_to_load(models):
    d = models / "bad_signature"
    r = subprocess.run([BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--model", str(d)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert f"{d}/MLmodel: the signature's column 'f2' is a string but the model reads numbers there" in r.stderr, r.stderr


def test_directory_without_mlmodel_refuses_to_load(tmp_path):
    r = subprocess.run([BIN, "serve", "--host", "127.0.0.1", "--port", "0", "--model", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert str(tmp_path) in r.stderr and "MLmodel" in r.stderr, r.stderr


def test_predict_and_inspect_commands_read_mlflow_directories(models, expected, tmp_path):
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(expected["lin_test"].values.tolist()))
    r = subprocess.run([BIN, "predict", "--model", str(models / "lin"), "--input", str(rows)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(json.loads(r.stdout)["predictions"], expected["lin_predict"], rtol=1e-12)
    r = subprocess.run([BIN, "inspect", str(models / "titanic")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    described = json.loads(r.stdout)
    assert described["model"].startswith("Pipeline(ColumnTransformer(") and described["n_features"] == 4, described


def test_repository_versions_may_be_mlflow_directories_and_reload(models, expected, tmp_path):
    repo = tmp_path / "repo"
    (repo / "lin").mkdir(parents=True)
    shutil.copytree(models / "lin", repo / "lin" / "1")
    s = Server("--model-repository", repo, "--poll-seconds", "0.2", "--threads", "1")
    try:
        df = expected["lin_test"]
        status, answer = invoke(s, {"dataframe_split": df.to_dict(orient="split")})
        assert status == 200, answer
        np.testing.assert_allclose(answer["predictions"], expected["lin_predict"], rtol=1e-12)
        # Rewriting MLmodel in place (new signature names) is a change: the model reloads.
        mlmodel = repo / "lin" / "1" / "MLmodel"
        mlmodel.write_text(mlmodel.read_text().replace('"f1"', '"g1"'))
        renamed = {"dataframe_split": df.rename(columns={"f1": "g1"}).to_dict(orient="split")}
        assert wait_for(lambda: invoke(s, renamed)[0] == 200), s.logs()[-3:]
        np.testing.assert_allclose(invoke(s, renamed)[1]["predictions"], expected["lin_predict"], rtol=1e-12)
    finally:
        assert s.stop() == 0
