"""Parity for GaussianNB and MLPClassifier / MLPRegressor (relu, tanh, logistic, identity;
binary logistic output with the strict p > 0.5 rule, multiclass softmax, multi-target
regression) through `inferd predict` against Debian's sklearn on 1200 rows."""
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier, MLPRegressor

from coverage_a_util import check_parity, clf_data, labels, query_rows, reg_data, seed_of

# (id, family, factory, n_classes (None = regressor), label kind or n_targets, container)
CASES = [
    ("gnb_bin_int", "naive_bayes", lambda: GaussianNB(), 2, "int", "joblib"),
    ("gnb_multi_str", "naive_bayes", lambda: GaussianNB(), 4, "str", "pickle5"),
    ("gnb_multi_objstr_smooth", "naive_bayes", lambda: GaussianNB(var_smoothing=1e-3), 3, "objstr", "joblib3"),
    ("gnb_priors_bool", "naive_bayes", lambda: GaussianNB(priors=[0.3, 0.7]), 2, "bool", "pickle2"),
    ("mlpc_relu_bin", "mlp", lambda: MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=300, random_state=0), 2,
     "str", "joblib"),
    ("mlpc_tanh_multi", "mlp", lambda: MLPClassifier(hidden_layer_sizes=(12,), activation="tanh", max_iter=300,
                                                     random_state=0), 4, "int", "pickle4"),
    ("mlpc_logistic_multi", "mlp", lambda: MLPClassifier(hidden_layer_sizes=(10, 10), activation="logistic",
                                                         max_iter=300, random_state=0), 3, "objstr", "joblib3"),
    ("mlpc_identity_bin", "mlp", lambda: MLPClassifier(hidden_layer_sizes=(5,), activation="identity",
                                                       max_iter=300, random_state=0), 2, "bool", "pickle2"),
    ("mlpr_relu", "mlp", lambda: MLPRegressor(hidden_layer_sizes=(20,), max_iter=300, random_state=0), None, 1,
     "pickle5"),
    ("mlpr_tanh_multi", "mlp", lambda: MLPRegressor(hidden_layer_sizes=(8, 8), activation="tanh", max_iter=300,
                                                    random_state=0), None, 2, "joblib"),
    ("mlpr_logistic", "mlp", lambda: MLPRegressor(hidden_layer_sizes=(6,), activation="logistic", max_iter=300,
                                                  random_state=0), None, 1, "joblib3"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_nb_mlp_parity(case, tmp_path, run_inferd, record_error):
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
            model.fit(X, y / y.std())
    path = tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}"
    assert check_parity(model, query_rows(X, seed), path, container, run_inferd, record_error, family) >= 1
