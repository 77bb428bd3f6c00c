"""Contributions of pipelines, given per input column: the final estimator explains the
transformed row and each transformed feature's contribution goes to the column it came from (a
one-hot block to its column, an imputed and scaled column to itself). Checked against
scikit-learn: the transformed row from pipe[:-1].transform, the final estimator's coef_ (linear)
or Shapley values from the definition (a forest, via test_tree_contributions' oracle), summed per
source column as get_feature_names_out names them; rows add up to decision_function /
predict_proba. A pipeline with a column-mixing step (PCA, PolynomialFeatures) answers per
transformed feature, named as pipe[:-1].get_feature_names_out() names them, and says so
("contributions_of"); "--explain features" gives that form for any pipeline, "--explain columns"
on a mixing one exits 1 naming the model. Tolerance 1e-9 relative."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from parity_util import dump, max_rel_err
from test_tree_contributions import shapley, sklearn_tree

COLUMNS = ["age", "fare", "sex", "embarked"]


def frame(seed, n):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.normal(30, 12, n).round(1), "fare": rng.gamma(2.0, 15.0, n).round(2),
                       "sex": rng.choice(["female", "male"], n), "embarked": rng.choice(["C", "Q", "S"], n)})
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    y = ((df["sex"] == "female") * 1.5 - df["age"].fillna(30) / 40 + rng.normal(0, 0.5, n) > 0.3).astype(int)
    return df, y


def titanic(final):
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["sex", "embarked"]),
                             ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["age", "fare"])])
    return Pipeline([("pre", pre), ("clf", final)])


def source_of(name):
    """The input column a get_feature_names_out name comes from ("cat__sex_female" -> "sex")."""
    rest = name.split("__", 1)[1]
    return max((c for c in COLUMNS if rest == c or rest.startswith(c + "_")), key=len)


def run(tmp_path, run_inferd, model, rows):
    path = str(tmp_path / "pipe.joblib")
    dump(model, path, "joblib")
    records = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
               for r in rows.to_dict("records")]
    p = tmp_path / "rows.json"
    p.write_text(json.dumps(records))
    return run_inferd(path, str(p), "contributions")


def per_column(model, rows, transformed_contrib):
    """[rows, groups, F_t + 1] per transformed feature -> [rows, groups, columns + 1]."""
    names = model[:-1].get_feature_names_out()
    out = np.zeros(transformed_contrib.shape[:2] + (len(COLUMNS) + 1,))
    for j, name in enumerate(names):
        out[:, :, COLUMNS.index(source_of(name))] += transformed_contrib[:, :, j]
    out[:, :, -1] = transformed_contrib[:, :, -1]
    return out


def test_logistic_pipeline_contributions_by_column(tmp_path, run_inferd, record_error):
    df, y = frame(1, 300)
    model = titanic(LogisticRegression(max_iter=1000)).fit(df, y)
    rows, _ = frame(2, 40)
    rc, out, err = run(tmp_path, run_inferd, model, rows)
    assert rc == 0, err
    assert out["space"] == "decision function"
    got = np.asarray(out["contributions"], dtype=np.float64)
    z = model[:-1].transform(rows)
    clf = model[-1]
    inner = np.concatenate([z * clf.coef_[0], np.full((len(rows), 1), clf.intercept_[0])], axis=1)[:, None, :]
    want = per_column(model, rows, inner)[:, 0, :]
    e = max_rel_err(got, want)
    record_error("pipeline_contrib", e)
    assert e <= 1e-9, f"largest relative difference {e:.3e}"
    assert np.allclose(got.sum(axis=1), model.decision_function(rows), rtol=1e-9, atol=1e-9)


def test_forest_pipeline_contributions_by_column(tmp_path, run_inferd, record_error):
    df, y = frame(3, 300)
    model = titanic(RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0)).fit(df, y)
    rows, _ = frame(4, 12)
    rc, out, err = run(tmp_path, run_inferd, model, rows)
    assert rc == 0, err
    assert out["space"] == "probability"
    got = np.asarray(out["contributions"], dtype=np.float64)
    z = model[:-1].transform(rows)
    nf = z.shape[1]
    inner = np.zeros((len(rows), 2, nf + 1))
    for est in model[-1].estimators_:
        t = sklearn_tree(est, True)
        for r in range(len(rows)):
            inner[r] += shapley(t, z[r], nf)
    inner /= len(model[-1].estimators_)
    want = per_column(model, rows, inner)
    e = max_rel_err(got, want)
    record_error("pipeline_contrib", e)
    assert e <= 1e-9, f"largest relative difference {e:.3e}"
    assert np.allclose(got.sum(axis=-1), model.predict_proba(rows), rtol=1e-9, atol=1e-9)


def linear_inner(model, rows):
    """The final linear step's contributions on the transformed rows sklearn makes: [rows, F_t + 1]."""
    z = model[:-1].transform(rows)
    coef, intercept = np.ravel(model[-1].coef_), np.ravel(model[-1].intercept_)[0]
    return np.concatenate([z * coef, np.full((len(z), 1), intercept)], axis=1)


def test_pca_pipeline_contributions_per_transformed_feature(tmp_path, run_inferd, record_error):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100, 4))
    model = make_pipeline(StandardScaler(), PCA(n_components=2), LogisticRegression()).fit(X, X[:, 0] > 0)
    path = str(tmp_path / "pca.joblib")
    dump(model, path, "joblib")
    p = tmp_path / "rows.json"
    p.write_text(json.dumps(X[:20].tolist()))
    rc, out, err = run_inferd(path, str(p), "contributions")
    assert rc == 0, err
    assert out["contributions_of"] == "transformed_features"
    assert out["features"] == list(model[:-1].get_feature_names_out()) == ["pca0", "pca1"]
    got = np.asarray(out["contributions"], dtype=np.float64)
    e = max_rel_err(got, linear_inner(model, X[:20]))
    record_error("pipeline_contrib", e)
    assert e <= 1e-9, f"largest relative difference {e:.3e}"
    assert np.allclose(got.sum(axis=1), model.decision_function(X[:20]), rtol=1e-9, atol=1e-9)
    rc, out, err = run_inferd(path, str(p), "contributions", "--explain", "features")
    assert rc == 0 and out["contributions_of"] == "transformed_features", err
    rc, out, err = run_inferd(path, str(p), "contributions", "--explain", "columns")
    assert rc == 1 and "per input column" in err and "PCA" in err, err


def test_polynomial_pipeline_on_named_columns(tmp_path, run_inferd, record_error):
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import PolynomialFeatures

    rng = np.random.default_rng(6)
    df = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = df["a"] * df["b"] - df["c"] ** 2 + rng.normal(0, 0.1, 200)
    for poly in (PolynomialFeatures(2), PolynomialFeatures(3, interaction_only=True, include_bias=False),
                 PolynomialFeatures((2, 3))):
        model = Pipeline([("scale", StandardScaler()), ("poly", poly), ("reg", Ridge())]).fit(df, y)
        rows = df.iloc[:25]
        rc, out, err = run(tmp_path, run_inferd, model, rows)
        assert rc == 0, err
        assert out["contributions_of"] == "transformed_features"
        assert out["features"] == list(model[:-1].get_feature_names_out()), (poly, out["features"])
        got = np.asarray(out["contributions"], dtype=np.float64)
        e = max_rel_err(got, linear_inner(model, rows))
        record_error("pipeline_contrib", e)
        assert e <= 1e-9, f"{poly}: largest relative difference {e:.3e}"
        assert np.allclose(got.sum(axis=1), model.predict(rows), rtol=1e-9, atol=1e-9)


def test_column_pipeline_either_form_on_request(tmp_path, run_inferd, record_error):
    df, y = frame(7, 300)
    model = titanic(LogisticRegression(max_iter=1000)).fit(df, y)
    rows, _ = frame(8, 30)
    rc, by_column, err = run(tmp_path, run_inferd, model, rows)
    assert rc == 0, err
    assert by_column["contributions_of"] == "input_columns" and by_column["features"] == COLUMNS
    path = str(tmp_path / "pipe.joblib")
    rc, out, err = run_inferd(path, str(tmp_path / "rows.json"), "contributions", "--explain", "features")
    assert rc == 0, err
    assert out["contributions_of"] == "transformed_features"
    names = list(model[:-1].get_feature_names_out())
    assert out["features"] == names
    got = np.asarray(out["contributions"], dtype=np.float64)
    inner = linear_inner(model, rows)
    e = max_rel_err(got, inner)
    record_error("pipeline_contrib", e)
    assert e <= 1e-9, f"largest relative difference {e:.3e}"
    # The per-column form is the transformed form summed per source column.
    e = max_rel_err(np.asarray(by_column["contributions"]), per_column(model, rows, inner[:, None, :])[:, 0, :])
    assert e <= 1e-9, f"largest relative difference {e:.3e}"


def test_forest_after_pca_per_transformed_feature(tmp_path, run_inferd, record_error):
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 5))
    model = make_pipeline(PCA(n_components=3), RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0))
    model.fit(X, (X[:, 0] + X[:, 1] > 0).astype(int))
    rows = X[:10]
    path = str(tmp_path / "pca_rf.joblib")
    dump(model, path, "joblib")
    p = tmp_path / "rows.json"
    p.write_text(json.dumps(rows.tolist()))
    rc, out, err = run_inferd(path, str(p), "contributions")
    assert rc == 0, err
    assert out["contributions_of"] == "transformed_features" and out["features"] == ["pca0", "pca1", "pca2"]
    got = np.asarray(out["contributions"], dtype=np.float64)
    z = model[:-1].transform(rows)
    want = np.zeros((len(rows), 2, 4))
    for est in model[-1].estimators_:
        t = sklearn_tree(est, True)
        for r in range(len(rows)):
            want[r] += shapley(t, z[r], 3)
    want /= len(model[-1].estimators_)
    e = max_rel_err(got, want)
    record_error("pipeline_contrib", e)
    assert e <= 1e-9, f"largest relative difference {e:.3e}"
    assert np.allclose(got.sum(axis=-1), model.predict_proba(rows), rtol=1e-9, atol=1e-9)


def _names_case(name):
    """(pipeline, training frame, target) whose transformer steps name their outputs in more ways."""
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import MinMaxScaler, Normalizer, OrdinalEncoder, PolynomialFeatures

    rng = np.random.default_rng(11)
    n = 300
    df = pd.DataFrame({"age": rng.normal(30, 12, n).round(1), "fare": rng.gamma(2.0, 15.0, n).round(2),
                       "pclass": rng.choice([1, 2, 3], n), "deck": rng.choice([0.5, 1.0, 2.5], n),
                       "sex": rng.choice(["female", "male"], n)})
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    y = df["fare"] / 10 - df["age"].fillna(30) / 20 + (df["sex"] == "female") + rng.normal(0, 0.3, n)
    if name == "indicator_and_numeric_categories":
        pre = ColumnTransformer([
            ("num", SimpleImputer(strategy="median", add_indicator=True), ["age", "fare"]),
            ("cls", OneHotEncoder(), ["pclass", "deck"]),
            ("sex", OneHotEncoder(drop="first"), ["sex"])])
        steps = [("pre", pre), ("scale", MinMaxScaler())]
    elif name == "remainder_not_verbose":
        pre = ColumnTransformer([("ord", OrdinalEncoder(), ["sex"])], remainder="passthrough",
                                verbose_feature_names_out=False)
        steps = [("pre", pre), ("impute", SimpleImputer())]
    elif name == "polynomial_in_a_part":
        pre = ColumnTransformer([
            ("poly", make_pipeline(SimpleImputer(), PolynomialFeatures(2, include_bias=False)), ["age", "fare"]),
            ("norm", Normalizer(), ["pclass", "deck"])])
        steps = [("pre", pre)]
    else:
        raise ValueError(name)
    return Pipeline(steps + [("reg", Ridge())]), df, y


@pytest.mark.parametrize("case", ["indicator_and_numeric_categories", "remainder_not_verbose",
                                  "polynomial_in_a_part"])
def test_transformed_feature_names_equal_get_feature_names_out(tmp_path, run_inferd, record_error, case):
    model, df, y = _names_case(case)
    model.fit(df, y)
    rows = df.iloc[:20]
    path = str(tmp_path / "pipe.joblib")
    dump(model, path, "joblib")
    p = tmp_path / "rows.json"
    p.write_text(json.dumps([{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
                             for r in rows.to_dict("records")]))
    rc, out, err = run_inferd(path, str(p), "contributions", "--explain", "features")
    assert rc == 0, err
    assert out["contributions_of"] == "transformed_features"
    assert out["features"] == list(model[:-1].get_feature_names_out())
    got = np.asarray(out["contributions"], dtype=np.float64)
    e = max_rel_err(got, linear_inner(model, rows))
    record_error("pipeline_contrib", e)
    assert e <= 1e-9, f"{case}: largest relative difference {e:.3e}"
    assert np.allclose(got.sum(axis=1), model.predict(rows), rtol=1e-9, atol=1e-9)
