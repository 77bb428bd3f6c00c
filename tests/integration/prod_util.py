"""Helpers for the production-serving integration tests (test_prod_*.py): train small models
with Debian's scikit-learn, start the real `inferd serve` on a free loopback port, talk HTTP."""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

BUILD_DIR = os.environ.get("INFERD_BUILD_DIR", "/work/main/build")
BIN = os.environ.get("INFERD_BIN", os.path.join(BUILD_DIR, "bin", "inferd"))

TRAIN = r"""
import sys, joblib, numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, LinearRegression
from sklearn.preprocessing import StandardScaler
from sklearn.ensemble import RandomForestClassifier
out = sys.argv[1]
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), out + "/iris.pkl")
joblib.dump(LogisticRegression(max_iter=1000).fit(X, np.array(["a", "b", "c"])[y]), out + "/iris_str.pkl")
joblib.dump(LinearRegression().fit(X, X[:, 0] * 2 + 1), out + "/lin.pkl")
joblib.dump(StandardScaler().fit(X), out + "/scaler.pkl")
# A slow model (for shedding / deadlines): many deep trees.
rng = np.random.RandomState(0)
Xs = rng.normal(size=(3000, 4)); ys = (Xs.sum(1) > 0).astype(int)
joblib.dump(RandomForestClassifier(n_estimators=300, random_state=0).fit(Xs, ys), out + "/slow.pkl")
"""


def train(d):
    subprocess.run([sys.executable, "-c", TRAIN, str(d)], check=True, timeout=300)


class Server:
    """A running `inferd serve`; the port is read from its {"msg":"listening"} log line."""

    def __init__(self, *args, env=None):
        if not os.path.exists(BIN):
            pytest.skip(f"{BIN} not built")
        self.log_lines = []
        self.proc = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", "0", *map(str, args)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env=dict(os.environ, **(env or {})))
        self.port = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.log_lines.append(line)
            if json.loads(line).get("msg") == "listening":
                self.port = json.loads(line)["port"]
                break
        if self.port is None:
            self.proc.kill()
            raise AssertionError("server did not start: " + "".join(self.log_lines) + self.proc.stderr.read())
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log_lines.append(line)

    def logs(self):
        return [json.loads(l) for l in list(self.log_lines)]

    def request(self, method, path, body=None, headers=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
            c.request(method, path, data, headers or {"Content-Type": "application/json"})
            r = c.getresponse()
            raw = r.read()
            return r.status, dict(r.getheaders()), raw
        finally:
            c.close()

    def json(self, method, path, body=None, **kw):
        status, headers, raw = self.request(method, path, body, **kw)
        return status, json.loads(raw) if raw else None

    def metrics(self):
        _, _, raw = self.request("GET", "/metrics")
        out = {}
        for line in raw.decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def wait_for(pred, timeout=10):
    """Polls pred() every 50 ms until it is true (-> True) or `timeout` seconds pass (-> False).
    For conditions that arrive asynchronously (a log line read by a thread, a reload)."""
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False
