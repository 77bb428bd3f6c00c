"""Smoke test of the benchmark harness (part of the default test run): `bench/run --smoke` into a
temporary folder must produce a report in which every server (nginx, inferd, the reference app
under gunicorn and under Flask's dev server) answered correctly and had 0 errors under load, for
the numeric models, for titanic (named rows with strings and nulls; the reference app's
DataFrame variant) and for xgb100 (an XGBClassifier pickle, 10 trees in smoke mode), and the titanic
and XGBoost targets are evaluated (xgboost's own load and inplace_predict timings included), and
logreg's gRPC ModelInfer (inferd_grpc_load) is timed beside REST V2 infer with its two targets evaluated, and
the explanation targets over HTTP (xgb100 explained with "explain": true, its contributions equal
to xgboost's pred_contribs, and "explain": false against the body without the field).

The figures of a smoke run mean nothing; this checks the harness works end to end. Skips (with the
reason) when bench/setup.sh's packages or the inferd and inferd_grpc_load binaries are missing.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
SERVERS = ("nginx", "inferd", "gunicorn", "flask")


def _inferd_binary():
    sys.path.insert(0, BENCH)
    from benchlib import procs
    return procs.find_binary("inferd", "INFERD_BIN")


def _missing():
    missing = [t for t in ("wrk", "gunicorn") if not shutil.which(t)]
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        missing.append("nginx")
    r = subprocess.run([sys.executable, "-c", "import flask, sklearn, matplotlib, grpc, grpc_tools"], capture_output=True)
    if r.returncode != 0:
        missing.append("python3-flask/python3-sklearn/python3-matplotlib/python3-grpcio/python3-grpc-tools")
    return missing


def _tools_and_inferd():
    """The built inferd binary; skips the test when it or a benchmark tool is missing."""
    missing = _missing()
    if missing:
        pytest.skip(f"benchmark tools missing: {', '.join(missing)} (install them with bench/setup.sh)")
    inferd = _inferd_binary()
    if not inferd:
        pytest.skip("no built inferd binary (build/bin/inferd): build it first (scripts/build.sh)")
    sys.path.insert(0, BENCH)
    from benchlib import grpcbench
    if not grpcbench.find_tool():
        pytest.skip("no built inferd_grpc_load (build/bin/inferd_grpc_load): build it first (scripts/build.sh)")
    return inferd


def test_bench_smoke(tmp_path):
    inferd = _tools_and_inferd()
    out = tmp_path / "results"
    r = subprocess.run([sys.executable, os.path.join(BENCH, "run"), "--smoke", "--inferd", inferd, "--out", str(out),
                        "--no-images"], capture_output=True, text=True, timeout=1200)
    report = out / "report.md"
    assert report.exists(), f"no report; rc={r.returncode}\n{r.stderr[-4000:]}"
    text = report.read_text()
    assert r.returncode == 0, f"bench/run failed (rc={r.returncode}):\n{r.stderr[-4000:]}\n{text[:3000]}"
    # The machine's page-fault cost, measured at the start (load times scale with it).
    assert re.search(r"^- Page faults: \*\*[0-9]+\.[0-9]{2} µs\*\* per fresh 4 kB page", text, re.M), text[:1500]
    # The correctness table: | server | model | verified | errors under load | problems |
    section = text.split("## Correctness", 1)[1].split("\n## ", 1)[0]
    rows = [ln.split("|")[1:-1] for ln in section.splitlines() if re.match(r"\| (nginx|inferd|gunicorn|flask) \|", ln)]
    seen = {c[0].strip() for c in rows}
    assert seen == set(SERVERS), f"servers in the report: {seen}"
    titanic = {c[0].strip() for c in rows if c[1].strip() == "titanic"}
    assert titanic == {"inferd", "gunicorn", "flask"}, f"servers of titanic in the report: {titanic}"
    xgb = {c[0].strip() for c in rows if c[1].strip() == "xgb100"}
    assert xgb == {"inferd", "gunicorn", "flask"}, f"servers of xgb100 in the report: {xgb}"
    for cells in rows:
        server, model, verified, errors = (c.strip() for c in cells[:4])
        assert verified == "yes", f"{server}/{model} not verified: {cells}"
        assert errors == "0", f"{server}/{model} had {errors} errors under load"
    # Every HTTP server was timed at every connection count.
    through = text.split("## Throughput", 1)[1].split("\n## ", 1)[0]
    for server in SERVERS:
        for conns in ("1", "16", "64"):
            assert re.search(rf"^\| {server} \| [^|]+ \| {conns} \| [0-9]", through, re.M), (server, conns)
    # The tabular targets: titanic against nginx and against the DataFrame app under gunicorn, measured.
    targets = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    xgb_targets = [r"titanic: req/s at 64 conns ≥ 0.8 × nginx", r"titanic: req/s at 64 conns ≥ 20 × gunicorn",
                   r"xgb100: req/s at 64 conns ≥ 0.8 × nginx"]
    load = text.split("## Model load time", 1)[1].split("\n## ", 1)[0]
    micro = "was not available" not in load
    if micro:  # the in-process XGBoost targets need inferd_micro_bench
        xgb_targets += [r"xgb100: load of the .ubj file", r"xgb100: load of the .json file",
                        r"xgb100: 1000-row predict_proba, one thread", r"xgb100: one-row predict_proba in process",
                        r"xgb100: 1000 rows' contributions, one thread"]
    for target in xgb_targets:
        assert re.search(rf"^\| {target}[^|]* \| [0-9.]+( µs)?×?[^|]* \| \*\*(PASS|FAIL)\*\* \|", targets, re.M), (
            target, targets)
    if micro:  # native loads and 1000-row batches: inferd timed after xgboost in each pass, the ratio from those pairs
        for fmt in ("ubj", "json"):
            assert re.search(rf"^\| xgb100: load of the .{fmt} file[^|]* \| [0-9.]+× [^|]*median of the passes' "
                             r"back-to-back ratios\) \|", targets, re.M), (fmt, targets)
        assert re.search(r"^\| xgb100: 1000-row predict_proba, one thread[^|]* \| [0-9.]+× [^|]*median of the passes' "
                         r"back-to-back ratios; [0-9.]+× of the whole Python call\) \|", targets, re.M), targets
    # gRPC (issue 17): logreg's ModelInfer calls, proven right (answer = REST V2's, inferd's count =
    # the tool's, every call ok), timed at every shape beside REST V2 infer, and both targets evaluated.
    for target in ("logreg: gRPC req/s at 64 streams (inferd_grpc_load 64×1) ≥ 0.8 × inferd REST (V2 infer, wrk -c64)",
                   "logreg: gRPC p50 one stream (inferd_grpc_load 1×1) ≤ REST p50 (V2 infer, wrk -c1)"):
        assert re.search(rf"^\| {re.escape(target)} \| [0-9.]+×[^|]* \| \*\*(PASS|FAIL)\*\* \|", targets, re.M), (
            target, targets)
    grpc_section = text.split("## gRPC ModelInfer vs REST", 1)[1].split("\n## ", 1)[0]
    for shape, conns in (("64x1", 64), ("1x64", 64), ("1x1", 1)):
        assert re.search(rf"^\| logreg \| {shape} \| [0-9][^|]* \| [0-9.,]+ µs[^|]* \| [0-9.,]+ µs[^|]* \| {conns} \| "
                         r"[0-9][^|]* \| [0-9.,]+ µs[^|]* \| [0-9.]+×[^|]* \|.*\| tool done = inferd \|$", grpc_section,
                         re.M), (shape, grpc_section)
    # Explanations over HTTP: one explained row on one connection (p50, p99), and req/s at 64
    # connections with "explain": false over the same body without the field, both measured.
    assert re.search(r"^\| xgb100: one explained row over HTTP[^|]* \| [0-9.]+ ms; p99 [0-9.]+ ms \| "
                     r"\*\*(PASS|FAIL)\*\* \|", targets, re.M), targets
    assert re.search(r"^\| xgb100: req/s at 64 conns with `\"explain\": false` ≥ 0.95 × [^|]* \| [0-9.]+×[^|]* \| "
                     r"\*\*(PASS|FAIL)\*\* \|", targets, re.M), targets
    explained = text.split("## Explanations over HTTP", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^\| xgb100 \| 1 \| [0-9.]+ ms \| [0-9.]+ ms \| [0-9.]+ ms \| [0-9.,]+, [0-9.,]+ \| "
                     r"[0-9.,]+, [0-9.,]+ \| [0-9.]+× \|", explained, re.M), explained
    # The scaling check ran nginx and inferd with 2 workers/threads and reports inferd against nginx.
    scaling = text.split("## Scaling check", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^\| nginx \| - \| [0-9]", scaling, re.M), scaling
    assert re.search(r"^\| inferd \| logreg \| [0-9][^|]* \| [0-9.]+×[^|]* \| 0 \|", scaling, re.M), scaling
    # With the micro bench, each model's load is also split into parse / build / drop.
    if micro:
        for m in ("logreg", "gbr100", "rf500", "xgb100"):
            assert re.search(rf"^\| {m} \| [0-9.]+ ms[^|]*\| [0-9.]+ ms[^|]*\| [0-9.]+ ms", load, re.M), load
    # xgboost's side of the comparison: Booster(model_file=...) per native file, inplace_predict.
    xgb_section = text.split("## XGBoost: inferd vs xgboost's own API", 1)[1].split("\n## ", 1)[0]
    for fmt in ("ubj", "json"):
        assert re.search(rf"^\| xgb100 \| \.{fmt} \| [^|]+ \| [^|]+ \| [0-9.,]+ ms", xgb_section, re.M), xgb_section
    assert re.search(r"^\| xgb100 \| 1000 \| [^|]+ \| [^|]+ \| [0-9.,]+ µs", xgb_section, re.M), xgb_section
    for png in ("throughput.png", "memory_startup.png"):
        assert (out / png).stat().st_size > 1000, png


def test_grpc_figures_refused_when_calls_fail(tmp_path):
    """grpcbench's guards: a gRPC error travels as HTTP 200 + grpc-status; the harness must refuse
    such a figure (here: a row of 5 features for a 20-feature model, answered INVALID_ARGUMENT,
    which inferd counts as code 400) and accept the right request's."""
    inferd = _tools_and_inferd()
    sys.path.insert(0, BENCH)
    import numpy as np
    from benchlib import grpcbench, procs, servers
    subprocess.run([sys.executable, os.path.join(BENCH, "models", "make_models.py"), str(tmp_path), "--only", "logreg",
                    "--small"], check=True, capture_output=True, timeout=300)
    row = np.load(tmp_path / "logreg.X.npy")[0].tolist()
    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    good = grpcbench.write_bodies(str(tmp_path), "logreg", row, str(tmp_path / "good"))
    bad = grpcbench.write_bodies(str(tmp_path), "logreg", row[:5], str(tmp_path / "bad"))
    port = servers.free_port()
    argv, env, _ = servers.command("inferd", model=str(tmp_path / "logreg.pkl"), port=port, workers=1,
                                   scratch=str(tmp_path), inferd_bin=inferd)
    log_path = tmp_path / "inferd.log"
    with open(log_path, "wb") as logf:
        p = procs.start(argv, env=env, cwd=str(tmp_path), stdout=logf, stderr=logf)
    try:
        assert procs.wait_until(lambda: servers.try_predict(port, json.dumps({"features": row}).encode()), 30)
        gport = grpcbench.grpc_port_of(str(log_path))
        with pytest.raises(grpcbench.Refused, match="INVALID_ARGUMENT"):
            grpcbench.check(str(tmp_path), gport, port, "logreg", bad, 0)
        with pytest.raises(grpcbench.Refused, match=r"inferd counted gRPC codes .*'400': [1-9]"):
            grpcbench.timed(gport, port, "logreg", bad["grpc"], 4, 4, 0.5, 1.0, str(tmp_path))
        want = grpcbench.check(str(tmp_path), gport, port, "logreg", good, servers.try_predict(
            port, json.dumps({"features": row}).encode())[1]["prediction"])
        assert want[0][0] == "predict"
        r = grpcbench.timed(gport, port, "logreg", good["grpc"], 4, 4, 0.5, 1.0, str(tmp_path))
        assert r["done"] == r["inferd_counted"]["200"] >= 64 and r["p50_us"] > 0, r
    finally:
        procs.stop(p)
