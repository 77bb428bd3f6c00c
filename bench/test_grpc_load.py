"""inferd_grpc_load (bench/grpcload) against a real `inferd serve` (examples/iris/model.pkl):
2000 ModelInfer calls on 2 connections x 4 streams must all be done and ok, and inferd's own
gRPC counter must have grown by exactly 2000; a body naming a model inferd does not serve must
make every call fail (grpc-status NOT_FOUND) and none be ok; request bodies larger than inferd's
flow-control windows must still all be sent and answered; a port nobody listens on must end the
tool with exit status 1 and a one-line message.

Skips (with the reason) when the inferd or inferd_grpc_load binary or python3-grpc-tools (the
stubs that write the request) is missing.
"""
import json
import os
import subprocess
import sys

import pytest

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)

from benchlib import grpcbench, procs, servers  # noqa: E402

MODEL = os.path.join(REPO, "examples", "iris", "model.pkl")
NAME = "model"  # inferd names a --model model after its file's stem
ROW = [5.1, 3.5, 1.4, 0.2]


def _inferd_binary():
    return procs.find_binary("inferd", "INFERD_BIN")


def _run(tool, args, timeout=120):
    r = subprocess.run([tool] + args, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(tool, grpc_port, http_port, {"good": body, "unknown": body}, work dir) with inferd serving iris."""
    inferd, tool = _inferd_binary(), grpcbench.find_tool()
    if not inferd or not tool:
        pytest.skip("inferd or inferd_grpc_load not built (scripts/build.sh builds both)")
    if subprocess.run([sys.executable, "-c", "import grpc_tools"], capture_output=True).returncode != 0:
        pytest.skip("python3-grpc-tools missing (scripts/setup.sh installs it)")
    work = tmp_path_factory.mktemp("grpc_load")
    bodies = {}
    # "big": 300,000 features (2.4 MB), answered INVALID_ARGUMENT (iris has 4); 8 of them in flight
    # need more than inferd's 16 MB connection window.
    for kind, model, row in (("good", NAME, ROW), ("unknown", "no-such-model", ROW), ("big", NAME, [1.0] * 300000)):
        os.makedirs(work / kind)
        bodies[kind] = grpcbench.write_bodies(str(work), model, row, str(work / kind))["grpc"]
    port = servers.free_port()
    argv, env, _ = servers.command("inferd", model=MODEL, port=port, workers=1, scratch=str(work), inferd_bin=inferd)
    log_path = work / "inferd.log"
    with open(log_path, "wb") as logf:
        p = procs.start(argv, env=env, cwd=str(work), stdout=logf, stderr=logf)
    try:
        assert procs.wait_until(lambda: servers.try_predict(port, json.dumps({"features": ROW}).encode()), 30), (
            log_path.read_text()[-2000:])
        yield tool, grpcbench.grpc_port_of(str(log_path)), port, bodies, work
    finally:
        procs.stop(p)


def test_every_call_ok_and_counted_by_inferd(setup):
    tool, gport, port, bodies, work = setup
    before = grpcbench.grpc_counts(port, NAME)
    log_file = work / "latencies.log"
    rc, out, err = _run(tool, ["--port", str(gport), "--path", grpcbench.METHOD_PATH, "--body", bodies["good"],
                               "--calls", "2000", "--connections", "2", "--streams", "4", "--log-file", str(log_file)])
    assert rc == 0, err
    r = json.loads(out)
    assert r["done"] == r["ok"] == 2000 and r["failed"] == 0 and r["errors"] == 0, r
    assert 0 < r["p50_us"] <= r["p90_us"] <= r["p99_us"] <= r["p999_us"] and r["mean_us"] > 0 and r["rps"] > 0, r
    assert len(log_file.read_text().split()) == 2000
    after = grpcbench.settled_counts(port, NAME)
    assert after.get("200", 0) - before.get("200", 0) == 2000, (before, after)
    assert {c: v - before.get(c, 0) for c, v in after.items() if c != "200" and v != before.get(c, 0)} == {}


def test_unknown_model_every_call_failed(setup):
    tool, gport, port, bodies, _ = setup
    rc, out, err = _run(tool, ["--port", str(gport), "--body", bodies["unknown"], "--calls", "500",
                               "--connections", "2", "--streams", "4"])
    assert rc == 0, err
    r = json.loads(out)
    assert r["done"] == r["failed"] == 500 and r["ok"] == 0 and r["errors"] == 0, r


def test_bodies_beyond_the_flow_control_windows(setup):
    tool, gport, _, bodies, _ = setup
    rc, out, err = _run(tool, ["--port", str(gport), "--body", bodies["big"], "--calls", "40", "--connections", "1",
                               "--streams", "8", "--timeout", "20"])
    assert rc == 0, err
    r = json.loads(out)
    assert r["done"] == r["failed"] == 40 and r["ok"] == 0 and r["errors"] == 0, r


def test_duration_run_ends_with_no_call_in_flight(setup):
    tool, gport, port, bodies, _ = setup
    before = grpcbench.grpc_counts(port, NAME)
    rc, out, err = _run(tool, ["--port", str(gport), "--body", bodies["good"], "--duration", "0.5",
                               "--connections", "3", "--streams", "2"])
    assert rc == 0, err
    r = json.loads(out)
    assert r["done"] == r["ok"] > 0 and r["failed"] == 0 and r["errors"] == 0 and r["seconds"] >= 0.5, r
    after = grpcbench.settled_counts(port, NAME)
    assert after.get("200", 0) - before.get("200", 0) == r["done"], (before, after, r)


def test_connection_refused_is_one_line_and_status_1(setup):
    tool, _, _, bodies, _ = setup
    rc, _, err = _run(tool, ["--port", str(servers.free_port()), "--body", bodies["good"], "--calls", "10"])
    assert rc == 1 and err.count("\n") == 1 and "cannot connect to 127.0.0.1:" in err, (rc, err)
