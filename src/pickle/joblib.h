// joblib's NumpyArrayWrapper (sklearn-model-files.md §1.2): the array bytes are spliced
// into the pickle stream right after the wrapper's BUILD opcode.
//
// Thread safety: operates on one machine's state.
#ifndef INFERD_PICKLE_JOBLIB_H_
#define INFERD_PICKLE_JOBLIB_H_

#include <cstddef>

#include "inferd/status.h"
#include "pickle/machine.h"
#include "pickle/numpy.h"
#include "pickle/value.h"

namespace inferd::pickle {

inline constexpr const char kNumpyArrayWrapper[] = "joblib.numpy_pickle.NumpyArrayWrapper";
inline constexpr const char kVendoredNumpyArrayWrapper[] = "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper";

// BUILD(state) on a NumpyArrayWrapper record. *pos is the stream offset just after the
// BUILD byte; on success it is advanced past the array data (alignment padding + raw bytes,
// or the nested object-array pickle) and *wrapper is turned IN PLACE into the kArray value
// (so memo references see the array too). `nesting` is the calling machine's nesting; a
// wrapper inside a nested pickle is refused. `at` = offset of the BUILD opcode.
Status CompleteArrayWrapper(Value* wrapper, const Value& state, const DtypeTable& dtypes, MachineContext* ctx,
                            int nesting, size_t* pos, size_t at);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_JOBLIB_H_
