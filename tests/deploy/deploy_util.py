# Shared paths and helpers for the deployment tests (imported by conftest.py and the test modules;
# a uniquely named module, because several test folders have a conftest.py).
"""Shared fixtures for the deployment-kit tests: tool locations and chart rendering.

The tools are installed by the repository's scripts, never by the tests themselves:
  scripts/deploy-tools.sh     helm v4, kubectl 1.33, the npm validators -> .tools/
  scripts/container-tools.sh  buildah, podman, runc and the local base image
A test whose tool is missing skips and names the script to run (scripts/test.sh runs both).
"""
import importlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "inferd"
TOOLS = pathlib.Path(os.environ.get("INFERD_TOOLS_DIR", ROOT / ".tools"))
NODE_MODULES = TOOLS / "npm" / "node_modules"

yaml = pytest.importorskip("yaml", reason="PyYAML missing: apt-get install python3-yaml (scripts/setup.sh)")

PROTO_DIR = ROOT / "src" / "grpc" / "proto"
_GRPC_STUBS = None

# Lines printed at the end of the run (image size and the like), collected by tests.
REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("deployment kit")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def helm() -> str:
    path = TOOLS / "bin" / "helm"
    if not os.access(path, os.X_OK):
        pytest.skip(f"helm not installed at {path}: run scripts/deploy-tools.sh")
    return str(path)


@pytest.fixture(scope="session")
def node_modules() -> pathlib.Path:
    if shutil.which("node") is None or not (NODE_MODULES / "kubernetes-models").is_dir():
        pytest.skip("node validators not installed: run scripts/deploy-tools.sh")
    return NODE_MODULES


def helm_template(helm: str, *args: str, release: str = "r", check: bool = True) -> subprocess.CompletedProcess:
    """Runs `helm template RELEASE CHART ARGS...` (test hooks included) and returns the result."""
    proc = subprocess.run([helm, "template", release, str(CHART), "--namespace", "ns", *args],
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm template {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def parse(manifest: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(manifest) if d]


def render(helm: str, *args: str, release: str = "r") -> list[dict]:
    return parse(helm_template(helm, *args, release=release).stdout)


def one(objs: list[dict], kind: str) -> dict:
    found = [o for o in objs if o["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {[o['kind'] for o in objs]}"
    return found[0]


def kinds(objs: list[dict]) -> list[str]:
    return sorted(o["kind"] for o in objs)


def grpc_stubs():
    """The gRPC client modules generated from src/grpc/proto/ (the files the server is built from)
    with python3-grpc-tools: (inference_pb2, inference_pb2_grpc, health_pb2, health_pb2_grpc)."""
    global _GRPC_STUBS
    if _GRPC_STUBS is None:
        pytest.importorskip("grpc", reason="python3-grpcio missing: apt-get install python3-grpcio (scripts/setup.sh)")
        pytest.importorskip("grpc_tools", reason="python3-grpc-tools missing (scripts/setup.sh)")
        out = tempfile.mkdtemp(prefix="inferd-deploy-grpc-stubs-")
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out}",
                        f"--grpc_python_out={out}", "inference.proto", "health.proto"], check=True, timeout=60)
        sys.path.insert(0, out)
        _GRPC_STUBS = tuple(importlib.import_module(m) for m in (
            "inference_pb2", "inference_pb2_grpc", "health_pb2", "health_pb2_grpc"))
    return _GRPC_STUBS
