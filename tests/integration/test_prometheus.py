"""A real Prometheus (Debian package) scrapes the real `inferd serve` and answers the PromQL the
Helm chart's autoscalers use: the prometheus-adapter rule (HPA custom metric), the KEDA trigger,
plus the per-model counters/histograms and process metrics documented in docs/operations.md.

The queries are read from deploy/prometheus-adapter/values.yaml and
deploy/helm/inferd/templates/scaledobject.yaml (helm is not installed, so the two template
placeholders are substituted here the way the chart/adapter would), so a change to the chart's
PromQL is tested, not a copy of it."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from prod_util import Server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMETHEUS = shutil.which("prometheus") or ("/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None)
NAMESPACE = "inferd-test"
POD = "inferd-6c9f7d-x2x9q"  # matches the chart's pod regex "<fullname>-.*" for release "inferd"

TRAIN = r"""
import sys, joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), sys.argv[1])
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def adapter_queries():
    text = open(os.path.join(ROOT, "deploy/prometheus-adapter/values.yaml")).read()
    series = re.search(r"seriesQuery:\s*'([^']+)'", text).group(1)
    metrics = re.search(r"metricsQuery:\s*'([^']+)'", text).group(1)
    # What prometheus-adapter sends for "pods/*/inferd_requests_in_flight" in NAMESPACE.
    rendered = (metrics.replace("<<.Series>>", "inferd_requests_in_flight")
                .replace("<<.LabelMatchers>>", f'namespace="{NAMESPACE}",pod=~"{POD}"')
                .replace("<<.GroupBy>>", "pod"))
    return series, rendered


def keda_query():
    text = open(os.path.join(ROOT, "deploy/helm/inferd/templates/scaledobject.yaml")).read()
    fmt = re.search(r'query: \{\{ printf "((?:[^"\\]|\\.)*)"', text).group(1).replace('\\"', '"')
    assert fmt.count("%q") == 2, fmt
    # printf "%q" quotes; the second argument is printf "%s-.*" (fullname) with fullname "inferd".
    return fmt.replace("%q", json.dumps(NAMESPACE), 1).replace("%q", json.dumps("inferd-.*"), 1)


class Prometheus:
    def __init__(self, tmp, target_port):
        self.port = free_port()
        cfg = os.path.join(tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: inferd
    static_configs:
      - targets: ['127.0.0.1:{target_port}']
        labels: {{namespace: '{NAMESPACE}', pod: '{POD}'}}
""")
        self.log = open(os.path.join(tmp, "prometheus.log"), "w")
        self.proc = subprocess.Popen([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp}/tsdb",
                                      f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?" + urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, q):
        return self.api("query", query=q)["result"]

    def wait_for(self, q, pred, timeout=60):
        """Polls `q` until pred(result) holds; returns the result."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("prometheus exited: " + open(self.log.name).read()[-2000:])
            try:
                last = self.query(q)
                if pred(last):
                    return last
            except (OSError, ValueError):
                pass  # not listening yet
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting on {q!r}; last answer {last}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def value(result):
    return float(result[0]["value"][1])


def predict_wave(server, n, concurrency=4):
    body = {"features": [5.1, 3.5, 1.4, 0.2]}

    def one(_):
        return server.json("POST", "/predict", body)[0]

    with ThreadPoolExecutor(concurrency) as ex:
        codes = list(ex.map(one, range(n)))
    assert codes == [200] * n


# Upper bounds of the latency histograms' buckets (src/metrics/server_metrics.h kBuckets).
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                   0.5, 1.0, 2.5, 5.0, 10.0)


def bucket_of(seconds):
    """Index of the histogram bucket a quantile estimate falls in (len() for +Inf)."""
    for i, upper in enumerate(LATENCY_BUCKETS):
        if seconds <= upper * (1 + 1e-9):
            return i
    return len(LATENCY_BUCKETS)


@pytest.mark.skipif(PROMETHEUS is None, reason="the Debian `prometheus` package is not installed")
def test_prometheus_answers_chart_promql():
    tmp = tempfile.mkdtemp(prefix="inferd-prom-")
    server = prom = None
    try:
        model = os.path.join(tmp, "iris.pkl")
        subprocess.run([sys.executable, "-c", TRAIN, model], check=True, timeout=300)
        server = Server("--model", model, "--threads", "2")
        prom = Prometheus(tmp, server.port)
        prom.wait_for('up{job="inferd"}', lambda r: r and value(r) == 1)

        # Wave 1 and wait until a scrape has seen it, so wave 2 gives rate() two distinct samples.
        predict_wave(server, 100)
        status, _ = server.json("POST", "/predict", {"features": [1, 2]})  # wrong width
        assert status == 400
        count_q = 'inferd_model_requests_total{model="iris",protocol="reference",code="200"}'
        first = value(prom.wait_for(count_q, lambda r: r and value(r) >= 100))
        assert first == 100
        predict_wave(server, 150)
        prom.wait_for(count_q, lambda r: r and value(r) == 250)
        bad = prom.wait_for('inferd_model_requests_total{model="iris",protocol="reference",code="400"}',
                            lambda r: bool(r))
        assert value(bad) == 1

        # The per-model counter increases, and rate() over it is positive.
        assert value(prom.query(f"increase({count_q}[1m])")) > 0
        assert value(prom.query('sum(rate(inferd_model_requests_total{model="iris"}[1m]))')) > 0
        # Histograms: every request counted; quantiles are finite, positive, inference <= request.
        assert value(prom.query('inferd_model_request_duration_seconds_count{model="iris"}')) == 251
        assert value(prom.query('inferd_inference_duration_seconds_count{model="iris"}')) == 250
        p99_inf = value(prom.query(
            'histogram_quantile(0.99, sum by (le) (rate(inferd_inference_duration_seconds_bucket{model="iris"}[1m])))'))
        p99_req = value(prom.query(
            'histogram_quantile(0.99, sum by (le) (rate(inferd_model_request_duration_seconds_bucket{model="iris"}[1m])))'))
        # Each request's inference time is within its request time, but histogram_quantile()
        # interpolates inside a bucket over two different counts (250 inferences, 251 requests),
        # so the two estimates may differ by rounding in either direction: compare buckets.
        assert 0 < p99_inf < 10 and 0 < p99_req < 10, (p99_inf, p99_req)
        assert bucket_of(p99_inf) <= bucket_of(p99_req), (p99_inf, p99_req)
        inf_sum = value(prom.query('inferd_inference_duration_seconds_sum{model="iris"}'))
        req_sum = value(prom.query('inferd_model_request_duration_seconds_sum{model="iris"}'))
        assert 0 < inf_sum <= req_sum

        # prometheus-adapter: the series rule finds the gauge, the metrics query gives one
        # per-pod average >= 0.
        series_q, metrics_q = adapter_queries()
        series = prom.api("series", **{"match[]": series_q})
        assert [s["pod"] for s in series] == [POD], series
        per_pod = prom.query(metrics_q)
        assert len(per_pod) == 1 and per_pod[0]["metric"] == {"pod": POD}, per_pod
        assert value(per_pod) >= 0

        # KEDA's trigger query.
        keda = prom.query(keda_query())
        assert len(keda) == 1 and value(keda) >= 0, keda

        # Process metrics.
        rss = value(prom.query('process_resident_memory_bytes{job="inferd"}'))
        assert 1 << 20 < rss < 4 << 30, rss
        age = value(prom.query('time() - process_start_time_seconds{job="inferd"}'))
        assert 0 <= age < 600, age
    finally:
        if prom is not None:
            prom.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
