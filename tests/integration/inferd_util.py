"""Helpers for tests that run the real inferd binary (imported by test modules)."""
import subprocess


def run_inferd(binary, *args, timeout=30, **kw):
    """Runs `inferd ARGS...` and returns the CompletedProcess (text mode, output captured)."""
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=timeout, **kw)
