"""Tabular input through the CLI and the documents: `inferd predict` on CSV files with a header and
on JSON records / split frames equals sklearn on pandas.read_csv / pandas.DataFrame(records);
`inferd inspect` lists the input columns; GET /openapi.json describes the default model's columns;
`--ignore-extra-columns` on predict and serve.

Two models: a RandomForest fitted on a numeric DataFrame (age, fare, pclass), and a titanic-like
Pipeline(ColumnTransformer(OneHotEncoder on the strings sex/embarked, SimpleImputer+StandardScaler
on age/fare), LogisticRegression). The string model needs the encoders' string categories
(branch tab-load).

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_tabular_cli.py
"""
import json
import math
import subprocess
import sys

import pytest

from inferd_util import run_inferd
from prod_util import Server

pd = pytest.importorskip("pandas")

TRAIN = r"""
import sys, joblib, numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
out = sys.argv[1]
rng = np.random.default_rng(0)
n = 300
df = pd.DataFrame({
    "age": rng.normal(30, 12, n).round(1),
    "fare": rng.gamma(2.0, 15.0, n).round(2),
    "pclass": rng.integers(1, 4, n),
    "sex": rng.choice(["female", "male"], n),
    "embarked": rng.choice(["C", "Q", "S"], n, p=[0.2, 0.1, 0.7]),
})
y = ((df["sex"] == "female") * 1.5 + (df["pclass"] == 1) - df["age"] / 40 + rng.normal(0, 0.5, n) > 0.3).astype(int)
df.loc[rng.choice(n, 20, replace=False), "age"] = np.nan
numeric = df[["age", "fare", "pclass"]].fillna(30.0)
joblib.dump(RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0).fit(numeric, y), out + "/forest.pkl")
pre = ColumnTransformer([
    ("cat", OneHotEncoder(handle_unknown="error"), ["sex", "embarked"]),
    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "fare"]),
])
joblib.dump(Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))]).fit(df[["age", "fare", "sex", "embarked"]], y),
            out + "/titanic.pkl")
"""

REL = 1e-9


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("tabular")
    subprocess.run([sys.executable, "-c", TRAIN, str(d)], check=True, timeout=300)
    return d


class Sk:
    """The sklearn model; its frames are put in the fitted column order first (sklearn refuses
    another order, inferd matches names)."""

    def __init__(self, path):
        import joblib
        self.m = joblib.load(path)
        self.feature_names_in_ = self.m.feature_names_in_

    def predict(self, frame):
        return self.m.predict(frame[list(self.feature_names_in_)])

    def predict_proba(self, frame):
        return self.m.predict_proba(frame[list(self.feature_names_in_)])


def sk(path):
    return Sk(path)


def predict(inferd_bin, model, rows, *extra, output="predict"):
    r = run_inferd(inferd_bin, "predict", "--model", model, "--input", rows, "--output", output, *extra, timeout=60)
    return r


def ok(r):
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def assert_close(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, list):
            assert_close(g, w)
        else:
            assert math.isclose(g, w, rel_tol=REL, abs_tol=1e-300), (g, w)


def fail_line(r):
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# ---- numeric DataFrame model (loads on main today) ------------------------------------------------

FOREST_CSV = "fare,pclass,age\n7.25,3,22\n71.2833,1,38\n\"8.05\",3,35.5\n53.1,1, 54 \n"


def test_forest_csv_header_in_any_order_equals_sklearn(inferd_bin, models, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text(FOREST_CSV)
    m = sk(models / "forest.pkl")
    frame = pd.read_csv(rows)
    assert ok(predict(inferd_bin, models / "forest.pkl", rows))["predictions"] == m.predict(frame).tolist()
    assert_close(ok(predict(inferd_bin, models / "forest.pkl", rows, output="proba"))["probabilities"],
                 m.predict_proba(frame).tolist())


def test_forest_json_records_split_and_arrays_equal_sklearn(inferd_bin, models, tmp_path):
    m = sk(models / "forest.pkl")
    records = [{"pclass": 3, "age": 22, "fare": 7.25}, {"age": 38.0, "fare": 71.2833, "pclass": 1},
               {"fare": 8.05, "pclass": 2, "age": 61}]
    frame = pd.DataFrame(records)
    want = m.predict(frame).tolist()
    want_proba = m.predict_proba(frame).tolist()
    forms = {
        "records": records,
        "split": json.loads(frame.to_json(orient="split")),
        "instances": {"instances": records},
        "arrays": frame[list(m.feature_names_in_)].values.tolist(),
    }
    for name, body in forms.items():
        rows = tmp_path / f"{name}.json"
        rows.write_text(json.dumps(body))
        assert ok(predict(inferd_bin, models / "forest.pkl", rows))["predictions"] == want, name
        assert_close(ok(predict(inferd_bin, models / "forest.pkl", rows, output="proba"))["probabilities"], want_proba)


def test_forest_errors_name_row_and_column(inferd_bin, models, tmp_path):
    cases = {
        "missing.csv": ("age,fare\n1,2\n", "missing.csv: line 1 (the header): missing column 'pclass'"),
        "extra.csv": ("age,fare,pclass,cabin\n1,2,3,C85\n", "extra.csv: line 1 (the header): unknown column 'cabin'"),
        "string.csv": ("age,fare,pclass\n1,2,3\n4,cheap,1\n",
                       "string.csv: line 3 (row 1): column 'fare' expects a number (got string 'cheap')"),
        "ragged.csv": ("age,fare,pclass\n1,2,3\n4,5\n", "ragged.csv: line 3 (row 1): has 2 values, the header has 3"),
        "missing.json": ('[{"age": 1, "fare": 2, "pclass": 3}, {"age": 1, "fare": 2}]',
                         "missing.json: row 1: missing column 'pclass'"),
        "string.json": ('[{"age": "old", "fare": 2, "pclass": 3}]',
                        "string.json: row 0: column 'age' expects a number (got string 'old')"),
        "ragged.json": ('[[1, 2, 3], [1, 2]]', "ragged.json: row 1: rows have 2 values, the model expects 3 features"),
    }
    for name, (text, want) in cases.items():
        rows = tmp_path / name
        rows.write_text(text)
        line = fail_line(predict(inferd_bin, models / "forest.pkl", rows))
        assert line.startswith(f"inferd: {rows}") and want.split(": ", 1)[1] in line, (name, line)


def test_predict_ignore_extra_columns(inferd_bin, models, tmp_path):
    m = sk(models / "forest.pkl")
    rows = tmp_path / "extra.csv"
    rows.write_text("name,age,fare,pclass,cabin\nBraund,22,7.25,3,\nCumings,38,71.28,1,C85\n")
    want = m.predict(pd.read_csv(rows)[list(m.feature_names_in_)]).tolist()
    assert "unknown column 'name'" in fail_line(predict(inferd_bin, models / "forest.pkl", rows))
    assert ok(predict(inferd_bin, models / "forest.pkl", rows, "--ignore-extra-columns"))["predictions"] == want
    records = tmp_path / "extra.json"
    records.write_text(json.dumps([{"age": 22, "fare": 7.25, "pclass": 3, "ticket": "A/5 21171"}]))
    assert ok(predict(inferd_bin, models / "forest.pkl", records, "--ignore-extra-columns"))["predictions"] == \
        m.predict(pd.DataFrame([{"age": 22, "fare": 7.25, "pclass": 3}])).tolist()


def test_inspect_lists_the_columns(inferd_bin, models):
    for args in (["inspect", models / "forest.pkl"], ["inspect", "--model", models / "forest.pkl"]):
        r = run_inferd(inferd_bin, *args)
        assert r.returncode == 0, r.stderr
        info = json.loads(r.stdout)
        assert info["input"] == {"named": True, "columns": [{"name": "age", "type": "number"},
                                                            {"name": "fare", "type": "number"},
                                                            {"name": "pclass", "type": "number"}]}


def _schemas(doc):
    return doc["components"]["schemas"]


def test_openapi_describes_the_default_models_columns(models):
    base = json.loads((pathlib_repo() / "docs" / "openapi.json").read_text())
    s = Server("--model", models / "forest.pkl", "--threads", "1")
    try:
        status, doc = s.json("GET", "/openapi.json")
        assert status == 200
        named = _schemas(doc)["ModelNamedRow"]
        assert list(named["properties"]) == ["age", "fare", "pclass"]
        assert all(p["type"] == "number" for p in named["properties"].values())
        assert named["required"] == ["age", "fare", "pclass"] and named["additionalProperties"] is False
        row = _schemas(doc)["ModelRow"]
        assert row["minItems"] == row["maxItems"] == 3 and row["items"]["type"] == "number"
        # Everything else is the repository's document.
        for key in ("ModelNamedRow", "ModelRow"):
            del _schemas(doc)[key], _schemas(base)[key]
        assert doc == base
    finally:
        assert s.stop() == 0


def test_serve_ignore_extra_columns(inferd_bin, models):
    m = sk(models / "forest.pkl")
    row = {"age": 22, "fare": 7.25, "pclass": 3, "cabin": "C85"}
    want = m.predict(pd.DataFrame([{k: v for k, v in row.items() if k != "cabin"}])).tolist()[0]
    strict = Server("--model", models / "forest.pkl", "--threads", "1")
    lax = Server("--model", models / "forest.pkl", "--threads", "1", "--ignore-extra-columns")
    try:
        status, body = strict.json("POST", "/predict", {"features": row})
        assert status == 400 and "unknown column 'cabin'" in body["error"]
        status, body = lax.json("POST", "/predict", {"features": row})
        assert status == 200 and body == {"prediction": want}
        _, doc = lax.json("GET", "/openapi.json")
        assert _schemas(doc)["ModelNamedRow"]["additionalProperties"] is True
    finally:
        assert strict.stop() == 0 and lax.stop() == 0
    for command in ("serve", "predict"):
        assert "--ignore-extra-columns" in run_inferd(inferd_bin, command, "--help").stdout


# ---- string categories (needs the encoders' string support from tab-load) -----------------------

TITANIC_CSV = ("age,fare,sex,embarked\n"
               "22,7.25,male,S\n"
               "38,71.2833,female,C\n"
               ",8.05,male,S\n"
               "54,51.8625,\"male\",Q\n"
               "2,21.075,female,S\n")


def test_titanic_csv_and_records_equal_sklearn(inferd_bin, models, tmp_path):
    m = sk(models / "titanic.pkl")
    rows = tmp_path / "titanic.csv"
    rows.write_text(TITANIC_CSV)
    frame = pd.read_csv(rows)
    assert ok(predict(inferd_bin, models / "titanic.pkl", rows))["predictions"] == m.predict(frame).tolist()
    assert_close(ok(predict(inferd_bin, models / "titanic.pkl", rows, output="proba"))["probabilities"],
                 m.predict_proba(frame).tolist())
    # Header in another order.
    shuffled = tmp_path / "shuffled.csv"
    frame[["embarked", "sex", "fare", "age"]].to_csv(shuffled, index=False)
    assert ok(predict(inferd_bin, models / "titanic.pkl", shuffled))["predictions"] == m.predict(frame).tolist()

    records = [{"sex": "male", "embarked": "S", "age": 22, "fare": 7.25},
               {"age": None, "fare": 30.0, "sex": "female", "embarked": "C"},
               {"age": 70, "fare": 8.05, "sex": "female", "embarked": "Q"}]
    frame = pd.DataFrame(records)
    for name, body in (("records", records), ("split", json.loads(frame.to_json(orient="split"))),
                       ("arrays", frame[["age", "fare", "sex", "embarked"]].astype(object).where(frame.notna(), None)
                        .values.tolist())):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(body))
        assert ok(predict(inferd_bin, models / "titanic.pkl", path))["predictions"] == m.predict(frame).tolist(), name
        assert_close(ok(predict(inferd_bin, models / "titanic.pkl", path, output="proba"))["probabilities"],
                     m.predict_proba(frame).tolist())


def test_titanic_unknown_category_and_inspect(inferd_bin, models, tmp_path):
    rows = tmp_path / "robot.csv"
    rows.write_text("age,fare,sex,embarked\n22,7.25,male,S\n30,8,robot,S\n")
    assert fail_line(predict(inferd_bin, models / "titanic.pkl", rows)) == \
        f"inferd: {rows}: line 3 (row 1): column 'sex' has unknown category 'robot'"
    # An empty cell is NaN, which handle_unknown='error' refuses (as sklearn does).
    rows.write_text("age,fare,sex,embarked\n22,7.25,male,S\n30,8,female,\n")
    with pytest.raises(ValueError):
        sk(models / "titanic.pkl").predict(pd.read_csv(rows))
    assert fail_line(predict(inferd_bin, models / "titanic.pkl", rows)) == \
        "inferd: ColumnTransformer: 'cat': OneHotEncoder: column 1 has unknown category nan"
    info = json.loads(run_inferd(inferd_bin, "inspect", models / "titanic.pkl").stdout)
    assert info["input"]["named"] is True
    cols = {c["name"]: c for c in info["input"]["columns"]}
    assert cols["sex"] == {"name": "sex", "type": "string", "categories": ["female", "male"], "n_categories": 2,
                           "unknown_is_error": True}
    assert cols["embarked"]["categories"] == ["C", "Q", "S"]
    assert cols["age"] == {"name": "age", "type": "number"}
    short = json.loads(run_inferd(inferd_bin, "inspect", models / "titanic.pkl", "--max-categories", "1").stdout)
    assert [c for c in short["input"]["columns"] if c["name"] == "embarked"][0]["categories"] == ["C"]


def test_titanic_openapi_enum(models):
    s = Server("--model", models / "titanic.pkl", "--threads", "1")
    try:
        _, doc = s.json("GET", "/openapi.json")
        props = _schemas(doc)["ModelNamedRow"]["properties"]
        assert props["sex"] == {"type": "string", "enum": ["female", "male"]}
        assert props["embarked"] == {"type": "string", "enum": ["C", "Q", "S"]}
        assert props["age"]["type"] == "number"
    finally:
        assert s.stop() == 0


# ---- helpers ----

def pathlib_repo():
    import pathlib
    return pathlib.Path(__file__).resolve().parents[2]

