"""Image size: inferd's image vs the reference tutorial's image recipe, computed where neither
can be built by the benchmark itself (no registry, no PyPI on this machine).

inferd (the repository's Dockerfile, runtime stage FROM scratch): the stripped inferd binary plus
the shared libraries it still links (none for the Dockerfile's static build), plus the model file.

reference (tutorial: FROM python:3.9-slim, COPY app.py model.pkl requirements.txt, pip install -r
requirements.txt): the python:3.9-slim image cannot be pulled and PyPI cannot be reached, so its
layers are computed from Debian bookworm's packages with dpkg's Installed-Size:
  base layer    = the Priority: required packages (what debootstrap --variant=minbase installs,
                  the content of a *-slim base image)
  python layer  = python3 and its dependency closure not already in the base
  pip layer     = python3-flask, python3-sklearn, python3-joblib, gunicorn and their closure
                  (numpy, scipy, threadpoolctl, OpenBLAS ...) not already in the two layers above
  COPY layer    = app.py + model.pkl
python3-pythran (a compiler Debian's scipy depends on; pip's scipy wheel does not) and its
closure are left out. Debian's Python 3.11 stands in for 3.9, and Debian's scipy/numpy link the system OpenBLAS where
pip's manylinux wheels bundle their own copy: same order of magnitude, not byte-exact.
"""
import os
import shutil
import subprocess


# Debian's python3-scipy depends on the pythran compiler (and through it g++, Boost and the Python
# headers); scipy's pip wheel, what the tutorial's `pip install` gets, needs none of it at run time.
EXCLUDED = {"python3-pythran"}


def _closure(pkgs):
    """pkgs and everything they depend on (Depends + Pre-Depends, no Recommends), resolved against
    the packages installed here: for "a | b" the first installed alternative, virtual names
    through the installed packages' Provides."""
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Pre-Depends}, ${Depends}\t${Provides}\n"],
                         capture_output=True, text=True, timeout=60).stdout
    deps, provides = {}, {}
    for line in out.splitlines():
        name, dep, prov = (line.split("\t") + ["", ""])[:3]
        deps[name] = dep
        for p in prov.split(","):
            p = p.strip().split(" ")[0]
            if p:
                provides.setdefault(p, name)

    def resolve(alt):
        n = alt.strip().split(" ")[0].split(":")[0]
        if n in deps:
            return n
        return provides.get(n)

    seen, todo = set(EXCLUDED), list(pkgs)
    while todo and len(seen) < 100000:
        n = resolve(todo.pop())
        if not n or n in seen:
            continue
        seen.add(n)
        for clause in deps.get(n, "").split(","):
            if not clause.strip():
                continue
            for alt in clause.split("|"):
                r = resolve(alt)
                if r:
                    todo.append(r)
                    break
    return seen - EXCLUDED


def _installed_sizes():
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority} ${Installed-Size}\n"],
                         capture_output=True, text=True, timeout=60).stdout
    sizes, required = {}, set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2]) * 1024
            if parts[1] == "required":
                required.add(parts[0])
    return sizes, required


def _apt_size(pkg):
    """Installed-Size of a package not installed here (from apt's cache), in bytes, or None."""
    out = subprocess.run(["apt-cache", "show", "--no-all-versions", pkg], capture_output=True, text=True,
                         timeout=60).stdout
    for line in out.splitlines():
        if line.startswith("Installed-Size:"):
            return int(line.split()[1]) * 1024
    return None


def sizes(repo, inferd_bin, mdir, bodies, scratch):
    try:
        return _sizes(repo, inferd_bin, mdir, scratch)
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        return {"error": f"{type(e).__name__}: {e}"}


def _sizes(repo, inferd_bin, mdir, scratch):
    model = os.path.join(mdir, "logreg.pkl")
    model_bytes = os.path.getsize(model)
    result = {"model": "logreg.pkl", "model_bytes": model_bytes}
    if inferd_bin and os.path.exists(inferd_bin):
        stripped = os.path.join(scratch, "inferd.stripped")
        shutil.copyfile(inferd_bin, stripped)
        subprocess.run(["strip", "--strip-all", stripped], timeout=60, check=False)
        libs = []
        ldd = subprocess.run(["ldd", inferd_bin], capture_output=True, text=True, timeout=60).stdout
        for line in ldd.splitlines():
            path = next((t for t in line.split() if t.startswith("/")), None)
            if path and os.path.exists(path):
                libs.append((path, os.path.getsize(os.path.realpath(path))))
        result["inferd"] = {"binary_stripped": os.path.getsize(stripped), "shared_libs": sum(s for _, s in libs),
                            "shared_lib_names": [p for p, _ in libs], "total": os.path.getsize(stripped)
                            + sum(s for _, s in libs) + model_bytes}
    sizes_, required = _installed_sizes()

    def size_of(names):
        total, unknown = 0, []
        for n in sorted(names):
            s = sizes_.get(n)
            if s is None:
                s = _apt_size(n)
            if s is None:
                unknown.append(n)
            else:
                total += s
        return total, unknown

    base = required
    py = _closure(["python3"]) - base
    stack = _closure(["python3-flask", "python3-sklearn", "python3-joblib", "gunicorn"]) - base - py
    app = os.path.getsize(os.path.join(repo, "bench", "reference", "app.py"))
    b, u1 = size_of(base)
    p, u2 = size_of(py)
    s, u3 = size_of(stack)
    result["reference"] = {"base_layer": b, "python_layer": p, "pip_layer": s, "copy_layer": app + model_bytes,
                           "total": b + p + s + app + model_bytes, "packages": {"base": len(base), "python": len(py),
                                                                               "pip": len(stack)},
                           "unknown_packages": u1 + u2 + u3}
    return result
