"""Parity of the tree ensembles through `inferd predict` against Debian's sklearn on 1200 rows:
RandomForest*, ExtraTrees* and GradientBoosting* (predict, predict_proba), and
GradientBoostingClassifier's decision_function."""
import pytest
from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor, GradientBoostingClassifier,
                              GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor)

from parity_util import check_case, check_parity, fit_model, query_rows, seed_of

# (id, family, kind, estimator factory, n_classes or None, label kind or n_targets, container)
CASES = [
    ("rfc_str", "forest", "clf", lambda: RandomForestClassifier(n_estimators=30, random_state=0), 3, "str",
     "joblib3"),
    ("rfc_100_int", "forest", "clf", lambda: RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0),
     2, "int", "pickle5"),
    ("rfr", "forest", "reg", lambda: RandomForestRegressor(n_estimators=40, random_state=0), None, 1, "joblib"),
    ("etc_bool", "forest", "clf", lambda: ExtraTreesClassifier(n_estimators=25, random_state=0), 2, "bool",
     "pickle4"),
    ("etc_float", "forest", "clf", lambda: ExtraTreesClassifier(n_estimators=25, random_state=0), 3, "float",
     "joblib"),
    ("etr", "forest", "reg", lambda: ExtraTreesRegressor(n_estimators=25, random_state=0), None, 1, "pickle2"),
    ("gbc_binary", "boosting", "clf", lambda: GradientBoostingClassifier(n_estimators=60, random_state=0), 2, "int",
     "joblib"),
    ("gbc_multi_str", "boosting", "clf", lambda: GradientBoostingClassifier(n_estimators=40, random_state=0), 3,
     "str", "pickle5"),
    ("gbc_multi_obj", "boosting", "clf", lambda: GradientBoostingClassifier(n_estimators=30, max_depth=4,
                                                                            random_state=1), 4, "objstr", "joblib3"),
    ("gbc_exponential", "boosting", "clf", lambda: GradientBoostingClassifier(loss="exponential", n_estimators=50,
                                                                              random_state=0), 2, "bool", "pickle4"),
    ("gbc_init_zero", "boosting", "clf", lambda: GradientBoostingClassifier(init="zero", n_estimators=30,
                                                                            random_state=0), 3, "int", "pickle2"),
    ("gbr", "boosting", "reg", lambda: GradientBoostingRegressor(n_estimators=80, random_state=0), None, 1,
     "joblib3"),
    ("gbr_init_zero", "boosting", "reg", lambda: GradientBoostingRegressor(init="zero", n_estimators=50,
                                                                           random_state=0), None, 1, "pickle2"),
    ("gbr_huber", "boosting", "reg", lambda: GradientBoostingRegressor(loss="huber", n_estimators=40,
                                                                       random_state=0), None, 1, "pickle5"),
]

# (id, family, factory, n_classes (None = regressor), label kind or n_targets, container)
DECISION_CASES = [
    ("gbc_bin_df", "boosting", lambda: GradientBoostingClassifier(n_estimators=30, random_state=0), 2, "str",
     "pickle4"),
    ("gbc_multi_df", "boosting", lambda: GradientBoostingClassifier(n_estimators=20, random_state=0), 3, "int",
     "joblib3"),
    ("gbc_exp_df", "boosting", lambda: GradientBoostingClassifier(loss="exponential", n_estimators=20,
                                                                  random_state=0), 2, "bool", "pickle2"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_parity(case, tmp_path, run_inferd, record_error):
    check_case(case, tmp_path, run_inferd, record_error)


@pytest.mark.parametrize("case", DECISION_CASES, ids=[c[0] for c in DECISION_CASES])
def test_decision_function_parity(case, tmp_path, run_inferd, record_error):
    name, family, factory, n_classes, label_kind, container = case
    seed = seed_of(name)
    model = factory()
    X = fit_model(model, n_classes, label_kind, seed)
    path = tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}"
    assert check_parity(model, query_rows(X, seed), path, container, run_inferd, record_error, family) >= 1
