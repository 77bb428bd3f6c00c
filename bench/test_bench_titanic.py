"""The titanic model's side of the harness, checked without any server binary: the rows and request
bodies bench/run writes for a DataFrame model, scikit-learn's expected answers, and the DataFrame
reference app (bench/reference/app_dataframe.py) answering exactly those, one named row at a time.

bench/run times a server only after it answered the first N_VERIFY rows as sklearn does; these
tests make sure that check compares against the right answers and that the reference app's own
one-row DataFrame (where a missing age makes an object column, not a float one) agrees with them.
Needs only Debian's python3-sklearn, python3-pandas and python3-flask (skips without flask).
"""
import importlib.machinery
import importlib.util
import json
import os
import sys

import pytest

BENCH = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["age", "fare", "pclass", "sex", "embarked", "cabin_deck"]


def _load_run():
    """bench/run as a module (it is a script without .py); main() is not called."""
    loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(BENCH, "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """(bench/run module, model folder, manifest, bodies) for --smoke --models titanic."""
    pytest.importorskip("pandas")
    pytest.importorskip("sklearn")
    run = _load_run()
    work = tmp_path_factory.mktemp("bench-work")
    # The run's own parser, so the test's arguments carry every field prepare_models reads.
    args = run.parse_args(["--smoke", "--models", "titanic", "--work", str(work)])
    mdir, manifest, bodies = run.prepare_models(args)
    return run, mdir, manifest, bodies


def test_rows_are_records_with_missing_values_and_an_unseen_category(prepared):
    run, mdir, manifest, bodies = prepared
    info = manifest["models"]["titanic"]
    assert info["rows"] == "records" and info["rows_file"] == "titanic.rows.json"
    assert info["kind"] == "classifier" and info["n_features"] == 6
    with open(os.path.join(mdir, info["rows_file"])) as f:
        text = f.read()
    assert "NaN" not in text  # strict JSON: a missing value is null
    rows = json.loads(text)
    assert len(rows) == 10000
    assert all(list(r) == COLUMNS for r in rows)
    first = rows[:run.N_VERIFY]
    assert None not in first[0].values()  # the row timed under load is complete
    assert any(r["age"] is None for r in first)
    assert any(r["embarked"] is None for r in first)
    assert any(r["cabin_deck"] == "Z" for r in first)  # not in the training frame
    for r in rows[:200]:
        assert r["age"] is None or isinstance(r["age"], float)
        assert isinstance(r["fare"], float) and isinstance(r["pclass"], int) and r["pclass"] in (1, 2, 3)
        assert r["sex"] in ("male", "female") and (r["embarked"] is None or isinstance(r["embarked"], str))


def test_bodies_are_named_rows(prepared):
    run, mdir, manifest, bodies = prepared
    b = bodies["titanic"]
    with open(os.path.join(mdir, "titanic.rows.json")) as f:
        rows = json.load(f)
    with open(b["single"]) as f:
        assert json.load(f) == {"features": rows[0]}
    assert [json.loads(v) for v in b["verify"]] == [{"features": r} for r in rows[:run.N_VERIFY]]
    assert json.loads(b["verify_batch"]) == {"instances": rows[:run.N_VERIFY]}
    for n in run.BATCHES:
        with open(b[n]) as f:
            assert json.load(f) == {"instances": rows[:n]}
    assert "f64" not in b  # no float64 matrix for a model with string columns


def test_expected_answers_are_sklearn_on_the_dataframe_of_the_records(prepared):
    import joblib
    import pandas as pd
    run, mdir, manifest, bodies = prepared
    expected = bodies["titanic"]["expected"]
    with open(os.path.join(mdir, "titanic.rows.json")) as f:
        rows = json.load(f)[:run.N_VERIFY]
    model = joblib.load(os.path.join(mdir, "titanic.pkl"))
    frame = pd.DataFrame(rows)
    assert frame["age"].dtype == "float64" and frame["age"].isna().any()  # null read as NaN, as the servers must
    assert expected == model.predict(frame).tolist()
    assert all(type(v) is int and v in (0, 1) for v in expected)
    assert len(set(expected)) == 2  # both classes among the verified rows


def test_dataframe_reference_app_answers_each_named_row_as_sklearn(prepared, monkeypatch):
    pytest.importorskip("flask")
    run, mdir, manifest, bodies = prepared
    b = bodies["titanic"]
    monkeypatch.setenv("MODEL_PATH", os.path.join(mdir, "titanic.pkl"))
    monkeypatch.syspath_prepend(os.path.join(BENCH, "reference"))
    sys.modules.pop("app_dataframe", None)
    import app_dataframe
    client = app_dataframe.app.test_client()
    for body, want in zip(b["verify"], b["expected"]):
        r = client.post("/predict", data=body, content_type="application/json")
        assert r.status_code == 200, r.data
        got = r.get_json()["prediction"]
        assert type(got) is int and got == want, (body, got, want)
    sys.modules.pop("app_dataframe", None)


def test_records_models_get_the_dataframe_app(prepared, tmp_path):
    from benchlib import servers
    for kind, flag in (("gunicorn", "app_dataframe:app"), ("flask", "app_dataframe")):
        argv, env, cwd = servers.command(kind, model="/m/titanic.pkl", port=1, workers=2, scratch=str(tmp_path),
                                         inferd_bin=None, rows="records")
        assert flag in argv and env["MODEL_PATH"] == "/m/titanic.pkl"
        argv, _, _ = servers.command(kind, model="/m/logreg.pkl", port=1, workers=2, scratch=str(tmp_path),
                                     inferd_bin=None, rows="matrix")
        assert ("app:app" if kind == "gunicorn" else "app") in argv
