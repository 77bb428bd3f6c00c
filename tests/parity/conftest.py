"""Fixtures for the parity tests: locate the inferd binary (never skip: a missing binary is a
failure) and collect the largest relative error seen per model family for the summary."""
import json
import os
import subprocess
from collections import defaultdict

import pytest

MAX_REL_ERR = defaultdict(float)


@pytest.fixture(scope="session")
def inferd_bin():
    build = os.environ.get("INFERD_BUILD_DIR", "/work/main/build")
    path = os.path.join(build, "bin", "inferd")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"inferd binary not found at {path} (set INFERD_BUILD_DIR to the build directory)")
    return path


@pytest.fixture(scope="session")
def run_inferd(inferd_bin):
    """run_inferd(model_path, rows_path, output, *extra_args) -> (returncode, parsed stdout or None, stderr)."""

    def run(model, rows, output="predict", *extra):
        p = subprocess.run([inferd_bin, "predict", "--model", model, "--input", rows, "--output", output, *extra],
                           capture_output=True, text=True, timeout=300)
        out = json.loads(p.stdout) if p.returncode == 0 else None
        return p.returncode, out, p.stderr

    return run


@pytest.fixture(scope="session")
def record_error():
    def record(family, err):
        MAX_REL_ERR[family] = max(MAX_REL_ERR[family], err)

    return record


def pytest_terminal_summary(terminalreporter):
    if MAX_REL_ERR:
        terminalreporter.write_line("max relative error per family:")
        for fam in sorted(MAX_REL_ERR):
            terminalreporter.write_line(f"  {fam:14s} {MAX_REL_ERR[fam]:.3e}")
