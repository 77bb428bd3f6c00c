// numpy interpretation for the pickle machine (sklearn-model-files.md §2): dtype
// descriptors, `_reconstruct` + BUILD, `scalar`, `_frombuffer`, and the conversion of raw
// element bytes to native byte order and C order.
//
// Thread safety: DtypeTable is per-machine state; the free functions are reentrant.
#ifndef INFERD_PICKLE_NUMPY_H_
#define INFERD_PICKLE_NUMPY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"

namespace inferd::pickle {

// Per-stream bookkeeping for dtype objects. A dtype is created by REDUCE numpy.dtype(...)
// and completed once by BUILD. Structured fields / subarray bases may only refer to dtypes
// that are complete (or plain non-void dtypes, which can never gain fields), and a dtype is
// never built twice: together this makes dtype graphs acyclic and of bounded depth.
class DtypeTable {
 public:
  explicit DtypeTable(size_t max_depth) : max_depth_(max_depth) {}

  // numpy.dtype(name, align, copy) REDUCE. `at` = byte offset for messages.
  StatusOr<std::shared_ptr<Dtype>> Create(const Value& args, size_t at);
  // BUILD(state) on a dtype created by Create (or an error if it was not, or built twice).
  Status Build(const std::shared_ptr<Dtype>& d, const Value& state, size_t at);
  // True if the dtype is or contains an object field (numpy's dtype.hasobject).
  bool HasObject(const Dtype* d) const;

 private:
  struct Info {
    bool built = false;
    bool has_object = false;
    size_t depth = 0;
  };
  StatusOr<const Info*> Usable(const Value& v, size_t at, std::shared_ptr<Dtype>* out) const;
  size_t max_depth_;
  std::unordered_map<const Dtype*, Info> info_;
};

// Shape tuple -> dims (each a non-negative int; at most 32 dims).
StatusOr<std::vector<size_t>> ParseShape(const Value& v, size_t at);
// prod(shape) * itemsize with overflow checks; *elements gets prod(shape).
StatusOr<size_t> ArrayByteSize(const std::vector<size_t>& shape, size_t itemsize, size_t at, size_t* elements);

// Copies `nbytes` element bytes laid out in C order (fortran=false) or Fortran order into
// out->data as C order, then converts to native byte order. If `keeper` is set it keeps
// [src, src + nbytes) alive and unchanged: bytes that need no conversion (C order, native
// byte order) are then viewed in place instead of copied. REQUIRES: out->dtype and
// out->shape set; nbytes == size() * itemsize (checked).
Status FillArrayData(NdArray* out, bool fortran, const uint8_t* src, size_t nbytes, size_t at,
                     std::shared_ptr<const void> keeper = nullptr);
// Reorders an object array's elements from Fortran to C order (in place).
void FortranToCObjects(NdArray* out);

// BUILD on an ndarray placeholder made by `_reconstruct(ndarray, (0,), b'b')`:
// state = (version, shape, dtype, is_fortran, rawdata) or the legacy 4-tuple.
Status BuildReconstructed(NdArray* arr, const Value& state, const DtypeTable& dtypes, size_t at);
// numpy.core.multiarray.scalar(dtype, bytes | object).
StatusOr<std::shared_ptr<NdArray>> MakeScalar(const Value& args, const DtypeTable& dtypes, size_t at);
// numpy.core.numeric._frombuffer(buf, dtype, shape, order).
StatusOr<std::shared_ptr<NdArray>> MakeFromBuffer(const Value& args, const DtypeTable& dtypes, size_t at);

}  // namespace inferd::pickle

#endif  // INFERD_PICKLE_NUMPY_H_
