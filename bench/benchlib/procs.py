"""Every process the benchmark starts, tracked by PID and stopped on exit.

Contract: each child runs in its own session (process group id == its PID), so stopping it also
stops what it forked (gunicorn's and nginx's workers) by that one id — never by name. stop_all()
runs from atexit and from the SIGINT/SIGTERM/SIGHUP handlers installed by install_handlers(), so an
interrupted or failing run leaves nothing behind. Not thread-safe: the harness is single-threaded.
"""
import atexit
import glob
import os
import signal
import subprocess
import sys
import time

_live = {}  # pid -> (Popen, description)
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def find_binary(name, env_name, explicit=None):
    """A built binary: `explicit`, else $env_name, else the newest executable of
    $INFERD_BUILD_DIR/bin/NAME and <repo>/build*/bin/NAME; None if there is none."""
    if explicit:
        return explicit
    if os.environ.get(env_name):
        return os.environ[env_name]
    cands = glob.glob(os.path.join(_REPO, "build*", "bin", name))
    if os.environ.get("INFERD_BUILD_DIR"):
        cands.insert(0, os.path.join(os.path.abspath(os.environ["INFERD_BUILD_DIR"]), "bin", name))
    cands = [p for p in cands if os.access(p, os.X_OK)]
    return max(cands, key=os.path.getmtime) if cands else None


def start(cmd, *, env=None, cwd=None, stdout=None, stderr=None, desc=None):
    """Starts cmd (a list) in a new session and tracks it. Returns the Popen."""
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout or subprocess.DEVNULL,
                         stderr=stderr or subprocess.DEVNULL, start_new_session=True)
    _live[p.pid] = (p, desc or cmd[0])
    return p


def stop(p, timeout=5.0):
    """SIGTERM to p's process group, then SIGKILL after `timeout` seconds. Returns the exit code."""
    if p.pid not in _live:
        return p.returncode
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # Reap stragglers of the group (workers that outlived the leader).
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _live.pop(p.pid, None)
    return p.returncode


def run(cmd, *, timeout, env=None, cwd=None):
    """Runs cmd to completion (tracked while it runs); kills it after `timeout` seconds.
    Returns (returncode, stdout, stderr) as text; returncode None means it timed out."""
    p = start(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
        _live.pop(p.pid, None)
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")
    except subprocess.TimeoutExpired:
        stop(p, timeout=1.0)
        out, err = p.communicate()
        return None, out.decode(errors="replace"), err.decode(errors="replace")


def stop_all():
    for pid, (p, desc) in list(_live.items()):
        stop(p, timeout=2.0)


def tree_pids(pid):
    """pid and its descendants (from /proc), for memory accounting of forking servers."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo and len(out) < 10000:
        q = todo.pop()
        out.append(q)
        todo.extend(children.get(q, []))
    return out


def memory_kb(pid):
    """(sum of VmRSS, sum of Pss) in kB over pid's process tree. Pss splits pages shared between
    forked workers, so it is the fair figure for gunicorn; VmRSS double-counts them."""
    rss = pss = 0
    for q in tree_pids(pid):
        try:
            with open(f"/proc/{q}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{q}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def install_handlers():
    atexit.register(stop_all)

    def on_signal(signum, frame):
        stop_all()
        print(f"bench: interrupted by signal {signum}; stopped every process it started", file=sys.stderr)
        os._exit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)


def wait_until(pred, timeout, interval=0.001):
    """Polls pred() until it returns a truthy value or `timeout` seconds pass. Returns the value."""
    end = time.perf_counter() + timeout
    while True:
        v = pred()
        if v or time.perf_counter() > end:
            return v
        time.sleep(interval)
