"""Turns bench/run's measurements into bench/results/report.md, results.json and PNG plots.

Every figure is the median over passes with [min-max]; ratios (inferd vs nginx, vs gunicorn) are
the median of the per-pass ratios, because passes alternate and the machine drifts between them.
write() returns (report path, ok): ok is False when a server answered wrong, failed to start or had
load errors — target misses are reported as FAIL in the report but do not make the run fail.
"""
import json
import math
import os
import statistics

SERVER_LABEL = {"nginx": "nginx (constant answer)", "inferd": "inferd", "gunicorn": "reference app, gunicorn",
                "flask": "reference app, Flask dev server"}
SMALL = ("logreg", "iris")
TABULAR = "titanic"  # the DataFrame pipeline, measured against nginx and the DataFrame reference app
XGB = ("xgb100", "xgb100m", "xgb500")  # XGBoost models, also measured against xgboost's own API
XGB_SERVED_TARGET = ("xgb100", "xgb100m")  # the 100-tree models: req/s ≥ 0.8 × nginx
XGB_ONE_ROW = "xgb100"  # the model of the one-row, in-process target
LGB = ("lgb100",)  # LightGBM models (served by inferd alone: no LightGBM in Python here)
EXPLAIN = ("xgb100",)  # explained over HTTP (bench/run EXPLAIN_MODELS)
EXPLAIN_P50_US = 1000  # one explained row over HTTP: p50 at 1 connection
EXPLAIN_FALSE_RATIO = 0.95  # req/s with "explain": false ÷ without the field, at 64 connections


def mmm(values):
    v = [x for x in values if x is not None and not (isinstance(x, float) and math.isnan(x))]
    if not v:
        return None
    return statistics.median(v), min(v), max(v)


def fmt_n(x, unit=""):
    if x is None:
        return "n/a"
    if abs(x) >= 100:
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return s + unit


def fmt_ratios(t):
    """A ratio's median [min–max] to three significant digits, e.g. 0.187× [0.171–0.203]."""
    m, lo, hi = t
    return f"{m:.3g}×" if lo == hi else f"{m:.3g}× [{lo:.3g}–{hi:.3g}]"


def fmt_mmm(t, scale=1.0, unit=""):
    if t is None:
        return "n/a"
    m, lo, hi = (x * scale for x in t)
    if lo == hi:
        return fmt_n(m, unit)
    return f"{fmt_n(m, unit)} [{fmt_n(lo)}–{fmt_n(hi)}]"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    return f"{r[0]:.3g}× [{r[1]:.3g}–{r[2]:.3g}]" if r[1] != r[2] else f"{r[0]:.3g}×"


def fmt_bytes(b):
    if b is None:
        return "n/a"
    return f"{b / 2**20:.1f} MB" if b >= 2**20 else f"{b / 1024:.1f} kB"


class Data:
    def __init__(self, results):
        self.r = results
        self.servers = results["servers"]

    def passes(self, kind, model):
        return self.servers.get(f"{kind}/{model}", {}).get("passes", [])

    def configs(self):
        return [(v["server"], v["model"]) for v in self.servers.values()]

    def wrk(self, kind, model, conns, field):
        return mmm([p["wrk"][str(conns)][field] for p in self.passes(kind, model) if "wrk" in p and str(conns) in p["wrk"]])

    def per_pass(self, kind, model, getter):
        out = {}
        for p in self.passes(kind, model):
            try:
                v = getter(p)
            except (KeyError, TypeError):
                continue
            if v is not None:
                out[p["pass"]] = v
        return out

    def ratio(self, a, b, getter):
        """median [min-max] over passes of getter(a) / getter(b); a, b = (kind, model)."""
        va, vb = self.per_pass(*a, getter), self.per_pass(*b, getter)
        return mmm([va[k] / vb[k] for k in va if k in vb and vb[k]])

    def errors(self, kind, model):
        n = 0
        for p in self.passes(kind, model):
            for w in p.get("wrk", {}).values():
                n += w["errors"]
            n += p.get("fixed_rate", {}).get("errors", 0)
            for w in p.get("batch", {}).values():
                n += w["errors"]
            for w in p.get("v2", {}).values():
                n += w["errors"]
            for g in p.get("grpc", {}).values():  # failed calls (grpcbench.timed refuses such a run)
                n += g["failed"] + g["errors"]
            ex = p.get("explain", {})
            n += ex.get("one_conn", {}).get("errors", 0) + sum(x["errors"] for x in ex.get("ab", []))
        return n

    def explain(self, model, getter):
        """median [min-max] over inferd's passes of getter(pass["explain"])."""
        return mmm([getter(p["explain"]) for p in self.passes("inferd", model) if "explain" in p])

    def failures(self, kind, model):
        return [p["error"] for p in self.passes(kind, model) if p.get("error")]

    def sk(self, model, key, sub=None):
        runs = self.r["sklearn"].get(model, [])
        return mmm([(r[key][sub] if sub else r[key]) for r in runs if (sub is None or sub in r.get(key, {}))])

    def xgb(self, model, key, sub=None):
        """xgboost's own timings (sk.py xgb), median [min-max] over passes."""
        runs = self.r.get("xgboost", {}).get(model, [])
        return mmm([(r[key][sub] if sub else r[key]) for r in runs if (sub is None or sub in r.get(key, {}))])

    def is_classifier(self, model):
        return self.r["manifest"]["models"].get(model, {}).get("kind") == "classifier"

    def xgb_predict_name(self, model, n):
        """The micro bench's counterpart of inplace_predict: predict_proba for classifiers (what
        inplace_predict returns for them), predict for regressors."""
        return f"{'PredictProba' if self.is_classifier(model) else 'Predict'}/{model}/{n}"

    def paired(self, name):
        """inferd's per-pass medians of micro bench `name` timed beside xgboost's (bench/run's
        xgb_paired_pass; older results: native_loads), as {pass: seconds}."""
        by_name = self.r.get("xgb_paired") or self.r.get("native_loads") or {}
        return {e["pass"]: e["s"] for e in by_name.get(name, [])}

    def paired_ratio(self, name, model, key, sub):
        """inferd's micro bench `name` over xgboost's figure xgboost[model][key][sub]: the median,
        min and max of the per-pass ratios (each pass times both back to back), with the median
        times (inferd, xgboost); from the single micro bench run when there are no per-pass figures."""
        ours = self.paired(name)
        theirs = {r.get("pass"): r[key].get(sub) for r in self.r.get("xgboost", {}).get(model, []) if key in r}
        pairs = [(ours[p], theirs[p]) for p in sorted(ours) if p in theirs and ours[p] and theirs[p]]
        if pairs:
            return mmm([a / b for a, b in pairs]), statistics.median(a for a, _ in pairs), statistics.median(
                b for _, b in pairs)
        mi, xg = self.micro(name), self.xgb(model, key, sub)
        if not (mi and xg):
            return None, None, None
        return (mi[0] / xg[0],) * 3, mi[0], xg[0]

    def load_ratio(self, model, fmt):
        """inferd's load of NAME.FMT over xgboost.Booster(model_file=...)'s (paired_ratio)."""
        return self.paired_ratio(f"Load/{model}.{fmt}", model, "booster_load_s", fmt)

    def predict_ratio(self, model):
        """inferd's 1000-row batch over xgboost's inplace_predict C call (paired_ratio)."""
        return self.paired_ratio(self.xgb_predict_name(model, 1000), model, "inplace_c_s", "1000")

    def micro(self, name):
        m = self.r.get("micro") or {}
        e = m.get(name)
        if not e or "median" not in e:
            return None
        return e["median"], e.get("min", e["median"]), e.get("max", e["median"])


def targets(d):
    """[(target, measured text, PASS/FAIL/n/a)]"""
    rows = []

    def verdict(value, ok):
        return "n/a" if value is None else ("PASS" if ok else "FAIL")

    rps64 = lambda p: p["wrk"]["64"]["rps"]  # noqa: E731
    p50_1 = lambda p: p["wrk"]["1"]["p50_us"]  # noqa: E731
    for m in SMALL:
        if (("inferd", m) in d.configs()) and ("nginx", "-") in d.configs():
            r = d.ratio(("inferd", m), ("nginx", "-"), rps64)
            rows.append((f"{m}: req/s at 64 conns ≥ 0.95 × nginx", fmt_ratio(r), verdict(r, r and r[0] >= 0.95)))
    if ("inferd", "rf100") in d.configs():
        r = d.ratio(("inferd", "rf100"), ("nginx", "-"), rps64)
        rows.append(("rf100: req/s at 64 conns ≥ 0.6 × nginx", fmt_ratio(r), verdict(r, r and r[0] >= 0.6)))
        r = d.ratio(("inferd", "rf100"), ("gunicorn", "rf100"), rps64)
        rows.append(("rf100: req/s at 64 conns ≥ 100 × gunicorn", fmt_ratio(r), verdict(r, r and r[0] >= 100)))
    if ("inferd", TABULAR) in d.configs():
        r = d.ratio(("inferd", TABULAR), ("nginx", "-"), rps64)
        rows.append((f"{TABULAR}: req/s at 64 conns ≥ 0.8 × nginx", fmt_ratio(r), verdict(r, r and r[0] >= 0.8)))
        r = d.ratio(("inferd", TABULAR), ("gunicorn", TABULAR), rps64)
        rows.append((f"{TABULAR}: req/s at 64 conns ≥ 20 × gunicorn (DataFrame app)", fmt_ratio(r),
                     verdict(r, r and r[0] >= 20)))
    for m in SMALL:
        if ("inferd", m) in d.configs():
            r = d.ratio(("inferd", m), ("nginx", "-"), p50_1)
            rows.append((f"{m}: p50 at 1 conn ≤ 1.5 × nginx's", fmt_ratio(r), verdict(r, r and r[0] <= 1.5)))
    for m in SMALL:
        if ("inferd", m) in d.configs():
            s = mmm([p.get("startup_s") for p in d.passes("inferd", m)])
            rows.append((f"{m}: start-up to first correct prediction ≤ 50 ms", fmt_mmm(s, 1000, " ms"),
                         verdict(s, s and s[0] <= 0.050)))
            s = mmm([p.get("rss_kb") for p in d.passes("inferd", m)])
            rows.append((f"{m}: RSS after load ≤ 12 MB", fmt_mmm(s, 1 / 1024, " MB"), verdict(s, s and s[0] <= 12 * 1024)))
    for m, limit in (("rf100", 0.25), ("gbr100", 0.5)):
        if ("inferd", m) not in d.configs():
            continue
        sk = d.sk(m, "predict_s", "1000")
        http = mmm([p["batch"]["1000"]["p50_us"] / 1e6 for p in d.passes("inferd", m) if "batch" in p])
        micro = d.micro(f"Predict/{m}/1000")
        rh = (http[0] / sk[0]) if http and sk else None
        ri = (micro[0] / sk[0]) if micro and sk else None
        txt = f"in-process {ri:.3g}×" if ri is not None else "in-process n/a"
        txt += f"; over HTTP incl. JSON {rh:.3g}×" if rh is not None else ""
        r = ri if ri is not None else rh
        rows.append((f"{m}: 1000-row batch ≤ {limit} × sklearn's predict time (C++ runtime in process; "
                     "HTTP if no micro bench)", txt, verdict(r, r is not None and r <= limit)))
    for m in d.r["settings_models"]:
        if d.r["manifest"]["models"].get(m, {}).get("rows") == "records":
            continue  # inferd_micro_bench takes numeric rows only: no in-process load figure
        if m in LGB:
            continue  # no joblib.load to compare with (lgb_targets)
        micro = d.micro(f"Load/{m}")
        sk = d.sk(m, "load_s")
        r = (micro[0] / sk[0]) if micro and sk else None
        rows.append((f"{m}: model load ≤ 0.2 × joblib.load", f"{r:.3g}×" if r is not None else "n/a (no micro bench)",
                     verdict(r, r is not None and r <= 0.2)))
    rows += xgb_targets(d, verdict)
    rows += lgb_targets(d, verdict)
    rows += explain_targets(d, verdict)
    rows += grpc_targets(d, verdict)
    return rows


GRPC_TARGET_SHAPE = "64x1"  # 64 connections with one call in flight each, as wrk -c64


def grpc_models(d):
    return [m for m in d.r["env"]["settings"].get("grpc_models", []) if ("inferd", m) in d.configs()]


def grpc_targets(d, verdict):
    """Issue 17: gRPC ModelInfer req/s at 64 concurrent streams ≥ 0.8 × inferd's REST (V2 infer, the
    same one-row FP64 request, wrk at 64 connections), and its p50 at one stream ≤ REST V2's at one
    connection; the ratio to POST /predict is shown beside. Per-pass ratios, median [min–max]."""
    rows = []
    for m in grpc_models(d):
        key = ("inferd", m)
        g64 = lambda p: p["grpc"][GRPC_TARGET_SHAPE]["rps"]  # noqa: E731
        r = mmm([g64(p) / p["v2"]["64"]["rps"] for p in d.passes(*key) if _has(p, GRPC_TARGET_SHAPE, "64")])
        rp = mmm([g64(p) / p["wrk"]["64"]["rps"] for p in d.passes(*key)
                  if _has(p, GRPC_TARGET_SHAPE, "64") and "64" in p.get("wrk", {})])
        rows.append((f"{m}: gRPC req/s at 64 streams (inferd_grpc_load 64×1) ≥ 0.8 × inferd REST (V2 infer, wrk -c64)",
                     f"{fmt_ratio(r)}; × POST /predict {fmt_ratio(rp)}", verdict(r, r and r[0] >= 0.8)))
        g1 = lambda p: p["grpc"]["1x1"]["p50_us"]  # noqa: E731
        r = mmm([g1(p) / p["v2"]["1"]["p50_us"] for p in d.passes(*key) if _has(p, "1x1", "1")])
        rp = mmm([g1(p) / p["wrk"]["1"]["p50_us"] for p in d.passes(*key)
                  if _has(p, "1x1", "1") and "1" in p.get("wrk", {})])
        rows.append((f"{m}: gRPC p50 one stream (inferd_grpc_load 1×1) ≤ REST p50 (V2 infer, wrk -c1)",
                     f"{fmt_ratio(r)}; × POST /predict {fmt_ratio(rp)}", verdict(r, r and r[0] <= 1.0)))
    return rows


def _has(p, shape, conns):
    return shape in p.get("grpc", {}) and conns in p.get("v2", {}) and p["v2"][conns]["rps"] > 0


def grpc_section(d, results):
    """Markdown lines: gRPC ModelInfer against REST V2 infer and POST /predict, per model and shape."""
    models = grpc_models(d)
    if not models:
        return []
    s = results["env"]["settings"]
    L = ["## gRPC ModelInfer vs REST (issue 17)\n"]
    L.append("The same one-row request both ways: gRPC `inference.GRPCInferenceService/ModelInfer` (input "
             "`input-0`, FP64, shape [1, n], typed `fp64_contents`) sent by inferd_grpc_load (bench/grpcload: one "
             "thread, closed loop, HTTP/2 by hand; its request headers are encoded once, indexed in the server's "
             "HPACK table after a connection's first call as gRPC's own clients send them, like wrk's pre-formatted "
             "request) as a pre-framed message with `content-type: application/grpc`, `te: trailers`; REST V2 "
             "`POST /v2/models/NAME/infer` with the same row as JSON, sent by wrk `-t1` (and `POST /predict`, the "
             "Throughput table's figure). Before timing, the body the tool sends went once through python3-grpcio "
             "and had to answer exactly like REST V2 and sklearn. At each concurrency, after a discarded "
             f"{s.get('grpc_warmup_s', 1):g} s warm-up of each, REST V2 and the gRPC shapes of that concurrency take "
             + (f"turns of {s['grpc_slice_s']:g} s for about {s['duration_s']:g} s each, the order reversed every turn, "
                "and a figure sums its turns (calls / seconds; p50 and p99 the median of the turns'), so that the "
                "machine's drift from second to second falls on both alike. " if "grpc_slice_s" in s else
                f"runs of about {s['duration_s']:g} s, one after the other. ") +
             "Each gRPC run is a fixed count of calls (`--calls`, sized from the rate before it) "
             "and its figure is kept only if the tool counted every call ok (:status 200, grpc-status 0, the same "
             "answer bytes as the first call) and inferd's "
             "`inferd_model_requests_total{protocol=\"grpc\",code=\"200\"}` "
             "for the model grew by exactly the calls done, and no other code did. Shapes: C×M = C HTTP/2 connections × M concurrent streams each; 64×1 is wrk's "
             "shape at 64 connections (the target's), 1×64 is one channel carrying 64 calls. Latencies in µs. gRPC "
             "p50 is from the tool's per-call latencies (from queuing the request's frames to reading the "
             "trailers), wrk's from its own histogram.\n")
    L.append("| model | gRPC shape (c×m) | gRPC calls/s | gRPC p50 | gRPC p99 | REST V2 conns | REST V2 req/s | "
             "REST V2 p50 | gRPC ÷ REST V2 (req/s) | POST /predict req/s | p50 | inferd counted |\n"
             "|---|---|---|---|---|---|---|---|---|---|---|---|")
    for m in models:
        ps = d.passes("inferd", m)
        for shape in s.get("grpc_shapes", []):
            c, mm = (int(x) for x in shape.split("x"))
            conns = str(c * mm)
            g = [p["grpc"][shape] for p in ps if shape in p.get("grpc", {})]
            v = [p["v2"][conns] for p in ps if conns in p.get("v2", {})]
            w = [p["wrk"][conns] for p in ps if conns in p.get("wrk", {})]
            ratio = mmm([p["grpc"][shape]["rps"] / p["v2"][conns]["rps"] for p in ps if _has(p, shape, conns)])
            counted = "=" if g and all(x["inferd_counted"].get("200") == x["done"] for x in g) else "—"
            L.append(f"| {m} | {shape} | {fmt_mmm(mmm([x['rps'] for x in g]))} | "
                     f"{fmt_mmm(mmm([x['p50_us'] for x in g]), 1, ' µs')} | "
                     f"{fmt_mmm(mmm([x['p99_us'] for x in g]), 1, ' µs')} | {conns} | "
                     f"{fmt_mmm(mmm([x['rps'] for x in v]))} | {fmt_mmm(mmm([x['p50_us'] for x in v]), 1, ' µs')} | "
                     f"{fmt_ratio(ratio)} | {fmt_mmm(mmm([x['rps'] for x in w]))} | "
                     f"{fmt_mmm(mmm([x['p50_us'] for x in w]), 1, ' µs')} | "
                     f"{'tool done ' + counted + ' inferd' if g else 'refused or not run'} |")
    L.append("")
    return L


def explain_targets(d, verdict):
    """Explanations over HTTP (issue 16): one explained row, p50 at one connection ≤ 1 ms; the
    cost of "explain": false, req/s at 64 connections ≥ 0.95 × the same body without the field
    (both bodies alternated in one server: the median of the passes' ratios)."""
    rows = []
    for m in (m for m in EXPLAIN if ("inferd", m) in d.configs()):
        p50 = d.explain(m, lambda e: e["one_conn"]["p50_us"])
        p99 = d.explain(m, lambda e: e["one_conn"]["p99_us"])
        txt = "n/a" if p50 is None else f"{fmt_mmm(p50, 1e-3, ' ms')}; p99 {fmt_mmm(p99, 1e-3, ' ms')}"
        rows.append((f"{m}: one explained row over HTTP (`\"explain\": true`), p50 at 1 conn ≤ 1 ms", txt,
                     verdict(p50, p50 is not None and p50[0] <= EXPLAIN_P50_US)))
        r = d.explain(m, lambda e: e["false_vs_no_field"])
        rows.append((f"{m}: req/s at 64 conns with `\"explain\": false` ≥ {EXPLAIN_FALSE_RATIO} × the same body "
                     "without the field", fmt_ratio(r), verdict(r, r is not None and r[0] >= EXPLAIN_FALSE_RATIO)))
    return rows


def explain_section(d, results):
    """Markdown lines: the explanation figures per pass."""
    models = [m for m in EXPLAIN if any("explain" in p for p in d.passes("inferd", m))]
    if not models:
        return []
    L = ["## Explanations over HTTP\n"]
    L.append("inferd only, after the model's other load tests in the same server. Explained: `POST /predict` with "
             "`{\"features\": [...], \"explain\": true}` (one row; its contributions checked against xgboost's "
             "`pred_contribs` first), wrk -t1 on one connection; beside it the same row without `explain` at one "
             "connection from the throughput table. `\"explain\": false`: the one-row body with the field and "
             "the same body without it at 64 connections, alternated without / with / with / without in one "
             "server; the ratio is the with-runs' req/s over the without-runs'.\n")
    L.append("| model | pass | explained p50 @1 | explained p99 @1 | unexplained p50 @1 | 64 conns without the field "
             "(req/s) | with `\"explain\": false` | ratio |\n|---|---|---|---|---|---|---|---|")
    for m in models:
        for p in d.passes("inferd", m):
            e = p.get("explain")
            if not e:
                continue
            plain = p.get("wrk", {}).get("1", {}).get("p50_us")
            runs = {k: [x["rps"] for x in e["ab"] if x["body"] == k] for k in ("no_field", "explain_false")}
            ratio = e.get("false_vs_no_field")
            L.append(f"| {m} | {p['pass']} | {fmt_n(e['one_conn']['p50_us'] / 1000, ' ms')} | "
                     f"{fmt_n(e['one_conn']['p99_us'] / 1000, ' ms')} | "
                     f"{fmt_n(plain / 1000, ' ms') if plain is not None else 'n/a'} | "
                     f"{', '.join(fmt_n(x) for x in runs['no_field'])} | "
                     f"{', '.join(fmt_n(x) for x in runs['explain_false'])} | "
                     f"{f'{ratio:.3g}×' if ratio else 'n/a'} |")
    L.append("")
    return L


def lgb_targets(d, verdict):
    """The LightGBM evaluator's targets (issue 19): one row in process ≤ 10 µs (predict_proba),
    req/s at 64 conns ≥ 0.8 × nginx; its load and 1000-row times are figures without a target
    (there is no LightGBM here to compare with)."""
    rows = []
    rps64 = lambda p: p["wrk"]["64"]["rps"]  # noqa: E731
    for m in (m for m in LGB if m in d.r["settings_models"]):
        mi = d.micro(f"PredictProba/{m}/1")
        rows.append((f"{m}: one-row predict_proba in process ≤ 10 µs", fmt_mmm(mi, 1e6, " µs"),
                     verdict(mi, mi is not None and mi[0] <= 10e-6)))
        for name, scale, unit in ((f"Load/{m}", 1000, " ms"), (f"PredictProba/{m}/1000", 1e6, " µs")):
            mi = d.micro(name)
            rows.append((f"{m}: {name.split('/')[0].replace('PredictProba', '1000-row predict_proba')} in process "
                         "(figure, no target)", fmt_mmm(mi, scale, unit), "n/a"))
        if ("inferd", m) in d.configs() and ("nginx", "-") in d.configs():
            r = d.ratio(("inferd", m), ("nginx", "-"), rps64)
            rows.append((f"{m}: req/s at 64 conns ≥ 0.8 × nginx", fmt_ratio(r), verdict(r, r and r[0] >= 0.8)))
    return rows


def xgb_targets(d, verdict):
    """The XGBoost evaluator's targets: load ≤ 0.2 × xgboost.Booster(model_file=...) per native
    format, 1000-row batch on one thread ≤ 0.5 × inplace_predict (its C call without the Python
    wrapper),
    one row in process ≤ 10 µs (xgb100, predict_proba), req/s at 64 conns ≥ 0.8 × nginx for the
    100-tree models (xgb500 is served too and its ratio reported, without a target: 500 trees are
    ~6 µs of compute per row, about half of what one request may cost at the nginx limit here)."""
    rows = []
    models = [m for m in XGB if m in d.r["settings_models"]]
    for m in models:
        for fmt in ("ubj", "json"):
            ratios, ours, theirs = d.load_ratio(m, fmt)
            r = ratios[0] if ratios else None
            txt = "n/a" if r is None else (f"{fmt_ratios(ratios)} ({fmt_n(ours * 1000)} vs {fmt_n(theirs * 1000)} ms; "
                                           "median of the passes' back-to-back ratios)")
            rows.append((f"{m}: load of the .{fmt} file ≤ 0.2 × xgboost.Booster(model_file=...)", txt,
                         verdict(r, r is not None and r <= 0.2)))
    for m in models:
        ratios, ours, theirs = d.predict_ratio(m)
        raw = d.xgb(m, "inplace_s", "1000")
        r = ratios[0] if ratios else None
        what = "predict_proba" if d.is_classifier(m) else "predict"
        whole = f"; {ours / raw[0]:.3g}× of the whole Python call" if r is not None and raw else ""
        txt = "n/a" if r is None else (f"{fmt_ratios(ratios)} ({fmt_n(ours * 1e6)} vs {fmt_n(theirs * 1e6)} µs, "
                                       f"median of the passes' back-to-back ratios{whole})")
        rows.append((f"{m}: 1000-row {what}, one thread, in process ≤ 0.5 × xgboost's inplace_predict "
                     "(nthread=1, its C call without the Python wrapper)", txt, verdict(r, r is not None and r <= 0.5)))
    if XGB_ONE_ROW in models:
        mi = d.micro(f"PredictProba/{XGB_ONE_ROW}/1")
        rows.append((f"{XGB_ONE_ROW}: one-row predict_proba in process ≤ 10 µs", fmt_mmm(mi, 1e6, " µs"),
                     verdict(mi, mi is not None and mi[0] <= 10e-6)))
    if XGB_ONE_ROW in models:
        mi, xg = d.micro(f"Contributions/{XGB_ONE_ROW}/1000"), d.xgb(XGB_ONE_ROW, "contribs_s", "1000")
        r = (mi[0] / xg[0]) if mi and xg and xg[0] > 0 else None
        txt = "n/a" if r is None else f"{r:.3g}× ({fmt_n(mi[0] * 1000)} vs {fmt_n(xg[0] * 1000)} ms)"
        rows.append((f"{XGB_ONE_ROW}: 1000 rows' contributions, one thread, in process ≤ 0.5 × xgboost's "
                     "predict(pred_contribs=True)", txt, verdict(r, r is not None and r <= 0.5)))
    rps64 = lambda p: p["wrk"]["64"]["rps"]  # noqa: E731
    for m in models:
        if ("inferd", m) in d.configs() and ("nginx", "-") in d.configs() and m in XGB_SERVED_TARGET:
            r = d.ratio(("inferd", m), ("nginx", "-"), rps64)
            rows.append((f"{m}: req/s at 64 conns ≥ 0.8 × nginx", fmt_ratio(r), verdict(r, r and r[0] >= 0.8)))
    return rows


def xgb_section(d, results):
    """Markdown lines: inferd against xgboost's own Python API on the XGBoost models."""
    models = [m for m in XGB if m in results["settings_models"]]
    if not models:
        return []
    man = results["manifest"]["models"]
    L = ["## XGBoost: inferd vs xgboost's own API\n"]
    L.append(f"xgboost {results['env']['versions'].get('xgboost', '?')} (Debian's python3-xgboost); inferd's "
             f"evaluator: {results['env']['versions'].get('inferd xgboost evaluator', '?')}. Both sides in a warm "
             "process, files in the page cache, one thread (`OMP_NUM_THREADS=1`, and `nthread=1` on the booster). "
             "inferd: `inferd_micro_bench` (`LoadModelFile`, `Model::PredictProba` / `PredictValue`), median of "
             "single loads and of Google Benchmark repetitions. xgboost: `bench/benchlib/sk.py xgb`, median of "
             "single calls: `xgboost.Booster(model_file=F)` and `booster.inplace_predict(X)` on a C-contiguous "
             "float64 array made before the timing. \"C call\" is the same prediction without the Python wrapper: "
             "`XGBoosterPredictFromDense`, the function `inplace_predict` calls, through ctypes with the arguments "
             "the wrapper builds per call built once beforehand and the output left in xgboost's buffer (one ctypes "
             "call of Python remains, ~1 µs; its output is checked equal to `inplace_predict`'s). The 1000-row "
             "target compares with the C call. Both sides run on the same CPU (`taskset`); each pass times inferd's "
             "loads of the native files right after xgboost's, and a load ratio is the median [min–max] of those "
             "per-pass ratios (the inferd column: the per-pass medians).\n")
    L.append("### Load\n")
    L.append("| model | file | size | inferd | xgboost | inferd ÷ xgboost |\n|---|---|---|---|---|---|")
    for m in models:
        for fmt in ("ubj", "json"):
            mi, xg = d.micro(f"Load/{m}.{fmt}"), d.xgb(m, "booster_load_s", fmt)
            ours = mmm(list(d.paired(f"Load/{m}.{fmt}").values())) or mi
            ratios, _, _ = d.load_ratio(m, fmt)
            size = man.get(m, {}).get("native_bytes", {}).get(fmt)
            L.append(f"| {m} | .{fmt} | {fmt_bytes(size)} | {fmt_mmm(ours, 1000, ' ms')} | "
                     f"{fmt_mmm(xg, 1000, ' ms')} (`Booster(model_file=...)`) | "
                     f"{fmt_ratios(ratios) if ratios else 'n/a'} |")
        mi, sk = d.micro(f"Load/{m}"), d.sk(m, "load_s")
        L.append(f"| {m} | .pkl (joblib) | {fmt_bytes(man.get(m, {}).get('file_bytes'))} | {fmt_mmm(mi, 1000, ' ms')} | "
                 f"{fmt_mmm(sk, 1000, ' ms')} (`joblib.load`) | {f'{mi[0] / sk[0]:.3g}×' if mi and sk else 'n/a'} |")
    L.append("")
    L.append("### Predict, one thread, in process\n")
    L.append("| model | rows | inferd (proba / value) | inferd (class) | xgboost inplace_predict | its C call | "
             "inferd ÷ C call | inferd ÷ whole call |\n|---|---|---|---|---|---|---|---|")
    for m in models:
        for n in (1, 100, 1000):
            mi = d.micro(d.xgb_predict_name(m, n))
            cls = d.micro(f"Predict/{m}/{n}") if d.is_classifier(m) else None
            raw, net = d.xgb(m, "inplace_s", str(n)), d.xgb(m, "inplace_c_s", str(n))
            if not (mi or raw):
                continue
            L.append(f"| {m} | {n} | {fmt_mmm(mi, 1e6, ' µs')} | {fmt_mmm(cls, 1e6, ' µs') if cls else '—'} | "
                     f"{fmt_mmm(raw, 1e6, ' µs')} | {fmt_mmm(net, 1e6, ' µs')} | "
                     f"{f'{mi[0] / net[0]:.3g}×' if mi and net and net[0] > 0 else 'n/a'} | "
                     f"{f'{mi[0] / raw[0]:.3g}×' if mi and raw else 'n/a'} |")
    L.append("")
    return L


def plots(d, results, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    files = []
    conns = results["env"]["settings"]["conns"]
    colors = {"nginx": "tab:gray", "inferd": "tab:blue", "gunicorn": "tab:orange", "flask": "tab:red"}
    styles = {"logreg": "-", "iris": "--", "rf100": "-.", "gbr100": ":", "titanic": (0, (5, 1, 1, 1, 1, 1)),
              "xgb100": (0, (3, 1)), "xgb100m": (0, (1, 2)), "xgb500": (0, (5, 2, 1, 2)), "-": "-"}

    # req/s vs connections
    fig, ax = plt.subplots(figsize=(8, 5))
    for kind, model in d.configs():
        pts = [(c, d.wrk(kind, model, c, "rps")) for c in conns]
        pts = [(c, t) for c, t in pts if t]
        if not pts:
            continue
        ax.errorbar([c for c, _ in pts], [t[0] for _, t in pts],
                    yerr=[[t[0] - t[1] for _, t in pts], [t[2] - t[0] for _, t in pts]],
                    label=f"{kind}/{model}" if model != "-" else "nginx", color=colors[kind],
                    linestyle=styles.get(model, "-"), marker="o", capsize=3)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(conns)
    ax.set_xticklabels([str(c) for c in conns])
    ax.set_xlabel("connections (wrk -t1)")
    ax.set_ylabel("requests/s (median, min–max)")
    ax.set_title("Throughput vs connections")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    files.append("throughput.png")
    fig.savefig(os.path.join(out, files[-1]), dpi=110)
    plt.close(fig)

    # latency CDF at the fixed rate
    fig, ax = plt.subplots(figsize=(8, 5))
    any_cdf = False
    for kind, model in d.configs():
        lat = sorted(x for p in d.passes(kind, model) for x in p.get("fixed_rate_latencies_us", []))
        if not lat:
            continue
        any_cdf = True
        ys = [(i + 1) / len(lat) for i in range(len(lat))]
        ax.plot([x / 1000 for x in lat], ys, label=f"{kind}/{model}" if model != "-" else "nginx", color=colors[kind],
                linestyle=styles.get(model, "-"))
    if any_cdf:
        ax.set_xscale("log")
        ax.set_xlabel("latency (ms), log scale")
        ax.set_ylabel("fraction of requests")
        ax.set_title(f"Latency CDF at a fixed {results['env']['settings']['rate']:.0f} req/s (hey -q)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        files.append("latency_cdf.png")
        fig.savefig(os.path.join(out, files[-1]), dpi=110)
    plt.close(fig)

    # memory and start-up bars
    cfgs = [(k, m) for k, m in d.configs() if k != "nginx"]
    if cfgs:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 5))
        labels = [f"{k}/{m}" for k, m in cfgs]
        rss = [mmm([p.get("rss_kb") for p in d.passes(k, m)]) for k, m in cfgs]
        pss = [mmm([p.get("pss_kb") for p in d.passes(k, m)]) for k, m in cfgs]
        su = [mmm([p.get("startup_s") for p in d.passes(k, m)]) for k, m in cfgs]
        ys = range(len(cfgs))
        a1.barh([y - 0.2 for y in ys], [(t[0] / 1024 if t else 0) for t in rss], height=0.4, label="RSS (sum over processes)",
                color=[colors[k] for k, _ in cfgs])
        a1.barh([y + 0.2 for y in ys], [(t[0] / 1024 if t else 0) for t in pss], height=0.4, label="PSS", color="lightgray")
        a1.set_yticks(list(ys))
        a1.set_yticklabels(labels, fontsize=7)
        a1.set_xscale("log")
        a1.set_xlim(left=1)  # bars start at 1 MB, so lengths compare on the log scale
        a1.set_xlabel("MB after load, log scale")
        a1.set_title("Memory")
        a1.legend(fontsize=7)
        a2.barh(list(ys), [(t[0] * 1000 if t else 0) for t in su], color=[colors[k] for k, _ in cfgs])
        a2.set_yticks(list(ys))
        a2.set_yticklabels(labels, fontsize=7)
        a2.set_xscale("log")
        a2.set_xlim(left=1)  # bars start at 1 ms
        a2.set_xlabel("ms from spawn to first correct prediction, log scale")
        a2.set_title("Start-up")
        fig.tight_layout()
        files.append("memory_startup.png")
        fig.savefig(os.path.join(out, files[-1]), dpi=110)
        plt.close(fig)
    return files


def write(results, out):
    d = Data(results)
    env = results["env"]
    results["settings_models"] = env["settings"]["models"]
    d.r = results
    conns = env["settings"]["conns"]
    ok = True
    L = []
    L.append("# inferd benchmark report\n")
    if env["settings"]["smoke"]:
        L.append("> **SMOKE RUN** (`--smoke`): one pass, short runs, small models. It checks the harness; "
                 "its figures mean nothing.\n")
    L.append(f"- Date: {env['date']}; git {env['git']}{' (uncommitted changes)' if env['git_dirty'] else ''}; "
             f"command: `{env['command']}`; took {env['elapsed_s'] / 60:.1f} min")
    L.append(f"- Machine: {env['cpus']} CPUs ({env['cpu']}), kernel {env['kernel']}")
    L.append(f"- Load average (1/5/15 min) at start: **{env['loadavg_start']}**, at end: **{env['loadavg_end']}** "
             f"(`uptime`: {env['uptime_end']}). A load average near or above the CPU count means other work "
             "shared the machine: absolute figures are low and noisy; ratios from alternating passes hold better.")
    if env.get("page_fault_us") is not None:
        L.append(f"- Page faults: **{env['page_fault_us']:.2f} µs** per fresh 4 kB page (8 MB of private anonymous "
                 "memory touched page by page, best of 3, at the start). Model load times scale with it: "
                 "compare load figures across runs only at a similar cost.")
    s = env["settings"]
    L.append(f"- Settings: {s['passes']} alternating passes, {s['duration_s']:g} s per measurement, wrk -t1 at "
             f"{', '.join(map(str, conns))} connections, fixed rate {s['rate']:g} req/s (hey -q, 4 connections), "
             f"{s.get('nginx_workers', s['workers'])} nginx worker(s), inferd --threads {s['inferd_threads']}, "
             f"{s['workers']} gunicorn workers (the reference's production form); "
             "all on 127.0.0.1; load generator on the same machine.")
    L.append("- Versions: " + "; ".join(f"{k}: {v}" for k, v in env["versions"].items()))
    L.append("- Every figure: median over passes [min–max]. Ratios: median of per-pass ratios [min–max].\n")

    L.append("## Models\n")
    L.append("| name | model | file |\n|---|---|---|")
    for name, m in results["manifest"]["models"].items():
        if name in s["models"]:
            L.append(f"| {name} | {m['description']} | {fmt_bytes(m['file_bytes'])} |")
    L.append("")

    L.append("## Correctness (checked before timing)\n")
    L.append(f"Each server answered {16} held-out rows one by one (inferd also as one batch) and had to match "
             "scikit-learn's `predict` exactly (floats within 1e-9 relative); again after the load tests. "
             "nginx must return its constant answer.\n")
    L.append("| server | model | verified | errors under load | problems |\n|---|---|---|---|---|")
    for kind, model in d.configs():
        fails = d.failures(kind, model)
        errs = d.errors(kind, model)
        verified = all(p.get("verified_rows") for p in d.passes(kind, model)) and not fails
        if fails or errs:
            ok = False
        L.append(f"| {kind} | {model} | {'yes' if verified else 'NO'} | {errs} | "
                 f"{'; '.join(f[:200].replace('|', '/') for f in fails) or '—'} |")
    L.append("")

    L.append("## Targets (issues 6, 14, 16 and 17, and the XGBoost and LightGBM evaluators')\n")
    L.append("| target | measured | verdict |\n|---|---|---|")
    for t, m, v in targets(d):
        L.append(f"| {t} | {m} | **{v}** |")
    L.append("")

    L.append("## Summary\n")
    summary = ["| server | model | req/s @64 | × nginx | × gunicorn | p50 @1 conn | p99 @ fixed rate | RSS | start-up |",
               "|---|---|---|---|---|---|---|---|---|"]
    rps64 = lambda p: p["wrk"][str(conns[-1])]["rps"]  # noqa: E731
    for kind, model in d.configs():
        if model == "rf500":
            continue
        vs_n = d.ratio((kind, model), ("nginx", "-"), rps64) if kind != "nginx" else None
        vs_g = d.ratio((kind, model), ("gunicorn", model), rps64) if kind not in ("nginx", "gunicorn") else None
        fr = mmm([p["fixed_rate"]["p99_us"] for p in d.passes(kind, model) if "fixed_rate" in p])
        summary.append(
            f"| {kind} | {model} | {fmt_mmm(d.wrk(kind, model, conns[-1], 'rps'))} | {fmt_ratio(vs_n) if vs_n else '—'} | "
            f"{fmt_ratio(vs_g) if vs_g else '—'} | {fmt_mmm(d.wrk(kind, model, conns[0], 'p50_us'), 1e-3, ' ms')} | "
            f"{fmt_mmm(fr, 1e-3, ' ms')} | {fmt_mmm(mmm([p.get('rss_kb') for p in d.passes(kind, model)]), 1 / 1024, ' MB')} | "
            f"{fmt_mmm(mmm([p.get('startup_s') for p in d.passes(kind, model)]), 1000, ' ms') if kind != 'nginx' else '—'} |")
    L += summary
    L.append("")

    L.append("## Throughput and latency under closed-loop load (wrk -t1 --latency)\n")
    L.append("| server | model | conns | req/s | × nginx | × gunicorn | p50 | p99 | errors |\n|---|---|---|---|---|---|---|---|---|")
    for kind, model in d.configs():
        for c in conns:
            rps = d.wrk(kind, model, c, "rps")
            if rps is None:
                continue
            g = lambda p, c=c: p["wrk"][str(c)]["rps"]  # noqa: E731
            vs_n = d.ratio((kind, model), ("nginx", "-"), g) if kind != "nginx" else None
            vs_g = d.ratio((kind, model), ("gunicorn", model), g) if kind not in ("nginx", "gunicorn") else None
            errs = sum(p["wrk"][str(c)]["errors"] for p in d.passes(kind, model) if "wrk" in p and str(c) in p["wrk"])
            L.append(f"| {kind} | {model} | {c} | {fmt_mmm(rps)} | {fmt_ratio(vs_n) if vs_n else '—'} | "
                     f"{fmt_ratio(vs_g) if vs_g else '—'} | {fmt_mmm(d.wrk(kind, model, c, 'p50_us'), 1e-3, ' ms')} | "
                     f"{fmt_mmm(d.wrk(kind, model, c, 'p99_us'), 1e-3, ' ms')} | {errs} |")
    L.append("")

    sc = results.get("scaling") or {}
    if sc.get("nginx"):
        L.append("## Scaling check: 2 nginx workers and inferd --threads 2 (64 connections)\n")
        L.append("The main tables run nginx and inferd with "
                 f"{s.get('nginx_workers', s['workers'])} worker(s)/thread(s): on this 2-core machine wrk needs one "
                 "core, and a second worker or thread mostly adds context switches. Here both run with 2, "
                 "alternating, to show that choice does not favour inferd.\n")
        L.append("| server | model | req/s | × nginx (2 workers) | errors |\n|---|---|---|---|---|")
        by_pass = {x["pass"]: x["rps"] for x in sc["nginx"]}
        for key in sorted(sc, key=lambda k: (k != "nginx", k)):
            runs = sc[key]
            rps = mmm([x["rps"] for x in runs])
            ratios = mmm([x["rps"] / by_pass[x["pass"]] for x in runs if by_pass.get(x["pass"])]) if key != "nginx" else None
            kind, _, model = key.partition("/")
            L.append(f"| {kind} | {model or '-'} | {fmt_mmm(rps)} | {fmt_ratio(ratios) if ratios else '—'} | "
                     f"{sum(x['errors'] for x in runs)} |")
        L.append("")

    L.append(f"## Latency at a fixed rate below saturation ({s['rate']:g} req/s, hey -q)\n")
    L.append("hey paces each of its 4 connections; if a server cannot keep up the achieved rate falls below the "
             "target (flagged), and the percentiles then include queueing.\n")
    L.append("| server | model | achieved req/s | p50 | p90 | p99 | p99.9 | errors |\n|---|---|---|---|---|---|---|---|")
    for kind, model in d.configs():
        fr = [p["fixed_rate"] for p in d.passes(kind, model) if "fixed_rate" in p]
        if not fr:
            continue
        ach = mmm([f["rps"] for f in fr])
        flag = " (saturated)" if ach and ach[0] < 0.9 * fr[0]["target_rps"] else ""
        L.append(f"| {kind} | {model} | {fmt_mmm(ach)}{flag} | " + " | ".join(
            fmt_mmm(mmm([f[k] for f in fr]), 1e-3, " ms") for k in ("p50_us", "p90_us", "p99_us", "p999_us"))
            + f" | {sum(f['errors'] for f in fr)} |")
    L.append("")

    L.append("## Memory after load and start-up\n")
    L.append("RSS is the sum of VmRSS over the server's processes (/proc/PID/status; gunicorn = master + workers, "
             "nginx = master + workers), read after the load tests; PSS (/proc/PID/smaps_rollup) splits pages shared "
             "between forked workers. Start-up: from spawning the process to the first correct answer to "
             "POST /predict (polled every ~1 ms).\n")
    L.append("RSS/PSS are read after the one-row load tests; for inferd, \"RSS after batches\" is read again after the "
             "1..10000-row batch requests (a bigger heap).\n")
    L.append("| server | model | RSS | PSS | RSS after batches | start-up |\n|---|---|---|---|---|---|")
    for kind, model in d.configs():
        ps = d.passes(kind, model)
        L.append(f"| {kind} | {model} | {fmt_mmm(mmm([p.get('rss_kb') for p in ps]), 1 / 1024, ' MB')} | "
                 f"{fmt_mmm(mmm([p.get('pss_kb') for p in ps]), 1 / 1024, ' MB')} | "
                 f"{fmt_mmm(mmm([p.get('rss_end_kb') for p in ps]), 1 / 1024, ' MB') if kind == 'inferd' else '—'} | "
                 f"{fmt_mmm(mmm([p.get('startup_s') for p in ps]), 1000, ' ms')} |")
    L.append("")

    L.append("## Model load time: inferd vs joblib.load\n")
    L.append("Both in a warm process with the file in the page cache: inferd's `LoadModelFile` "
             "(Google Benchmark, `inferd_micro_bench`) vs `joblib.load` (sklearn already imported). "
             "Both are the median of single loads timed one by one (inferd: 20–1000 repetitions of one "
             "iteration, as many as fit in ~2 s; joblib: as many as fit in its budget).\n")
    L.append("| model | file | inferd | joblib.load | ratio |\n|---|---|---|---|---|")
    for m in s["models"]:
        mi, sk = d.micro(f"Load/{m}"), d.sk(m, "load_s")
        L.append(f"| {m} | {fmt_bytes(results['manifest']['models'][m]['file_bytes'])} | {fmt_mmm(mi, 1000, ' ms')} | "
                 f"{fmt_mmm(sk, 1000, ' ms')} | {f'{mi[0] / sk[0]:.3g}×' if mi and sk else 'n/a'} |")
    phases = [(m, [d.micro(f"LoadPhase/{m}/{ph}") for ph in ("parse", "build", "drop")]) for m in s["models"]]
    if any(any(p) for _, p in phases):
        L.append("\nWhere inferd's load time goes (`LoadPhase/NAME/...`, timed apart in the same way): reading "
                 "the file into the value tree, building the model from it, dropping the tree and the file "
                 "mapping.\n")
        L.append("| model | parse | build | drop |\n|---|---|---|---|")
        for m, p in phases:
            L.append(f"| {m} | " + " | ".join(fmt_mmm(x, 1000, ' ms') for x in p) + " |")
    if "skipped" in (results.get("micro") or {}):
        L.append(f"\n`inferd_micro_bench` was not run: {results['micro']['skipped']}.")
    elif not results.get("micro"):
        L.append("\n`inferd_micro_bench` was not available: in-process figures are missing.")
    elif "error" in (results.get("micro") or {}):
        L.append(f"\n`inferd_micro_bench` failed: {results['micro']['error'][:300]}")
    L.append("")

    L += xgb_section(d, results)
    L += explain_section(d, results)
    L += grpc_section(d, results)

    L.append("## Batch throughput (rows/s)\n")
    L.append("inferd over HTTP: one connection, `{\"instances\": [...]}` of N rows per request (wrk). "
             "scikit-learn: `model.predict(rows[:N])` in process. In-process C++: `Model::Predict*` on the same rows, "
             "single-threaded (Google Benchmark). The reference app takes one row per request, so it has no batch "
             "figure.\n")
    L.append("| model | rows/request | inferd HTTP rows/s | inferd HTTP p50 | sklearn predict rows/s | inferd in-process rows/s | "
             "HTTP time ÷ sklearn | in-process ÷ sklearn |\n|---|---|---|---|---|---|---|---|")
    for m in s["models"]:
        if ("inferd", m) not in d.configs():
            continue
        for n in (1, 100, 1000, 10000):
            http = mmm([p["batch"][str(n)]["rows_per_s"] for p in d.passes("inferd", m) if "batch" in p])
            p50 = mmm([p["batch"][str(n)]["p50_us"] for p in d.passes("inferd", m) if "batch" in p])
            sk = d.sk(m, "predict_s", str(n))
            mi = d.micro(f"Predict/{m}/{n}")
            if not (http or sk or mi):
                continue
            L.append(f"| {m} | {n} | {fmt_mmm(http)} | {fmt_mmm(p50, 1e-3, ' ms')} | {fmt_n(n / sk[0]) if sk else 'n/a'} | "
                     f"{fmt_n(n / mi[0]) if mi else 'n/a'} | "
                     f"{f'{p50[0] / 1e6 / sk[0]:.3g}×' if p50 and sk else 'n/a'} | {f'{mi[0] / sk[0]:.3g}×' if mi and sk else 'n/a'} |")
    L.append("")

    L.append("## scikit-learn in process (the Python stack's compute floor)\n")
    L.append("| model | predict 1 row | predict 1000 rows | process RSS after joblib.load |\n|---|---|---|---|")
    for m in s["models"]:
        L.append(f"| {m} | {fmt_mmm(d.sk(m, 'predict_s', '1'), 1e6, ' µs')} | {fmt_mmm(d.sk(m, 'predict_s', '1000'), 1000, ' ms')} | "
                 f"{fmt_mmm(d.sk(m, 'rss_kb'), 1 / 1024, ' MB')} |")
    L.append("")

    img = results.get("images")
    L.append("## Image size\n")
    if img and "error" not in img:
        ref = img.get("reference", {})
        inf = img.get("inferd")
        L.append("Neither image is pulled or pushed by the benchmark; both are computed (method in "
                 "`bench/benchlib/images.py`): inferd = stripped binary + the shared libraries it links + model "
                 "(the Dockerfile's runtime stage is `FROM scratch` with a static binary); reference = the tutorial's "
                 "`FROM python:3.9-slim` + `pip install` recipe, its layers computed from Debian's packages "
                 "(Installed-Size: required packages = slim base; python3 closure; flask + sklearn + joblib + gunicorn "
                 "closure) — Python 3.11 for 3.9, not byte-exact.\n")
        L.append("| image | layers | total |\n|---|---|---|")
        if inf:
            L.append(f"| inferd | binary {fmt_bytes(inf['binary_stripped'])} + shared libs {fmt_bytes(inf['shared_libs'])} "
                     f"+ model {fmt_bytes(img['model_bytes'])} | **{fmt_bytes(inf['total'])}** |")
        if ref:
            L.append(f"| reference | base {fmt_bytes(ref['base_layer'])} + python {fmt_bytes(ref['python_layer'])} + "
                     f"pip {fmt_bytes(ref['pip_layer'])} + app/model {fmt_bytes(ref['copy_layer'])} | "
                     f"**{fmt_bytes(ref['total'])}** |")
        if inf and ref:
            L.append(f"\ninferd's image is {inf['total'] / ref['total']:.3g}× the reference's.")
    else:
        L.append(f"not measured ({(img or {}).get('error', 'skipped')})")
    L.append("")

    files = plots(d, results, out)
    if files:
        L.append("## Plots\n")
        for f in files:
            L.append(f"![{f}]({f})\n")
    md = os.path.join(out, "report.md")
    with open(md, "w") as f:
        f.write("\n".join(L) + "\n")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(summary) + "\n")
    compact = json.loads(json.dumps(results))
    for r in compact["servers"].values():
        for p in r["passes"]:
            p.pop("fixed_rate_latencies_us", None)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(compact, f, indent=1)
    return md, ok
