"""Parity for KNeighborsClassifier / KNeighborsRegressor: every stored structure (kd_tree,
ball_tree, brute), uniform and distance weights, euclidean / manhattan / chebyshev /
minkowski p; the first 50 query rows are training rows (distance 0, the exact-match
weighting rule). inferd searches brute force over `_fit_X` whatever structure was stored."""
import pytest
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from parity_util import check_parity, clf_data, labels, query_rows, reg_data, seed_of

# (id, factory, n_classes (None = regressor), label kind or n_targets, container, n_train_rows)
CASES = [
    ("knc_kdtree_uniform_int", lambda: KNeighborsClassifier(), 3, "int", "joblib", 50),
    ("knc_kdtree_distance_str", lambda: KNeighborsClassifier(n_neighbors=7, weights="distance"), 4, "str",
     "pickle5", 50),
    ("knc_balltree_manhattan", lambda: KNeighborsClassifier(n_neighbors=4, algorithm="ball_tree", p=1), 3,
     "objstr", "joblib3", 50),
    ("knc_balltree_minkowski3_distance", lambda: KNeighborsClassifier(n_neighbors=6, algorithm="ball_tree", p=3,
                                                                      weights="distance"), 2, "bool", "pickle4", 50),
    ("knc_kdtree_chebyshev_k10", lambda: KNeighborsClassifier(n_neighbors=10, metric="chebyshev"), 3, "int",
     "pickle2", 50),
    ("knc_brute_uniform_k12", lambda: KNeighborsClassifier(n_neighbors=12, algorithm="brute"), 5, "str", "joblib",
     50),
    ("knc_brute_distance", lambda: KNeighborsClassifier(n_neighbors=9, algorithm="brute", weights="distance"), 3,
     "int", "pickle5", 50),
    ("knc_brute_manhattan_distance", lambda: KNeighborsClassifier(n_neighbors=9, algorithm="brute",
                                                                  metric="manhattan", weights="distance"), 3, "str",
     "joblib3", 50),
    ("knc_brute_minkowski1_5", lambda: KNeighborsClassifier(n_neighbors=5, algorithm="brute", p=1.5), 2, "int",
     "pickle4", 50),
    ("knr_kdtree_uniform", lambda: KNeighborsRegressor(), None, 1, "joblib", 50),
    ("knr_kdtree_distance_k11", lambda: KNeighborsRegressor(n_neighbors=11, weights="distance"), None, 1, "pickle2",
     50),
    ("knr_balltree_multi", lambda: KNeighborsRegressor(n_neighbors=4, algorithm="ball_tree", weights="distance"),
     None, 2, "joblib3", 50),
    ("knr_brute_manhattan", lambda: KNeighborsRegressor(n_neighbors=8, algorithm="brute", p=1), None, 1, "pickle5",
     50),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_neighbors_parity(case, tmp_path, run_inferd, record_error):
    name, factory, n_classes, label_kind, container, n_train_rows = case
    seed = seed_of(name)
    model = factory()
    if n_classes:
        X, y = clf_data(n_classes, seed)
        model.fit(X, labels(label_kind, y))
    else:
        X, y = reg_data(seed, n_targets=label_kind)
        model.fit(X, y)
    path = tmp_path / f"{name}.{'joblib' if container.startswith('joblib') else 'pkl'}"
    rows = query_rows(X, seed, n_train_rows=n_train_rows)
    family = "knn_" + ("clf" if n_classes else "reg")
    assert check_parity(model, rows, path, container, run_inferd, record_error, family) >= 1
