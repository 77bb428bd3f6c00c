"""Helm chart: lint, Kubernetes 1.33 schema validation of every rendering, and behaviour.

No cluster runs here, so behaviour is asserted on the parsed objects `helm template` renders for
the default, dev, prod and edge-case values (deploy/helm/inferd/ci/*.yaml).
"""
import json
import math
import re
import shutil
import subprocess

import pytest

from deploy_util import CHART, ROOT, helm_template, kinds, one, parse, render, yaml

SCENARIOS = {
    "default": [],
    "dev": ["-f", str(CHART / "values-dev.yaml")],
    "prod": ["-f", str(CHART / "values-prod.yaml")],
    "volume-model": ["-f", str(CHART / "ci" / "volume-model-values.yaml")],
    "image-volume": ["-f", str(CHART / "ci" / "image-volume-values.yaml")],
    "keda": ["-f", str(CHART / "ci" / "keda-values.yaml")],
    "canary": ["-f", str(CHART / "ci" / "canary-values.yaml")],
    "grpc-probes": ["-f", str(CHART / "ci" / "grpc-probes-values.yaml")],
    "no-grpc": ["-f", str(CHART / "ci" / "no-grpc-values.yaml")],
}


def workload(objs):
    """The object running the pods: the Deployment, or the Argo Rollouts Rollout replacing it."""
    found = [o for o in objs if o["kind"] in ("Deployment", "Rollout")]
    assert len(found) == 1, f"expected one Deployment or Rollout, got {kinds(objs)}"
    return found[0]


def pod_spec(objs):
    return workload(objs)["spec"]["template"]["spec"]


def server(objs):
    return pod_spec(objs)["containers"][0]


def env(container):
    return {e["name"]: e.get("value") for e in container["env"]}


@pytest.mark.parametrize("values", ["", "values-dev.yaml", "values-prod.yaml"])
def test_helm_lint_strict(helm, values):
    args = [helm, "lint", "--strict", str(CHART)] + (["-f", str(CHART / values)] if values else [])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def validate_manifests(node_modules, path, text):
    """Writes `text` to `path` and runs the offline schema validator on it: (exit code, report)."""
    path.write_text(text)
    proc = subprocess.run(["node", str(ROOT / "tests" / "deploy" / "validate_manifests.mjs"),
                           str(node_modules), str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_rendering_is_valid_kubernetes_1_33_with_no_unknown_fields(helm, node_modules, tmp_path, scenario):
    rc, report = validate_manifests(node_modules, tmp_path / f"{scenario}.yaml",
                                    helm_template(helm, *SCENARIOS[scenario]).stdout)
    assert rc == 0 and report["errors"] == [], report["errors"]
    assert len(report["objects"]) >= 4


def test_validator_rejects_unknown_fields_and_wrong_types(helm, node_modules, tmp_path):
    text = helm_template(helm).stdout
    bad = text.replace("maxUnavailable: 0", "maxUnavailabel: 0").replace(
        "averageUtilization: 70", 'averageUtilization: "70"')
    assert bad != text
    rc, report = validate_manifests(node_modules, tmp_path / "bad.yaml", bad)
    assert rc == 1
    errors = "\n".join(report["errors"])
    assert "maxUnavailabel: unknown field" in errors
    assert "averageUtilization must be integer" in errors


def test_default_has_hpa_on_memory_cpu_and_requests_in_flight_and_no_replicas(helm):
    objs = render(helm)
    assert kinds(objs) == sorted(["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                                  "Pod", "Service", "ServiceAccount"])
    deployment = one(objs, "Deployment")
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    hpa = one(objs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deployment["metadata"]["name"]}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    metrics = hpa["spec"]["metrics"]
    resource = {m["resource"]["name"]: m["resource"]["target"] for m in metrics if m["type"] == "Resource"}
    assert resource["memory"] == {"type": "Utilization", "averageUtilization": 70}
    assert resource["cpu"]["type"] == "Utilization"
    pods = [m["pods"] for m in metrics if m["type"] == "Pods"]
    assert pods == [{"metric": {"name": "inferd_requests_in_flight"},
                     "target": {"type": "AverageValue", "averageValue": "8"}}]
    behavior = hpa["spec"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] >= 60
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0


def test_selectors_match_pod_labels(helm):
    for args in SCENARIOS.values():
        objs = render(helm, *args)
        deployment = workload(objs)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
        assert "app.kubernetes.io/version" not in selector, "selectors must use immutable labels only"
        assert one(objs, "Service")["spec"]["selector"] == selector
        for o in objs:
            if o["kind"] == "PodDisruptionBudget":
                assert o["spec"]["selector"]["matchLabels"] == selector
            if o["kind"] == "NetworkPolicy":
                assert o["spec"]["podSelector"]["matchLabels"] == selector
        assert one(objs, "Service")["spec"]["ports"][0]["targetPort"] == "http"


def test_hardened_security_context_and_no_service_account_token(helm):
    for args in SCENARIOS.values():
        objs = render(helm, *args)
        spec = pod_spec(objs)
        assert spec["automountServiceAccountToken"] is False
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == 65532
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        sc = server(objs)["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"] == {"drop": ["ALL"]}
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] != 0
        for o in objs:
            if o["kind"] == "ServiceAccount":
                assert o["automountServiceAccountToken"] is False


def test_probes_hit_the_servers_real_endpoints_and_port(helm):
    objs = render(helm, "--set", "server.port=9090")
    c = server(objs)
    assert c["ports"] == [{"name": "http", "containerPort": 9090, "protocol": "TCP"},
                          {"name": "grpc", "containerPort": 8081, "protocol": "TCP"}]
    assert env(c)["INFERD_PORT"] == "9090"
    assert c["startupProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["args"] == ["serve"]


def test_rollout_and_shutdown_timing_are_consistent_with_the_drain(helm):
    objs = render(helm, "--set", "server.drainSeconds=7", "--set", "shutdown.preStopSleepSeconds=4",
                  "--set", "shutdown.inFlightSeconds=9")
    deployment = one(objs, "Deployment")
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spec = pod_spec(objs)
    c = server(objs)
    assert c["lifecycle"]["preStop"] == {"sleep": {"seconds": 4}}
    assert env(c)["INFERD_DRAIN_SECONDS"] == "7"
    assert env(c)["INFERD_SHUTDOWN_TIMEOUT_SECONDS"] == "9"
    assert spec["terminationGracePeriodSeconds"] == 4 + 7 + 9
    # An explicit, longer grace period is kept; a shorter one is refused.
    longer = render(helm, "--set", "shutdown.terminationGracePeriodSeconds=60")
    assert pod_spec(longer)["terminationGracePeriodSeconds"] == 60
    short = helm_template(helm, "--set", "shutdown.terminationGracePeriodSeconds=3", check=False)
    assert short.returncode != 0
    assert "shorter than preStopSleepSeconds + server.drainSeconds + inFlightSeconds = 20" in short.stderr


def test_dev_values(helm):
    objs = render(helm, *SCENARIOS["dev"])
    assert "HorizontalPodAutoscaler" not in kinds(objs)
    assert "PodDisruptionBudget" not in kinds(objs)
    assert one(objs, "Deployment")["spec"]["replicas"] == 1
    assert env(server(objs))["INFERD_LOG_REQUESTS"] == "true"


def test_prod_values(helm):
    objs = render(helm, *SCENARIOS["prod"])
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor", "NetworkPolicy"} <= set(kinds(objs))
    assert "replicas" not in one(objs, "Deployment")["spec"]
    hpa = one(objs, "HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
    assert one(objs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    spec = pod_spec(objs)
    selector = one(objs, "Deployment")["spec"]["selector"]["matchLabels"]
    spread = {t["topologyKey"]: t for t in spec["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    assert all(t["labelSelector"]["matchLabels"] == selector for t in spread.values())
    resources = server(objs)["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"] and resources["limits"]["memory"]
    assert env(server(objs))["INFERD_THREADS"] == "2"
    monitor = one(objs, "ServiceMonitor")["spec"]
    assert monitor["endpoints"][0]["path"] == "/metrics" and monitor["endpoints"][0]["port"] == "http"


def test_three_model_delivery_ways(helm):
    baked = render(helm)
    assert "volumes" not in pod_spec(baked) and "volumeMounts" not in server(baked)
    assert env(server(baked))["INFERD_MODEL"] == "/models/model.pkl"

    volume = render(helm, *SCENARIOS["volume-model"])
    assert pod_spec(volume)["volumes"] == [{"name": "model", "persistentVolumeClaim":
                                            {"claimName": "inferd-models", "readOnly": True}}]
    assert server(volume)["volumeMounts"] == [{"name": "model", "mountPath": "/models", "readOnly": True}]
    assert server(volume)["image"].endswith("@sha256:" + "0" * 64)

    image = render(helm, *SCENARIOS["image-volume"])
    assert pod_spec(image)["volumes"] == [{"name": "model", "image": {
        "reference": "ghcr.io/inferd/iris-model:1", "pullPolicy": "IfNotPresent"}}]
    assert env(server(image))["INFERD_MODEL"] == "/models/model.pkl"
    assert [m["type"] for m in one(image, "HorizontalPodAutoscaler")["spec"]["metrics"]] == ["Resource"]


def test_keda_replaces_the_hpa(helm):
    objs = render(helm, *SCENARIOS["keda"])
    assert "HorizontalPodAutoscaler" not in kinds(objs)
    assert "replicas" not in one(objs, "Deployment")["spec"]
    so = one(objs, "ScaledObject")["spec"]
    assert so["scaleTargetRef"]["name"] == one(objs, "Deployment")["metadata"]["name"]
    prom = [t for t in so["triggers"] if t["type"] == "prometheus"][0]["metadata"]
    assert 'namespace="ns"' in prom["query"] and "inferd_requests_in_flight" in prom["query"]


@pytest.mark.parametrize("bad", [
    ["--set", "replicaCount=two"],
    ["--set", "unknownKey=1"],
    ["--set", "model.source=s3"],
    ["--set", "server.port=70000"],
    ["--set", "autoscaling.targetMemoryUtilizationPercentage=170"],
    ["--set", "image.pullPolicy=Sometimes"],
    ["--set", "autoscaling.requestsInFlight.averageValue=lots"],
    ["--set", "securityContextt.runAsUser=0"],
    ["--set", "rollout.steps={10,100}"],
    ["--set", "rollout.analysis.maxErrorRatio=2"],
    ["--set", "rollout.analysis.interval=soon"],
    ["--set", "rollout.analysis.prometheusAddress=prometheus:9090"],
    ["--set", "server.grpcPort=70000"],
    ["--set", "server.grpcPort=-1"],
    ["--set", "service.grpcPort=0"],
    ["--set", "probes.type=tcp"],
])
def test_schema_rejects_bad_values(helm, bad):
    proc = helm_template(helm, *bad, check=False)
    assert proc.returncode != 0
    assert "schema" in proc.stderr


@pytest.mark.parametrize("bad,message", [
    (["--set", "keda.enabled=true"], "autoscaling.enabled and keda.enabled are both true"),
    (["--set", "model.source=volume"], "model.source=volume needs model.volume"),
    (["--set", "model.source=image"], "model.source=image needs model.image.reference"),
    (["--set", "autoscaling.minReplicas=5", "--set", "autoscaling.maxReplicas=3"], "minReplicas is greater"),
    (["--set", "rollout.enabled=true", "--set", "rollout.steps={50,10}"], "rollout.steps must increase: 10 follows 50"),
    (["--set", "server.grpcPort=8080"], "server.grpcPort and server.port are both 8080"),
    (["--set", "service.grpcPort=80"], "service.grpcPort and service.port are both 80"),
])
def test_render_time_validation_explains_the_fix(helm, bad, message):
    proc = helm_template(helm, *bad, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_helm_test_pod_makes_a_real_prediction_with_the_inferd_image(helm):
    # service.grpcPort moves off 8081, which a Service cannot hold twice.
    objs = render(helm, "--set", "image.tag=abc123", "--set", "service.port=8081", "--set", "service.grpcPort=9001")
    pod = one(objs, "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    c = pod["spec"]["containers"][0]
    assert c["image"] == server(objs)["image"] == "ghcr.io/inferd/inferd:abc123"
    assert c["args"][:2] == ["probe", "http://r-inferd.ns.svc:8081/predict"]
    body = json.loads(c["args"][c["args"].index("--post-json") + 1])
    assert body == {"features": [5.1, 3.5, 1.4, 0.2]}
    assert pod["spec"]["automountServiceAccountToken"] is False
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["restartPolicy"] == "Never"


def test_names_are_truncated_to_63_characters(helm):
    release = "release-" + "x" * 45  # Helm's own limit is 53 characters
    objs = render(helm, "--set", "nameOverride=inferd-server-api", release=release)
    assert len(release + "-inferd-server-api") > 63
    for o in objs:
        assert len(o["metadata"]["name"]) <= 63, o["metadata"]["name"]
        assert not o["metadata"]["name"].endswith("-")


def test_plain_manifests_in_deploy_k8s_are_in_sync_with_the_chart(helm):
    header = "# GENERATED by deploy/k8s/render.sh from deploy/helm/inferd; do not edit by hand.\n"
    for name, args in [("inferd.yaml", []), ("inferd-prod.yaml", ["-f", str(CHART / "values-prod.yaml")])]:
        proc = subprocess.run([helm, "template", "inferd", str(CHART), "--namespace", "inferd",
                               "--skip-tests", *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        committed = (ROOT / "deploy" / "k8s" / name).read_text()
        assert committed == header + proc.stdout, f"deploy/k8s/{name} is stale: run deploy/k8s/render.sh"
        assert "helm.sh/hook" not in committed
        assert parse(committed)


def test_every_value_has_a_comment_and_a_schema_description():
    schema = json.loads((CHART / "values.schema.json").read_text())

    def walk(node, path):
        assert node.get("description") or path == "", f"{path}: no description in values.schema.json"
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, f"{path}: schema is not strict"
            for k, v in node["properties"].items():
                walk(v, f"{path}.{k}" if path else k)
    walk(schema, "")
    values = (CHART / "values.yaml").read_text()
    for key in schema["properties"]:
        if key != "global":
            assert f"@param {key}" in values, f"values.yaml: no @param comment for {key}"


# ---- Argo Rollouts canary (rollout.enabled) ----
CANARY_HASH = "6d5f7c9b8d"   # a pod-template-hash, as Argo Rollouts passes it to the analysis
DIGEST = "sha256:" + "1" * 64


def test_canary_replaces_the_deployment_with_a_rollout_of_the_same_pods(helm):
    objs = render(helm, *SCENARIOS["canary"])
    assert "Deployment" not in kinds(objs)
    assert {"Rollout", "AnalysisTemplate", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= set(kinds(objs))
    rollout = one(objs, "Rollout")
    assert rollout["apiVersion"] == "argoproj.io/v1alpha1"
    plain = render(helm, *SCENARIOS["canary"], "--set", "rollout.enabled=false")
    deployment = one(plain, "Deployment")
    assert rollout["spec"]["template"] == deployment["spec"]["template"], "the canary runs the Deployment's pods"
    assert rollout["spec"]["selector"] == deployment["spec"]["selector"]
    assert server(objs)["image"] == "ghcr.io/inferd/inferd@" + DIGEST
    assert "replicas" not in rollout["spec"], "the HPA owns the replica count"
    assert one(objs, "HorizontalPodAutoscaler")["spec"]["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": rollout["metadata"]["name"]}
    assert rollout["spec"]["progressDeadlineAbort"] is True
    canary = rollout["spec"]["strategy"]["canary"]
    assert canary["maxUnavailable"] == 0
    template = one(objs, "AnalysisTemplate")
    analysis = {"templates": [{"templateName": template["metadata"]["name"]}],
                "args": [{"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}]}
    assert canary["steps"] == [{"setWeight": 10}, {"analysis": analysis}, {"setWeight": 50}, {"analysis": analysis}]
    assert template["spec"]["args"] == [{"name": "canary-hash"}]


def test_validator_rejects_unknown_fields_in_argo_rollouts_objects(helm, node_modules, tmp_path):
    """Typos anywhere in the Rollout (its strategy, its pod template) or the AnalysisTemplate are
    refused, as the API server would prune them; so is a wrong type."""
    text = helm_template(helm, *SCENARIOS["canary"]).stdout
    bad = (text.replace("maxSurge: 25%", "maxSurge: 25%\n      maxSurgee: 1", 1)
           .replace("podTemplateHashValue: Latest", "podTemplateHashValue: Latest\n                  podTemplateHash: x", 1)
           .replace("      failureLimit: 0", "      failureLimit: 0\n      failureLimitt: 0", 1)
           .replace("          args: [\"serve\"]", "          args: [\"serve\"]\n          imagePullPolicyy: Always", 1)
           .replace("- setWeight: 10", '- setWeight: "ten"', 1))
    assert bad.count("\n") == text.count("\n") + 4
    rc, report = validate_manifests(node_modules, tmp_path / "bad.yaml", bad)
    assert rc == 1
    errors = "\n".join(report["errors"])
    assert "Rollout.spec.strategy.canary.maxSurgee: unknown field" in errors
    assert "Rollout.spec.strategy.canary.steps[1].analysis.args[0].valueFrom.podTemplateHash: unknown field" in errors
    assert "AnalysisTemplate.spec.metrics[0].failureLimitt: unknown field" in errors
    assert "Rollout.spec.template.spec.containers[0].imagePullPolicyy: unknown field" in errors
    assert "setWeight must be integer" in errors


def test_canary_without_analysis_pauses_and_keda_drives_the_rollout(helm):
    objs = render(helm, *SCENARIOS["keda"], "--set", "rollout.enabled=true", "--set", "rollout.analysis.enabled=false",
                  "--set", "rollout.steps={20,40,80}", "--set", "rollout.pauseSeconds=300")
    assert "AnalysisTemplate" not in kinds(objs)
    rollout = one(objs, "Rollout")
    assert rollout["spec"]["strategy"]["canary"]["steps"] == [
        {"setWeight": 20}, {"pause": {"duration": 300}}, {"setWeight": 40}, {"pause": {"duration": 300}},
        {"setWeight": 80}, {"pause": {"duration": 300}}]
    assert one(objs, "ScaledObject")["spec"]["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": rollout["metadata"]["name"]}
    fixed = render(helm, "--set", "rollout.enabled=true", "--set", "autoscaling.enabled=false", "--set", "replicaCount=4")
    assert one(fixed, "Rollout")["spec"]["replicas"] == 4


def analysis_metrics(helm):
    template = one(render(helm, *SCENARIOS["canary"]), "AnalysisTemplate")
    return {m["name"]: m for m in template["spec"]["metrics"]}


def argo_condition(expr, result):
    """Evaluates a success/failureCondition of the form this chart writes (expr-lang's &&, !, len,
    isNaN, comparisons) on a Prometheus provider result vector."""
    assert re.fullmatch(r"[\w\s\[\]().<=>&!]+", expr), expr
    py = expr.replace("&&", " and ").replace("!isNaN", "not isNaN")
    return eval(py, {"__builtins__": {}}, {"len": len, "isNaN": math.isnan, "result": result})  # noqa: S307


@pytest.mark.parametrize("metric,limit", [("error-ratio", 0.02), ("p99-latency-seconds", 0.1)])
def test_analysis_passes_fails_or_waits_for_a_person(helm, metric, limit):
    """Per measurement: within the limit passes, above it fails (the rollout aborts), and no data
    ([] when the canary's series do not exist, NaN when it had no requests) is neither: the run is
    inconclusive and the rollout pauses instead of promoting a version nobody called."""
    m = analysis_metrics(helm)[metric]
    assert m["count"] == 3 and m["failureLimit"] == 0 and m["interval"] == "1m"
    # No measurement before the canary's pods have a full rate window of scrapes.
    assert m["initialDelay"] == "2m"
    assert m["provider"]["prometheus"]["address"] == "http://prometheus-operated.monitoring.svc:9090"
    outcome = {}
    for name, result in [("zero", [0.0]), ("at limit", [limit]), ("above", [limit * 1.5]),
                         ("no series", []), ("no requests", [math.nan])]:
        ok, bad = argo_condition(m["successCondition"], result), argo_condition(m["failureCondition"], result)
        outcome[name] = "success" if ok and not bad else "failure" if bad and not ok else "inconclusive" if not (ok or bad) else "both"
    assert outcome == {"zero": "success", "at limit": "success", "above": "failure",
                       "no series": "inconclusive", "no requests": "inconclusive"}


def promtool_eval(tmp_path, series, tests):
    """Runs `promtool test rules` on input series with promql_expr_tests; fails with its output."""
    if shutil.which("promtool") is None:
        pytest.skip("promtool missing: apt-get install prometheus (scripts/setup.sh)")
    (tmp_path / "none.yml").write_text("groups: []\n")
    (tmp_path / "test.yml").write_text(yaml.safe_dump({
        "rule_files": ["none.yml"], "evaluation_interval": "15s",
        "tests": [{"interval": "15s", "input_series": series, "promql_expr_test": tests}]}))
    proc = subprocess.run(["promtool", "test", "rules", "test.yml"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def canary_query(helm, metric):
    query = analysis_metrics(helm)[metric]["provider"]["prometheus"]["query"]
    assert "{{args.canary-hash}}" in query, "Argo Rollouts' placeholder must survive helm rendering"
    return query.replace("{{args.canary-hash}}", CANARY_HASH)


def test_analysis_queries_measure_the_canary_pods_serving_traffic_only(helm, tmp_path):
    """The two queries, run by promtool on series shaped like inferd's /metrics: only the canary
    release's pods in the release namespace count, probe and scrape routes are left out, and a
    canary without any 5xx series has a ratio of 0 (not an empty result)."""
    server_metrics = (ROOT / "src" / "metrics" / "server_metrics.cc").read_text()
    for name in ("inferd_requests_total", "inferd_request_duration_seconds"):
        assert f'"{name}"' in server_metrics, f"{name} is not a metric inferd exports"
    assert '"route"' in server_metrics and '"code"' in server_metrics

    canary = f'namespace="ns",pod="r-inferd-{CANARY_HASH}-abcde"'
    clean = f'namespace="ns",pod="r-inferd-{CANARY_HASH}-fghij"'
    stable = 'namespace="ns",pod="r-inferd-55c6b4b9f7-xyz12"'
    elsewhere = f'namespace="other",pod="r-inferd-{CANARY_HASH}-abcde"'

    def req(labels, route, code, per_step):
        return {"series": f'inferd_requests_total{{{labels},route="{route}",code="{code}"}}',
                "values": f"0+{per_step}x16"}

    def buckets(labels, route, counts):  # cumulative counts per step by upper bound
        return [{"series": f'inferd_request_duration_seconds_bucket{{{labels},route="{route}",le="{le}"}}',
                 "values": f"0+{n}x16"} for le, n in counts.items()]

    series = [
        # canary /predict: 3 ok + 1 error per step -> ratio 0.25; its /healthz 503s do not count
        req(canary, "/predict", "200", 3), req(canary, "/predict", "500", 1), req(canary, "/healthz", "503", 50),
        # stable pods and another namespace: errors that must not count
        req(stable, "/predict", "200", 1), req(stable, "/predict", "503", 40), req(elsewhere, "/predict", "500", 40),
        # latency: half of the canary's requests <= 0.1 s, all <= 0.2 s -> p99 = 0.198 s;
        # slow probes and slow stable pods must not count
        *buckets(canary, "/predict", {"0.1": 50, "0.2": 100, "+Inf": 100}),
        *buckets(canary, "/metrics", {"0.1": 0, "0.2": 0, "+Inf": 100}),
        *buckets(stable, "/predict", {"0.1": 0, "0.2": 0, "+Inf": 100}),
    ]
    errors, latency = canary_query(helm, "error-ratio"), canary_query(helm, "p99-latency-seconds")
    promtool_eval(tmp_path, series, [
        {"expr": f"round(({errors}) * 10000)", "eval_time": "4m", "exp_samples": [{"labels": "{}", "value": 2500}]},
        {"expr": f"round(({latency}) * 1000)", "eval_time": "4m", "exp_samples": [{"labels": "{}", "value": 198}]},
    ])
    # A canary with only successful answers: 0, thanks to `or vector(0)`.
    only_ok = [req(clean, "/predict", "200", 5)]
    promtool_eval(tmp_path, only_ok, [
        {"expr": errors, "eval_time": "4m",
         "exp_samples": [{"labels": "{}", "value": 0}]}])


# ---- gRPC endpoint (server.grpcPort, probes.type=grpc) ----
GRPC_PROBES_MESSAGE = "probes.type=grpc needs the gRPC endpoint, but server.grpcPort is 0"


def grpc_mentions(node, path=""):
    """Paths of every key or string value in a parsed object that mentions gRPC."""
    if isinstance(node, dict):
        return [m for k, v in node.items() for m in
                ([f"{path}.{k}"] if "grpc" in k.lower() else []) + grpc_mentions(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [m for i, v in enumerate(node) for m in grpc_mentions(v, f"{path}[{i}]")]
    return [f"{path}={node}"] if isinstance(node, str) and "grpc" in node.lower() else []


def test_default_serves_grpc_beside_http_with_http_probes_and_metrics(helm):
    objs = render(helm, "--set", "serviceMonitor.enabled=true", "--set", "ingress.enabled=true")
    c = server(objs)
    assert {"name": "grpc", "containerPort": 8081, "protocol": "TCP"} in c["ports"]
    assert env(c)["INFERD_GRPC_PORT"] == "8081"
    assert one(objs, "Service")["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
        {"name": "grpc", "port": 8081, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "grpc"}]
    # HTTP probes by default; metrics and the Ingress stay on the HTTP port.
    assert all("httpGet" in c[p] and "grpc" not in c[p] for p in ("startupProbe", "readinessProbe", "livenessProbe"))
    assert one(objs, "ServiceMonitor")["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "15s"}]
    backends = [p["backend"]["service"]["port"] for r in one(objs, "Ingress")["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends == [{"name": "http"}]


def test_service_target_ports_name_container_ports(helm):
    for name, args in SCENARIOS.items():
        objs = render(helm, *args)
        container_ports = {p["name"] for p in server(objs)["ports"]}
        targets = {p["targetPort"] for p in one(objs, "Service")["spec"]["ports"]}
        assert targets <= container_ports, f"{name}: Service targets {targets}, container has {container_ports}"


def test_grpc_port_zero_leaves_only_the_env_that_turns_grpc_off(helm):
    objs = render(helm, *SCENARIOS["no-grpc"])
    c = server(objs)
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert env(c)["INFERD_GRPC_PORT"] == "0", "inferd's own default is 8081: 0 must be explicit"
    assert [p["name"] for p in one(objs, "Service")["spec"]["ports"]] == ["http"]
    assert one(objs, "NetworkPolicy")["spec"]["ingress"][0]["ports"] == [{"port": "http", "protocol": "TCP"}]
    mentions = [m for o in objs for m in grpc_mentions(o)]
    assert len(mentions) == 1 and re.fullmatch(r".*\.containers\[0\]\.env\[\d+\]\.name=INFERD_GRPC_PORT", mentions[0]), mentions


def test_grpc_probes_use_the_port_number_and_the_liveness_service(helm):
    objs = render(helm, "--set", "probes.type=grpc", "--set", "server.grpcPort=9000",
                  "--set", "probes.liveness.periodSeconds=7")
    c = server(objs)
    assert {"name": "grpc", "containerPort": 9000, "protocol": "TCP"} in c["ports"]
    assert env(c)["INFERD_GRPC_PORT"] == "9000"
    # Kubernetes' grpc probe takes a port number (a name is not allowed); service "" is omitted.
    assert c["startupProbe"] == {"grpc": {"port": 9000}, "periodSeconds": 2, "timeoutSeconds": 2,
                                 "failureThreshold": 60}
    assert c["readinessProbe"] == {"grpc": {"port": 9000}, "periodSeconds": 2, "timeoutSeconds": 2,
                                   "failureThreshold": 2, "successThreshold": 1}
    # `liveness` stays SERVING during a drain, so the drain never restarts the container.
    assert c["livenessProbe"] == {"grpc": {"port": 9000, "service": "liveness"}, "periodSeconds": 7,
                                  "timeoutSeconds": 2, "failureThreshold": 3}


def test_grpc_probes_without_the_grpc_port_are_refused_by_schema_and_template(helm):
    bad = ["--set", "probes.type=grpc", "--set", "server.grpcPort=0"]
    proc = helm_template(helm, *bad, check=False)
    assert proc.returncode != 0
    assert "schema" in proc.stderr and "at '/probes/type'" in proc.stderr
    # The template check holds on its own too (e.g. under --skip-schema-validation).
    proc = helm_template(helm, *bad, "--skip-schema-validation", check=False)
    assert proc.returncode != 0
    assert GRPC_PROBES_MESSAGE in proc.stderr
    # gRPC port 0 with the default HTTP probes is fine.
    assert helm_template(helm, "--set", "server.grpcPort=0").returncode == 0


def test_network_policy_lets_the_same_peers_reach_http_and_grpc(helm):
    for args in (SCENARIOS["prod"], SCENARIOS["volume-model"], SCENARIOS["grpc-probes"]):
        objs = render(helm, *args)
        assert env(server(objs))["INFERD_GRPC_PORT"] != "0"
        rules = one(objs, "NetworkPolicy")["spec"]["ingress"]
        assert len(rules) == 1, "one rule: every allowed peer reaches both ports"
        assert rules[0]["ports"] == [{"port": "http", "protocol": "TCP"}, {"port": "grpc", "protocol": "TCP"}]
    peers = one(render(helm, *SCENARIOS["grpc-probes"]), "NetworkPolicy")["spec"]["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "clients"}}} in peers


def test_rollout_runs_the_deployments_pods_with_grpc_and_grpc_probes(helm):
    objs = render(helm, *SCENARIOS["grpc-probes"])
    rollout = one(objs, "Rollout")
    deployment = one(render(helm, *SCENARIOS["grpc-probes"], "--set", "rollout.enabled=false"), "Deployment")
    assert rollout["spec"]["template"] == deployment["spec"]["template"]
    c = server(objs)
    assert {"name": "grpc", "containerPort": 9000, "protocol": "TCP"} in c["ports"]
    assert c["readinessProbe"]["grpc"] == {"port": 9000}
    assert c["livenessProbe"]["grpc"] == {"port": 9000, "service": "liveness"}
    assert one(objs, "Service")["spec"]["ports"][1] == {
        "name": "grpc", "port": 9000, "targetPort": "grpc", "protocol": "TCP", "appProtocol": "grpc"}
    no_grpc = render(helm, *SCENARIOS["no-grpc"], "--set", "rollout.enabled=true")
    plain = render(helm, *SCENARIOS["no-grpc"])
    assert one(no_grpc, "Rollout")["spec"]["template"] == one(plain, "Deployment")["spec"]["template"]


def test_validator_rejects_a_grpc_probe_with_a_port_name(helm, node_modules, tmp_path):
    """Kubernetes' GRPCAction.port is an int32: the validation would catch a named port."""
    text = helm_template(helm, *SCENARIOS["grpc-probes"]).stdout
    bad = text.replace("service: liveness", "service: liveness\n              serviceName: x", 1).replace(
        "grpc:\n              port: 9000", "grpc:\n              port: grpc", 1)
    assert bad.count("port: grpc") == text.count("port: grpc") + 1 and "serviceName: x" in bad
    rc, report = validate_manifests(node_modules, tmp_path / "bad.yaml", bad)
    assert rc == 1
    errors = "\n".join(report["errors"])
    assert "livenessProbe.grpc.serviceName: unknown field" in errors
    assert "startupProbe/grpc/port must be integer" in errors
