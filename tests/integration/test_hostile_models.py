"""Hostile and malformed model files are refused with one clear line, by the offline CLI and
by `inferd serve` before it opens its port; nothing in them is executed."""
import os
import socket
import subprocess
import time

import pytest

from inferd_util import run_inferd
from hostile_pickles import hostile_files

MARKER_DIR = "/tmp/inferd-hostile-marker"


def _cases():
    return hostile_files(os.path.join(MARKER_DIR, "pwned"))


CASES = _cases()


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    for name, data, _ in CASES:
        (d / f"{name}.pkl").write_bytes(data)
    return d


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("name,expected", [(n, e) for n, _, e in CASES], ids=[n for n, _, _ in CASES])
def test_predict_refuses_hostile_file(inferd_bin, hostile_dir, tmp_path, name, expected):
    os.makedirs(MARKER_DIR, exist_ok=True)
    marker = os.path.join(MARKER_DIR, "pwned")
    if os.path.exists(marker):
        os.remove(marker)
    rows = tmp_path / "rows.json"
    rows.write_text("[[1, 2, 3]]")
    path = hostile_dir / f"{name}.pkl"
    t0 = time.monotonic()
    r = run_inferd(inferd_bin, "predict", "--model", path, "--input", rows, timeout=60)
    elapsed = time.monotonic() - t0
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr  # one clear line
    assert str(path) in lines[0]
    assert expected in lines[0], lines[0]
    assert not os.path.exists(marker), "the payload ran"
    assert elapsed < 30


@pytest.mark.parametrize("name", ["os_system_p4", "truncated_joblib", "builtins_eval", "deep_nesting"])
def test_serve_refuses_before_opening_port(inferd_bin, hostile_dir, name):
    port = _free_port()
    path = hostile_dir / f"{name}.pkl"
    r = run_inferd(inferd_bin, "serve", "--model", path, "--host", "127.0.0.1", "--port", port, timeout=60)
    assert r.returncode != 0
    assert str(path) in r.stderr
    # The port was never opened: it is still free to bind.
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_missing_file(inferd_bin, tmp_path):
    rows = tmp_path / "rows.json"
    rows.write_text("[[1]]")
    r = run_inferd(inferd_bin, "predict", "--model", tmp_path / "nope.pkl", "--input", rows)
    assert r.returncode == 2
    assert "nope.pkl" in r.stderr
