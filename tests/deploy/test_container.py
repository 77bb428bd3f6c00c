"""Builds the real Dockerfile with buildah, runs the image with podman, predicts through it,
checks the process is not root, drains on SIGTERM, and reports the image size. Every shared
object in the image is recorded as a file of a Debian package at the version the build stage
installed, the way distroless images record theirs, so scanners can see into the image. The same image
serves XGBoost models (a pickled XGBClassifier and a native .ubj file, mounted from a volume)
with xgboost's own answers, and its binary does not link libxgboost. It serves gRPC on its exposed
port 8081 (health, ServerReady, ModelMetadata, ModelInfer through python3-grpcio) with the same
answers as its REST API.

Needs scripts/container-tools.sh (buildah, podman, runc, the local debian:bookworm-slim base and
the storage/containers configuration); skips with that instruction when they are missing or
cannot run here (e.g. inside an unprivileged container).
"""
import contextlib
import hashlib
import json
import math
import os
import re
import pathlib
import pickle
import shutil
import socket
import struct
import subprocess
import time
import urllib.request

import pytest

from deploy_util import REPORT, ROOT, grpc_stubs

CONTAINERS_DIR = pathlib.Path(os.environ.get("INFERD_CONTAINERS_DIR", "/var/tmp/inferd-containers"))
BASE = "docker.io/library/debian:bookworm-slim"
IMAGE = "localhost/inferd:test"
SERVER_IMAGE = "localhost/inferd-server:test"
BUILD_STAGE_IMAGE = "localhost/inferd-build:test"
MAX_IMAGE_BYTES = 20 * 1000 * 1000
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3], [7.7, 3.0, 6.1, 2.3]]


def container_env():
    env = dict(os.environ)
    env["CONTAINERS_STORAGE_CONF"] = str(CONTAINERS_DIR / "storage.conf")
    env["CONTAINERS_CONF"] = str(CONTAINERS_DIR / "containers.conf")
    return env


def run(*args, timeout=120, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=container_env())
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} -> {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def tools():
    missing = [t for t in ("buildah", "podman", "runc") if shutil.which(t) is None]
    if missing or not (CONTAINERS_DIR / "storage.conf").exists():
        pytest.skip(f"{', '.join(missing) or 'container configuration'} missing: run scripts/container-tools.sh")
    probe = run("podman", "image", "exists", BASE, check=False)
    if probe.returncode != 0:
        pytest.skip(f"podman cannot see the base image {BASE} here ({probe.stderr.strip()[:200]}): "
                    "run scripts/container-tools.sh")


def build(target, tag):
    started = time.monotonic()
    run("buildah", "bud", "--isolation", "chroot", "--pull=never", "--layers", "--format", "docker",
        "--target", target, "-t", tag, str(ROOT), timeout=3000)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def image(tools):
    seconds = build("baked", IMAGE)
    size = int(run("podman", "image", "inspect", IMAGE, "--format", "{{.Size}}").stdout)
    REPORT.append(f"image {IMAGE}: {size / 1e6:.1f} MB uncompressed (built in {seconds:.0f} s)")
    return size


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(image_name, port, *extra):
    # No --init: inferd is PID 1, as in a Kubernetes pod, so SIGTERM handling is tested for real.
    # Host network: gRPC gets a free port too, so the image's default 8081 cannot collide.
    cid = run("podman", "run", "-d", "--pull=never", "--network", "host", "--no-healthcheck",
              "-e", f"INFERD_PORT={port}", "-e", f"INFERD_GRPC_PORT={free_port()}", "-e", "INFERD_HOST=127.0.0.1",
              "-e", "INFERD_DRAIN_SECONDS=1", *extra, image_name).stdout.strip()
    return wait_ready(cid, port)


def wait_ready(cid, port):
    """cid once http://127.0.0.1:PORT/readyz answers 200; its logs in the failure otherwise."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return cid
        except OSError:
            time.sleep(0.1)
    logs = run("podman", "logs", cid, check=False)
    run("podman", "rm", "-f", "-t", "2", cid, check=False)
    raise AssertionError(f"container never became ready:\n{logs.stdout}\n{logs.stderr}")


def predict(port, row):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=json.dumps({"features": row}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200
        return json.loads(r.read())


def sklearn_predictions():
    import joblib  # Debian's python3-joblib / python3-sklearn, as the parity tests use
    model = joblib.load(ROOT / "examples" / "iris" / "model.pkl")
    return [v.item() for v in model.predict(ROWS)]


def test_image_is_small_non_root_and_serves_real_predictions(image):
    assert image <= MAX_IMAGE_BYTES, f"image is {image / 1e6:.1f} MB, target <= 20 MB"
    config = json.loads(run("podman", "image", "inspect", IMAGE).stdout)[0]["Config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["/usr/local/bin/inferd"]
    # podman does not show a Docker-format HEALTHCHECK; buildah does.
    docker_config = json.loads(run("buildah", "inspect", "--type", "image", IMAGE).stdout)["Docker"]["config"]
    assert docker_config["Healthcheck"]["Test"][:3] == ["CMD", "/usr/local/bin/inferd", "probe"]

    port = free_port()
    cid = serve(IMAGE, port)
    try:
        got = [predict(port, row)["prediction"] for row in ROWS]
        assert got == sklearn_predictions()
        pid = run("podman", "inspect", cid, "--format", "{{.State.Pid}}").stdout.strip()
        uids = [line.split()[1:] for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("Uid:")][0]
        assert set(uids) == {"65532"}, f"container process runs as uid {uids}"
        # The healthcheck command itself, with this container's port: no shell, no curl needed.
        run("podman", "exec", cid, "/usr/local/bin/inferd", "probe", f"http://127.0.0.1:{port}/readyz")
        # SIGTERM: drains and exits 0.
        run("podman", "stop", "-t", "30", cid, timeout=60)
        state = json.loads(run("podman", "inspect", cid).stdout)[0]["State"]
        assert state["ExitCode"] == 0, state
    finally:
        run("podman", "rm", "-f", "-t", "2", cid, check=False)


def test_server_image_serves_a_model_mounted_from_a_volume(image):
    build("server", SERVER_IMAGE)
    mnt = run("podman", "image", "mount", SERVER_IMAGE).stdout.strip()
    try:
        assert not (pathlib.Path(mnt) / "models").exists(), "the server target must hold no model"
    finally:
        run("podman", "image", "unmount", SERVER_IMAGE, check=False)
    port = free_port()
    cid = serve(SERVER_IMAGE, port, "-v", f"{ROOT / 'examples' / 'iris'}:/models:ro")
    try:
        assert predict(port, ROWS[2])["prediction"] == sklearn_predictions()[2]
    finally:
        run("podman", "rm", "-f", "-t", "2", cid, check=False)



# ---- gRPC in the image: the image's own ports, published the way `docker run -p` does ----
BAKED_MODEL = "model"  # one model is named after its file: /models/model.pkl
# Open Inference Protocol datatype -> (little-endian struct format of raw contents, typed field).
NUMERIC = {"INT32": ("i", "int_contents"), "INT64": ("q", "int64_contents"), "FP32": ("f", "fp32_contents"),
           "FP64": ("d", "fp64_contents")}


def rest_json(port, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
        return json.loads(r.read())


def sklearn_probabilities():
    import joblib
    return joblib.load(ROOT / "examples" / "iris" / "model.pkl").predict_proba(ROWS).tolist()


def test_image_serves_grpc_on_its_exposed_port_like_rest(image):
    """The baked image, run with its own defaults (HTTP 8080, gRPC 8081) on a bridge network with
    both ports published, answers a real gRPC client: health "" and "liveness" SERVING,
    ServerReady, ModelMetadata equal to REST's, ModelInfer (typed and raw contents) equal bit for
    bit to REST /v2/models/model/infer on the same rows, and to scikit-learn."""
    import grpc
    pb, pbg, hpb, hpbg = grpc_stubs()
    inspected = json.loads(run("podman", "image", "inspect", IMAGE).stdout)[0]["Config"]
    assert {"8080/tcp", "8081/tcp"} <= set(inspected["ExposedPorts"]), inspected["ExposedPorts"]
    assert "INFERD_GRPC_PORT=8081" in inspected["Env"], inspected["Env"]

    http_port, grpc_port = free_port(), free_port()
    cid = run("podman", "run", "-d", "--pull=never", "--no-healthcheck", "-e", "INFERD_DRAIN_SECONDS=1",
              "-p", f"127.0.0.1:{http_port}:8080", "-p", f"127.0.0.1:{grpc_port}:8081", IMAGE).stdout.strip()
    try:
        wait_ready(cid, http_port)
        channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
        grpc.channel_ready_future(channel).result(timeout=15)
        health, stub = hpbg.HealthStub(channel), pbg.GRPCInferenceServiceStub(channel)
        for service in ("", "liveness"):
            got = health.Check(hpb.HealthCheckRequest(service=service), timeout=5).status
            assert got == hpb.HealthCheckResponse.SERVING, (service, got)
        assert stub.ServerReady(pb.ServerReadyRequest(), timeout=5).ready is True

        meta = stub.ModelMetadata(pb.ModelMetadataRequest(name=BAKED_MODEL), timeout=5)
        rest_meta = rest_json(http_port, f"/v2/models/{BAKED_MODEL}")
        assert (meta.name, list(meta.versions), meta.platform) == \
            (rest_meta["name"], rest_meta["versions"], rest_meta["platform"])
        for mine, theirs in ((meta.inputs, rest_meta["inputs"]), (meta.outputs, rest_meta["outputs"])):
            assert [(t.name, t.datatype, list(t.shape)) for t in mine] == \
                [(t["name"], t["datatype"], t["shape"]) for t in theirs]

        outputs = ["predict", "predict_proba"]
        rest = rest_json(http_port, f"/v2/models/{BAKED_MODEL}/infer", {
            "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [len(ROWS), 4], "data": ROWS}],
            "outputs": [{"name": o} for o in outputs]})
        rest = {o["name"]: o for o in rest["outputs"]}
        flat = [v for row in ROWS for v in row]
        for raw in (False, True):
            req = pb.ModelInferRequest(model_name=BAKED_MODEL)
            tensor = req.inputs.add(name="input-0", datatype="FP64", shape=[len(ROWS), 4])
            if raw:
                req.raw_input_contents.append(struct.pack(f"<{len(flat)}d", *flat))
            else:
                tensor.contents.fp64_contents.extend(flat)
            for o in outputs:
                req.outputs.add(name=o)
            resp = stub.ModelInfer(req, timeout=10)
            assert resp.model_name == BAKED_MODEL
            got = {}
            for i, o in enumerate(resp.outputs):
                assert (o.datatype, list(o.shape)) == (rest[o.name]["datatype"], rest[o.name]["shape"]), o.name
                fmt, field = NUMERIC[o.datatype]
                if raw:
                    blob = resp.raw_output_contents[i]
                    got[o.name] = list(struct.unpack(f"<{len(blob) // struct.calcsize(fmt)}{fmt}", blob))
                else:
                    got[o.name] = list(getattr(o.contents, field))
            assert list(got) == outputs
            for name in outputs:
                assert got[name] == rest[name]["data"], (raw, name)  # the same values, bit for bit
            assert got["predict"] == sklearn_predictions()
            proba = got["predict_proba"]
            want = [v for row in sklearn_probabilities() for v in row]
            assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(proba, want, strict=True))
        channel.close()
        REPORT.append(f"image {IMAGE}: gRPC on its port 8081 (published as {grpc_port}) answers like REST on 8080")
    finally:
        run("podman", "rm", "-f", "-t", "2", cid, check=False)

# ---- XGBoost in the image: inferd's own evaluator, no libxgboost ----
XGB_FEATURES = 6
XGB_ROWS = 300


@pytest.fixture(scope="module")
def xgb_models(tmp_path_factory):
    """A folder (readable by the image's uid) with a pickled 3-class XGBClassifier (model.pkl),
    a binary XGBClassifier saved with save_model (model.ubj), both trained with Debian's
    python3-xgboost on data with NaN; the reference classifiers; the request rows (10% NaN)."""
    xgb = pytest.importorskip("xgboost")
    import numpy as np
    rng = np.random.default_rng(11)
    X = rng.normal(size=(600, XGB_FEATURES))
    X[rng.random(X.shape) < 0.1] = np.nan
    s = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2 - np.nan_to_num(X[:, 2])
    d = tmp_path_factory.mktemp("xgb-models")
    multi = xgb.XGBClassifier(n_estimators=30, max_depth=4, random_state=0).fit(
        X, np.digitize(s, np.quantile(s, [0.33, 0.66])))
    with open(d / "model.pkl", "wb") as f:
        pickle.dump(multi, f)
    binary = xgb.XGBClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X, (s > np.median(s)).astype(int))
    binary.save_model(str(d / "model.ubj"))
    native = xgb.XGBClassifier()
    native.load_model(str(d / "model.ubj"))
    rows = rng.normal(size=(XGB_ROWS, XGB_FEATURES)) * 1.3
    rows[rng.random(rows.shape) < 0.1] = np.nan
    rows[:50] = X[:50]
    os.chmod(d, 0o755)
    for p in d.iterdir():
        os.chmod(p, 0o644)
    return d, {"model.pkl": multi, "model.ubj": native}, rows


def predict_batch(port, rows):
    body = {"instances": [[None if math.isnan(v) else float(v) for v in r] for r in rows], "proba": True}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200
        return json.loads(r.read())


@pytest.mark.parametrize("model_file", ["model.pkl", "model.ubj"])
def test_image_serves_xgboost_like_xgboost(image, xgb_models, model_file):
    """The image (built from this tree's sources, without libxgboost) serves the model from a
    volume; labels and predict_proba equal xgboost's own, float32 for float32, on 300 rows with
    NaN."""
    d, reference, rows = xgb_models
    clf = reference[model_file]
    want_labels = clf.predict(rows).tolist()
    want_proba = clf.predict_proba(rows)
    assert want_proba.dtype.name == "float32"
    port = free_port()
    cid = serve(IMAGE, port, "-v", f"{d}:/xgb:ro", "-e", f"INFERD_MODEL=/xgb/{model_file}")
    try:
        got = predict_batch(port, rows)
        assert got["predictions"] == want_labels
        classes = [str(c) for c in clf.classes_]
        got_proba = [[p[c] for c in classes] for p in got["probabilities"]]
        diffs = [(i, got_proba[i], want_proba[i].tolist()) for i in range(len(rows))
                 if got_proba[i] != [float(v) for v in want_proba[i]]]
        assert diffs == [], f"{len(diffs)} rows differ, first {diffs[:3]}"
        assert predict(port, [float(v) for v in rows[1]])["prediction"] == want_labels[1]
    finally:
        run("podman", "rm", "-f", "-t", "2", cid, check=False)


def test_image_binary_does_not_link_libxgboost(image):
    """Neither a copied shared library nor the binary's DT_NEEDED list names libxgboost (the
    image has no shell or ldd: its files are read from the mounted image)."""
    mnt = pathlib.Path(run("podman", "image", "mount", IMAGE).stdout.strip())
    try:
        files = sorted(str(p.relative_to(mnt)) for p in mnt.rglob("*") if p.is_file() or p.is_symlink())
        assert "usr/local/bin/inferd" in files, files
        assert [f for f in files if "xgboost" in f.lower()] == [], files
        if shutil.which("readelf"):
            dyn = subprocess.run(["readelf", "-d", str(mnt / "usr/local/bin/inferd")], capture_output=True, text=True,
                                 timeout=60).stdout
            needed = [line.split("[", 1)[1].rstrip("]") for line in dyn.splitlines() if "(NEEDED)" in line]
        else:
            needed = []
        assert not any("xgboost" in n for n in needed), needed
        REPORT.append(f"image {IMAGE}: files {', '.join(files)}; NEEDED {', '.join(needed) or 'none (static)'}")
    finally:
        run("podman", "image", "unmount", IMAGE, check=False)


# ---- Debian package records: what Trivy, Grype and Syft read in a FROM scratch image ----
SHARED_OBJECT = re.compile(r"(^|/)[^/]+\.so(\.\d+)*$")


@contextlib.contextmanager
def mounted(image_name):
    root = pathlib.Path(run("podman", "image", "mount", image_name).stdout.strip())
    try:
        yield root
    finally:
        run("podman", "image", "unmount", image_name, check=False)


def inside(root, path):
    """`path` (absolute, as the image sees it) resolved inside `root`, following symlinks the way
    the image would (an absolute link target starts again at `root`)."""
    parts, resolved, hops = list(pathlib.PurePosixPath(path).parts[1:]), pathlib.PurePosixPath("/"), 0
    while parts:
        part = parts.pop(0)
        candidate = resolved / part
        host = root / candidate.relative_to("/")
        if host.is_symlink():
            hops += 1
            assert hops < 40, f"symlink loop at {path}"
            target = pathlib.PurePosixPath(os.readlink(host))
            parts = list((target if target.is_absolute() else resolved / target).parts[1:]) + parts
            resolved = pathlib.PurePosixPath("/")
        else:
            resolved = candidate
    return resolved


def stanzas(text):
    """Debian control stanzas (dpkg's status file, a status.d record) as dicts; continuation
    lines are folded into their field."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fields, key = {}, None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line
            else:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        out.append(fields)
    return out


def md5sums(text):
    return {path: md5 for md5, path in (line.split(None, 1) for line in text.splitlines() if line.strip())}


@pytest.fixture(scope="module")
def build_stage(tools):
    """The build stage as an image (its layers are the cached ones of the runtime build)."""
    build("build", BUILD_STAGE_IMAGE)
    return BUILD_STAGE_IMAGE


def test_every_shared_object_belongs_to_a_recorded_package_at_the_build_stage_version(image, build_stage):
    assert image <= MAX_IMAGE_BYTES, f"image is {image / 1e6:.1f} MB with its package records, target <= 20 MB"
    with mounted(IMAGE) as img, mounted(build_stage) as bld:
        installed = {f["Package"]: f for f in stanzas((bld / "var/lib/dpkg/status").read_text())
                     if f.get("Status") == "install ok installed"}
        status_d = img / "var/lib/dpkg/status.d"
        records = {p.name: stanzas(p.read_text()) for p in sorted(status_d.iterdir()) if not p.name.endswith(".md5sums")}
        assert records, "no package records in the image"

        owned = {}        # image path -> package, for every file the records account for
        for name, parsed in records.items():
            assert len(parsed) == 1, f"status.d/{name}: one stanza per file"
            rec = parsed[0]
            assert "Status" not in rec, "distroless records carry no Status field"
            build_rec = installed.get(name)
            assert build_rec, f"status.d/{name}: no such package installed in the build stage"
            for field in ("Package", "Version", "Architecture", "Source", "Maintainer"):
                assert rec.get(field) == build_rec.get(field), f"status.d/{name}: {field} {rec.get(field)!r} != {build_rec.get(field)!r}"

            # The copyright file is the build stage's, byte for byte.
            copyright_path = f"/usr/share/doc/{name}/copyright"
            shipped = img / inside(img, copyright_path).relative_to("/")
            assert shipped.is_file(), f"{copyright_path} missing"
            assert shipped.read_bytes() == (bld / inside(bld, copyright_path).relative_to("/")).read_bytes()
            owned[copyright_path] = name

            # Every md5sums line is dpkg's own line for that file in the build stage, and the file
            # in the image still has that content.
            arch = build_rec["Architecture"]
            info = bld / "var/lib/dpkg/info"
            dpkg_sums = md5sums(next(p for p in (info / f"{name}:{arch}.md5sums", info / f"{name}.md5sums")
                                     if p.exists()).read_text())
            # Conffiles (/etc/debian_version) have their checksum in the status stanza instead.
            for line in build_rec.get("Conffiles", "").splitlines():
                if line.strip():
                    conffile, md5 = line.split()[:2]
                    dpkg_sums[conffile.lstrip("/")] = md5
            dpkg_files = {line for p in (info / f"{name}:{arch}.list", info / f"{name}.list") if p.exists()
                          for line in p.read_text().splitlines()}
            recorded = md5sums((status_d / f"{name}.md5sums").read_text())
            assert recorded, f"status.d/{name}.md5sums lists no file"
            for rel, md5 in recorded.items():
                assert dpkg_sums.get(rel) == md5, f"{rel}: recorded md5 is not dpkg's for {name}"
                assert hashlib.md5((img / rel).read_bytes()).hexdigest() == md5, f"{rel} differs from {name}'s file"
                owned["/" + rel] = name
            # Symlinks (libstdc++.so.6 -> libstdc++.so.6.0.30) have no md5sum: they must be paths
            # the same package ships.
            for link in (p for p in img.rglob("*") if p.is_symlink()):
                path = "/" + str(link.relative_to(img))
                if path in dpkg_files:
                    owned[path] = name

        shared = sorted("/" + str(p.relative_to(img)) for p in img.rglob("*")
                        if (p.is_file() or p.is_symlink()) and SHARED_OBJECT.search(str(p)))
        assert shared, "the image has no shared objects: is the binary static? then drop this test's premise"
        for path in shared:
            assert path in owned, f"{path} belongs to no recorded package"
            assert owned.get(str(inside(img, path))) == owned[path], f"{path} resolves outside {owned[path]}'s files"

        # Nothing else slipped in: every file is recorded, a record, or inferd's own.
        ours = {"/usr/local/bin/inferd", "/models/model.pkl"}
        for p in img.rglob("*"):
            path = "/" + str(p.relative_to(img))
            if p.is_dir() and not p.is_symlink():
                continue
            assert path in owned or path in ours or path.startswith("/var/lib/dpkg/status.d/"), f"{path} is unaccounted for"

        # Scanners identify the distribution from these before matching any record.
        os_release = (img / inside(img, "/etc/os-release").relative_to("/")).read_text()
        assert 'ID=debian' in os_release and 'VERSION_ID="12"' in os_release, os_release
        assert owned.get("/etc/os-release") == owned.get("/etc/debian_version") == "base-files"

        REPORT.append("image packages (status.d): " + ", ".join(
            f"{n} {records[n][0]['Version']}" for n in sorted(records)))
        REPORT.append(f"image shared objects: {', '.join(shared)}")
