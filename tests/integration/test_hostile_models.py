"""Hostile and malformed model files are refused with one clear line, by the offline CLI and
by `inferd serve` before it opens its port; nothing in them is executed."""
import json
import os
import pathlib
import socket
import subprocess
import sys
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


# ---- XGBoost files edited one field at a time (tests/reliability/xgboost_hostile.py) ----
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "reliability"))
import xgboost_hostile  # noqa: E402

XGB_CASES = xgboost_hostile.hostile_case_names()


@pytest.fixture(scope="module")
def xgb_dir(tmp_path_factory):
    pytest.importorskip("xgboost")  # python3-xgboost makes the real models the edits start from
    d = tmp_path_factory.mktemp("hostile-xgb")
    for name, data, _ in xgboost_hostile.hostile_cases():
        (d / name).write_bytes(data)
    return d


def _xgb_rows(tmp_path):
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([[0.5] * xgboost_hostile.NF]))
    return rows


@pytest.mark.parametrize("name,expected", XGB_CASES, ids=[n for n, _ in XGB_CASES])
def test_predict_refuses_hostile_xgboost_file(inferd_bin, xgb_dir, tmp_path, name, expected):
    """Each edit that crashed or hung libxgboost is one line naming the file and what is wrong
    (no libxgboost internals), exit 2, quickly."""
    path = xgb_dir / name
    t0 = time.monotonic()
    r = run_inferd(inferd_bin, "predict", "--model", path, "--input", _xgb_rows(tmp_path), timeout=60)
    elapsed = time.monotonic() - t0
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0]
    assert any(e in lines[0] for e in expected.split("|")), lines[0]
    assert ".cc:" not in lines[0] and ".h:" not in lines[0], lines[0]  # not libxgboost's CHECK text
    assert elapsed < 30


def test_real_xgboost_files_predict(inferd_bin, tmp_path):
    """The files the edits start from load and predict."""
    pytest.importorskip("xgboost")
    rows = _xgb_rows(tmp_path)
    for base in xgboost_hostile.real_models(groups=["binary", "pickled"]):
        path = tmp_path / base.name
        path.write_bytes(base.raw)
        r = run_inferd(inferd_bin, "predict", "--model", path, "--input", rows, timeout=60)
        assert r.returncode == 0 and len(json.loads(r.stdout)["predictions"]) == 1, (base.name, r.stderr)


@pytest.mark.parametrize("name", ["binary.json.left_child_huge", "binary.ubj.own_child", "XGBClassifier.pkl.tree_info_empty"])
def test_serve_refuses_hostile_xgboost_before_opening_port(inferd_bin, xgb_dir, name):
    port = _free_port()
    path = xgb_dir / name
    r = run_inferd(inferd_bin, "serve", "--model", path, "--host", "127.0.0.1", "--port", port, timeout=60)
    assert r.returncode != 0 and r.returncode > 0, (r.returncode, r.stderr)
    assert str(path) in r.stderr and "xgboost" in r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
