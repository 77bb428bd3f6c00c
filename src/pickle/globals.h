// GLOBAL / STACK_GLOBAL policy (sklearn-model-files.md §6.2). Nothing is ever imported or
// called; this decides which (module, name) tokens a file may mention and which of them the
// machine interprets.
//
// Thread safety: pure functions over constant tables.
#ifndef INFERD_PICKLE_GLOBALS_H_
#define INFERD_PICKLE_GLOBALS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "inferd/status.h"

namespace inferd::pickle {

enum class GlobalRole {
  kReconstruct,        // numpy.{,_}core.multiarray._reconstruct
  kScalar,             // numpy.{,_}core.multiarray.scalar
  kFrombuffer,         // numpy.{,_}core.numeric._frombuffer
  kDtype,              // numpy.dtype
  kArrayType,          // numpy.ndarray (also matrix/memmap): only an argument
  kCodecsEncode,       // _codecs.encode (latin1 only)
  kBytes,              // builtins.bytes
  kBytearray,          // builtins.bytearray
  kSlice,              // builtins.slice
  kSet,                // builtins.set
  kFrozenset,          // builtins.frozenset
  kOrderedDict,        // collections.OrderedDict -> a dict
  kNumpyArrayWrapper,  // joblib.numpy_pickle.NumpyArrayWrapper
  kTypeReference,      // numpy.float64, numpy.number, builtins.object, ...: an inert type-object
                       // value (OneHotEncoder.dtype, make_column_selector's dtype_include);
                       // never called
  kOpaque,             // numpy.random pickling helpers, functools.partial, collections.defaultdict: record only
  kModelClass,         // sklearn.* / xgboost.* / lightgbm.*: record only
};

// "module.name" for messages and Value::s.
std::string GlobalName(std::string_view module, std::string_view name);

// Classifies a global or refuses it:
//   deny-listed      -> InvalidArgument "forbidden global 'posix.system' at byte N"
//   legacy joblib    -> Unimplemented naming NDArrayWrapper / ZNDArrayWrapper
//   not allow-listed -> InvalidArgument "unknown global 'x.y' at byte N"
// `offset` is the byte offset of the GLOBAL / STACK_GLOBAL opcode.
StatusOr<GlobalRole> ClassifyGlobal(std::string_view module, std::string_view name, size_t offset);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_GLOBALS_H_
