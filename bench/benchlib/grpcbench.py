"""gRPC ModelInfer under load (issue 17), beside inferd's own REST V2 infer with the same request.

The load generator is inferd_grpc_load (bench/grpcload/grpc_load.cc, built beside inferd into
build*/bin): one thread, closed loop, HTTP/2 by hand on non-blocking sockets like wrk, its
request headers HPACK-encoded once, so that the client's own CPU per call is close to wrk's and
stays out of the one-stream latency. It sends the body file as is in every call: the 5-byte gRPC
frame header (0 = uncompressed, then the 4-byte big-endian length) and a serialized
ModelInferRequest, with `content-type: application/grpc` and `te: trailers`. It decodes every
answer's headers and trailers and counts a call ok only when :status is 200, grpc-status 0 and
the answer's bytes equal the first ok answer's. The request is one row as FP64
`contents.fp64_contents`, shape [1, n_features], input "input-0"; REST gets the same row as V2
JSON (`POST /v2/models/NAME/infer`).

A gRPC error comes back as HTTP 200 with a grpc-status trailer, so an HTTP client's "succeeded"
would prove nothing; the tool's "ok" reads grpc-status, and inferd's own counter is checked too.
Contracts:
- check() sends the exact message of the body file once through a real gRPC client (python3-grpcio)
  and requires its outputs to equal the REST V2 answer to the same row (names, datatypes, shapes,
  values) and its `predict` to equal the expected prediction; nothing is timed before that passes.
- timed() runs a fixed number of calls (--calls, sized from a warm-up run so it lasts about
  `duration`; run once more, resized, if it lasted under half of that) and refuses the figure
  (raises Refused) unless the tool reports every call done and ok (ok == done == the calls asked,
  one latency logged per call) and inferd's own counter
  inferd_model_requests_total{model=NAME,protocol="grpc",code="200"} grew by exactly `done`,
  with no other gRPC code counted for the model. (A --duration run ends with the last calls
  answered, but inferd may count a call after the tool has read its answer, so the counter is
  read once it has settled.)
Every tool run is bounded by a timeout (benchlib.procs).
"""
import http.client
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import time

from . import procs, servers

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH_DIR)
PROTO_DIR = os.path.join(os.path.dirname(BENCH_DIR), "src", "grpc", "proto")
METHOD_PATH = "/inference.GRPCInferenceService/ModelInfer"
INPUT_NAME = "input-0"
PY = "/usr/bin/python3"


class Refused(RuntimeError):
    """A gRPC figure that cannot be trusted (a failed call, or inferd's count != the tool's)."""


def find_tool():
    """The inferd_grpc_load binary: $INFERD_GRPC_LOAD, else $INFERD_BUILD_DIR/bin, else the newest
    <repo>/build*/bin/inferd_grpc_load (as bench/run finds inferd and inferd_micro_bench); None if
    there is none."""
    return procs.find_binary("inferd_grpc_load", "INFERD_GRPC_LOAD")


def missing_tools():
    """Names of the Debian packages gRPC measuring needs and lacks (inferd_grpc_load is built with
    inferd: bench/run looks for it separately)."""
    out = []
    for mod, pkg in (("grpc", "python3-grpcio"), ("grpc_tools", "python3-grpc-tools")):
        r = subprocess.run([PY, "-c", f"import {mod}"], capture_output=True, timeout=60)
        if r.returncode != 0:
            out.append(pkg)
    return out


_STUBS = None


def stubs(work):
    """(inference_pb2, inference_pb2_grpc), generated into WORK/grpc-stubs from src/grpc/proto."""
    global _STUBS
    if _STUBS is None:
        out = os.path.join(work, "grpc-stubs")
        os.makedirs(out, exist_ok=True)
        rc, _, err = procs.run([PY, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"--python_out={out}",
                                f"--grpc_python_out={out}", "inference.proto"], timeout=120)
        if rc != 0:
            raise RuntimeError(f"grpc_tools.protoc failed: {err[-500:]}")
        sys.path.insert(0, out)
        _STUBS = (importlib.import_module("inference_pb2"), importlib.import_module("inference_pb2_grpc"))
    return _STUBS


def write_bodies(work, model, row, out_dir):
    """Writes MODEL.grpc (framed ModelInferRequest) and MODEL.v2.json (the same row as V2 JSON) into
    out_dir; returns {"grpc": path, "v2": path}."""
    pb, _ = stubs(work)
    req = pb.ModelInferRequest(model_name=model)
    t = req.inputs.add(name=INPUT_NAME, datatype="FP64", shape=[1, len(row)])
    t.contents.fp64_contents.extend(row)
    msg = req.SerializeToString()
    paths = {"grpc": os.path.join(out_dir, f"{model}.grpc"), "v2": os.path.join(out_dir, f"{model}.v2.json")}
    with open(paths["grpc"], "wb") as f:
        f.write(b"\0" + len(msg).to_bytes(4, "big") + msg)
    with open(paths["v2"], "w") as f:
        json.dump({"inputs": [{"name": INPUT_NAME, "datatype": "FP64", "shape": [1, len(row)], "data": row}]}, f,
                  allow_nan=False)
    return paths


def grpc_port_of(log_path):
    """The gRPC port from inferd's JSON "listening" line (started with --grpc-port -1)."""
    with open(log_path, "rb") as f:
        for line in f:
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if d.get("msg") == "listening" and d.get("grpc_port", 0) > 0:
                return d["grpc_port"]
    raise RuntimeError(f"no grpc_port in the listening line of {log_path}")


_FIELDS = {"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
           "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents",
           "UINT32": "uint_contents", "UINT64": "uint64_contents", "FP32": "fp32_contents",
           "FP64": "fp64_contents", "BYTES": "bytes_contents"}
_NUMPY = {"BOOL": "?", "INT8": "<i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "UINT8": "<u1",
          "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "FP32": "<f4", "FP64": "<f8"}


def _grpc_outputs(resp):
    """[(name, datatype, shape, values)] of a ModelInferResponse, typed or raw contents."""
    import numpy as np
    out = []
    for i, o in enumerate(resp.outputs):
        if len(resp.raw_output_contents):
            if o.datatype not in _NUMPY:
                raise Refused(f"raw output of datatype {o.datatype} not decoded here")
            values = np.frombuffer(resp.raw_output_contents[i], dtype=_NUMPY[o.datatype]).tolist()
        else:
            values = list(getattr(o.contents, _FIELDS[o.datatype]))
            if o.datatype == "BYTES":
                values = [v.decode() for v in values]
        out.append((o.name, o.datatype, list(o.shape), values))
    return out


def check(work, grpc_port, http_port, model, bodies, expected):
    """The body file's exact message through grpcio must answer like REST V2 for the same row, and
    its `predict` output must be [expected]. Raises Refused otherwise; returns the outputs."""
    import grpc
    pb, pbg = stubs(work)
    with open(bodies["grpc"], "rb") as f:
        framed = f.read()
    if framed[0] != 0 or int.from_bytes(framed[1:5], "big") != len(framed) - 5:
        raise Refused("malformed gRPC frame in the body file")
    req = pb.ModelInferRequest.FromString(framed[5:])
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as ch:
        try:
            resp = pbg.GRPCInferenceServiceStub(ch).ModelInfer(req, timeout=30)
        except grpc.RpcError as e:
            raise Refused(f"ModelInfer failed: {e.code()} {e.details()}")
    got = _grpc_outputs(resp)
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    try:
        with open(bodies["v2"], "rb") as f:
            st, rest = servers.post(conn, f"/v2/models/{model}/infer", f.read())
    finally:
        conn.close()
    if st != 200 or not isinstance(rest, dict):
        raise Refused(f"REST V2 infer answered {st} {str(rest)[:200]}")
    want = [(o["name"], o["datatype"], list(o["shape"]), list(o["data"])) for o in rest.get("outputs", [])]
    if got != want:
        raise Refused(f"gRPC answer {str(got)[:300]} != REST V2 answer {str(want)[:300]}")
    pred = next((v for n, _, _, v in got if n == "predict"), None)
    if pred is None or len(pred) != 1 or not servers.same_answer(pred[0], expected):
        raise Refused(f"gRPC predict {pred!r} != expected [{expected!r}]")
    return got


def grpc_counts(http_port, model):
    """{code: count} of inferd_model_requests_total{model=MODEL,protocol="grpc"} from GET /metrics."""
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    try:
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        text = r.read().decode(errors="replace")
    finally:
        conn.close()
    if r.status != 200:
        raise RuntimeError(f"GET /metrics answered {r.status}")
    counts = {}
    pat = re.compile(r'^inferd_model_requests_total\{model="' + re.escape(model) +
                     r'",protocol="grpc",code="([^"]+)"\} ([0-9.e+]+)$')
    for line in text.splitlines():
        m = pat.match(line)
        if m:
            counts[m.group(1)] = int(float(m.group(2)))
    return counts


def grpc_load(tool, grpc_port, body, connections, streams, *, n=None, duration=None, log_file=None, timeout):
    """One inferd_grpc_load run: n calls (--calls) or for `duration` seconds (--duration). Returns
    its JSON (done, ok, failed, errors, seconds, rps, p50_us ... mean_us, cpu_user_s, cpu_sys_s)
    plus, with log_file, "logged": the latencies it wrote there, one per call."""
    cmd = [tool, "--port", str(grpc_port), "--path", METHOD_PATH, "--body", body, "--connections", str(connections),
           "--streams", str(streams)]
    cmd += ["--calls", str(n)] if n else ["--duration", f"{duration:g}"]
    if log_file:
        cmd += ["--log-file", log_file]
    rc, out, err = procs.run(cmd, timeout=timeout)
    try:
        r = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        r = None
    if rc != 0 or not isinstance(r, dict):
        raise RuntimeError(f"inferd_grpc_load failed (rc={rc}): {err.strip()[-300:]} {out.strip()[-300:]}")
    if log_file:
        with open(log_file) as fh:
            r["logged"] = sum(1 for line in fh if line.strip())
    return r


def settled_counts(http_port, model, quiet_s=0.2, limit_s=10.0):
    """grpc_counts once it has stopped moving (two reads quiet_s apart agree): inferd may count a
    call of the warm-up after the tool has read its answer and exited. Raises Refused if the
    count still moves after limit_s."""
    end = time.monotonic() + limit_s
    last = grpc_counts(http_port, model)
    while True:
        time.sleep(quiet_s)
        now = grpc_counts(http_port, model)
        if now == last:
            return now
        if time.monotonic() > end:
            raise Refused(f"inferd's gRPC counts still moving {limit_s:.0f} s after the load stopped: {last} -> {now}")
        last = now


def timed(grpc_port, http_port, model, body, clients, streams, duration, warmup, scratch, tool=None, rate=None):
    """clients x streams concurrent ModelInfer calls with inferd_grpc_load (`tool`, default
    find_tool()): a warm-up of `warmup` s (--duration, discarded; its rate sizes the timed run) unless
    `rate` (calls/s) is given, then n calls (--calls) checked against inferd's counter. Returns
    grpc_load()'s dict plus "warmup_rps" (the rate that sized the run), "inferd_counted" and
    "attempt"; raises Refused when a call failed or the counts disagree."""
    tool = tool or find_tool()
    if not tool:
        raise RuntimeError("inferd_grpc_load not found: build it (cmake --build build --target inferd_grpc_load)")
    if rate is None:
        rate = grpc_load(tool, grpc_port, body, clients, streams, duration=warmup, timeout=warmup + 60)["rps"]
    warmup_rps = rate
    log_file = os.path.join(scratch, f"grpc-load-{model}-{clients}x{streams}.log")
    for attempt in (1, 2):  # a second run, resized, only when the first lasted under half of `duration`
        n = max(clients * streams * 4, round(rate * duration))
        before = settled_counts(http_port, model)  # the warm-up's last calls counted first
        # Bounded: expected to take ~duration; the timeout allows a machine 4x slower than the warm-up.
        r = grpc_load(tool, grpc_port, body, clients, streams, n=n, log_file=log_file, timeout=4 * duration + 60)
        after = grpc_counts(http_port, model)
        delta = {c: after.get(c, 0) - before.get(c, 0) for c in set(after) | set(before)}
        other = {c: v for c, v in delta.items() if c != "200" and v}
        if (r["done"] != n or r["ok"] != n or r["failed"] or r["errors"] or delta.get("200", 0) != r["done"] or other
                or r.get("logged") != n):
            raise Refused(f"inferd_grpc_load {clients}x{streams}: asked {n}, done {r['done']}, ok {r['ok']}, "
                          f"failed {r['failed']}, errors {r['errors']}, logged {r.get('logged')}; "
                          f"inferd counted gRPC codes {delta}")
        r["warmup_rps"], r["inferd_counted"], r["attempt"] = warmup_rps, delta, attempt
        if r["seconds"] >= duration / 2:
            break
        rate = r["rps"]
    return r


def merge(runs):
    """timed() runs of one shape taken in slices, as one figure: counts and seconds summed, rps =
    calls done / seconds, p50/p99 the median of the slices' (the calls of one slice are not
    kept), inferd_counted summed per code, "slices_rps" each slice's rate."""
    total = {k: sum(r[k] for r in runs) for k in ("done", "ok", "failed", "errors", "seconds", "logged")}
    total["rps"] = total["done"] / total["seconds"] if total["seconds"] else 0.0
    for k in ("p50_us", "p99_us"):
        total[k] = statistics.median(r[k] for r in runs)
    counted = {}
    for r in runs:
        for code, n in r["inferd_counted"].items():
            counted[code] = counted.get(code, 0) + n
    total["inferd_counted"] = counted
    total["slices_rps"] = [r["rps"] for r in runs]
    return total
