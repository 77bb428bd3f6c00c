"""Parity of XGBoost models with Debian's python3-xgboost 1.7 for every objective and booster,
in every file form, through `inferd predict` (the evidence for inferd's own XGBoost evaluator).

Each model answers N_ROWS (1200) request rows: the first 50 are training rows, the rest are
spread wider than the training data, with >= 7% NaN cells and 3% cells far outside the
training range. Labels must be equal; values must be EXACTLY xgboost's float32 output
converted to float64 (inferd prints the shortest round-trip form of the float32-as-double, so
nothing is lost on the way; the one exception is its JSON rule of writing non-finite numbers
as null, accepted only where xgboost's value is inf, -inf or NaN): every value comparison
asserts 0 difference, its message names the largest difference seen, and the largest relative
difference is recorded per family in the run's summary ("xgb_wrapper", "xgb_booster",
"xgb_extra"). Largest difference seen against the evaluator on main (2026-12-04): 0 in every
passing case.

Expected values come from xgboost as a user calls it:
  * pickled wrappers (XGBClassifier, XGBRegressor, XGBRFClassifier, XGBRFRegressor, XGBRanker)
    and wrapper-saved native files (.json / .ubj with the "scikit_learn" attribute, loaded with
    the wrapper's load_model): model.predict / model.predict_proba (inplace_predict, or a
    DMatrix for gblinear; best_iteration honoured);
  * a bare xgboost.Booster (pickle.dump / joblib.dump) and Booster-saved native files:
    booster.predict(xgb.DMatrix(rows)) (transformed output, every round). A Booster with
    binary:logistic or multi:softprob is a classifier with classes 0..K-1 (label = p > 0.5 /
    argmax, proba = [1 - p, p] in float32 / the K values); any other objective is a
    regressor whose value is booster.predict's float32 output.
Classifier wrappers: binary:logistic / logitraw / hinge give label = v > 0.5 and
proba = [1 - v, v] in float32 (the 1.7 wrapper does this even for logitraw's margins);
multi:softprob gives proba = the K values, label = argmax; multi:softmax is compared on labels
only (its predict_proba is scipy's float32 softmax of the margins, not an xgboost output).

Forms: "pkl" (the estimator pickled: joblib, joblib compress=3 or pickle protocol 2/4/5),
"json" / "ubj" (save_model), "snapshot_json" (a pickle whose Booster `handle` is the
1.4-1.5 JSON memory snapshot {"Config": ..., "Model": ...}, built from save_config() and
save_raw("json"); python3-xgboost 1.7 still loads it).

Where python3-xgboost 1.7 cannot make a case it is left out, with the reason at that place.
"""
import contextlib
import json
import warnings
import zlib

import joblib
import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")  # python3-xgboost is in scripts/setup.sh

from parity_util import N_ROWS, dump, max_rel_err, same_json_types, write_rows  # noqa: E402

NF = 5
N_TRAIN = 600
GROUP = 20  # ranking: rows per query group
ROUNDS = 12
CONTAINERS = ["joblib", "pickle4", "joblib3", "pickle5", "pickle2"]

# --------------------------------------------------------------------------------------------
# Data: made once per module.


def _make_data():
    rng = np.random.default_rng(20261204)
    X = rng.normal(size=(N_TRAIN, NF))
    X[rng.random(X.shape) < 0.06] = np.nan
    z = np.nan_to_num(X)
    s = z[:, 0] + 0.5 * z[:, 1] ** 2 - z[:, 2] + 0.3 * z[:, 3] * z[:, 4]
    pos = np.exp(s / 3)
    times = np.exp(-s / 3) * rng.exponential(size=N_TRAIN) + 0.01
    censored = rng.random(N_TRAIN) < 0.3
    q4 = np.searchsorted(np.quantile(s, [0.25, 0.5, 0.75]), s)
    q3 = np.searchsorted(np.quantile(s, [1 / 3, 2 / 3]), s)
    rel = np.searchsorted(np.quantile(s, [0.3, 0.55, 0.75, 0.9]), s)  # relevance 0..4
    y = {
        "reg": 2 * s + rng.normal(size=N_TRAIN) * 0.2,
        "pos": pos * rng.gamma(5.0, 0.2, size=N_TRAIN),  # > 0: gamma, tweedie, squaredlog
        "unit": 1 / (1 + np.exp(-s)),  # in [0, 1]: reg:logistic
        "count": rng.poisson(pos).astype(float),
        "bin": (s > np.median(s)).astype(int),
        "multi3": q3,
        "multi4": q4,
        "cox": np.where(censored, -times, times),  # negative: right-censored
        "aft_lower": times,
        "aft_upper": np.where(censored, np.inf, times),
        "rel": rel,
        "relbin": (rel >= 3).astype(int),
    }
    Q = rng.normal(size=(N_ROWS, NF)) * 1.6 + 0.2
    Q[rng.random(Q.shape) < 0.07] = np.nan
    far = rng.random(Q.shape) < 0.03
    Q[far] = rng.choice([-1e4, -40.0, 40.0, 3e5], size=int(far.sum()))
    Q[:50] = X[:50]
    return X, y, Q, rng


X, Y, Q, _RNG = _make_data()
QID = np.repeat(np.arange(N_TRAIN // GROUP), GROUP)

# objective -> (label key, wrapper class name or None, n_classes, base_score or None)
OBJECTIVES = {
    "reg:squarederror": ("reg", "XGBRegressor", 0, 3.3),
    "reg:squaredlogerror": ("pos", "XGBRegressor", 0, None),
    "reg:logistic": ("unit", "XGBRegressor", 0, 0.3),
    "reg:pseudohubererror": ("reg", "XGBRegressor", 0, None),
    "reg:absoluteerror": ("reg", "XGBRegressor", 0, -1.25),
    "binary:logistic": ("bin", "XGBClassifier", 2, 0.3),
    "binary:logitraw": ("bin", "XGBClassifier", 2, 0.2),
    "binary:hinge": ("bin", "XGBClassifier", 2, None),
    "count:poisson": ("count", "XGBRegressor", 0, 2.0),
    "reg:gamma": ("pos", "XGBRegressor", 0, 1.5),
    "reg:tweedie": ("pos", "XGBRegressor", 0, None),
    "survival:cox": ("cox", "XGBRegressor", 0, 1.3),
    # survival:aft needs label_lower_bound / label_upper_bound, which the 1.7 sklearn wrapper's
    # fit cannot pass: only the Booster forms (xgb.train) exist for it.
    "survival:aft": ("aft", None, 0, 2.0),
    "rank:pairwise": ("rel", "XGBRanker", 0, None),
    "rank:ndcg": ("rel", "XGBRanker", 0, 0.7),
    "rank:map": ("relbin", "XGBRanker", 0, None),
    "multi:softprob": ("multi4", "XGBClassifier", 4, 0.3),
    "multi:softmax": ("multi3", "XGBClassifier", 3, None),
}
BOOSTER_PARAMS = {
    "gbtree": dict(booster="gbtree", max_depth=4),
    # rate_drop > 0 with skip_drop 0: every round drops trees, so weight_drop is not all 1.
    "dart": dict(booster="dart", max_depth=4, rate_drop=0.3, skip_drop=0.0),
    "gblinear": dict(booster="gblinear"),
}
# gblinear for a few objectives (the rest behave the same way: a linear margin, then the
# objective's transform).
GBLINEAR = ["reg:squarederror", "binary:logistic", "multi:softprob", "count:poisson"]
CLASSIFIER_BOOSTER_OBJECTIVES = ("binary:logistic", "multi:softprob")


def combos(with_wrapper):
    out = []
    for obj, (_, wrapper, _, _) in OBJECTIVES.items():
        if with_wrapper and wrapper is None:
            continue
        for booster in ("gbtree", "dart", "gblinear"):
            if booster == "gblinear" and obj not in GBLINEAR:
                continue
            out.append((obj, booster))
    return out


# --------------------------------------------------------------------------------------------
# Training (cached per module) and saving.

_CACHE = {}


def train_wrapper(obj, booster):
    key = ("wrapper", obj, booster)
    if key not in _CACHE:
        label, cls_name, _, base = OBJECTIVES[obj]
        kw = dict(BOOSTER_PARAMS[booster], n_estimators=ROUNDS, objective=obj, random_state=0)
        if base is not None:
            kw["base_score"] = base
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = getattr(xgb, cls_name)(**kw)
            if cls_name == "XGBRanker":
                model.fit(X, Y[label], qid=QID)
            else:
                model.fit(X, Y[label])
        _CACHE[key] = model
    return _CACHE[key]


def train_booster(obj, booster, rounds=ROUNDS, **extra):
    key = ("booster", obj, booster, rounds, tuple(sorted(extra.items())))
    if key not in _CACHE:
        label, _, n_classes, base = OBJECTIVES[obj]
        params = dict(BOOSTER_PARAMS[booster], objective=obj, seed=0)
        if base is not None:
            params["base_score"] = base
        if n_classes > 2:
            params["num_class"] = n_classes
        if label == "aft":
            d = xgb.DMatrix(X)
            d.set_float_info("label_lower_bound", Y["aft_lower"])
            d.set_float_info("label_upper_bound", Y["aft_upper"])
        else:
            d = xgb.DMatrix(X, label=Y[label])
        if label in ("rel", "relbin"):
            d.set_group(np.full(N_TRAIN // GROUP, GROUP))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _CACHE[key] = xgb.train(params, d, num_boost_round=rounds, **extra)
    return _CACHE[key]


@contextlib.contextmanager
def json_snapshot_pickling():
    """While active, a pickled Booster's `handle` is the JSON memory snapshot xgboost 1.4-1.5
    wrote ({"Config": ..., "Model": ...}) instead of 1.7's UBJSON one."""
    orig = xgb.core.Booster.__getstate__

    def getstate(self):
        state = orig(self)
        snapshot = {"Config": json.loads(self.save_config()), "Model": json.loads(self.save_raw("json"))}
        state["handle"] = bytearray(json.dumps(snapshot).encode())
        return state

    xgb.core.Booster.__getstate__ = getstate
    try:
        yield
    finally:
        xgb.core.Booster.__getstate__ = orig


def container_for(name):
    return CONTAINERS[zlib.crc32(name.encode()) % len(CONTAINERS)]


def save(model, form, directory, name):
    """Writes `model` (a wrapper or a Booster) in `form`; returns (path, reloaded object) where
    the reloaded object is what a user gets back from that file with python3-xgboost."""
    is_booster = isinstance(model, xgb.Booster)
    if form in ("json", "ubj"):
        path = str(directory / f"{name}.{form}")
        model.save_model(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if is_booster:
                return path, xgb.Booster(model_file=path)
            loaded = type(model)()
            loaded.load_model(path)
            return path, loaded
    container = container_for(name)
    path = str(directory / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}")
    if form == "pkl":
        dump(model, path, container)
    elif form == "snapshot_json":
        with json_snapshot_pickling():
            dump(model, path, container)
        with open(path, "rb") as f:
            assert b'"Config"' in f.read() or container == "joblib3"
    else:
        raise ValueError(form)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return path, joblib.load(path)


# --------------------------------------------------------------------------------------------
# Comparisons.


def assert_exact(family, what, got, want, record_error):
    """`got` (inferd's JSON numbers) must equal `want` (xgboost's float32 output) as float64,
    bit for bit. inferd writes non-finite numbers as JSON null (src/common/json_number.h: JSON
    has no NaN/Infinity), so null matches a NaN, inf or -inf of xgboost's and nothing else."""
    want = np.asarray(want)
    assert want.dtype == np.float32, f"{what}: the oracle gave {want.dtype}, not xgboost's float32"
    w = want.astype(np.float64)
    g = np.asarray(got, dtype=np.float64)  # null -> NaN
    assert g.shape == w.shape, f"{what}: shape {g.shape} vs xgboost's {w.shape}"
    null_ok = np.isnan(g) & ~np.isfinite(w)
    differ = ~null_ok & ~(g == w)
    finite = np.isfinite(g) & np.isfinite(w)
    absdiff = np.where(differ & finite, np.abs(np.where(finite, g, 0.0) - np.where(finite, w, 0.0)), 0.0)
    largest = float(absdiff.max()) if absdiff.size else 0.0
    nonfinite_bad = int((differ & ~finite).sum())
    finite_rel = max_rel_err(np.where(finite, g, 0.0), np.where(finite, w, 0.0))
    rel = np.inf if nonfinite_bad else finite_rel
    record_error(family, rel)
    if differ.any():
        i = np.unravel_index(int(np.argmax(np.where(differ, np.where(finite, absdiff, np.inf), -1.0))), w.shape)
        raise AssertionError(f"{what}: {int(differ.sum())} of {w.size} values differ from xgboost's float32 output "
                             f"({nonfinite_bad} of them non-finite on one side only; null is NaN here); largest finite "
                             f"|difference| {largest:.3e} (relative {finite_rel:.3e}); "
                             f"first worst at {tuple(map(int, i))}: inferd {g[i]!r} vs xgboost {w[i]!r}")


def assert_labels(what, got, want):
    want = np.asarray(want).tolist()
    assert len(got) == len(want), f"{what}: {len(got)} labels vs {len(want)}"
    bad = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
    assert not bad, (f"{what}: {len(bad)} labels differ, first at row {bad[0]}: "
                     f"inferd {got[bad[0]]!r} vs xgboost {want[bad[0]]!r}")
    assert same_json_types(got, want), f"{what}: label types differ ({type(got[0])} vs {type(want[0])})"


def run_ok(run_inferd, path, rows_path, output):
    rc, out, err = run_inferd(path, rows_path, output)
    assert rc == 0, f"inferd predict --output {output} failed (rc {rc}): {err.strip()}"
    return out


def check_classifier_output(run_inferd, record_error, family, path, rows_path, labels, proba, n_classes):
    """labels: xgboost's labels; proba: xgboost's probabilities (float32) or None (labels only)."""
    out = run_ok(run_inferd, path, rows_path, "predict")
    assert_labels("predict", out["predictions"], labels)
    if proba is None:
        return
    pout = run_ok(run_inferd, path, rows_path, "proba")
    assert pout["classes"] == list(range(n_classes))
    assert_exact(family, "predict_proba", pout["probabilities"], proba, record_error)


def check_regressor_output(run_inferd, record_error, family, path, rows_path, values):
    out = run_ok(run_inferd, path, rows_path, "predict")
    assert_exact(family, "predict", out["predictions"], values, record_error)


def check_wrapper(run_inferd, record_error, family, path, loaded, rows, rows_path):
    """The wrapper as loaded back by xgboost is the oracle."""
    if isinstance(loaded, xgb.XGBClassifier):  # XGBRFClassifier too
        labels = loaded.predict(rows)
        proba = None if loaded.objective == "multi:softmax" else loaded.predict_proba(rows)
        check_classifier_output(run_inferd, record_error, family, path, rows_path, labels, proba, loaded.n_classes_)
    else:
        check_regressor_output(run_inferd, record_error, family, path, rows_path, loaded.predict(rows))


def booster_expectation(booster, rows, missing=np.nan):
    """(kind, labels, proba or values) for a bare Booster as inferd serves it."""
    v = booster.predict(xgb.DMatrix(rows, missing=missing))
    obj = json.loads(booster.save_config())["learner"]["objective"]["name"]
    if obj == "binary:logistic":
        return "clf", (v > 0.5).astype(np.int64), np.vstack([np.float32(1.0) - v, v]).T
    if obj == "multi:softprob":
        return "clf", np.argmax(v, axis=1), v
    return "reg", None, v


def check_booster(run_inferd, record_error, family, path, loaded, rows, rows_path):
    kind, labels, values = booster_expectation(loaded, rows)
    if kind == "clf":
        check_classifier_output(run_inferd, record_error, family, path, rows_path, labels, values, values.shape[1])
    else:
        check_regressor_output(run_inferd, record_error, family, path, rows_path, values)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("xgb_objectives")
    write_rows(d, Q, "rows.json")
    return d


@pytest.fixture(scope="module")
def rows_path(workdir):
    return str(workdir / "rows.json")


def _id(name):
    return name.replace(":", "_")


# --------------------------------------------------------------------------------------------
# Every objective x booster, wrapper forms.

WRAPPER_FORMS = ["pkl", "json", "ubj", "snapshot_json"]


@pytest.mark.parametrize("form", WRAPPER_FORMS)
@pytest.mark.parametrize("obj,booster", combos(True), ids=[f"{_id(o)}-{b}" for o, b in combos(True)])
def test_wrapper_objective(obj, booster, form, workdir, rows_path, run_inferd, record_error):
    model = train_wrapper(obj, booster)
    path, loaded = save(model, form, workdir, f"w_{_id(obj)}_{booster}_{form}")
    check_wrapper(run_inferd, record_error, "xgb_wrapper", path, loaded, Q, rows_path)


# --------------------------------------------------------------------------------------------
# Every objective x booster, bare Booster forms (xgb.train, no sklearn wrapper).

BOOSTER_FORMS = ["pkl", "json", "ubj", "snapshot_json"]


@pytest.mark.parametrize("form", BOOSTER_FORMS)
@pytest.mark.parametrize("obj,booster", combos(False), ids=[f"{_id(o)}-{b}" for o, b in combos(False)])
def test_booster_objective(obj, booster, form, workdir, rows_path, run_inferd, record_error):
    bst = train_booster(obj, booster)
    path, loaded = save(bst, form, workdir, f"b_{_id(obj)}_{booster}_{form}")
    check_booster(run_inferd, record_error, "xgb_booster", path, loaded, Q, rows_path)


# --------------------------------------------------------------------------------------------
# Random forests (XGBRF*) and random-forest-in-boosting (num_parallel_tree > 1).


def _rf_cases():
    return {
        "rf_classifier_binary": (lambda: xgb.XGBRFClassifier(n_estimators=16, max_depth=5, random_state=0), "bin"),
        "rf_classifier_multi": (lambda: xgb.XGBRFClassifier(n_estimators=8, max_depth=4, random_state=0), "multi4"),
        "rf_regressor": (lambda: xgb.XGBRFRegressor(n_estimators=16, max_depth=5, random_state=0, base_score=1.1),
                         "reg"),
        "parallel_tree_binary": (lambda: xgb.XGBClassifier(n_estimators=6, num_parallel_tree=3, subsample=0.8,
                                                           colsample_bynode=0.8, max_depth=4, random_state=0), "bin"),
        "parallel_tree_multi": (lambda: xgb.XGBClassifier(n_estimators=5, num_parallel_tree=3, subsample=0.8,
                                                          colsample_bynode=0.8, max_depth=3, random_state=0), "multi3"),
        "parallel_tree_dart": (lambda: xgb.XGBRegressor(n_estimators=6, num_parallel_tree=2, subsample=0.8,
                                                        booster="dart", rate_drop=0.3, skip_drop=0.0, max_depth=3,
                                                        random_state=0), "reg"),
    }


RF_CASES = _rf_cases()


@pytest.mark.parametrize("form", WRAPPER_FORMS)
@pytest.mark.parametrize("case", list(RF_CASES))
def test_forests(case, form, workdir, rows_path, run_inferd, record_error):
    factory, label = RF_CASES[case]
    key = ("rf", case)
    if key not in _CACHE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _CACHE[key] = factory().fit(X, Y[label])
    model = _CACHE[key]
    booster = model.get_booster()
    gbm = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]
    parallel = int((gbm["gbtree"] if "gbtree" in gbm else gbm)["model"]["gbtree_model_param"]["num_parallel_tree"])
    groups = model.n_classes_ if isinstance(model, xgb.XGBClassifier) and model.n_classes_ > 2 else 1
    assert parallel > 1
    assert len(booster.get_dump()) == booster.num_boosted_rounds() * parallel * groups
    path, loaded = save(model, form, workdir, f"{case}_{form}")
    check_wrapper(run_inferd, record_error, "xgb_extra", path, loaded, Q, rows_path)


# --------------------------------------------------------------------------------------------
# Early stopping: best_iteration (wrappers honour it; Booster.predict does not).

# A held-out set with noisy labels so that training stops well before the last round.
_X_EVAL = X[450:]
_X_FIT = X[:450]


def _noisy(y, n_classes):
    rng = np.random.default_rng(5)
    flip = rng.random(len(y)) < 0.25
    return np.where(flip, rng.integers(0, n_classes, size=len(y)), y)


def early_stopped(case):
    key = ("es", case)
    if key not in _CACHE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if case == "multi":
                y = _noisy(Y["multi4"], 4)
                m = xgb.XGBClassifier(n_estimators=200, learning_rate=0.5, max_depth=6, early_stopping_rounds=3,
                                      random_state=0)
                m.fit(_X_FIT, y[:450], eval_set=[(_X_EVAL, y[450:])], verbose=False)
            elif case == "dart":
                y = Y["reg"] + np.random.default_rng(6).normal(size=N_TRAIN) * 3
                m = xgb.XGBRegressor(n_estimators=200, booster="dart", rate_drop=0.3, skip_drop=0.0, learning_rate=0.5,
                                     max_depth=6, early_stopping_rounds=3, random_state=0)
                m.fit(_X_FIT, y[:450], eval_set=[(_X_EVAL, y[450:])], verbose=False)
            elif case == "binary_booster":
                y = _noisy(Y["bin"], 2)
                m = xgb.train({"objective": "binary:logistic", "eta": 0.5, "max_depth": 6, "seed": 0},
                              xgb.DMatrix(_X_FIT, label=y[:450]), num_boost_round=200,
                              evals=[(xgb.DMatrix(_X_EVAL, label=y[450:]), "eval")], early_stopping_rounds=3,
                              verbose_eval=False)
            else:
                raise ValueError(case)
        _CACHE[key] = m
    return _CACHE[key]


@pytest.mark.parametrize("form", WRAPPER_FORMS)
@pytest.mark.parametrize("case", ["multi", "dart"])
def test_early_stopping_wrapper(case, form, workdir, rows_path, run_inferd, record_error):
    model = early_stopped(case)
    rounds = model.get_booster().num_boosted_rounds()
    assert model.best_iteration + 1 < rounds, (model.best_iteration, rounds)
    path, loaded = save(model, form, workdir, f"es_{case}_{form}")
    assert loaded.best_iteration == model.best_iteration
    # The wrapper predicts with rounds [0, best_iteration + 1), which differs from all rounds.
    full = loaded.get_booster().inplace_predict(Q, iteration_range=(0, rounds))
    best = loaded.get_booster().inplace_predict(Q, iteration_range=(0, model.best_iteration + 1))
    assert not np.array_equal(full, best)
    check_wrapper(run_inferd, record_error, "xgb_extra", path, loaded, Q, rows_path)


@pytest.mark.parametrize("form", ["pkl", "json", "ubj"])
def test_early_stopping_booster(form, workdir, rows_path, run_inferd, record_error):
    """An early-stopped Booster keeps best_iteration (pickled state and model attribute), but
    Booster.predict(DMatrix) uses every round unless iteration_range is given."""
    bst = early_stopped("binary_booster")
    rounds = bst.num_boosted_rounds()
    assert bst.best_iteration + 1 < rounds, (bst.best_iteration, rounds)
    path, loaded = save(bst, form, workdir, f"es_booster_{form}")
    d = xgb.DMatrix(Q)
    assert np.array_equal(loaded.predict(d), loaded.predict(d, iteration_range=(0, rounds)))
    assert not np.array_equal(loaded.predict(d), loaded.predict(d, iteration_range=(0, bst.best_iteration + 1)))
    check_booster(run_inferd, record_error, "xgb_extra", path, loaded, Q, rows_path)


# --------------------------------------------------------------------------------------------
# Multi-target regression (num_target > 1: one value per target, trees alternate targets).


@pytest.mark.parametrize("form", WRAPPER_FORMS + ["booster_pkl", "booster_json"])
def test_multi_target(form, workdir, rows_path, run_inferd, record_error):
    y2 = np.stack([Y["reg"], np.log(Y["pos"]) * 3 - 1], axis=1)
    key = ("mt", form.startswith("booster"))
    if key not in _CACHE:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if form.startswith("booster"):
                _CACHE[key] = xgb.train({"tree_method": "hist", "max_depth": 4, "seed": 0, "base_score": 0.8},
                                        xgb.DMatrix(X, label=y2), num_boost_round=ROUNDS)
            else:
                _CACHE[key] = xgb.XGBRegressor(tree_method="hist", n_estimators=ROUNDS, max_depth=4,
                                               random_state=0).fit(X, y2)
    model = _CACHE[key]
    path, loaded = save(model, form.replace("booster_", ""), workdir, f"mt_{form}")
    if form.startswith("booster"):
        check_booster(run_inferd, record_error, "xgb_extra", path, loaded, Q, rows_path)
    else:
        assert loaded.predict(Q).shape == (N_ROWS, 2)
        check_wrapper(run_inferd, record_error, "xgb_extra", path, loaded, Q, rows_path)


# --------------------------------------------------------------------------------------------
# A custom `missing` value (the wrapper's; a wrapper-saved native file keeps it in the
# scikit_learn attribute). NaN stays missing too.

MISSING = -999.0


@pytest.mark.parametrize("form", WRAPPER_FORMS)
@pytest.mark.parametrize("kind", ["regressor", "classifier", "classifier_dart"])
def test_custom_missing(kind, form, workdir, run_inferd, record_error):
    key = ("missing", kind)
    if key not in _CACHE:
        Xm = np.where(np.isnan(X), MISSING, X)
        Xm[::7, 3] = np.nan  # NaN is missing as well
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "regressor":
                m = xgb.XGBRegressor(n_estimators=ROUNDS, max_depth=4, missing=MISSING, random_state=0)
                m.fit(Xm, Y["reg"])
            else:
                extra = dict(booster="dart", rate_drop=0.3, skip_drop=0.0) if kind.endswith("dart") else {}
                m = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=4, missing=MISSING, random_state=0, **extra)
                m.fit(Xm, Y["multi3"])
        _CACHE[key] = m
    model = _CACHE[key]
    rows = Q.copy()
    rows[np.random.default_rng(11).random(rows.shape) < 0.08] = MISSING
    rows[:50] = np.where(np.isnan(X[:50]), MISSING, X[:50])
    rows_path = write_rows(workdir, rows, f"rows_missing_{kind}_{form}.json")
    path, loaded = save(model, form, workdir, f"missing_{kind}_{form}")
    assert loaded.missing == MISSING
    # The value matters: as an ordinary number the answers differ.
    assert not np.array_equal(loaded.get_booster().inplace_predict(rows, missing=MISSING),
                              loaded.get_booster().inplace_predict(rows, missing=np.nan))
    check_wrapper(run_inferd, record_error, "xgb_extra", path, loaded, rows, rows_path)


# --------------------------------------------------------------------------------------------
# Categorical splits from the sklearn wrapper fitted on a pandas DataFrame (category dtype,
# enable_categorical): requests send the category codes as numbers.

N_CATS = 8


@pytest.mark.parametrize("form", ["pkl", "json", "ubj"])
@pytest.mark.parametrize("split", ["onehot", "partition"])
def test_categorical_wrapper(split, form, workdir, run_inferd, record_error):
    pd = pytest.importorskip("pandas")
    key = ("cat", split)
    rng = np.random.default_rng(31)
    names = list("abcdefgh")
    if key not in _CACHE:
        codes = rng.integers(0, N_CATS, size=N_TRAIN)
        df = {f"f{i}": X[:, i] for i in range(NF)}
        cat = pd.Categorical(np.array(names)[codes], categories=names)
        df = pd.DataFrame(df)
        df["c"] = cat
        df.loc[rng.random(N_TRAIN) < 0.05, "c"] = np.nan
        y = Y["multi3"].copy()
        y[np.isin(codes, [1, 4, 6])] = (y[np.isin(codes, [1, 4, 6])] + 1) % 3
        model = xgb.XGBClassifier(tree_method="hist", enable_categorical=True, n_estimators=ROUNDS, max_depth=4,
                                  max_cat_to_onehot=(N_CATS + 1) if split == "onehot" else 1, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(df, y)
        trees = json.loads(model.get_booster().save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
        sizes = [s for t in trees for s in t["categories_sizes"]]
        assert sizes, "no categorical split was made"
        if split == "onehot":
            assert set(sizes) == {1}
        else:
            assert max(sizes) > 1
        _CACHE[key] = model
    model = _CACHE[key]
    rows = np.concatenate([Q, np.zeros((N_ROWS, 1))], axis=1)
    rows[:, NF] = rng.integers(0, N_CATS + 2, size=N_ROWS)  # codes 8 and 9 were never seen
    rows[rng.random(N_ROWS) < 0.07, NF] = np.nan
    rows_path = write_rows(workdir, rows, f"rows_cat_{split}_{form}.json")
    path, loaded = save(model, form, workdir, f"cat_{split}_{form}")
    # The oracle gets the codes as numbers (what inferd receives); on the rows whose codes pandas
    # can represent this equals predicting from a DataFrame with the category dtype.
    known = ~(rows[:, NF] >= N_CATS)
    frame = pd.DataFrame({f"f{i}": rows[known, i] for i in range(NF)})
    frame["c"] = pd.Categorical.from_codes(np.nan_to_num(rows[known, NF], nan=-1).astype(int), categories=names)
    assert np.array_equal(loaded.predict_proba(frame), loaded.predict_proba(rows)[known])
    check_wrapper(run_inferd, record_error, "xgb_extra", path, loaded, rows, rows_path)
