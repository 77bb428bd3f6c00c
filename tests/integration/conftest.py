"""Shared fixtures for tests that run the real inferd binary."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def build_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("INFERD_BUILD_DIR", REPO / "build")).resolve()


@pytest.fixture(scope="session")
def inferd_bin() -> pathlib.Path:
    path = build_dir() / "bin" / "inferd"
    if not path.exists():
        pytest.fail(f"{path} does not exist: build first (scripts/build.sh)")
    return path

