"""Every C++ file matches .clang-format exactly (scripts/format.sh fixes them)."""
import pathlib
import shutil
import subprocess

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_cpp_sources_are_clang_formatted():
    clang_format = shutil.which("clang-format")
    assert clang_format, "clang-format is missing: scripts/setup.sh installs it"
    files = subprocess.run(
        ["git", "ls-files", "src/*.cc", "src/*.h", "include/*.h", "bench/*.cc", "bench/*.h"],
        cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert len(files) > 100
    r = subprocess.run([clang_format, "--dry-run", "-Werror", *files], cwd=REPO, capture_output=True, text=True)
    unformatted = sorted({line.split(":", 1)[0] for line in r.stderr.splitlines() if ": error: " in line})
    assert r.returncode == 0 and not unformatted, "not clang-formatted (run scripts/format.sh): " + ", ".join(
        unformatted)
