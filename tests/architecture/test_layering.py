"""The layout's arrows point one way (docs/architecture.md):

    cli -> app -> http -> json -> serving -> public API (include/inferd/) <- sklearn -> pickle
           app -> grpc -> json (gRPC is a transport beside http; neither includes the other)

with metrics (below serving) and a small base (common/, logging/, inferd/status.h) that every
part may use. These tests read every #include "..." line in src/, include/ and bench/ and fail,
naming the file and line, when one points the wrong way; and they check that each CMake target
compiles only files of its own folder.
"""
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]

# Part -> the parts its files may include (itself always allowed).
ALLOWED = {
    "base": set(),
    "api": {"base"},
    "pickle": {"base"},
    "sklearn": {"pickle", "api", "base"},
    "metrics": {"base"},
    "serving": {"metrics", "api", "base"},
    "json": {"serving", "metrics", "api", "base"},
    "http": {"json", "serving", "metrics", "api", "base"},
    "grpc": {"json", "serving", "metrics", "api", "base"},
    "app": {"http", "grpc", "json", "serving", "metrics", "api", "base"},
    # The binary's commands may use any part (inspect reads pickles, predict runs models).
    "cli": {"app", "http", "grpc", "json", "serving", "metrics", "sklearn", "pickle", "api", "base"},
    # In-process benchmarks of the runtimes: everything below serving.
    "bench": {"sklearn", "pickle", "api", "base"},
}

# First path component of an include -> part.
FOLDER_PART = {
    "api": "api",
    "common": "base",
    "logging": "base",
    "pickle": "pickle",
    "sklearn": "sklearn",
    "metrics": "metrics",
    "serving": "serving",
    "json": "json",
    "http": "http",
    "grpc": "grpc",
    "app": "app",
    "cli": "cli",
}
BASE_HEADERS = {"inferd/status.h"}

INCLUDE = re.compile(r'^\s*#\s*(?:include|if\s+__has_include\()\s*"([^"]+)"')


def part_of_include(path):
    if path in BASE_HEADERS:
        return "base"
    first = path.split("/", 1)[0]
    if first == "inferd":
        return "api"
    return FOLDER_PART.get(first)


def part_of_file(rel):
    parts = rel.parts
    if parts[0] == "include":
        return "base" if "/".join(parts[1:]) in BASE_HEADERS else "api"
    if parts[0] == "bench":
        return "bench"
    if parts[0] == "src" and len(parts) > 1:
        return FOLDER_PART.get(parts[1])
    return None


def source_files():
    for top in ("src", "include", "bench"):
        for p in sorted((REPO / top).rglob("*")):
            if p.suffix in (".h", ".cc") and p.is_file():
                yield p


def violations(files):
    """Yields 'file:line: <part> -> <part> (#include "x")' for every forbidden arrow."""
    for path in files:
        rel = path.relative_to(REPO)
        src = part_of_file(rel)
        if src is None:
            yield f"{rel}: file outside every part (add its folder to tests/architecture/test_layering.py)"
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = part_of_include(m.group(1))
            if target is None or target == src:
                continue  # a header outside the parts (e.g. a generated one) or the same part
            if target not in ALLOWED[src]:
                yield f'{rel}:{n}: {src} -> {target} (#include "{m.group(1)}") points against the layering'


def test_every_include_points_down_the_layers():
    found = list(violations(source_files()))
    assert not found, "forbidden includes:\n" + "\n".join(found)


def test_the_check_catches_each_forbidden_arrow(tmp_path):
    # One file per forbidden arrow the architecture names, placed as if in its part's folder.
    cases = {
        "src/serving/x.cc": "http/router.h",
        "src/serving/y.cc": "app/server_app.h",
        "src/serving/z.cc": "cli/serve_command.h",
        "src/sklearn/x.cc": "serving/model_manager.h",
        "src/sklearn/y.cc": "http/message.h",
        "src/pickle/x.cc": "inferd/model.h",
        "src/pickle/y.cc": "sklearn/registry.h",
        "src/http/x.cc": "pickle/reader.h",
        "src/http/y.cc": "sklearn/registry.h",
        "src/metrics/x.cc": "serving/model_manager.h",
        "src/json/x.cc": "http/message.h",
        "src/grpc/x.cc": "http/message.h",
        "src/http/z.cc": "grpc/grpc_server.h",
        "src/serving/w.cc": "grpc/infer_codec.h",
    }
    files = []
    global REPO
    saved = REPO
    try:
        REPO = tmp_path
        for rel, inc in cases.items():
            p = tmp_path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f'#include <vector>\n#include "{inc}"\n')
            files.append(p)
        found = list(violations(files))
    finally:
        REPO = saved
    assert len(found) == len(cases), found
    for (rel, inc), msg in zip(cases.items(), found):
        assert msg.startswith(f"{rel}:2: ") and inc in msg, msg


def test_each_cmake_target_compiles_only_its_own_folder():
    bad = []
    for cml in sorted((REPO / "src").rglob("CMakeLists.txt")):
        for n, line in enumerate(cml.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"(^|[\s(])\.\./", code):
                bad.append(f"{cml.relative_to(REPO)}:{n}: {line.strip()}")
    assert not bad, "CMake files that compile another folder's sources:\n" + "\n".join(bad)
