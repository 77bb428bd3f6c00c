"""Tabular input (issue 14), end to end: DataFrame-fitted scikit-learn models (tabular_models.py)
served by the real `inferd serve` / run by `inferd predict`, every protocol compared with
scikit-learn on the pandas frame built from the same request.

Parity: labels exact (and of the same JSON type), floats within parity_util.RTOL relative.
The reference is `pandas.DataFrame(records)` of the JSON sent (`pandas.read_csv` of the CSV
sent); a one-row request is compared with its row of the batch (a null in a number column is
NaN, a null in a string column None, whatever the rest of the batch holds).

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/parity/test_tabular.py -q
"""
import json
import pathlib
import random
import subprocess
import sys
import threading
import time
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from prod_util import Server  # noqa: E402

import tabular_models as tm  # noqa: E402
from parity_util import RTOL, max_rel_err  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "titanic"
N_SINGLE = 40  # rows sent one request each (named and positional)
N_PROBA_SINGLE = 8
ERROR_MODEL = "forest_selectors"  # handle_unknown='error' on sex and embarked
FAMILY = "tabular"


# ---------------------------------------------------------------------------------------------
# Fixtures: models, request rows, expectations, servers.
# ---------------------------------------------------------------------------------------------


class Case:
    """One model with its request rows and scikit-learn's answers to them."""

    def __init__(self, name, model, path, mlflow_dir, reqs):
        self.name = name
        self.model = model
        self.path = path
        self.mlflow_dir = mlflow_dir
        self.columns = tm.columns_of(name)
        self.clf = tm.is_classifier(model)
        self.records = tm.request_records(name, reqs)
        self.exp = tm.expected(model, tm.frame_from_json(self.records))
        self.csv_records = tm.csv_records(name, self.records)
        self.csv = tm.to_csv(self.csv_records, self.columns)
        self.exp_csv = tm.expected(model, tm.frame_from_csv(self.csv))
        self.split = {"columns": self.columns, "data": [[r[c] for c in self.columns] for r in self.records]}
        self.exp_split = tm.expected(model, pd.DataFrame(json.loads(json.dumps(self.split["data"])),
                                                         columns=self.columns))

    def positional(self, record):
        return [record[c] for c in self.columns]

    def columnar(self, records=None):
        records = self.records if records is None else records
        return {c: [r[c] for r in records] for c in self.columns}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    d = tmp_path_factory.mktemp("tabular")
    models = tm.fit_all()
    paths = tm.dump_all(models, str(d))
    reqs = tm.request_frame()
    out = {}
    for name, model in models.items():
        # every MLflow directory but one carries a signature
        mdir = tm.write_mlflow_dir(name, model, str(d / "mlflow" / name), signature=name != "linreg_numeric_df")
        out[name] = Case(name, model, paths[name], mdir, reqs)
    return out


class TabServer(Server):
    """prod_util.Server (request / json / stop), started from the binary the parity fixtures
    found; a server that does not start fails with its own message (a load error is a plain
    text line, not JSON)."""

    def __init__(self, binary, *args):  # noqa: super().__init__ parses every line as JSON
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
            raise AssertionError(f"inferd serve {' '.join(map(str, args))} did not start (exit "
                                 f"{self.proc.returncode}): {''.join(self.log_lines)[-2000:]}")
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()


@pytest.fixture(scope="module")
def servers(inferd_bin):
    """servers(key, *args): one `inferd serve` per key, started on first use, stopped at the end."""
    running = {}

    def get(key, *args):
        if key not in running:
            running[key] = TabServer(inferd_bin, *args, "--threads", "2")
        return running[key]

    yield get
    for s in running.values():
        assert s.stop() == 0


@pytest.fixture
def serve(cases, servers):
    """serve(name) -> the server of model `name` (`--model name.pkl`)."""
    return lambda name: servers(name, "--model", cases[name].path)


@pytest.fixture
def serve_mlflow(cases, servers):
    """serve_mlflow(name) -> the server of model `name`'s MLflow directory (`--model DIR`)."""
    return lambda name: servers("mlflow:" + name, "--model", cases[name].mlflow_dir)


# ---------------------------------------------------------------------------------------------
# Comparison helpers.
# ---------------------------------------------------------------------------------------------


def check_predictions(case, got, want, record_error, what):
    assert isinstance(got, list), f"{what}: predictions are not a list: {got!r}"[:500]
    assert len(got) == len(want), f"{what}: {len(got)} predictions for {len(want)} rows"
    if case.clf:
        bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w or type(g) is not type(w)]
        assert not bad, (f"{what}: {len(bad)} labels differ, first at row {bad[0]}: {got[bad[0]]!r} vs "
                         f"{want[bad[0]]!r} (row {case.records[bad[0]] if len(want) == len(case.records) else ''})")
    else:
        e = max_rel_err(got, want)
        record_error(FAMILY, e)
        assert e <= RTOL, f"{what}: max relative error {e:.3e}"


def check_proba(got, want, record_error, what):
    e = max_rel_err(got, want)
    record_error(FAMILY + "_proba", e)
    assert e <= RTOL, f"{what}: predict_proba max relative error {e:.3e}"


def proba_rows_from_dicts(case, dicts):
    """Reference-protocol probabilities ({"<label>": p, ...} per row) in classes_ order."""
    keys = [str(c) for c in case.exp["classes"]]
    for d in dicts:
        assert sorted(d) == sorted(keys), (d, keys)
    return [[d[k] for k in keys] for d in dicts]


def post_ok(server, path, body, what, **kw):
    st, ans = server.json("POST", path, body, **kw)
    assert st == 200, f"{what}: HTTP {st}: {ans}"
    return ans


def still_serving(server, case):
    """The server answers a valid request after an error."""
    st, ans = server.json("POST", "/predict", {"features": case.records[0]})
    assert st == 200, f"after the error the server answered {st}: {ans}"
    assert ans["prediction"] == case.exp["predict"][0]


# ---------------------------------------------------------------------------------------------
# Reference protocol: POST /predict.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", tm.NAMES)
def test_reference_named_rows_one_by_one(cases, serve, record_error, name):
    case, s = cases[name], serve(name)
    for i in range(N_SINGLE):
        ans = post_ok(s, "/predict", {"features": case.records[i]}, f"row {i} {case.records[i]}")
        check_predictions(case, [ans["prediction"]], case.exp["predict"][i:i + 1], record_error, f"row {i}")
    if case.clf:
        for i in range(N_PROBA_SINGLE):
            ans = post_ok(s, "/predict", {"features": case.records[i], "proba": True}, f"proba row {i}")
            assert ans["prediction"] == case.exp["predict"][i]
            check_proba(proba_rows_from_dicts(case, [ans["probabilities"]]), case.exp["proba"][i:i + 1],
                        record_error, f"row {i}")


@pytest.mark.parametrize("name", tm.NAMES)
def test_reference_positional_rows_one_by_one(cases, serve, record_error, name):
    """{"features": [22, 7.25, 3, "male", ...]} in feature_names_in_ order, strings allowed."""
    case, s = cases[name], serve(name)
    for i in range(N_SINGLE):
        row = case.positional(case.records[i])
        ans = post_ok(s, "/predict", {"features": row}, f"row {i} {row}")
        check_predictions(case, [ans["prediction"]], case.exp["predict"][i:i + 1], record_error, f"row {i}")


@pytest.mark.parametrize("name", tm.NAMES)
def test_reference_instances_named(cases, serve, record_error, name):
    case, s = cases[name], serve(name)
    body = {"instances": case.records}
    if case.clf:
        body["proba"] = True
    ans = post_ok(s, "/predict", body, "instances")
    check_predictions(case, ans["predictions"], case.exp["predict"], record_error, "instances (named)")
    if case.clf:
        check_proba(proba_rows_from_dicts(case, ans["probabilities"]), case.exp["proba"], record_error, "instances")


@pytest.mark.parametrize("name", tm.NAMES)
def test_reference_instances_positional(cases, serve, record_error, name):
    case, s = cases[name], serve(name)
    ans = post_ok(s, "/predict", {"instances": case.split["data"]}, "instances (positional)")
    check_predictions(case, ans["predictions"], case.exp_split["predict"], record_error, "instances (positional)")


@pytest.mark.parametrize("name", tm.NAMES)
def test_reference_named_rows_any_key_order(cases, serve, record_error, name):
    """Named rows are matched by name: keys in any order, different orders in one batch."""
    case, s = cases[name], serve(name)
    rng = random.Random(7)
    shuffled = []
    for r in case.records[:200]:
        keys = list(r)
        rng.shuffle(keys)
        shuffled.append({k: r[k] for k in keys})
    ans = post_ok(s, "/predict", {"instances": shuffled}, "shuffled keys")
    # sklearn on the frame in the model's column order (the same rows)
    want = tm.expected(case.model, tm.frame_from_json(case.records[:200]))
    check_predictions(case, ans["predictions"], want["predict"], record_error, "shuffled keys")


# ---------------------------------------------------------------------------------------------
# KServe V1.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", tm.NAMES)
def test_v1_instances_records(cases, serve, record_error, name):
    case, s = cases[name], serve(name)
    ans = post_ok(s, f"/v1/models/{name}:predict", {"instances": case.records}, "V1 instances")
    check_predictions(case, ans["predictions"], case.exp["predict"], record_error, "V1 instances")


@pytest.mark.parametrize("name", tm.NAMES)
def test_v1_inputs_columnar(cases, serve, record_error, name):
    case, s = cases[name], serve(name)
    cols = case.columnar()
    ans = post_ok(s, f"/v1/models/{name}:predict", {"inputs": cols}, "V1 columnar inputs")
    want = tm.expected(case.model, pd.DataFrame(json.loads(json.dumps(cols))))
    check_predictions(case, ans["predictions"], want["predict"], record_error, "V1 columnar inputs")


# ---------------------------------------------------------------------------------------------
# KServe V2: one tensor per column.
# ---------------------------------------------------------------------------------------------


def v2_datatype(column):
    return {"int": "INT64", "float": "FP64", "str": "BYTES"}[tm.column_kind(column)]


def v2_inputs(case, records, seed=3):
    """One tensor per column, named after it, in a shuffled order, shapes [n] and [n,1] mixed
    (as MLServer's pandas codec sends a DataFrame)."""
    cols = list(case.columns)
    random.Random(seed).shuffle(cols)
    n = len(records)
    tensors = []
    for k, c in enumerate(cols):
        data = [r[c] for r in records]
        shape = [n] if k % 2 == 0 else [n, 1]
        tensors.append({"name": c, "shape": shape, "datatype": v2_datatype(c),
                        "data": data if k % 3 != 2 else [[v] for v in data]})
    return tensors


def v2_output(ans, name):
    outs = {o["name"]: o for o in ans["outputs"]}
    assert name in outs, f"no output {name!r} in {list(outs)}"
    o = outs[name]
    data = o["data"]
    if data and isinstance(data[0], list):
        data = [x for row in data for x in row]
    return o, data


@pytest.mark.parametrize("name", tm.NAMES)
def test_v2_tensor_per_column(cases, serve, record_error, name):
    case, s = cases[name], serve(name)
    body = {"id": "t1", "inputs": v2_inputs(case, case.records)}
    if case.clf:
        body["outputs"] = [{"name": "predict"}, {"name": "predict_proba"}]
    ans = post_ok(s, f"/v2/models/{name}/infer", body, "V2 infer")
    assert ans["model_name"] == name and ans.get("id") == "t1"
    o, data = v2_output(ans, "predict")
    n = len(case.records)
    assert o["shape"] in ([n], [n, 1]), o["shape"]
    if case.clf:
        want_dt = "BYTES" if isinstance(case.exp["classes"][0], str) else "INT64"
        assert o["datatype"] == want_dt
        check_predictions(case, data, case.exp["predict"], record_error, "V2 predict")
        po, pdata = v2_output(ans, "predict_proba")
        k = len(case.exp["classes"])
        assert po["shape"] == [n, k] and po["datatype"] == "FP64"
        check_proba(np.asarray(pdata, dtype=np.float64).reshape(n, k), case.exp["proba"], record_error, "V2")
    else:
        assert o["datatype"] == "FP64"
        check_predictions(case, data, case.exp["predict"], record_error, "V2 predict")


@pytest.mark.parametrize("name", ["hgb_numeric_df", "logreg_names_ohe"])
def test_v2_bool_tensor_for_a_number_column(cases, serve, record_error, name):
    """A 0/1 number column sent as BOOL (a pandas bool column): true/false are 1/0."""
    case, s = cases[name], serve(name)
    rows = [r for r in case.records if r["parch"] in (0, 1)][:300]
    tensors = v2_inputs(case, rows)
    for t in tensors:
        if t["name"] == "parch":
            t["datatype"] = "BOOL"
            t["data"] = [bool(v[0] if isinstance(v, list) else v) for v in t["data"]]
    ans = post_ok(s, f"/v2/models/{name}/infer", {"inputs": tensors}, "V2 BOOL")
    frame = pd.DataFrame({t["name"]: [v[0] if isinstance(v, list) else v for v in t["data"]] for t in tensors})
    assert frame["parch"].dtype == bool
    want = tm.expected(case.model, frame[case.columns])
    check_predictions(case, v2_output(ans, "predict")[1], want["predict"], record_error, "V2 BOOL")


@pytest.mark.parametrize("name", tm.NAMES)
def test_v2_metadata_lists_columns(cases, serve, name):
    case, s = cases[name], serve(name)
    st, meta = s.json("GET", f"/v2/models/{name}")
    assert st == 200, meta
    inputs = meta["inputs"]
    assert [i["name"] for i in inputs] == case.columns
    unread = set(tm.SPECS[name].get("unread", []))
    for i in inputs:
        assert i["shape"] == [-1], i
        c = i["name"]
        if c in unread:
            assert i["datatype"] in ("FP64", "BYTES"), i
        else:
            assert i["datatype"] == ("BYTES" if tm.column_kind(c) == "str" else "FP64"), i


# ---------------------------------------------------------------------------------------------
# MLflow scoring protocol on an MLflow model directory.
# ---------------------------------------------------------------------------------------------


def mlflow_post(s, body, what, content_type="application/json"):
    data = body if isinstance(body, str) else json.dumps(body)
    st, _, raw = s.request("POST", "/invocations", data, headers={"Content-Type": content_type}, timeout=30)
    ans = json.loads(raw) if raw else None
    assert st == 200, f"{what}: HTTP {st}: {ans}"
    return ans


@pytest.mark.parametrize("name", tm.NAMES)
def test_mlflow_directory_health(cases, serve_mlflow, name):
    s = serve_mlflow(name)
    for path in ("/ping", "/health"):
        st, _, _ = s.request("GET", path)
        assert st == 200, path


@pytest.mark.parametrize("name", tm.NAMES)
def test_mlflow_dataframe_split(cases, serve_mlflow, record_error, name):
    case, s = cases[name], serve_mlflow(name)
    ans = mlflow_post(s, {"dataframe_split": case.split}, "dataframe_split")
    check_predictions(case, ans["predictions"], case.exp_split["predict"], record_error, "dataframe_split")


@pytest.mark.parametrize("name", tm.NAMES)
def test_mlflow_dataframe_records(cases, serve_mlflow, record_error, name):
    case, s = cases[name], serve_mlflow(name)
    ans = mlflow_post(s, {"dataframe_records": case.records}, "dataframe_records")
    check_predictions(case, ans["predictions"], case.exp["predict"], record_error, "dataframe_records")


@pytest.mark.parametrize("name", tm.NAMES)
def test_mlflow_instances_and_inputs(cases, serve_mlflow, record_error, name):
    case, s = cases[name], serve_mlflow(name)
    ans = mlflow_post(s, {"instances": case.records}, "instances")
    check_predictions(case, ans["predictions"], case.exp["predict"], record_error, "MLflow instances")
    ans = mlflow_post(s, {"inputs": case.columnar()}, "inputs (columnar)")
    check_predictions(case, ans["predictions"], case.exp["predict"], record_error, "MLflow inputs")
    ans = mlflow_post(s, {"dataframe_records": case.records[:50], "params": {}}, "records + params")
    check_predictions(case, ans["predictions"], case.exp["predict"][:50], record_error, "records + params")


@pytest.mark.parametrize("name", tm.NAMES)
def test_mlflow_csv(cases, serve_mlflow, record_error, name):
    """text/csv with a header row; an empty cell is what pandas.read_csv makes of it (NaN)."""
    case, s = cases[name], serve_mlflow(name)
    ans = mlflow_post(s, case.csv, "csv", content_type="text/csv")
    check_predictions(case, ans["predictions"], case.exp_csv["predict"], record_error, "MLflow csv")


def test_mlflow_directory_layout(cases):
    """The directories the MLflow tests serve follow the documented format."""
    import yaml

    for name, case in cases.items():
        d = pathlib.Path(case.mlflow_dir)
        ml = yaml.safe_load((d / "MLmodel").read_text())
        assert ml["flavors"]["sklearn"]["pickled_model"] == "model.pkl"
        assert ml["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
        assert ml["flavors"]["python_function"]["model_path"] == "model.pkl"
        if name == "linreg_numeric_df":
            assert "signature" not in ml
        else:
            sig = json.loads(ml["signature"]["inputs"])
            assert [c["name"] for c in sig] == case.columns
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = joblib.load(d / "model.pkl")
        assert tm.expected(loaded, tm.frame_from_json(case.records[:20]))["predict"] == case.exp["predict"][:20]


# ---------------------------------------------------------------------------------------------
# CLI: inferd predict --input rows.csv / rows.json.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", tm.NAMES)
def test_cli_predict_csv(cases, run_inferd, tmp_path, record_error, name):
    case = cases[name]
    p = tmp_path / "rows.csv"
    p.write_text(case.csv)
    rc, out, err = run_inferd(case.path, str(p), "predict")
    assert rc == 0, err
    check_predictions(case, out["predictions"], case.exp_csv["predict"], record_error, "CLI csv")
    if case.clf:
        rc, out, err = run_inferd(case.path, str(p), "proba")
        assert rc == 0, err
        assert out["classes"] == case.exp_csv["classes"]
        check_proba(out["probabilities"], case.exp_csv["proba"], record_error, "CLI csv")


@pytest.mark.parametrize("name", tm.NAMES)
def test_cli_predict_json(cases, run_inferd, tmp_path, record_error, name):
    case = cases[name]
    p = tmp_path / "rows.json"
    p.write_text(json.dumps(case.records))
    rc, out, err = run_inferd(case.path, str(p), "predict")
    assert rc == 0, err
    check_predictions(case, out["predictions"], case.exp["predict"], record_error, "CLI json records")
    p2 = tmp_path / "split.json"
    p2.write_text(json.dumps(case.split))
    rc, out, err = run_inferd(case.path, str(p2), "predict")
    assert rc == 0, err
    check_predictions(case, out["predictions"], case.exp_split["predict"], record_error, "CLI json split")


# ---------------------------------------------------------------------------------------------
# Missing values written as JSON NaN (Python's json.dumps) rather than null.
# ---------------------------------------------------------------------------------------------


def with_nan_tokens(case):
    """Every other missing cell becomes NaN instead of null: in number columns the same NaN; in
    string columns pandas keeps NaN apart from None (SimpleImputer(most_frequent) imputes NaN and
    leaves None; OrdinalEncoder treats NaN as missing, None as a category). Columns whose imputer
    takes missing_values=None (NaN is an error there) keep null."""
    keep_null = set(tm.SPECS[case.name].get("none_only", []))
    out = []
    k = 0
    for r in case.records:
        r2 = dict(r)
        for c, v in r.items():
            if v is None and c not in keep_null:
                if k % 2:
                    r2[c] = float("nan")
                k += 1
        out.append(r2)
    return out


@pytest.mark.parametrize("name", tm.NAMES)
def test_json_nan_tokens(cases, serve, record_error, name):
    case, s = cases[name], serve(name)
    recs = with_nan_tokens(case)
    body = json.dumps({"instances": recs})
    assert "NaN" in body or name == "linreg_numeric_df"
    want = tm.expected(case.model, tm.frame_from_json(recs))
    ans = post_ok(s, "/predict", body, "NaN tokens")
    check_predictions(case, ans["predictions"], want["predict"], record_error, "NaN tokens (/predict)")
    ans = post_ok(s, f"/v1/models/{name}:predict", body, "NaN tokens V1")
    check_predictions(case, ans["predictions"], want["predict"], record_error, "NaN tokens (V1)")


# ---------------------------------------------------------------------------------------------
# Errors: 400 {"error": ...} naming the column / value; the server keeps serving.
# ---------------------------------------------------------------------------------------------


def _bad_rows(case, kind):
    rows = [dict(r) for r in case.records[6:10]]
    if kind == "missing_column":
        for r in rows:
            del r["age"]
        return rows, ["age"]
    if kind == "unknown_column":
        for r in rows:
            r["deck_colour"] = 1.5
        return rows, ["deck_colour"]
    if kind == "string_in_number_column":
        rows[1]["age"] = "old"
        return rows, ["age"]
    if kind == "number_in_string_column":
        rows[2]["sex"] = 3
        return rows, ["sex"]
    if kind == "unknown_category":
        rows[1]["embarked"] = "Atlantis"
        return rows, ["embarked", "Atlantis"]
    raise ValueError(kind)


ROW_ERRORS = ["missing_column", "unknown_column", "string_in_number_column", "number_in_string_column",
              "unknown_category"]
ROW_ERROR_PROTOCOLS = ["reference_features", "reference_instances", "v1_instances", "v1_inputs", "v2",
                       "mlflow_split", "mlflow_records", "mlflow_csv", "cli_csv", "cli_json"]


def _columns_of_rows(rows):
    cols = []
    for r in rows:
        for c in r:
            if c not in cols:
                cols.append(c)
    return cols


def _v2_bad_inputs(case, kind):
    """The V2 form of each row error: tensors are typed per column, so a wrong type is a whole
    tensor of the wrong datatype."""
    tensors = v2_inputs(case, case.records[6:10])
    n = 4
    if kind == "missing_column":
        return [t for t in tensors if t["name"] != "age"]
    if kind == "unknown_column":
        return tensors + [{"name": "deck_colour", "shape": [n], "datatype": "FP64", "data": [1.5] * n}]
    if kind == "string_in_number_column":
        return [dict(t, datatype="BYTES", data=["old"] * n, shape=[n]) if t["name"] == "age" else t for t in tensors]
    if kind == "number_in_string_column":
        return [dict(t, datatype="INT64", data=[3] * n, shape=[n]) if t["name"] == "sex" else t for t in tensors]
    if kind == "unknown_category":
        return [dict(t, data=["S", "Atlantis", "C", "Q"], shape=[n]) if t["name"] == "embarked" else t
                for t in tensors]
    raise ValueError(kind)


@pytest.mark.parametrize("protocol", ROW_ERROR_PROTOCOLS)
@pytest.mark.parametrize("kind", ROW_ERRORS)
def test_row_errors(cases, serve, serve_mlflow, run_inferd, tmp_path, kind, protocol):
    case = cases[ERROR_MODEL]
    rows, fragments = _bad_rows(case, kind)
    if protocol in ("mlflow_csv", "cli_csv") and kind == "number_in_string_column":
        # a CSV cell has no type: "3" in the sex column is the string "3", an unknown category
        fragments = ["sex", "3"]
    # scikit-learn refuses the same rows (except an extra column, which the server refuses by
    # default as a likely client mistake; --ignore-extra-columns below)
    if kind != "unknown_column":
        with pytest.raises((ValueError, TypeError, KeyError)):
            tm.expected(case.model, tm.frame_from_json(rows))
    cols = _columns_of_rows(rows)
    if protocol.startswith("cli"):
        p = tmp_path / ("rows.csv" if protocol == "cli_csv" else "rows.json")
        p.write_text(tm.to_csv([{c: r.get(c) for c in cols} for r in rows], cols) if protocol == "cli_csv"
                     else json.dumps(rows))
        rc, out, err = run_inferd(case.path, str(p), "predict")
        assert rc == 1, (rc, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        for f in fragments:
            assert f in lines[0], (f, lines[0])
        return
    if protocol.startswith("mlflow"):
        s = serve_mlflow(ERROR_MODEL)
        if protocol == "mlflow_split":
            body = json.dumps({"dataframe_split": {"columns": cols, "data": [[r.get(c) for c in cols] for r in rows]}})
            ct = "application/json"
        elif protocol == "mlflow_records":
            body, ct = json.dumps({"dataframe_records": rows}), "application/json"
        else:
            body, ct = tm.to_csv([{c: r.get(c) for c in cols} for r in rows], cols), "text/csv"
        st, _, raw = s.request("POST", "/invocations", body, headers={"Content-Type": ct})
    else:
        s = serve(ERROR_MODEL)
        if protocol == "reference_features":
            path, body = "/predict", {"features": rows[1] if kind != "number_in_string_column" else rows[2]}
        elif protocol == "reference_instances":
            path, body = "/predict", {"instances": rows}
        elif protocol == "v1_instances":
            path, body = f"/v1/models/{ERROR_MODEL}:predict", {"instances": rows}
        elif protocol == "v1_inputs":
            path, body = f"/v1/models/{ERROR_MODEL}:predict", {"inputs": {c: [r.get(c) for r in rows] for c in cols}}
        else:
            path, body = f"/v2/models/{ERROR_MODEL}/infer", {"inputs": _v2_bad_inputs(case, kind)}
        st, _, raw = s.request("POST", path, json.dumps(body))
    assert st == 400, (st, raw[:300])
    ans = json.loads(raw)
    assert set(ans) == {"error"}, ans
    for f in fragments:
        assert f in ans["error"], (f, ans["error"])
    still_serving(s if not protocol.startswith("mlflow") else serve(ERROR_MODEL), case)
    if protocol.startswith("mlflow"):
        ok = mlflow_post(s, {"dataframe_records": case.records[:3]}, "after the error")
        assert ok["predictions"] == case.exp["predict"][:3]


def test_unknown_category_message_on_single_row(cases, serve):
    """handle_unknown='error': the message names the column and the value."""
    case, s = cases[ERROR_MODEL], serve(ERROR_MODEL)
    row = dict(case.records[0], embarked="Atlantis")
    st, ans = s.json("POST", "/predict", {"features": row})
    assert st == 400 and "embarked" in ans["error"] and "Atlantis" in ans["error"], (st, ans)
    row = case.positional(dict(case.records[0], sex="robot"))
    st, ans = s.json("POST", "/predict", {"features": row})
    assert st == 400 and "sex" in ans["error"] and "robot" in ans["error"], (st, ans)
    still_serving(s, case)


def test_empty_csv_cell_where_only_none_is_missing(cases, serve_mlflow, serve):
    """forest_selectors imputes missing_values=None on embarked: the NaN an empty CSV cell
    becomes is refused by scikit-learn, and so by the server."""
    case, s = cases[ERROR_MODEL], serve_mlflow(ERROR_MODEL)
    rows = [dict(r) for r in case.records[:5]]
    rows[2]["embarked"] = None
    text = tm.to_csv(rows, case.columns)
    with pytest.raises(ValueError):
        tm.expected(case.model, tm.frame_from_csv(text))
    st, _, raw = s.request("POST", "/invocations", text, headers={"Content-Type": "text/csv"})
    assert st == 400 and "error" in json.loads(raw), (st, raw)
    still_serving(serve(ERROR_MODEL), case)


STRUCTURE_ERRORS = {
    # reference protocol
    "ragged_positional_instances": ("/predict", lambda c: {"instances": [c.positional(c.records[0]),
                                                                         c.positional(c.records[1])[:-1]]}),
    "short_positional_features": ("/predict", lambda c: {"features": c.positional(c.records[0])[:-1]}),
    "mixed_named_positional_instances": ("/predict", lambda c: {"instances": [c.records[0],
                                                                              c.positional(c.records[1])]}),
    # V1
    "v1_mixed_named_positional": ("/v1/models/{name}:predict",
                                  lambda c: {"instances": [c.records[0], c.positional(c.records[1])]}),
    "v1_ragged_columns": ("/v1/models/{name}:predict",
                          lambda c: {"inputs": {k: (v[:3] if k == "age" else v[:4])
                                                for k, v in c.columnar(c.records[:4]).items()}}),
    # V2
    "v2_ragged_tensors": ("/v2/models/{name}/infer",
                          lambda c: {"inputs": [dict(t, data=t["data"][:3], shape=[3]) if t["name"] == "age" else t
                                                for t in v2_inputs(c, c.records[:4])]}),
}


@pytest.mark.parametrize("kind", list(STRUCTURE_ERRORS))
def test_structure_errors(cases, serve, kind):
    name = "logreg_names_ohe"
    case, s = cases[name], serve(name)
    path, make = STRUCTURE_ERRORS[kind]
    st, ans = s.json("POST", path.format(name=name), make(case))
    assert st == 400, (st, ans)
    assert set(ans) == {"error"} and ans["error"], ans
    still_serving(s, case)


MLFLOW_STRUCTURE_ERRORS = {
    "ragged_split": lambda c: json.dumps({"dataframe_split": {"columns": c.columns, "data": [
        c.positional(c.records[0]), c.positional(c.records[1])[:-1]]}}),
    "mixed_instances": lambda c: json.dumps({"instances": [c.records[0], c.positional(c.records[1])]}),
    "two_formats": lambda c: json.dumps({"dataframe_records": c.records[:2], "instances": c.records[:2]}),
    "no_format": lambda c: json.dumps({"rows": c.records[:2]}),
    "csv_row_too_long": lambda c: tm.to_csv(c.records[:3], c.columns).rstrip("\n") + ",extra\n",
}


@pytest.mark.parametrize("kind", list(MLFLOW_STRUCTURE_ERRORS))
def test_mlflow_structure_errors(cases, serve_mlflow, kind):
    name = "logreg_names_ohe"
    case, s = cases[name], serve_mlflow(name)
    body = MLFLOW_STRUCTURE_ERRORS[kind](case)
    ct = "text/csv" if kind.startswith("csv") else "application/json"
    if ct == "text/csv":
        with pytest.raises(Exception):
            tm.frame_from_csv(body)  # pandas refuses it too
    st, _, raw = s.request("POST", "/invocations", body, headers={"Content-Type": ct})
    assert st == 400, (st, raw[:300])
    assert "error" in json.loads(raw)
    ok = mlflow_post(s, {"dataframe_records": case.records[:3]}, "after the error")
    assert ok["predictions"] == case.exp["predict"][:3]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_structure_errors(cases, run_inferd, tmp_path, fmt):
    case = cases["logreg_names_ohe"]
    if fmt == "csv":
        p = tmp_path / "rows.csv"
        p.write_text(tm.to_csv(case.records[:3], case.columns).rstrip("\n") + ",extra\n")
    else:
        p = tmp_path / "rows.json"
        p.write_text(json.dumps([case.records[0], case.positional(case.records[1])]))
    rc, out, err = run_inferd(case.path, str(p), "predict")
    assert rc == 1, (rc, out, err)
    assert len(err.strip().splitlines()) == 1, err


def test_ignore_extra_columns(cases, servers, record_error):
    """`inferd serve --ignore-extra-columns`: columns the model does not have are skipped."""
    name = ERROR_MODEL
    case = cases[name]
    s = servers("extra:" + name, "--model", case.path, "--ignore-extra-columns")
    recs = [dict(r, deck_colour=1.5, comment="vip") for r in case.records[:300]]
    want = case.exp["predict"][:300]
    ans = post_ok(s, "/predict", {"instances": recs}, "extra columns (/predict)")
    check_predictions(case, ans["predictions"], want, record_error, "extra columns (/predict)")
    ans = post_ok(s, "/predict", {"features": recs[0]}, "extra columns (features)")
    assert ans["prediction"] == want[0]
    ans = post_ok(s, f"/v1/models/{name}:predict", {"instances": recs}, "extra columns (V1)")
    check_predictions(case, ans["predictions"], want, record_error, "extra columns (V1)")
    tensors = v2_inputs(case, case.records[:300]) + [
        {"name": "deck_colour", "shape": [300], "datatype": "FP64", "data": [1.5] * 300},
        {"name": "comment", "shape": [300], "datatype": "BYTES", "data": ["vip"] * 300}]
    ans = post_ok(s, f"/v2/models/{name}/infer", {"inputs": tensors}, "extra columns (V2)")
    check_predictions(case, v2_output(ans, "predict")[1], want, record_error, "extra columns (V2)")
    # a missing column is still an error
    st, ans = s.json("POST", "/predict", {"features": {k: v for k, v in recs[0].items() if k != "age"}})
    assert st == 400 and "age" in ans["error"], (st, ans)


# ---------------------------------------------------------------------------------------------
# examples/titanic: deterministic data, the committed model, and the README's requests.
# ---------------------------------------------------------------------------------------------


def test_example_titanic(tmp_path, servers, record_error, inferd_bin):
    subprocess.run([sys.executable, str(EXAMPLE / "train.py"), str(tmp_path)], check=True, timeout=300,
                   capture_output=True)
    assert (tmp_path / "titanic.csv").read_bytes() == (EXAMPLE / "titanic.csv").read_bytes(), \
        "train.py no longer writes the committed titanic.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = joblib.load(EXAMPLE / "model.pkl")
        retrained = joblib.load(tmp_path / "model.pkl")
    cols = list(model.feature_names_in_)
    s = servers("example", "--model", str(EXAMPLE / "model.pkl"), "--name", "titanic")

    def want(frame):
        return model.predict(frame[cols]).tolist()

    req = json.loads((EXAMPLE / "request_predict.json").read_text())
    recs = req["instances"] if "instances" in req else [req["features"]]
    frame = pd.DataFrame(recs)
    assert want(frame) == retrained.predict(frame[cols]).tolist()
    ans = post_ok(s, "/predict", req, "example /predict")
    got = ans["predictions"] if "predictions" in ans else [ans["prediction"]]
    assert got == want(frame)

    req = json.loads((EXAMPLE / "request_v1.json").read_text())
    ans = post_ok(s, "/v1/models/titanic:predict", req, "example V1")
    assert ans["predictions"] == want(pd.DataFrame(req["instances"]))

    req = json.loads((EXAMPLE / "request_v2.json").read_text())
    ans = post_ok(s, "/v2/models/titanic/infer", req, "example V2")
    frame = pd.DataFrame({t["name"]: t["data"] for t in req["inputs"]})
    assert v2_output(ans, "predict")[1] == want(frame)

    req = json.loads((EXAMPLE / "request_mlflow.json").read_text())
    ans = mlflow_post(s, req, "example MLflow")
    split = req["dataframe_split"]
    assert ans["predictions"] == want(pd.DataFrame(split["data"], columns=split["columns"]))

    p = subprocess.run([inferd_bin, "predict", "--model", str(EXAMPLE / "model.pkl"), "--input",
                        str(EXAMPLE / "rows.csv")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["predictions"] == want(pd.read_csv(EXAMPLE / "rows.csv"))
    readme = (EXAMPLE / "README.md").read_text()
    for f in ("request_predict.json", "request_v1.json", "request_v2.json", "request_mlflow.json", "rows.csv"):
        assert f in readme, f
