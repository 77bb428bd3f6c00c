"""Explanations over HTTP against the real binary: an XGBoost model fitted on a pandas DataFrame
(named columns) answers its per-feature contributions on every protocol -- /predict with
"explain": true, KServe V1 :explain, the V2 output "contributions" (and its metadata), MLflow's
params predict_method -- equal to python3-xgboost's predict(pred_contribs=True); the
contributions and the bias add up to the margin; "explain": false leaves the answer as it was;
a model without an exact method answers 400 naming its estimator. A pipeline whose PCA step
mixes columns answers per transformed feature (pca0, pca1, as get_feature_names_out names them;
"contributions_of": "transformed_features") on every protocol, equal to the final step's
coef * z on sklearn's transformed rows; asked per input column it answers 400.

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration/test_explanations.py
"""
import json
import warnings

import numpy as np
import pytest

from prod_util import Server

xgb = pytest.importorskip("xgboost")
pd = pytest.importorskip("pandas")

COLUMNS = ["age", "income", "tenure", "score"]


def _fit(tmp, objective, n_classes=None):
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=COLUMNS)
    X.iloc[rng.random(400) < 0.1, 1] = np.nan
    s = X["age"] - X["income"].fillna(0) * 0.5 + X["tenure"] ** 2
    if n_classes:
        y = np.searchsorted(np.quantile(s, np.linspace(0, 1, n_classes + 1)[1:-1]), s)
        model = xgb.XGBClassifier(n_estimators=20, max_depth=4, random_state=0)
    else:
        y = s
        model = xgb.XGBRegressor(n_estimators=20, max_depth=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    path = tmp / f"{objective}.ubj"
    model.save_model(str(path))
    return model, path


ROWS = [[0.5, None, -1.0, 2.0], [-1.5, 0.25, 0.0, 1.0], [3.0, -2.0, 1.5, -0.5]]


def _frame(rows):
    return pd.DataFrame([[np.nan if v is None else v for v in r] for r in rows], columns=COLUMNS)


def _want(model, rows):
    d = xgb.DMatrix(_frame(rows))
    return model.get_booster().predict(d, pred_contribs=True).astype(np.float64)


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    model, path = _fit(tmp_path_factory.mktemp("explain"), "binary", n_classes=2)
    s = Server("--model", path, "--threads", "1")
    yield model, s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    model, path = _fit(tmp_path_factory.mktemp("explain_multi"), "multi", n_classes=3)
    s = Server("--model", path, "--threads", "1")
    yield model, s
    assert s.stop() == 0


def post(server, path, body):
    status, _, raw = server.request("POST", path, json.dumps(body), headers={"Content-Type": "application/json"})
    return status, json.loads(raw)


def test_predict_explain_one_row_names_the_columns(binary):
    model, server = binary
    status, body = post(server, "/predict", {"features": ROWS[0], "explain": True})
    assert status == 200, body
    want = _want(model, ROWS[:1])[0]
    assert list(body["contributions"]) == COLUMNS
    assert [body["contributions"][c] for c in COLUMNS] == list(want[:-1])
    assert body["bias"] == want[-1]
    margin = model.get_booster().predict(xgb.DMatrix(_frame(ROWS[:1])), output_margin=True)[0]
    assert abs(sum(body["contributions"].values()) + body["bias"] - float(margin)) < 1e-5
    assert body["prediction"] == int(model.predict(_frame(ROWS[:1]))[0])


def test_predict_explain_batch_and_false(binary):
    model, server = binary
    status, body = post(server, "/predict", {"instances": ROWS, "explain": True, "proba": True})
    assert status == 200, body
    want = _want(model, ROWS)
    assert [[c[k] for k in COLUMNS] for c in body["contributions"]] == want[:, :-1].tolist()
    assert body["bias"] == want[:, -1].tolist()
    assert len(body["probabilities"]) == 3
    status, plain = post(server, "/predict", {"instances": ROWS, "explain": False})
    assert status == 200
    assert set(plain) == {"predictions"}
    assert plain["predictions"] == body["predictions"]


def test_v1_explain(binary):
    model, server = binary
    status, body = post(server, "/v1/models/binary:explain", {"instances": ROWS})
    assert status == 200, body
    want = _want(model, ROWS)
    assert len(body["explanations"]) == 3
    for e, w in zip(body["explanations"], want):
        assert [e["contributions"][c] for c in COLUMNS] == list(w[:-1])
        assert e["bias"] == w[-1]


def test_v2_output_and_metadata(multi):
    model, server = multi
    status, _, raw = server.request("GET", "/v2/models/multi")
    meta = json.loads(raw)
    assert status == 200
    out = {o["name"]: o for o in meta["outputs"]}
    assert out["contributions"]["shape"] == [-1, 3, 5]
    body = {"inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP64",
                        "data": [[np.nan if v is None else v for v in r] for r in ROWS]}],
            "outputs": [{"name": "predict"}, {"name": "contributions"}]}
    # NaN is not JSON: send the missing cell as null.
    text = json.dumps(body).replace("NaN", "null")
    status, _, raw = server.request("POST", "/v2/models/multi/infer", text, headers={"Content-Type": "application/json"})
    answer = json.loads(raw)
    assert status == 200, answer
    c = {o["name"]: o for o in answer["outputs"]}["contributions"]
    assert c["shape"] == [3, 3, 5]
    assert c["data"] == _want(model, ROWS).reshape(-1).tolist()


def test_predict_explain_multi_class_is_per_class(multi):
    model, server = multi
    status, body = post(server, "/predict", {"features": ROWS[2], "explain": True})
    assert status == 200, body
    want = _want(model, ROWS[2:])[0]  # [3 classes][5]
    assert list(body["contributions"]) == ["0", "1", "2"]
    for k in range(3):
        assert [body["contributions"][str(k)][c] for c in COLUMNS] == list(want[k, :-1])
        assert body["bias"][str(k)] == want[k, -1]


def test_mlflow_predict_method_contributions(binary):
    model, server = binary
    body = {"dataframe_split": {"columns": COLUMNS, "data": ROWS}, "params": {"predict_method": "contributions"}}
    status, answer = post(server, "/invocations", body)
    assert status == 200, answer
    assert answer["predictions"] == _want(model, ROWS).tolist()


def test_model_without_exact_method_is_400(tmp_path):
    import joblib
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4))
    path = tmp_path / "knn.joblib"
    joblib.dump(KNeighborsClassifier().fit(X, X[:, 0] > 0), path)
    server = Server("--model", path, "--threads", "1")
    try:
        status, body = post(server, "/predict", {"features": [0, 1, 2, 3], "explain": True})
        assert status == 400
        assert "KNeighborsClassifier" in body["error"] and "contributions" in body["error"]
        status, body = post(server, "/v1/models/knn:explain", {"instances": [[0, 1, 2, 3]]})
        assert status == 400 and "KNeighborsClassifier" in body["error"]
    finally:
        assert server.stop() == 0


@pytest.fixture(scope="module")
def mixing(tmp_path_factory):
    """A pipeline whose PCA step mixes columns: explained per transformed feature (pca0, pca1)."""
    import joblib
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=COLUMNS)
    model = make_pipeline(StandardScaler(), PCA(n_components=2), LogisticRegression()).fit(X, X["age"] > 0)
    path = tmp_path_factory.mktemp("mixing") / "mixing.joblib"
    joblib.dump(model, path)
    s = Server("--model", path, "--threads", "1")
    yield model, s
    assert s.stop() == 0


MIX_ROWS = [[0.5, 1.0, -1.0, 2.0], [-1.5, 0.25, 0.0, 1.0]]


def _mix_want(model, rows):
    """The final step's coef * z on sklearn's transformed rows, the intercept last: [rows][3]."""
    z = model[:-1].transform(pd.DataFrame(rows, columns=COLUMNS))
    lr = model[-1]
    return np.concatenate([z * lr.coef_[0], np.full((len(rows), 1), lr.intercept_[0])], axis=1)


def test_mixing_pipeline_answers_per_transformed_feature_on_every_protocol(mixing):
    model, server = mixing
    names = list(model[:-1].get_feature_names_out())
    assert names == ["pca0", "pca1"]
    want = _mix_want(model, MIX_ROWS)
    for explain in (True, "features"):
        status, body = post(server, "/predict", {"features": MIX_ROWS[0], "explain": explain})
        assert status == 200, body
        assert body["contributions_of"] == "transformed_features"
        assert list(body["contributions"]) == names
        assert np.allclose([body["contributions"][n] for n in names] + [body["bias"]], want[0], rtol=1e-12, atol=0)
        margin = model.decision_function(pd.DataFrame(MIX_ROWS[:1], columns=COLUMNS))[0]
        assert abs(sum(body["contributions"].values()) + body["bias"] - margin) < 1e-9
    status, body = post(server, "/predict", {"features": MIX_ROWS[0], "explain": "columns"})
    assert status == 400 and "per input column" in body["error"] and "PCA" in body["error"], body
    status, body = post(server, "/predict", {"features": MIX_ROWS[0], "explain": "sideways"})
    assert status == 400 and "\"explain\" must be" in body["error"], body

    status, body = post(server, "/v1/models/mixing:explain", {"instances": MIX_ROWS, "explain": "features"})
    assert status == 200, body
    assert body["contributions_of"] == "transformed_features"
    got = [[e["contributions"][n] for n in names] + [e["bias"]] for e in body["explanations"]]
    assert np.allclose(got, want, rtol=1e-12, atol=0)

    req = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64", "data": MIX_ROWS}],
           "outputs": [{"name": "contributions"}]}
    status, body = post(server, "/v2/models/mixing/infer", req)
    assert status == 200, body
    out = body["outputs"][0]
    assert out["shape"] == [2, 3]
    assert out["parameters"] == {"contributions_of": "transformed_features", "features": names}
    assert np.allclose(np.reshape(out["data"], (2, 3)), want, rtol=1e-12, atol=0)
    status, body = post(server, "/v2/models/mixing/infer", dict(req, parameters={"explain": "columns"}))
    assert status == 400 and "per input column" in body["error"], body
    status, _, raw = server.request("GET", "/v2/models/mixing")
    meta = {o["name"]: o for o in json.loads(raw)["outputs"]}
    assert meta["contributions"]["shape"] == [-1, 3]

    status, body = post(server, "/invocations", {"dataframe_split": {"columns": COLUMNS, "data": MIX_ROWS},
                                                 "params": {"predict_method": "contributions", "explain": "features"}})
    assert status == 200, body
    assert body["contributions_of"] == "transformed_features" and body["features"] == names
    assert np.allclose(body["predictions"], want, rtol=1e-12, atol=0)


def test_xgboost_model_either_form_is_its_columns(binary):
    model, server = binary
    for explain in (True, "columns", "features"):
        status, body = post(server, "/predict", {"features": ROWS[0], "explain": explain})
        assert status == 200, body
        assert body["contributions_of"] == "input_columns"
        assert list(body["contributions"]) == COLUMNS
