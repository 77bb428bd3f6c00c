"""The generated hostile-model suite (hostile_generated.py) against the real `inferd predict`:
every file is refused with one clear line (exit 2) or, if what it contains is a valid model,
loaded and predicted cleanly (exit 0, one prediction) — never a crash, a hang (10 s), a memory
blow-up (peak RSS of the process under 256 MiB), a file created (each run has an empty working
directory and a marker path the payloads target), or a process left behind (each run is its
own session; none of its members may outlive it).

Run: INFERD_BUILD_DIR=build /usr/bin/python3 -m pytest tests/reliability/test_hostile_generated.py
"""
import concurrent.futures
import json
import os
import signal
import subprocess
import threading
import time

import pytest

import hostile_generated

TIMEOUT = 10
MAX_RSS_KB = 256 * 1024


def _session_members(sid):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # field 6 (session) after state, ppid, pgrp
                out.append(int(pid))
        except (OSError, IndexError, ValueError):
            pass
    return out


def run_one(bin_path, model_path, rows_path, workdir):
    """Runs `inferd predict` in its own session; returns (rc, stdout, stderr, maxrss_kb, secs, leftovers)."""
    t0 = time.monotonic()
    p = subprocess.Popen([bin_path, "predict", "--model", model_path, "--input", rows_path], cwd=workdir,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    killer = threading.Timer(TIMEOUT, lambda: os.killpg(p.pid, signal.SIGKILL))
    killer.start()
    try:
        # Read the pipes on threads so a chatty child cannot block; reap with wait4 for rusage.
        res = {}
        readers = [threading.Thread(target=lambda k=k, f=f: res.__setitem__(k, f.read()))
                   for k, f in (("out", p.stdout), ("err", p.stderr))]
        for r in readers:
            r.start()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        for r in readers:
            r.join()
        secs = time.monotonic() - t0
        leftovers = _session_members(p.pid)
        return p.returncode, res["out"].decode(errors="replace"), res["err"].decode(errors="replace"), usage.ru_maxrss, secs, leftovers
    finally:
        killer.cancel()
        try:
            os.killpg(p.pid, signal.SIGKILL)  # nothing should be left; make sure
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile-gen")
    marker = str(d / "pwned")
    files, real = hostile_generated.generate(marker)
    mdir = d / "models"
    mdir.mkdir()
    for i, (name, data, _) in enumerate(files):
        (mdir / f"{i:05d}.pkl").write_bytes(data)
    rows = d / "rows.json"
    rows.write_text("[[5.1, 3.5, 1.4, 0.2]]")
    return d, marker, files, real, rows


def test_real_models_predict(inferd_bin, generated, tmp_path):
    """The unmodified files load and predict: the flips/truncations start from working models."""
    d, _, _, real, rows = generated
    for name, data in real.items():
        p = tmp_path / name
        p.write_bytes(data)
        rc, out, err, _, _, _ = run_one(inferd_bin, str(p), str(rows), str(tmp_path))
        assert rc == 0 and json.loads(out)["predictions"] == [0], (name, rc, out, err)


def test_every_generated_file_is_refused_cleanly_or_loads_consistently(inferd_bin, generated, tmp_path):
    d, marker, files, _, rows = generated
    problems = []
    stats = {"refused": 0, "loaded": 0, "max_rss_kb": 0, "max_secs": 0.0}
    lock = threading.Lock()

    def check(i):
        name, _, must_refuse = files[i]
        path = str(d / "models" / f"{i:05d}.pkl")
        work = tmp_path / f"w{i}"
        work.mkdir()
        rc, out, err, rss, secs, leftovers = run_one(inferd_bin, path, str(rows), str(work))
        bad = []
        if rc == 2:
            lines = err.strip().splitlines()
            if out != "" or len(lines) != 1 or path not in lines[0]:
                bad.append(f"refusal is not one line naming the file: {err!r}")
        elif rc == 0 and not must_refuse:
            try:
                preds = json.loads(out)["predictions"]
                if len(preds) != 1:
                    bad.append(f"{len(preds)} predictions for one row")
            except (ValueError, KeyError) as e:
                bad.append(f"bad output {out!r}: {e}")
        else:
            bad.append(f"exit {rc} (must_refuse={must_refuse}) stdout={out[:200]!r} stderr={err[:300]!r}")
        if rss > MAX_RSS_KB:
            bad.append(f"peak RSS {rss} KiB")
        if secs > TIMEOUT - 1:
            bad.append(f"took {secs:.1f} s")
        if os.listdir(work):
            bad.append(f"created files {os.listdir(work)}")
        if leftovers:
            bad.append(f"left processes {leftovers}")
        if os.path.exists(marker):
            bad.append("the payload ran (marker exists)")
        with lock:
            stats["refused" if rc == 2 else "loaded"] += 1
            stats["max_rss_kb"] = max(stats["max_rss_kb"], rss)
            stats["max_secs"] = max(stats["max_secs"], secs)
            if bad:
                problems.append((name, bad))

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(check, range(len(files))))
    print(f"\nhostile suite: {len(files)} files, {stats['refused']} refused, {stats['loaded']} loaded, "
          f"max RSS {stats['max_rss_kb'] // 1024} MiB, slowest {stats['max_secs']:.2f} s")
    assert problems == [], problems[:20]
    assert stats["refused"] > len(files) // 2
