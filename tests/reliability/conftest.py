"""Shared fixtures for the reliability suite: the real binary from $INFERD_BUILD_DIR, models
trained with Debian's scikit-learn, and the helpers of tests/integration (prod_util.Server)."""
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from prod_util import BIN, train  # noqa: E402


@pytest.fixture(scope="session")
def inferd_bin():
    if not os.path.exists(BIN):
        pytest.fail(f"{BIN} does not exist: build first (scripts/build.sh) or set INFERD_BUILD_DIR")
    return BIN


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("rel-models")
    train(d)
    return d
