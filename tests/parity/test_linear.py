"""Parity of the linear family through `inferd predict` against Debian's sklearn on 1200 rows,
for models saved with joblib (plain and compress=3) and pickle protocols 2/4/5:
LinearRegression, Ridge, Lasso, ElasticNet and LogisticRegression (predict, predict_proba);
SGDClassifier / SGDRegressor, LinearSVC / LinearSVR and LogisticRegression again with
decision_function."""
import pytest
from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge, SGDClassifier,
                                  SGDRegressor)
from sklearn.svm import LinearSVC, LinearSVR

from parity_util import check_case, check_parity, fit_model, query_rows, seed_of

# (id, family, kind, estimator factory, n_classes or None, label kind or n_targets, container)
CASES = [
    ("linreg", "linear", "reg", lambda: LinearRegression(), None, 1, "pickle4"),
    ("ridge_multi", "linear", "reg", lambda: Ridge(alpha=0.5), None, 2, "joblib"),
    ("lasso", "linear", "reg", lambda: Lasso(alpha=0.1), None, 1, "joblib3"),
    ("enet_noicpt", "linear", "reg", lambda: ElasticNet(alpha=0.1, fit_intercept=False), None, 1, "pickle2"),
    ("logreg_bin_int", "logistic", "clf", lambda: LogisticRegression(), 2, "int", "pickle5"),
    ("logreg_multi_str", "logistic", "clf", lambda: LogisticRegression(max_iter=500), 3, "str", "joblib"),
    ("logreg_ovr", "logistic", "clf", lambda: LogisticRegression(multi_class="ovr"), 3, "int", "pickle2"),
    ("logreg_liblinear", "logistic", "clf", lambda: LogisticRegression(solver="liblinear"), 4, "objstr", "joblib3"),
    ("logreg_bin_multinomial_bool", "logistic", "clf", lambda: LogisticRegression(multi_class="multinomial"), 2,
     "bool", "pickle4"),
    ("logreg_multi_float", "logistic", "clf", lambda: LogisticRegression(multi_class="multinomial"), 3, "float",
     "pickle5"),
]

# (id, family, factory, n_classes (None = regressor), label kind or n_targets, container)
DECISION_CASES = [
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
