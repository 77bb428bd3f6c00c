"""Shared fixtures for the reliability suite: the real binary from $INFERD_BUILD_DIR, models
trained with Debian's scikit-learn, and the helpers of tests/integration (prod_util.Server)."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from prod_util import BIN  # noqa: E402

TRAIN = r"""
import sys, joblib, numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.ensemble import RandomForestClassifier
out = sys.argv[1]
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), out + "/iris.pkl")
# A model with a tunable cost per request (rows x 100 trees): for overload tests.
rng = np.random.RandomState(0)
Xs = rng.normal(size=(2000, 4)); ys = (Xs.sum(1) > 0).astype(int)
joblib.dump(RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(Xs, ys), out + "/forest.pkl")
"""


@pytest.fixture(scope="session")
def inferd_bin():
    if not os.path.exists(BIN):
        pytest.fail(f"{BIN} does not exist: build first (scripts/build.sh) or set INFERD_BUILD_DIR")
    return BIN


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("rel-models")
    subprocess.run([sys.executable, "-c", TRAIN, str(d)], check=True, timeout=300)
    return d
