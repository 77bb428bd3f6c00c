"""Parity for SGDClassifier / SGDRegressor / LinearSVC / LinearSVR, and decision_function
of LogisticRegression and GradientBoostingClassifier: predict, predict_proba and
decision_function through `inferd predict` against Debian's sklearn on 1200 rows."""
import warnings

import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.svm import LinearSVC, LinearSVR

from coverage_a_util import check_parity, clf_data, labels, query_rows, reg_data, seed_of

# (id, family, factory, n_classes (None = regressor), label kind or n_targets, container)
CASES = [
    ("sgd_hinge_bin_int", "sgd", lambda: SGDClassifier(random_state=0), 2, "int", "joblib"),
    ("sgd_hinge_multi_str", "sgd", lambda: SGDClassifier(random_state=0), 4, "str", "pickle2"),
    ("sgd_log_bin_str", "sgd", lambda: SGDClassifier(loss="log_loss", random_state=0), 2, "str", "pickle5"),
    ("sgd_log_multi_objstr", "sgd", lambda: SGDClassifier(loss="log_loss", random_state=1), 3, "objstr", "joblib3"),
    ("sgd_mhuber_bin_bool", "sgd", lambda: SGDClassifier(loss="modified_huber", random_state=0), 2, "bool",
     "pickle4"),
    ("sgd_mhuber_multi_int", "sgd", lambda: SGDClassifier(loss="modified_huber", random_state=0), 5, "int",
     "joblib"),
    ("sgd_sqhinge_noicpt", "sgd", lambda: SGDClassifier(loss="squared_hinge", fit_intercept=False, random_state=0),
     3, "int", "pickle4"),
    ("sgd_regressor", "sgd", lambda: SGDRegressor(random_state=0), None, 1, "joblib3"),
    ("sgd_regressor_huber", "sgd", lambda: SGDRegressor(loss="huber", penalty="elasticnet", random_state=0), None, 1,
     "pickle2"),
    ("linear_svc_bin", "linear_svm", lambda: LinearSVC(random_state=0), 2, "str", "joblib"),
    ("linear_svc_multi", "linear_svm", lambda: LinearSVC(random_state=0), 4, "int", "pickle5"),
    ("linear_svc_crammer", "linear_svm", lambda: LinearSVC(multi_class="crammer_singer", random_state=0), 3,
     "objstr", "joblib3"),
    ("linear_svc_noicpt", "linear_svm", lambda: LinearSVC(fit_intercept=False, random_state=0), 2, "bool",
     "pickle2"),
    ("linear_svr", "linear_svm", lambda: LinearSVR(random_state=0, max_iter=5000), None, 1, "pickle4"),
    ("logreg_bin_df", "logistic", lambda: LogisticRegression(), 2, "int", "joblib"),
    ("logreg_multi_df", "logistic", lambda: LogisticRegression(max_iter=500), 4, "str", "pickle5"),
    ("logreg_ovr_df", "logistic", lambda: LogisticRegression(multi_class="ovr"), 3, "objstr", "joblib3"),
    ("gbc_bin_df", "boosting", lambda: GradientBoostingClassifier(n_estimators=30, random_state=0), 2, "str",
     "pickle4"),
    ("gbc_multi_df", "boosting", lambda: GradientBoostingClassifier(n_estimators=20, random_state=0), 3, "int",
     "joblib3"),
    ("gbc_exp_df", "boosting", lambda: GradientBoostingClassifier(loss="exponential", n_estimators=20,
                                                                  random_state=0), 2, "bool", "pickle2"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_linear_parity(case, tmp_path, run_inferd, record_error):
    name, family, factory, n_classes, label_kind, container = case
    seed = seed_of(name)
    model = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if n_classes:
            X, y = clf_data(n_classes, seed)
            model.fit(X, labels(label_kind, y))
        else:
            X, y = reg_data(seed, n_targets=label_kind)
            model.fit(X, y)
    path = tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}"
    assert check_parity(model, query_rows(X, seed), path, container, run_inferd, record_error, family) >= 1
