"""Parity for GaussianNB (priors, var_smoothing) through `inferd predict` against Debian's
sklearn on 1200 rows."""
import pytest
from sklearn.naive_bayes import GaussianNB

from parity_util import check_parity, fit_model, query_rows, seed_of

# (id, family, factory, n_classes (None = regressor), label kind or n_targets, container)
CASES = [
    ("gnb_bin_int", "naive_bayes", lambda: GaussianNB(), 2, "int", "joblib"),
    ("gnb_multi_str", "naive_bayes", lambda: GaussianNB(), 4, "str", "pickle5"),
    ("gnb_multi_objstr_smooth", "naive_bayes", lambda: GaussianNB(var_smoothing=1e-3), 3, "objstr", "joblib3"),
    ("gnb_priors_bool", "naive_bayes", lambda: GaussianNB(priors=[0.3, 0.7]), 2, "bool", "pickle2"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_naive_bayes_parity(case, tmp_path, run_inferd, record_error):
    name, family, factory, n_classes, label_kind, container = case
    seed = seed_of(name)
    model = factory()
    X = fit_model(model, n_classes, label_kind, seed)
    path = tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}"
    assert check_parity(model, query_rows(X, seed), path, container, run_inferd, record_error, family) >= 1
