"""Parity for MLPClassifier / MLPRegressor (relu, tanh, logistic, identity; binary logistic
output with the strict p > 0.5 rule, multiclass softmax, multi-target regression) through
`inferd predict` against Debian's sklearn on 1200 rows."""
import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor

from parity_util import check_parity, fit_model, query_rows, seed_of

# (id, family, factory, n_classes (None = regressor), label kind or n_targets, container)
CASES = [
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
def test_neural_network_parity(case, tmp_path, run_inferd, record_error):
    name, family, factory, n_classes, label_kind, container = case
    seed = seed_of(name)
    model = factory()
    X = fit_model(model, n_classes, label_kind, seed, scale_targets=True)
    path = tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}"
    assert check_parity(model, query_rows(X, seed), path, container, run_inferd, record_error, family) >= 1
