"""Load generators: wrk (closed loop, Lua script bench/lua/post.lua) and hey (fixed rate, -q).

Every call is bounded: the tool runs for `duration` seconds and is killed after duration + 30 s.
"""
import csv
import io
import json
import os
import shutil
import statistics

from . import procs

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POST_LUA = os.path.join(BENCH_DIR, "lua", "post.lua")


def wrk(port, body_file, conns, duration, path="/predict", timeout_s=5):
    """Closed loop: wrk -t1 -cC -dD --latency. Returns a dict: rps, errors, p50_us, p99_us, pct_us ..."""
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s", "--latency", f"--timeout={timeout_s}s", "-s", POST_LUA,
           f"http://127.0.0.1:{port}{path}", "--", body_file]
    rc, out, err = procs.run(cmd, timeout=duration + 30)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if rc != 0 or line is None:
        raise RuntimeError(f"wrk failed (rc={rc}): {err.strip()[:300]} {out.strip()[-300:]}")
    d = json.loads(line[len("WRKJSON "):])
    secs = d["duration_us"] / 1e6
    errors = d["err_connect"] + d["err_read"] + d["err_write"] + d["err_status"] + d["err_timeout"]
    return {"requests": d["requests"], "seconds": secs, "rps": d["requests"] / secs if secs else 0.0,
            "errors": errors, "error_detail": {k[4:]: d[k] for k in d if k.startswith("err_")},
            "p50_us": d["pct_us"]["50"], "p90_us": d["pct_us"]["90"], "p99_us": d["pct_us"]["99"],
            "p999_us": d["pct_us"]["99.9"], "mean_us": d["mean_us"], "pct_us": d["pct_us"]}


def merge(runs):
    """wrk() runs taken in slices, as one figure: requests, seconds and errors summed, rps =
    requests / seconds, each latency percentile the median of the slices'."""
    total = {k: sum(r[k] for r in runs) for k in ("requests", "seconds", "errors")}
    total["rps"] = total["requests"] / total["seconds"] if total["seconds"] else 0.0
    for k in ("p50_us", "p90_us", "p99_us", "p999_us", "mean_us"):
        total[k] = statistics.median(r[k] for r in runs)
    total["slices_rps"] = [r["rps"] for r in runs]
    return total


def have_hey():
    return shutil.which("hey") is not None


def hey(port, body_file, rate, duration, workers=4, path="/predict"):
    """Fixed rate: `rate` req/s in total spread over `workers` keep-alive connections (hey -q is per
    worker). Returns achieved rps, errors and latency percentiles (us) plus the sorted latencies."""
    per_worker = max(1, round(rate / workers))
    cmd = ["hey", "-z", f"{duration}s", "-c", str(workers), "-q", str(per_worker), "-m", "POST",
           "-T", "application/json", "-D", body_file, "-t", "10", "-o", "csv", f"http://127.0.0.1:{port}{path}"]
    rc, out, err = procs.run(cmd, timeout=duration + 30)
    if rc != 0:
        raise RuntimeError(f"hey failed (rc={rc}): {err.strip()[:300]}")
    lat, errors = [], 0
    for row in csv.DictReader(io.StringIO(out)):
        try:
            status = int(row.get("status-code") or 0)
            t = float(row["response-time"])
        except (KeyError, ValueError):
            errors += 1
            continue
        if status != 200:
            errors += 1
        else:
            lat.append(t * 1e6)
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))] if lat else float("nan")

    return {"target_rps": per_worker * workers, "rps": (len(lat) + errors) / duration, "errors": errors,
            "requests": len(lat) + errors, "p50_us": pct(50), "p90_us": pct(90), "p99_us": pct(99),
            "p999_us": pct(99.9), "latencies_us": lat}
