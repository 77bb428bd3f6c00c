"""Per-feature contributions of XGBoost models against Debian's python3-xgboost 1.7:
`inferd predict --output contributions` must equal booster.predict(DMatrix(rows),
pred_contribs=True) -- xgboost's exact path-dependent TreeSHAP (gbtree, dart) or weight * x
(gblinear), computed in float32 -- bit for bit, on N_ROWS (1200) rows with >= 7% NaN cells and
cells far outside the training range. Every family of objective (regression, binary, multi-class,
count, ranking), dart weights, early stopping's best_iteration (the wrapper explains the rounds it
predicts with), categorical splits (one-hot and partition) and a pickled wrapper are covered;
the largest difference is recorded as "xgb_contrib" in the run's summary.
Contributions plus bias add up to the margin (output_margin=True), which is checked too.
"""
import json
import warnings

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")  # python3-xgboost is in scripts/setup.sh

from parity_util import N_ROWS, dump, max_rel_err, write_rows  # noqa: E402

NF = 6
N_TRAIN = 500
ROUNDS = 15


def _data():
    rng = np.random.default_rng(20261205)
    X = rng.normal(size=(N_TRAIN, NF))
    X[rng.random(X.shape) < 0.06] = np.nan
    z = np.nan_to_num(X)
    s = z[:, 0] + 0.5 * z[:, 1] ** 2 - z[:, 2] + 0.3 * z[:, 3] * z[:, 4]
    Q = rng.normal(size=(N_ROWS, NF)) * 1.5
    Q[rng.random(Q.shape) < 0.08] = np.nan
    Q[rng.random(Q.shape) < 0.03] *= 1e3
    Q[:50] = X[:50]
    return rng, X, s, Q


RNG, X, S, Q = _data()
LABELS = {
    "reg": 2 * S + RNG.normal(size=N_TRAIN) * 0.2,
    "bin": (S > np.median(S)).astype(int),
    "multi": np.searchsorted(np.quantile(S, [0.25, 0.5, 0.75]), S),
    "count": RNG.poisson(np.exp(S / 3)).astype(float),
    "rel": np.searchsorted(np.quantile(S, [0.3, 0.6, 0.85]), S),
}

CASES = {
    # name: (objective, label, booster params, extra train params)
    "reg_gbtree": ("reg:squarederror", "reg", {}, {}),
    "bin_gbtree": ("binary:logistic", "bin", {}, {}),
    "bin_logitraw_deep": ("binary:logitraw", "bin", {"max_depth": 9}, {}),
    "multi_gbtree": ("multi:softprob", "multi", {"num_class": 4}, {}),
    "multi_softmax": ("multi:softmax", "multi", {"num_class": 4}, {}),
    "poisson": ("count:poisson", "count", {}, {}),
    "rank": ("rank:pairwise", "rel", {}, {}),
    "reg_dart": ("reg:squarederror", "reg", {"booster": "dart", "rate_drop": 0.3, "skip_drop": 0.0}, {}),
    "bin_dart": ("binary:logistic", "bin", {"booster": "dart", "rate_drop": 0.2, "one_drop": 1}, {}),
    "reg_gblinear": ("reg:squarederror", "reg", {"booster": "gblinear"}, {}),
    "multi_gblinear": ("multi:softprob", "multi", {"booster": "gblinear", "num_class": 4}, {}),
    "lossguide": ("reg:squarederror", "reg", {"tree_method": "hist", "grow_policy": "lossguide", "max_leaves": 24,
                                              "max_depth": 0}, {}),
    "parallel_trees": ("binary:logistic", "bin", {"num_parallel_tree": 3, "subsample": 0.7}, {}),
}


def train(name):
    obj, label, params, extra = CASES[name]
    d = xgb.DMatrix(X, label=LABELS[label])
    if label == "rel":
        d.set_group(np.full(N_TRAIN // 20, 20))
    p = dict({"objective": obj, "seed": 0, "max_depth": 5}, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xgb.train(p, d, num_boost_round=ROUNDS, **extra)


def check(run_inferd, record_error, path, booster, rows, rows_path, iteration_range=(0, 0)):
    rc, out, err = run_inferd(path, rows_path, "contributions")
    assert rc == 0, err
    assert out["space"] == "margin"
    got = np.asarray(out["contributions"], dtype=np.float64)
    d = xgb.DMatrix(rows)
    want = booster.predict(d, pred_contribs=True, iteration_range=iteration_range).astype(np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    err = max_rel_err(got, want)
    record_error("xgb_contrib", err)
    assert np.array_equal(got, want), f"largest relative difference {err:.3e}"
    # Additivity: the contributions and the bias add up to the margin (in float64 here; xgboost
    # adds in float32, so allow its rounding).
    margin = booster.predict(d, output_margin=True, iteration_range=iteration_range).astype(np.float64)
    total = got.sum(axis=-1)
    assert np.allclose(total, margin.reshape(total.shape), rtol=1e-4, atol=1e-4 * max(1.0, np.abs(margin).max()))


@pytest.fixture(scope="module")
def rows_path(tmp_path_factory):
    return write_rows(tmp_path_factory.mktemp("contrib"), Q, "rows.json")


@pytest.mark.parametrize("form", ["ubj", "json"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_booster_contributions(name, form, tmp_path, rows_path, run_inferd, record_error):
    booster = train(name)
    path = str(tmp_path / f"{name}.{form}")
    booster.save_model(path)
    check(run_inferd, record_error, path, xgb.Booster(model_file=path), Q, rows_path)


def test_wrapper_pickle_with_best_iteration(tmp_path, rows_path, run_inferd, record_error):
    """A pickled XGBClassifier that stopped early explains the rounds it predicts with."""
    model = xgb.XGBClassifier(n_estimators=60, max_depth=4, early_stopping_rounds=3, random_state=0)
    y = LABELS["bin"].copy()
    flip = RNG.random(N_TRAIN) < 0.25
    y[flip] = 1 - y[flip]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)
    assert model.best_iteration < 59, "early stopping did not stop early"
    path = str(tmp_path / "wrapper.joblib")
    dump(model, path, "joblib")
    check(run_inferd, record_error, path, model.get_booster(), Q, rows_path,
          iteration_range=(0, model.best_iteration + 1))


@pytest.mark.parametrize("split", ["onehot", "partition"])
def test_categorical_contributions(split, tmp_path, run_inferd, record_error):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(5)
    n_cats = 8
    codes = rng.integers(0, n_cats, size=N_TRAIN)
    df = pd.DataFrame({f"f{i}": X[:, i] for i in range(NF)})
    df["c"] = pd.Categorical.from_codes(codes, categories=list("abcdefgh"))
    y = LABELS["reg"] + np.isin(codes, [1, 4, 6]) * 3.0
    d = xgb.DMatrix(df, label=y, enable_categorical=True)
    params = {"tree_method": "hist", "max_depth": 4, "seed": 0,
              "max_cat_to_onehot": (n_cats + 1) if split == "onehot" else 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        booster = xgb.train(params, d, num_boost_round=ROUNDS)
    trees = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    assert any(t["categories_sizes"] for t in trees), "no categorical split was made"
    path = str(tmp_path / f"cat_{split}.ubj")
    booster.save_model(path)
    rows = np.concatenate([Q, rng.integers(0, n_cats + 2, size=(N_ROWS, 1)).astype(float)], axis=1)
    rows[rng.random(N_ROWS) < 0.07, NF] = np.nan
    rows_path = write_rows(tmp_path, rows, "rows_cat.json")
    loaded = xgb.Booster(model_file=path)
    rc, out, err = run_inferd(path, rows_path, "contributions")
    assert rc == 0, err
    got = np.asarray(out["contributions"], dtype=np.float64)
    # The oracle reads the codes as numbers on a DMatrix whose last column is categorical.
    frame = pd.DataFrame({f"f{i}": rows[:, i] for i in range(NF)})
    frame["c"] = rows[:, NF]
    dm = xgb.DMatrix(frame, feature_types=["q"] * NF + ["c"], enable_categorical=True)
    want = loaded.predict(dm, pred_contribs=True).astype(np.float64)
    err = max_rel_err(got, want)
    record_error("xgb_contrib", err)
    assert np.array_equal(got, want), f"largest relative difference {err:.3e}"


def test_models_without_contributions_say_so(tmp_path, rows_path, run_inferd):
    from sklearn.svm import SVC

    model = SVC().fit(np.nan_to_num(X), LABELS["bin"])
    path = str(tmp_path / "svc.joblib")
    dump(model, path, "joblib")
    finite = write_rows(tmp_path, np.nan_to_num(Q[:5]), "finite.json")
    rc, out, err = run_inferd(path, finite, "contributions")
    assert rc == 1
    assert "SVC" in err and "no exact contributions" in err
