"""gRPC stubs for the integration tests, generated from src/grpc/proto/ with python3-grpc-tools
(the same files the server is built from), and a server started with gRPC on a free port."""
import importlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import pytest

from prod_util import Server

REPO = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = REPO / "src" / "grpc" / "proto"
_STUBS = None


def stubs():
    """The generated modules: (inference_pb2, inference_pb2_grpc, health_pb2, health_pb2_grpc,
    reflection_pb2, reflection_pb2_grpc)."""
    global _STUBS
    if _STUBS is None:
        out = tempfile.mkdtemp(prefix="inferd-grpc-stubs-")
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out}",
                        f"--grpc_python_out={out}", "inference.proto", "health.proto", "reflection.proto"],
                       check=True, timeout=60)
        sys.path.insert(0, out)
        _STUBS = tuple(importlib.import_module(m) for m in (
            "inference_pb2", "inference_pb2_grpc", "health_pb2", "health_pb2_grpc", "reflection_pb2",
            "reflection_pb2_grpc"))
    return _STUBS


class GrpcServer(Server):
    """`inferd serve` with gRPC on a free port (--grpc-port -1), read from the "listening" line."""

    def __init__(self, *args, env=None):
        super().__init__("--grpc-port", "-1", *args, env=env)
        line = next(json.loads(l) for l in self.log_lines if json.loads(l).get("msg") == "listening")
        self.grpc_port = line["grpc_port"]
        assert self.grpc_port > 0, line

    def channel(self):
        import grpc
        return grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
