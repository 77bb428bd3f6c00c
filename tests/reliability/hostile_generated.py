"""A generated suite of hostile and malformed model files, beyond tests/integration/hostile_pickles.py.

generate(marker) -> [(name, bytes, must_refuse)]. `must_refuse` files have to be refused; the
others (wrong-typed state, bit flips, truncations) may also load if what is left is a valid
model, but then they must predict cleanly. `marker` is a path a successful attack would
create. Nothing here is ever unpickled by Python: files are either assembled opcode by opcode
or written by pickle.dumps of objects whose own reduction describes the attack.
"""
import io
import os
import pickle
import random
import struct
import zlib

import joblib
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier


# ---- a tiny pickle assembler (protocol 2-4 opcodes) ----
def proto(n=2):
    return b"\x80" + bytes([n])


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def stack_glob(module, name):
    return ustr(module) + ustr(name) + b"\x93"


def ustr(s):
    b = s.encode() if isinstance(s, str) else s
    return b"X" + struct.pack("<I", len(b)) + b


def sbytes(b):
    return b"B" + struct.pack("<I", len(b)) + b


def i32(v):
    return b"J" + struct.pack("<i", v)


def long1(v):
    n = (v.bit_length() + 8) // 8 or 1
    return b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True)


def tup(*items):
    return b"(" + b"".join(items) + b"t"


MARK, STOP, REDUCE, BUILD, NONE = b"(", b".", b"R", b"b", b"N"
TRUE, FALSE, EMPTY_DICT, EMPTY_LIST = b"\x88", b"\x89", b"}", b"]"


def call(func, *args):
    return func + tup(*args) + REDUCE


class _Reduce:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _dtype(descr=ustr("f8"), align=FALSE, copy=TRUE, state=None):
    out = call(glob("numpy", "dtype"), descr, align, copy)
    if state is not None:
        out += state + BUILD
    return out


def _dtype_state(version=i32(3), order=ustr("<"), sub=NONE, names=NONE, fields=NONE, itemsize=i32(-1),
                 alignment=i32(-1), flags=i32(0)):
    return tup(version, order, sub, names, fields, itemsize, alignment, flags)


def _array(shape_tuple, dtype, data, fortran=FALSE, version=i32(1)):
    """numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') + BUILD (version, shape, dtype, fortran, data)."""
    base = call(glob("numpy.core.multiarray", "_reconstruct"), glob("numpy", "ndarray"), tup(i32(0)), sbytes(b"b"))
    return base + tup(version, shape_tuple, dtype, fortran, data) + BUILD


def _in_logreg(attr_pickle_bytes, attr="coef_"):
    """A LogisticRegression whose state dict has `attr` = the given pickle fragment (other
    attributes from a real fitted model are kept out: the fragment decides)."""
    return (proto(2) + glob("sklearn.linear_model._logistic", "LogisticRegression") + b")\x81" + EMPTY_DICT +
            MARK + ustr(attr) + attr_pickle_bytes + ustr("n_features_in_") + i32(4) +
            ustr("classes_") + _array(tup(i32(3)), _dtype(ustr("i8")), sbytes(struct.pack("<3q", 0, 1, 2))) +
            ustr("intercept_") + _array(tup(i32(3)), _dtype(), sbytes(b"\0" * 24)) +
            ustr("multi_class") + ustr("auto") + ustr("_sklearn_version") + ustr("1.2.1") +
            b"u" + BUILD + STOP)


def real_models():
    X, y = load_iris(return_X_y=True)
    logreg = LogisticRegression(max_iter=1000).fit(X, y)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    lr_pkl = pickle.dumps(logreg, protocol=4)
    buf = io.BytesIO()
    joblib.dump(tree, buf)
    zbuf = io.BytesIO()
    joblib.dump(logreg, zbuf, compress=3)
    return {"logreg_p4.pkl": lr_pkl, "tree.joblib": buf.getvalue(), "logreg_z3.joblib": zbuf.getvalue()}


def forbidden_globals(marker):
    cmd = "touch " + marker
    targets = [
        ("os", "system", [cmd]), ("posix", "system", [cmd]), ("nt", "system", [cmd]), ("os", "popen", [cmd]),
        ("os", "execv", ["/bin/sh", "x"]), ("os", "remove", [marker]), ("posix", "fork", []),
        ("subprocess", "Popen", [cmd]), ("subprocess", "call", [cmd]), ("subprocess", "check_output", [cmd]),
        ("subprocess", "run", [cmd]), ("subprocess", "getoutput", [cmd]),
        ("builtins", "eval", ["1"]), ("builtins", "exec", ["1"]), ("builtins", "getattr", ["os", "system"]),
        ("builtins", "__import__", ["os"]), ("builtins", "compile", ["1", "f", "eval"]), ("builtins", "open", [marker, "w"]),
        ("builtins", "setattr", ["a", "b", "c"]), ("builtins", "globals", []), ("builtins", "breakpoint", []),
        ("__builtin__", "eval", ["1"]), ("__builtin__", "file", [marker, "w"]), ("__builtin__", "execfile", [marker]),
        ("importlib", "import_module", ["os"]), ("importlib", "__import__", ["os"]),
        ("pickle", "loads", ["x"]), ("_pickle", "loads", ["x"]), ("marshal", "loads", ["x"]), ("pickle", "Unpickler", []),
        ("shutil", "rmtree", ["/tmp/x"]), ("socket", "socket", []), ("runpy", "run_path", [marker]),
        ("code", "interact", []), ("sys", "exit", []), ("pty", "spawn", ["/bin/sh"]), ("ctypes", "CDLL", ["libc.so.6"]),
        ("types", "FunctionType", []), ("webbrowser", "open", ["x"]), ("operator", "attrgetter", ["system"]),
        ("operator", "methodcaller", ["system", cmd]), ("functools", "reduce", []), ("numpy", "load", [marker]),
        ("numpy.lib.npyio", "load", [marker]), ("numpy", "fromfile", [marker]), ("numpy.testing._private.utils", "runstring", ["1", "{}"]),
        ("joblib", "load", [marker]), ("torch", "load", [marker]), ("io", "open", [marker, "w"]), ("tempfile", "mkstemp", []),
    ]
    out = []
    for mod, name, args in targets:
        a = [ustr(x) for x in args]
        out.append((f"g2_{mod}.{name}", proto(2) + call(glob(mod, name), *a) + STOP, True))
        out.append((f"g4_{mod}.{name}", proto(4) + call(stack_glob(mod, name), *a) + STOP, True))
        # INST: the protocol-0 class-instantiation opcode (calls the global with the args).
        out.append((f"inst_{mod}.{name}", MARK + b"".join(a) + b"i" + mod.encode() + b"\n" + name.encode() + b"\n" + STOP, True))
    # Forbidden callables smuggled through allowed helpers.
    out.append(("partial_os_system", proto(2) + call(glob("functools", "partial"), glob("posix", "system"), ustr(cmd)) + STOP, True))
    out.append(("partial_reduce_call",
                proto(2) + call(call(glob("functools", "partial"), glob("os", "system"), ustr(cmd))) + STOP, True))
    out.append(("ordereddict_eval", proto(2) + call(glob("collections", "OrderedDict"), glob("builtins", "eval")) + STOP, True))
    # Python's own pickling of real callables (what an attacker's __reduce__ produces).
    out.append(("reduce_os_system_p5", pickle.dumps(_Reduce(os.system, (cmd,)), protocol=5), True))
    out.append(("reduce_exec_p0", pickle.dumps(_Reduce(exec, ("import os; os.system(%r)" % cmd,)), protocol=0), True))
    out.append(("reduce_getattr_p1", pickle.dumps(_Reduce(getattr, ("os", "system")), protocol=1), True))
    # The attack nested inside an otherwise valid model: coef_ is the payload.
    out.append(("nested_in_model", _in_logreg(call(glob("posix", "system"), ustr(cmd))), True))
    # A sklearn-prefixed global used as a callable with a payload: allowed as a token, never called.
    out.append(("sklearn_token_call", _in_logreg(call(glob("sklearn.utils", "_print_elapsed_time"), ustr(cmd))), False))
    return out


def abused_allowed_globals():
    f8 = _dtype()
    cases = [
        # numpy.dtype with absurd arguments and states.
        ("dtype_int_arg", _dtype(i32(123)), False),
        ("dtype_huge_str", _dtype(ustr("f8" * 100000)), False),
        ("dtype_void_huge", _dtype(ustr("V999999999999999")), False),
        ("dtype_unicode_neg", _dtype(ustr("U-1")), False),
        ("dtype_state_short", _dtype(state=tup(i32(3), ustr("<"))), False),
        ("dtype_state_not_tuple", _dtype(state=ustr("hello")), False),
        ("dtype_state_itemsize_neg", _dtype(ustr("V8"), state=_dtype_state(itemsize=i32(-5), order=ustr("|"))), False),
        ("dtype_state_itemsize_huge", _dtype(ustr("V8"), state=_dtype_state(itemsize=long1(1 << 62), order=ustr("|"))), False),
        ("dtype_state_fields_wrong", _dtype(ustr("V8"), state=_dtype_state(
            names=tup(ustr("a")), fields=EMPTY_DICT + ustr("a") + i32(7) + b"s", itemsize=i32(8), order=ustr("|"))), False),
        ("dtype_field_offset_outside", _dtype(ustr("V8"), state=_dtype_state(
            names=tup(ustr("a")), fields=EMPTY_DICT + ustr("a") + tup(_dtype(ustr("f8")), long1(1 << 40)) + b"s",
            itemsize=i32(8), order=ustr("|"))), False),
        ("dtype_subarray_huge", _dtype(ustr("V8"), state=_dtype_state(
            sub=tup(_dtype(ustr("f8")), tup(long1(1 << 40), long1(1 << 40))), itemsize=i32(8), order=ustr("|"))), False),
        ("dtype_recursive_sub", _dtype(ustr("V8"), state=_dtype_state(
            sub=tup(_dtype(ustr("V8"), state=_dtype_state(sub=tup(_dtype(ustr("f8")), tup(i32(1))), itemsize=i32(8))), tup(i32(1))),
            itemsize=i32(8))), False),
        # _reconstruct / BUILD with wrong states.
        ("arr_state_not_tuple", _array(tup(i32(3)), f8, sbytes(b"\0" * 24))[:-1] + b"0" + ustr("x") + BUILD, False),
        ("arr_shape_negative", _array(tup(i32(-3)), f8, sbytes(b"\0" * 24)), False),
        ("arr_shape_strings", _array(tup(ustr("a"), ustr("b")), f8, sbytes(b"\0" * 24)), False),
        ("arr_shape_overflow", _array(tup(long1(1 << 32), long1(1 << 32), long1(1 << 32)), f8, sbytes(b"\0" * 24)), False),
        ("arr_shape_ndim64", _array(tup(*([i32(1)] * 64)), f8, sbytes(b"\0" * 8)), False),
        ("arr_shape_ndim100k", _array(tup(*([i32(1)] * 100000)), f8, sbytes(b"\0" * 8)), False),
        ("arr_data_short", _array(tup(i32(1000)), f8, sbytes(b"\0" * 24)), False),
        ("arr_data_list", _array(tup(i32(3)), f8, EMPTY_LIST), False),
        ("arr_dtype_not_dtype", _array(tup(i32(3)), ustr("f8"), sbytes(b"\0" * 24)), False),
        ("arr_fortran_str", _array(tup(i32(3)), f8, sbytes(b"\0" * 24), fortran=ustr("yes")), False),
        ("arr_version_99", _array(tup(i32(3)), f8, sbytes(b"\0" * 24), version=i32(99)), False),
        ("arr_itemsize_huge", _array(tup(i32(2)), _dtype(ustr("V8"), state=_dtype_state(itemsize=long1(1 << 61), order=ustr("|"))),
                                     sbytes(b"\0" * 16)), False),
        ("arr_object_huge_shape", _array(tup(long1(1 << 40)), _dtype(ustr("O8")), EMPTY_LIST), False),
        ("scalar_wrong_len", call(glob("numpy.core.multiarray", "scalar"), f8, sbytes(b"\0" * 3)), False),
        ("scalar_not_bytes", call(glob("numpy.core.multiarray", "scalar"), f8, i32(5)), False),
        ("frombuffer_huge", call(glob("numpy.core.numeric", "_frombuffer"), sbytes(b"\0" * 8), f8, tup(long1(1 << 50)), ustr("C")), False),
        ("bytearray_huge", call(glob("builtins", "bytearray"), long1(1 << 40)), False),
        ("bytearray_neg", call(glob("builtins", "bytearray"), i32(-1)), False),
        ("codecs_encode_int", call(glob("_codecs", "encode"), i32(5), ustr("latin1")), False),
        ("codecs_encode_zlib", call(glob("_codecs", "encode"), ustr("x" * 100), ustr("zlib_codec")), False),
        ("slice_objects", call(glob("builtins", "slice"), EMPTY_LIST, EMPTY_DICT, NONE), False),
        ("ordereddict_int", call(glob("collections", "OrderedDict"), i32(5)), False),
        ("partial_empty", call(glob("functools", "partial")), False),
        ("wrapper_absurd", call(glob("joblib.numpy_pickle", "NumpyArrayWrapper")) + EMPTY_DICT + MARK +
         ustr("subclass") + glob("numpy", "ndarray") + ustr("shape") + tup(long1(1 << 40), long1(1 << 40)) +
         ustr("order") + ustr("X") + ustr("dtype") + f8 + ustr("allow_mmap") + ustr("no") + b"u" + BUILD, False),
    ]
    out = [(n, proto(2) + b + STOP, must) for n, b, must in cases]
    # The same abuses where the loader must use them: as a model's coef_.
    for n, b, _ in cases[:14]:
        out.append(("model_" + n, _in_logreg(b), False))
    out.append(("model_coef_str", _in_logreg(ustr("not an array")), False))
    out.append(("model_coef_none", _in_logreg(NONE), False))
    out.append(("model_coef_dict", _in_logreg(EMPTY_DICT), False))
    out.append(("model_coef_wrong_shape", _in_logreg(_array(tup(i32(2), i32(2)), f8, sbytes(b"\0" * 32))), False))
    out.append(("model_coef_nan", _in_logreg(_array(tup(i32(3), i32(4)), f8, sbytes(struct.pack("<d", float("nan")) * 12))), False))
    out.append(("model_coef_int8", _in_logreg(_array(tup(i32(3), i32(4)), _dtype(ustr("i1")), sbytes(b"\1" * 12))), False))
    out.append(("model_coef_be", _in_logreg(_array(tup(i32(3), i32(4)), _dtype(ustr(">f8")), sbytes(b"\1" * 96))), False))
    return out


def memo_stack_abuse():
    cases = [
        ("get_unset", b"h\x05"), ("long_get_huge", b"j\xff\xff\xff\xff"), ("put_huge_index", i32(1) + b"r\xff\xff\xff\x7f"),
        ("pop_empty", b"0"), ("pop_mark_none", b"1"), ("append_nonlist", i32(1) + i32(2) + b"a"),
        ("setitems_odd", EMPTY_DICT + MARK + i32(1) + b"u"), ("setitem_unhashable", EMPTY_DICT + EMPTY_LIST + i32(1) + b"s"),
        ("build_on_int", i32(1) + EMPTY_DICT + BUILD), ("reduce_nontuple", glob("collections", "OrderedDict") + i32(1) + REDUCE),
        ("stop_empty", b""), ("two_left", i32(1) + i32(2)), ("dup_many", i32(1) + b"2" * 2000000),
        ("mark_many", b"(" * 2000000 + i32(1)), ("memoize_many", EMPTY_LIST + b"\x94" * 2000000),
        ("frame_lies", b"\x80\x04\x95" + struct.pack("<Q", 1 << 60) + i32(1)),
        ("binunicode_huge_len", b"X\xff\xff\xff\x7f" + b"abc"), ("long4_huge", b"\x8b\xff\xff\xff\x7f" + b"\0"),
        ("self_append", EMPTY_LIST + b"q\x00h\x00a"), ("self_setitem", EMPTY_DICT + b"q\x00" + ustr("k") + b"h\x00s"),
        ("ext1", b"\x82\x01"), ("persid", b"P1\n"), ("binpersid", i32(1) + b"Q"), ("newobj_ex", glob("builtins", "set") + b")}\x92"),
        ("bad_opcode", b"\xff"), ("proto_99", b"\x80\x63" + i32(1)),
        # 3 M values made and dropped (30 MB): every node of a load lives until the load's
        # arena dies, so distinct values would pin ~650 MB; repeated floats share one node, and
        # the arena has a budget per stream byte (pickle/arena.h ArenaBudget).
        ("churn_floats", (b"G" + struct.pack(">d", 0.5) + b"0") * 3000000 + i32(1)),
    ]
    out = [(n, proto(4) + b + STOP, True) for n, b in cases]
    # Billion laughs: 40 levels of ten references to the previous list (10^40 logical
    # elements, a few hundred bytes thanks to the memo), alone and as a model's coef_.
    laughs = EMPTY_LIST + b"q\x00" + MARK + b"G" + struct.pack(">d", 1.0) * 10 + b"e"
    for lvl in range(1, 41):
        laughs += b"0" + EMPTY_LIST + b"q" + bytes([lvl]) + MARK + (b"h" + bytes([lvl - 1])) * 10 + b"e"
    out.append(("billion_laughs_list", proto(2) + laughs + STOP, False))
    out.append(("billion_laughs_coef", _in_logreg(laughs), False))
    d = EMPTY_DICT + b"q\x00" + ustr("a") + i32(1) + b"s"
    for lvl in range(1, 41):
        d += b"0" + EMPTY_DICT + b"q" + bytes([lvl]) + MARK + b"".join(ustr(f"k{i}") + b"h" + bytes([lvl - 1]) for i in range(10)) + b"u"
    out.append(("billion_laughs_dict_state", _in_logreg(d, attr="_extra"), False))
    # Tuples shared the same way, in the classes_ slot.
    t = MARK + i32(1) + i32(2) + b"t" + b"q\x00"
    for lvl in range(1, 41):
        t += b"0" + MARK + (b"h" + bytes([lvl - 1])) * 10 + b"t" + b"q" + bytes([lvl])
    out.append(("billion_laughs_classes", _in_logreg(t, attr="classes_"), False))
    return out


def compression_abuse():
    big = b"\x80\x04" + b"N0" * (8 << 20) + b"N."
    return [
        ("zlib_bomb_valid", zlib.compress(big, 9), False),
        ("zlib_garbage", b"\x78\x9c" + os.urandom(200), True),
        ("gzip_header_only", b"\x1f\x8b\x08\x00" + b"\0" * 6, True),
        ("xz_header_only", b"\xfd7zXZ\x00", True),
        ("joblib_zf", b"ZF0x00000000000000" + zlib.compress(b"junk"), True),
    ]


def truncations(name, data):
    return [(f"trunc_{name}_{i}", data[:i], i < len(data)) for i in range(len(data))]


def bit_flips(name, data, n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        pos = rnd.randrange(len(data))
        bit = rnd.randrange(8)
        b = bytearray(data)
        b[pos] ^= 1 << bit
        out.append((f"flip_{name}_{pos}_{bit}", bytes(b), False))
    return out


def generate(marker, full=False, seed=7):
    """full: truncation at every offset of each real file and 150 bit flips per file (the
    documented long run, ~4000 files). Otherwise every offset of the plain pickle, every 8th
    of the joblib files and 40 flips per file (~1300 files; the reader-level
    src/pickle/hostile_test.cc truncates at every offset too). Both add edited XGBoost files."""
    files = forbidden_globals(marker) + abused_allowed_globals() + memo_stack_abuse() + compression_abuse()
    real = real_models()
    for name, data in real.items():
        every = 1 if full or name.endswith(".pkl") else 8
        files += truncations(name, data)[::every]
        files += bit_flips(name, data, 150 if full else 40, seed)
    files += xgboost_mutants(full)
    return files, real


def xgboost_mutants(full):
    """XGBoost files (JSON, UBJSON, pickled XGBClassifier/XGBRegressor) of 4 features edited one
    field at a time (xgboost_hostile.py): every 100th mutant (every 10th with `full`). Skipped
    without python3-xgboost."""
    try:
        import xgboost  # noqa: F401
    except ImportError:
        return []
    import xgboost_hostile
    return [("xgb:" + name, data, False) for name, data in xgboost_hostile.sampled_mutants(10 if full else 100, 4)]
