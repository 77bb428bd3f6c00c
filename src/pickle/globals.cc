#include "pickle/globals.h"

#include <algorithm>
#include <array>

namespace inferd::pickle {
namespace {

bool InModule(std::string_view module, std::string_view root) {
  return module == root ||
         (module.size() > root.size() && module.substr(0, root.size()) == root && module[root.size()] == '.');
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Modules whose every member is refused, even though nothing would be executed: a file that
// mentions them is hostile or at least not a model.
constexpr std::array<std::string_view, 20> kDeniedModules = {
    "os",      "posix",  "nt",       "subprocess",      "sys",        "importlib",       "pickle",
    "_pickle", "shutil", "socket",   "runpy",           "code",       "ctypes",          "_ctypes",
    "marshal", "pty",    "commands", "multiprocessing", "webbrowser", "_posixsubprocess"};

constexpr std::array<std::string_view, 16> kDeniedBuiltins = {
    "eval",    "exec",   "getattr", "setattr", "delattr",    "__import__", "open", "compile",
    "globals", "locals", "vars",    "input",   "breakpoint", "exit",       "quit", "help"};

constexpr std::array<std::string_view, 30> kNumpyScalarTypes = {
    "float64",  "float32",   "float16",    "longdouble", "int64",       "int32", "int16",  "int8",
    "uint64",   "uint32",    "uint16",     "uint8",      "intp",        "uintp", "intc",   "uintc",
    "longlong", "ulonglong", "bool_",      "bool",       "object_",     "str_",  "bytes_", "unicode_",
    "void",     "complex64", "complex128", "datetime64", "timedelta64", "int_"};

// numpy's abstract scalar classes (np.number, ...), named by make_column_selector's
// dtype_include / dtype_exclude.
constexpr std::array<std::string_view, 10> kNumpyAbstractTypes = {
    "generic", "number",   "integer",         "signedinteger", "unsignedinteger",
    "inexact", "floating", "complexfloating", "flexible",      "character"};

// Python types named as values (make_column_selector(dtype_include=object), ...). The
// callable builtins bytes/bytearray/slice/set/frozenset are interpreted separately.
constexpr std::array<std::string_view, 6> kBuiltinTypes = {"object", "str", "int", "float", "bool", "complex"};

constexpr std::array<std::string_view, 12> kOpaque = {
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor",
    "numpy.random._mt19937.MT19937",
    "numpy.random._pcg64.PCG64",
    "numpy.random._philox.Philox",
    "numpy.random._sfc64.SFC64",
    "numpy.random.bit_generator.SeedSequence",
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
    "numpy.random.__RandomState_ctor",
    "functools.partial",
    // A LightGBM Booster's best_score: defaultdict(OrderedDict) of evaluation results, kept
    // as a record with its items (the factory is only named, never called).
    "collections.defaultdict",
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& a, std::string_view s) {
  return std::find(a.begin(), a.end(), s) != a.end();
}

bool ValidIdentifierPath(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  bool start = true;
  for (char c : s) {
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && !start)) return false;
    start = false;
  }
  return !start;
}

}  // namespace

std::string GlobalName(std::string_view module, std::string_view name) {
  std::string out;
  out.reserve(module.size() + 1 + name.size());
  out.append(module);
  out.push_back('.');
  out.append(name);
  return out;
}

StatusOr<GlobalRole> ClassifyGlobal(std::string_view module, std::string_view name, size_t offset) {
  const std::string at = " at byte " + std::to_string(offset);
  if (!ValidIdentifierPath(module) || !ValidIdentifierPath(name)) {
    std::string shown = GlobalName(module.substr(0, 60), name.substr(0, 60));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    }
    return Status::InvalidArgument("malformed global name '" + shown + "'" + at);
  }
  const std::string full = GlobalName(module, name);

  // 1. Deny-list first, so that nothing below can accidentally allow it.
  for (std::string_view m : kDeniedModules) {
    if (InModule(module, m)) return Status::InvalidArgument("forbidden global '" + full + "'" + at);
  }
  const bool builtins = module == "builtins" || module == "__builtin__";
  if (builtins && Contains(kDeniedBuiltins, name)) {
    return Status::InvalidArgument("forbidden global '" + full + "'" + at);
  }
  if (full == "copyreg._reconstructor" || full == "copy_reg._reconstructor") {
    return Status::InvalidArgument("forbidden global '" + full + "'" + at + " (protocol 0/1 object reconstruction)");
  }
  if (name == "NDArrayWrapper" || name == "ZNDArrayWrapper") {
    if (module == "joblib.numpy_pickle" || module == "sklearn.externals.joblib.numpy_pickle") {
      return Status::Unimplemented("legacy joblib array format '" + full + "'" + at +
                                   " (multi-file joblib < 0.10 dumps are not supported; re-save the model "
                                   "with a current joblib)");
    }
  }

  // 2. Interpreted tokens (exact match).
  if (full == "numpy.core.multiarray._reconstruct" || full == "numpy._core.multiarray._reconstruct") {
    return GlobalRole::kReconstruct;
  }
  if (full == "numpy.core.multiarray.scalar" || full == "numpy._core.multiarray.scalar") return GlobalRole::kScalar;
  if (full == "numpy.core.numeric._frombuffer" || full == "numpy._core.numeric._frombuffer") {
    return GlobalRole::kFrombuffer;
  }
  if (full == "numpy.dtype") return GlobalRole::kDtype;
  if (full == "numpy.ndarray" || full == "numpy.matrix" || full == "numpy.memmap" ||
      full == "numpy.matrixlib.defmatrix.matrix" || full == "numpy.core.memmap.memmap" ||
      full == "numpy._core.memmap.memmap") {
    return GlobalRole::kArrayType;
  }
  if (full == "_codecs.encode") return GlobalRole::kCodecsEncode;
  if (builtins) {
    if (name == "bytes") return GlobalRole::kBytes;
    if (name == "bytearray") return GlobalRole::kBytearray;
    if (name == "slice") return GlobalRole::kSlice;
    if (name == "set") return GlobalRole::kSet;
    if (name == "frozenset") return GlobalRole::kFrozenset;
    if (Contains(kBuiltinTypes, name)) return GlobalRole::kTypeReference;
    // Protocol 2 writes int and str under their Python 2 names.
    if (module == "__builtin__" && (name == "long" || name == "unicode")) return GlobalRole::kTypeReference;
  }
  if (full == "collections.OrderedDict") return GlobalRole::kOrderedDict;
  if (full == "joblib.numpy_pickle.NumpyArrayWrapper" ||
      full == "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper") {
    return GlobalRole::kNumpyArrayWrapper;
  }
  if (module == "numpy" && (Contains(kNumpyScalarTypes, name) || Contains(kNumpyAbstractTypes, name))) {
    return GlobalRole::kTypeReference;
  }
  if (Contains(kOpaque, full)) return GlobalRole::kOpaque;

  // 3. Model classes by prefix.
  if (StartsWith(module, "sklearn.") || module == "sklearn" || StartsWith(module, "xgboost.") || module == "xgboost" ||
      StartsWith(module, "lightgbm.") || module == "lightgbm") {
    return GlobalRole::kModelClass;
  }
  if (module == "__main__") {
    // A function or class of the training script (a FunctionTransformer's func, a callable
    // column selector, a custom estimator): code, which is never loaded.
    return Status::InvalidArgument("unknown global '" + full + "'" + at +
                                   " (defined in the training script; inferd loads no code)");
  }
  return Status::InvalidArgument("unknown global '" + full + "'" + at);
}

}  // namespace inferd::pickle
