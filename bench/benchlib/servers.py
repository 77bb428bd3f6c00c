"""How the benchmark starts each server under test, on 127.0.0.1 only.

A Server knows its command line; bench/run starts it through benchlib.procs (tracked by PID) and
talks to it with the small HTTP helpers here. Kinds:
  nginx    the HTTP limit: constant JSON answer (bench/nginx/nginx.conf.in), no model
  inferd   <build>/bin/inferd serve --model M --host 127.0.0.1 --port N --threads T
  gunicorn the reference app under gunicorn --workers T (its production form)
  flask    the reference app under Flask's development server (threaded, as app.run() runs it)
The reference app is the module REFERENCE_APPS names for the model's rows: bench/reference/app.py
(the tutorial's, numpy rows) for "matrix" models, app_dataframe.py (a one-row DataFrame from the
named features) for "records" models (make_models.py's manifest says which).
"""
import http.client
import json
import os
import shutil
import socket

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE_DIR = os.path.join(BENCH_DIR, "reference")
NGINX_CONF_IN = os.path.join(BENCH_DIR, "nginx", "nginx.conf.in")
PYTHON = "/usr/bin/python3"  # Debian's Python: has sklearn, flask, gunicorn

NGINX_BODY = {"prediction": 1}
REFERENCE_APPS = {"matrix": "app", "records": "app_dataframe"}  # manifest "rows" -> module in REFERENCE_DIR


def free_port():
    """A port the kernel just handed out on 127.0.0.1 (closed again; the race is harmless here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(kind, *, model, port, workers, scratch, inferd_bin, rows="matrix"):
    """(argv, env, cwd) to start server `kind` serving `model` (None for nginx) on `port`; `rows`
    (the manifest's "matrix" or "records") picks the reference app for gunicorn and flask."""
    env = dict(os.environ)
    if kind == "nginx":
        prefix = os.path.join(scratch, f"nginx-{port}")
        os.makedirs(prefix, exist_ok=True)
        with open(NGINX_CONF_IN) as f:
            conf = f.read().replace("@PORT@", str(port)).replace("@PREFIX@", prefix).replace("@WORKERS@", str(workers))
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        return [nginx, "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c",
                os.path.join(prefix, "nginx.conf")], env, prefix
    if kind == "inferd":
        return [inferd_bin, "serve", "--model", model, "--host", "127.0.0.1", "--port", str(port),
                "--grpc-port", "-1", "--threads", str(workers)], env, scratch
    app = REFERENCE_APPS[rows]
    env["MODEL_PATH"] = model
    # One BLAS thread per process, as a container with a CPU limit would have; otherwise numpy's
    # OpenBLAS starts a thread per core in every worker and they fight the load generator.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Likewise one OpenMP thread per process (xgboost's predict uses OpenMP; n_jobs=None in the
    # pickles, as users leave it, means "all cores" otherwise). No sklearn model here uses OpenMP.
    env.setdefault("OMP_NUM_THREADS", "1")
    if kind == "gunicorn":
        gunicorn = shutil.which("gunicorn") or "/usr/bin/gunicorn"
        return [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--chdir", REFERENCE_DIR,
                "--log-level", "warning", f"{app}:app"], env, REFERENCE_DIR
    if kind == "flask":
        return [PYTHON, "-m", "flask", "--app", app, "run", "--host", "127.0.0.1", "--port", str(port)], env, REFERENCE_DIR
    raise ValueError(kind)


def post(conn, path, body_bytes, timeout=30):
    """POSTs JSON over an existing keep-alive HTTPConnection. Returns (status, parsed JSON or text)."""
    conn.request("POST", path, body=body_bytes, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data.decode(errors="replace")


def try_predict(port, body_bytes, timeout=5):
    """One POST /predict on a fresh connection; (status, answer) or None if it could not connect."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        return post(conn, "/predict", body_bytes)
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def same_answer(got, want, rel=1e-9):
    """Labels equal (type-exact for str/bool/int), floats within `rel` relative."""
    if isinstance(want, float) or isinstance(got, float):
        if isinstance(got, bool) or isinstance(want, bool):
            return False
        try:
            g, w = float(got), float(want)
        except (TypeError, ValueError):
            return False
        return abs(g - w) <= rel * max(1.0, abs(w))
    return type(got) is type(want) and got == want
