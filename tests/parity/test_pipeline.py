"""Parity of Pipeline (scalers, passthrough steps, a final estimator) through `inferd predict`
against Debian's sklearn on 1200 rows. Pipelines of the other transformers are in
test_preprocessing.py."""
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from parity_util import check_case

# (id, family, kind, estimator factory, n_classes or None, label kind or n_targets, container)
CASES = [
    ("pipe_scaler_logreg", "pipeline", "clf",
     lambda: Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]), 3, "str", "joblib3"),
    ("pipe_minmax_rf", "pipeline", "clf",
     lambda: Pipeline([("scale", MinMaxScaler()), ("skip", "passthrough"),
                       ("rf", RandomForestClassifier(n_estimators=20, random_state=0))]), 2, "int", "pickle5"),
    ("pipe_scaler_ridge", "pipeline", "reg",
     lambda: Pipeline([("scale", StandardScaler()), ("reg", Ridge())]), None, 1, "pickle2"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_parity(case, tmp_path, run_inferd, record_error):
    check_case(case, tmp_path, run_inferd, record_error)
