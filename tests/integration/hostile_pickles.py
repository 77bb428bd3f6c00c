"""Builds hostile and malformed model files for the loader tests.

Each entry is (name, bytes, expected substring of the error). The files are produced the way
an attacker would produce them: real pickle.dumps of objects whose __reduce__ names a
dangerous callable, plus hand-assembled opcode streams for the structural attacks. None of
these is ever unpickled by Python here.
"""
import io
import os
import pickle
import struct
import subprocess
import zlib

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression


class _Reduce:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _global_pickle(module, name, args, protocol):
    """A pickle calling module.name(*args) on load, written with GLOBAL (protocol 2/3) or
    STACK_GLOBAL (protocol 4/5). Built by hand so the module/name are exactly as given."""
    out = io.BytesIO()
    out.write(b"\x80" + bytes([protocol]))
    if protocol >= 4:
        for s in (module, name):
            b = s.encode()
            out.write(b"\x8c" + bytes([len(b)]) + b)
        out.write(b"\x93")  # STACK_GLOBAL
    else:
        out.write(b"c" + module.encode() + b"\n" + name.encode() + b"\n")
    out.write(b"(")  # MARK
    for a in args:
        b = a.encode()
        out.write(b"X" + struct.pack("<I", len(b)) + b)
    out.write(b"tR.")  # TUPLE REDUCE STOP
    return out.getvalue()


def hostile_files(tmp_marker: str):
    """Returns [(name, bytes, expected_error_substring)]. `tmp_marker` is a path that a
    successful attack would create (the tests check it never appears)."""
    cmd = f"touch {tmp_marker}"
    files = [
        ("os_system_p2", pickle.dumps(_Reduce(os.system, (cmd,)), protocol=2), "forbidden global 'posix.system'"),
        ("os_system_p4", pickle.dumps(_Reduce(os.system, (cmd,)), protocol=4), "forbidden global 'posix.system'"),
        ("os_system_p5", pickle.dumps(_Reduce(os.system, (cmd,)), protocol=5), "forbidden global 'posix.system'"),
        ("subprocess_popen", pickle.dumps(_Reduce(subprocess.Popen, (["touch", tmp_marker],)), protocol=4),
         "forbidden global 'subprocess.Popen'"),
        ("builtins_eval", pickle.dumps(_Reduce(eval, (f"__import__('os').system('{cmd}')",)), protocol=4),
         "forbidden global 'builtins.eval'"),
        ("builtins_exec", pickle.dumps(_Reduce(exec, (f"import os; os.system('{cmd}')",)), protocol=3),
         "forbidden global 'builtins.exec'"),
        ("builtins_getattr", _global_pickle("builtins", "getattr", ["os", "system"], 4),
         "forbidden global 'builtins.getattr'"),
        ("builtin_import_p2", _global_pickle("__builtin__", "__import__", ["os"], 2), "forbidden global"),
        ("os_system_global_p2", _global_pickle("os", "system", [cmd], 2), "forbidden global 'os.system'"),
        ("nt_system", _global_pickle("nt", "system", [cmd], 4), "forbidden global 'nt.system'"),
        ("importlib", _global_pickle("importlib", "import_module", ["os"], 4), "forbidden global 'importlib.import_module'"),
        ("unknown_global", _global_pickle("mypackage.models", "Custom", [], 4), "unknown global 'mypackage.models.Custom'"),
    ]
    # A real model, then truncated: a loader must say so, not crash or return half a model.
    buf = io.BytesIO()
    X = np.random.RandomState(0).rand(50, 3)
    y = (X[:, 0] > 0.5).astype(int)
    joblib.dump(LogisticRegression().fit(X, y), buf)
    real = buf.getvalue()
    files.append(("truncated_joblib", real[: len(real) // 2], "truncated"))
    files.append(("truncated_pickle", pickle.dumps(LogisticRegression().fit(X, y), protocol=4)[:-40], "truncated"))
    # A zlib-compressed joblib file cut in the middle of the stream.
    zbuf = io.BytesIO()
    joblib.dump(LogisticRegression().fit(X, y), zbuf, compress=3)
    files.append(("truncated_zlib", zbuf.getvalue()[:-20], ""))
    # Huge declared array: a _reconstruct whose shape claims 10^12 float64s.
    huge = (b"\x80\x03cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85C\x01b\x87R"
            b"(K\x01\x8a\x06\x00\x10\xa5\xd4\xe8\x00\x85cnumpy\ndtype\nX\x02\x00\x00\x00f8K\x00K\x01\x87R"
            b"(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89C\x08\x00\x00\x00\x00\x00\x00\x00\x00tb.")
    files.append(("huge_array", huge, ""))
    # Deep nesting: 200000 nested lists.
    deep = b"\x80\x04" + b"]" * 200000 + b"a" * 199999 + b"."
    files.append(("deep_nesting", deep, ""))
    # Not a pickle at all, and an empty file.
    files.append(("text_file", b"this is not a model\n", ""))
    files.append(("empty", b"", ""))
    # Zip bomb: 1 GiB of zeros in a few hundred KiB of zlib.
    files.append(("zlib_bomb", zlib.compress(b"\x80\x04" + b"\x00" * (1 << 30), 9), ""))
    return files
