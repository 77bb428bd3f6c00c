"""GET / in headless Chromium (Debian's chromium, driven over the DevTools protocol with the
stdlib client in cdp.py): the page lists the loaded models with their inputs, outputs and
versions as GET /v2/models/{name} reports them, shows live request/latency figures from
/metrics, and a prediction made through its form shows exactly what POST /predict answers.
The page must make no request to any host but the server (loopback).

Skipped (with the reason) only when chromium is missing or cannot start.
Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/browser
"""
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.parse

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from prod_util import Server  # noqa: E402

from cdp import Chromium  # noqa: E402

TRAIN = r"""
import sys, joblib, numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, LinearRegression
out = sys.argv[1]
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, np.array(["setosa", "versicolor", "virginica"])[y]), out + "/iris.pkl")
joblib.dump(LinearRegression().fit(X, X[:, 0] * 2 + 1), out + "/lin.pkl")
"""
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("ui-models")
    subprocess.run([sys.executable, "-c", TRAIN, str(d)], check=True, timeout=300)
    for name, versions in (("iris", ("1", "2")), ("lin", ("3",))):
        for v in versions:
            (d / "repo" / name / v).mkdir(parents=True)
            os.link(d / f"{name}.pkl", d / "repo" / name / v / "model.pkl")
    s = Server("--model-repository", d / "repo", "--default-model", "iris", "--threads", "2")
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        b = Chromium(str(tmp_path_factory.mktemp("chromium")))
    except RuntimeError as e:
        pytest.skip(f"headless chromium unavailable: {e}")
    yield b
    b.stop()


def js(s):
    return json.dumps(s)


def submit(b, page, text, proba=False):
    """Types `text` into the features box, sets the checkbox, clicks Predict with real mouse
    events and waits for the answer; returns what the page shows."""
    cdp = b.cdp
    seq = cdp.evaluate(page, "document.getElementById('answer').dataset.seq || '0'")
    cdp.evaluate(page, "(() => { const t = document.getElementById('features'); t.value = ''; t.focus(); })()")
    cdp.send("Input.insertText", {"text": text}, page)
    cdp.evaluate(page, f"document.getElementById('proba').checked = {js(proba)}")
    box = cdp.evaluate(page, "(() => { const r = document.getElementById('predict-button').getBoundingClientRect();"
                             " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}, page)
    cdp.wait_for(page, f"document.getElementById('answer').dataset.seq === {js(str(int(seq) + 1))}")
    return cdp.evaluate(page, "({status: document.getElementById('answer').dataset.status,"
                              " prediction: document.getElementById('prediction').textContent,"
                              " body: document.getElementById('answer-body').textContent})")


def test_page_models_live_figures_and_prediction_form(server, browser):
    started = time.time()
    cdp = browser.cdp
    page = browser.new_page()
    for domain in ("Network", "Page", "Runtime"):
        cdp.send(f"{domain}.enable", {}, page)
    url = f"http://127.0.0.1:{server.port}/"
    status, headers, _ = server.request("GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    cdp.send("Page.navigate", {"url": url}, page)
    cdp.wait_for(page, f"location.href === {js(url)} && document.readyState === 'complete'")

    # The model list, as the V2 metadata endpoint describes each model.
    cdp.wait_for(page, "document.getElementById('model-list').dataset.loaded === '2'")
    assert cdp.evaluate(page, "document.getElementById('form-model').textContent") == "iris"
    for name in ("iris", "lin"):
        st, meta = server.json("GET", f"/v2/models/{name}")
        assert st == 200
        card = cdp.evaluate(page, f"""(() => {{
            const c = document.querySelector('article[data-model={js(name)}]');
            return {{text: c.textContent, tensors: Object.fromEntries([...c.querySelectorAll('tr[data-tensor]')].map(
                (tr) => [tr.dataset.tensor, [...tr.cells].map((td) => td.textContent)]))}};
        }})()""")
        for kind, tensors in (("input", meta["inputs"]), ("output", meta["outputs"])):
            for t in tensors:
                shape = "[" + ",".join(map(str, t["shape"])) + "]"
                assert card["tensors"][f"{kind}:{t['name']}"] == [kind, t["name"], t["datatype"], shape]
        assert len(card["tensors"]) == len(meta["inputs"]) + len(meta["outputs"])
        assert "versions " + ", ".join(meta["versions"]) in card["text"]
        assert meta["parameters"]["estimator"] in card["text"]
    assert "classes: \"setosa\", \"versicolor\", \"virginica\"" in cdp.evaluate(
        page, "document.querySelector('article[data-model=\"iris\"]').textContent")

    # Predictions through the form equal POST /predict's answers, byte for byte.
    row = [5.9, 3.0, 5.1, 1.8]
    for text, body, proba in ((", ".join(map(str, row)), {"features": row}, False),
                              (json.dumps(row), {"features": row, "proba": True}, True),
                              ("5.1 3.5 1.4 0.2\n6.7 3.0 5.2 2.3", {"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}, False),
                              ("1, 2", {"features": [1, 2]}, False)):
        shown = submit(browser, page, text, proba)
        st, _, raw = server.request("POST", "/predict", json.dumps(body))
        assert shown["status"] == str(st) and shown["body"] == raw.decode(), (text, shown, raw)
        answer = json.loads(raw)
        expect = answer["error"] if st != 200 else json.dumps(answer.get("prediction", answer.get("predictions")), separators=(",", ":"))
        assert shown["prediction"] == expect
    assert json.loads(shown["body"]) == {"error": "expected 4 features, got 2"}

    # Live figures: the /predict row counts at least the form's requests; rates and latency shown.
    total = cdp.wait_for(page, "(() => { const td = document.querySelector('tr[data-route=\"/predict\"] td[data-total]');"
                               " return td && Number(td.dataset.total) >= 8 && Number(td.dataset.total); })()")
    predicted = server.metrics()['inferd_request_duration_seconds_count{route="/predict"}']
    assert 8 <= total <= predicted
    cdp.wait_for(page, "document.getElementById('stat-inflight').textContent !== '–'"
                       " && document.getElementById('stat-rps').textContent !== '–'")
    assert cdp.evaluate(page, "document.getElementById('readiness').textContent") == "ready"

    # Every request the page made went to this server; nothing failed in its scripts.
    events = cdp.events
    urls = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    hosts = {urllib.parse.urlsplit(u).hostname for u in urls if not u.startswith("data:")}
    assert hosts == {"127.0.0.1"}, urls
    paths = {urllib.parse.urlsplit(u).path for u in urls}
    assert {"/", "/v2/models/iris", "/v2/models/lin", "/metrics", "/readyz", "/predict"} <= paths, paths
    errors = [e for e in events if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning"))]
    assert errors == []
    assert time.time() - started < 30


# ---- the column form: one field per input column of the default model --------------------------

TABULAR = r"""
import sys, joblib, numpy as np, pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
out = sys.argv[1]
rng = np.random.default_rng(1)
n = 200
df = pd.DataFrame({"age": rng.normal(30, 12, n).round(1), "fare": rng.gamma(2.0, 15.0, n).round(2),
                   "pclass": rng.integers(1, 4, n), "sex": rng.choice(["female", "male"], n),
                   "embarked": rng.choice(["C", "Q", "S"], n)})
y = ((df["sex"] == "female") * 1.5 + (df["pclass"] == 1) - df["age"] / 40 + rng.normal(0, 0.5, n) > 0.3).astype(int)
joblib.dump(RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(df[["age", "fare", "pclass"]], y),
            out + "/forest.pkl")
pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "embarked"]),
                         ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "fare"])])
joblib.dump(Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))]).fit(df[["age", "fare", "sex", "embarked"]], y),
            out + "/titanic.pkl")
"""


@pytest.fixture(scope="module")
def tabular_models(tmp_path_factory):
    d = tmp_path_factory.mktemp("ui-tabular")
    subprocess.run([sys.executable, "-c", TABULAR, str(d)], check=True, timeout=300)
    return d


def fill_columns(b, page, values):
    """Sets the column form's fields ({column: value}; a select takes the option's text, None picks
    the "missing" option), clicks its Predict button with real mouse events, waits for the answer."""
    cdp = b.cdp
    seq = cdp.evaluate(page, "document.getElementById('answer').dataset.seq || '0'")
    for name, value in values.items():
        done = cdp.evaluate(page, f"""(() => {{
            const cell = [...document.querySelectorAll('#column-fields .cell')].find((c) => c.dataset.column === {js(name)});
            if (!cell) return 'no field';
            const select = cell.querySelector('select');
            if (select) {{
              const value = {js(value)};
              const opt = [...select.options].find((o) => value === null ? o.dataset.kind === 'none'
                                                                       : o.dataset.kind === 'category' && o.value === value);
              if (!opt) return 'no option';
              select.value = opt.value; opt.selected = true;
              select.dispatchEvent(new Event('change'));
              return 'ok';
            }}
            cell.querySelector('input').value = {js('' if value is None else str(value))};
            return 'ok';
        }})()""")
        assert done == "ok", (name, done)
    box = cdp.evaluate(page, "(() => { const b = document.getElementById('column-predict-button');"
                             " b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect();"
                             " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}, page)
    cdp.wait_for(page, f"document.getElementById('answer').dataset.seq === {js(str(int(seq) + 1))}")
    return cdp.evaluate(page, "({status: document.getElementById('answer').dataset.status,"
                              " prediction: document.getElementById('prediction').textContent,"
                              " body: document.getElementById('answer-body').textContent})")


def open_page(browser, server):
    cdp = browser.cdp
    page = browser.new_page()
    for domain in ("Network", "Page", "Runtime"):
        cdp.send(f"{domain}.enable", {}, page)
    url = f"http://127.0.0.1:{server.port}/"
    cdp.send("Page.navigate", {"url": url}, page)
    cdp.wait_for(page, f"location.href === {js(url)} && document.readyState === 'complete'")
    cdp.wait_for(page, "!document.getElementById('column-form').hidden")
    return page


def form_fields(browser, page):
    return browser.cdp.evaluate(page, """[...document.querySelectorAll('#column-fields .cell')].map((c) => ({
        name: c.dataset.column, type: c.dataset.type,
        options: c.querySelector('select') ? [...c.querySelector('select').options].map((o) => [o.dataset.kind, o.value]) : null,
        input: c.querySelector('input:not([data-other])') ? c.querySelector('input').type : null}))""")


def test_column_form_of_a_numeric_dataframe_model(tabular_models, browser):
    import joblib
    import pandas as pd
    s = Server("--model", tabular_models / "forest.pkl", "--threads", "1")
    try:
        page = open_page(browser, s)
        assert form_fields(browser, page) == [{"name": n, "type": "number", "options": None, "input": "number"}
                                              for n in ("age", "fare", "pclass")]
        m = joblib.load(tabular_models / "forest.pkl")
        for row in ({"age": 22, "fare": 7.25, "pclass": 3}, {"age": 38, "fare": 71.28, "pclass": 1}):
            shown = fill_columns(browser, page, row)
            assert shown["status"] == "200", shown
            assert json.loads(shown["prediction"]) == m.predict(pd.DataFrame([row])).tolist()[0]
        # The request was the row by name.
        posted = [e["params"]["request"].get("postData") for e in browser.cdp.events
                  if e.get("method") == "Network.requestWillBeSent" and e["params"]["request"]["url"].endswith("/predict")]
        assert json.loads(posted[-1]) == {"features": {"age": 38, "fare": 71.28, "pclass": 1}}
    finally:
        assert s.stop() == 0


def test_column_form_of_a_string_category_model_equals_sklearn(tabular_models, browser):
    """Needs the encoders' string categories (branch tab-load) to load the pipeline."""
    import joblib
    import pandas as pd
    s = Server("--model", tabular_models / "titanic.pkl", "--threads", "1")
    try:
        page = open_page(browser, s)
        fields = {f["name"]: f for f in form_fields(browser, page)}
        assert list(fields) == ["age", "fare", "sex", "embarked"]
        assert fields["sex"]["options"] == [["category", "female"], ["category", "male"], ["none", "(missing: null)"],
                                            ["other", "other…"]]
        assert [v for k, v in fields["embarked"]["options"] if k == "category"] == ["C", "Q", "S"]
        m = joblib.load(tabular_models / "titanic.pkl")
        for row in ({"age": 22, "fare": 7.25, "sex": "male", "embarked": "S"},
                    {"age": 38, "fare": 71.2833, "sex": "female", "embarked": "C"},
                    {"age": None, "fare": 8.05, "sex": "female", "embarked": "Q"}):
            shown = fill_columns(browser, page, row)
            assert shown["status"] == "200", shown
            frame = pd.DataFrame([{k: (float("nan") if v is None else v) for k, v in row.items()}])
            assert json.loads(shown["prediction"]) == m.predict(frame).tolist()[0], (row, shown)
    finally:
        assert s.stop() == 0


def test_explain_draws_the_rows_contributions(tabular_models, browser):
    """The column form's "explain" box: the page draws one bar per column, largest first, each
    equal to what POST /predict answers with "explain": true, and says what they add up to.
    With INFERD_UI_SCREENSHOT=path the page is saved as a PNG (docs/images/explain.png)."""
    s = Server("--model", tabular_models / "forest.pkl", "--threads", "1")
    try:
        page = open_page(browser, s)
        cdp = browser.cdp
        row = {"age": 22, "fare": 7.25, "pclass": 3}
        cdp.evaluate(page, "document.getElementById('column-explain').checked = true")
        shown = fill_columns(browser, page, row)
        assert shown["status"] == "200", shown
        bars = cdp.evaluate(page, """[...document.querySelectorAll('#contributions .bar-row')].map((r) => ({
            feature: r.dataset.feature, value: Number(r.dataset.value),
            neg: r.querySelector('.neg').getBoundingClientRect().width,
            pos: r.querySelector('.pos').getBoundingClientRect().width}))""")
        status, _, raw = s.request("POST", "/predict", json.dumps({"features": row, "explain": True}),
                                   headers={"Content-Type": "application/json"})
        assert status == 200
        answer = json.loads(raw)
        klass = str(answer["prediction"])
        want = answer["contributions"][klass]  # per class: the page shows the predicted class's
        assert sorted(b["feature"] for b in bars) == sorted(want)
        assert all(b["value"] == want[b["feature"]] for b in bars)
        assert [abs(b["value"]) for b in bars] == sorted((abs(v) for v in want.values()), reverse=True)
        for b in bars:  # the bar is on the side of its sign, the largest one the longest
            assert (b["pos"] > 0) == (b["value"] > 0) and (b["neg"] > 0) == (b["value"] < 0), b
        assert max(b["pos"] + b["neg"] for b in bars) == bars[0]["pos"] + bars[0]["neg"]
        caption = cdp.evaluate(page, "document.querySelector('#contributions .muted').textContent")
        assert f"for class {klass}" in caption and "bias" in caption
        if os.environ.get("INFERD_UI_SCREENSHOT"):
            import base64
            shot = cdp.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, page)
            pathlib.Path(os.environ["INFERD_UI_SCREENSHOT"]).write_bytes(base64.b64decode(shot["data"]))
    finally:
        assert s.stop() == 0
