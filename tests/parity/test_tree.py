"""Parity of single trees (DecisionTree*, ExtraTree*) through `inferd predict` against Debian's
sklearn on 1200 rows: identical labels (value and JSON type), probabilities and values within
1e-9 relative (1e-12 absolute near 0), for every container."""
import pytest
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor

from parity_util import check_case

# (id, family, kind, estimator factory, n_classes or None, label kind or n_targets, container)
CASES = [
    ("dtc_int", "tree", "clf", lambda: DecisionTreeClassifier(random_state=0), 3, "int", "joblib"),
    ("dtc_objstr", "tree", "clf", lambda: DecisionTreeClassifier(max_depth=6, random_state=0), 4, "objstr",
     "joblib3"),
    ("dtr", "tree", "reg", lambda: DecisionTreeRegressor(random_state=0), None, 1, "pickle5"),
    ("dtr_multi", "tree", "reg", lambda: DecisionTreeRegressor(max_depth=8, random_state=0), None, 2, "joblib"),
    ("etc_single_str", "tree", "clf", lambda: ExtraTreeClassifier(random_state=0), 3, "str", "pickle2"),
    ("etr_single", "tree", "reg", lambda: ExtraTreeRegressor(random_state=0), None, 1, "pickle4"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_parity(case, tmp_path, run_inferd, record_error):
    check_case(case, tmp_path, run_inferd, record_error)
