#include "pickle/joblib.h"

#include <string>

namespace inferd::pickle {
namespace {

std::string At(size_t at) { return " at byte " + std::to_string(at); }
Status Bad(const std::string& what, size_t at) { return Status::InvalidArgument(what + At(at)); }

std::string HumanCount(size_t n) {
  // "1e12" style for round powers of ten, plain digits otherwise.
  if (n >= 1000000) {
    size_t e = 0, m = n;
    while (m % 10 == 0) {
      m /= 10;
      ++e;
    }
    if (m < 10) return std::to_string(m) + "e" + std::to_string(e);
  }
  return std::to_string(n);
}

}  // namespace

Status CompleteArrayWrapper(Value* wrapper, const Value& state, const DtypeTable& dtypes, MachineContext* ctx,
                            int nesting, size_t* pos, size_t at) {
  if (nesting > 0) return Bad("NumpyArrayWrapper inside a nested object-array pickle", at);
  if (state.kind != Kind::kDict) return Bad("NumpyArrayWrapper state must be a dict, found " + state.Describe(), at);
  const Value* subclass = state.Get("subclass");
  const Value* shape_v = state.Get("shape");
  const Value* order_v = state.Get("order");
  const Value* dtype_v = state.Get("dtype");
  if (!shape_v || !order_v || !dtype_v) {
    return Bad("NumpyArrayWrapper state lacks 'shape', 'order' or 'dtype'", at);
  }
  if (subclass && subclass->kind != Kind::kGlobal) {
    return Bad("NumpyArrayWrapper subclass must be a numpy array type, found " + subclass->Describe(), at);
  }
  if (subclass && subclass->s != "numpy.ndarray" && subclass->s != "numpy.matrix" && subclass->s != "numpy.memmap" &&
      subclass->s != "numpy.matrixlib.defmatrix.matrix" && subclass->s != "numpy.core.memmap.memmap" &&
      subclass->s != "numpy._core.memmap.memmap") {
    return Bad("NumpyArrayWrapper subclass " + subclass->s + " is not an ndarray type", at);
  }
  if (dtype_v->kind != Kind::kDtype || !dtype_v->dtype) {
    return Bad("NumpyArrayWrapper dtype must be a numpy dtype, found " + dtype_v->Describe(), at);
  }
  if (order_v->kind != Kind::kStr || (order_v->s != "C" && order_v->s != "F")) {
    return Bad("NumpyArrayWrapper order must be 'C' or 'F', found " + order_v->Describe(), at);
  }
  const bool fortran = order_v->s == "F";
  auto arr = std::make_shared<NdArray>();
  INFERD_ASSIGN_OR_RETURN(arr->shape, ParseShape(*shape_v, at));
  arr->dtype = dtype_v->dtype;
  const size_t size = ctx->stream.size();
  const uint8_t* data = reinterpret_cast<const uint8_t*>(ctx->stream.data());

  if (dtypes.HasObject(arr->dtype.get())) {
    // A complete, independent pickle (own memo) of the object array follows.
    if (arr->dtype->kind != 'O') return Status::Unimplemented("structured dtype with object fields" + At(at));
    if (++ctx->nested_pickles > ctx->limits.max_nested_pickles) {
      return Status::ResourceExhausted("more than " + std::to_string(ctx->limits.max_nested_pickles) +
                                       " nested object-array pickles" + At(at));
    }
    Machine nested(ctx, *pos, nesting + 1);
    StatusOr<ValuePtr> inner = nested.Run();
    if (!inner.ok()) return inner.status();
    Value& v = **inner;
    if (v.kind != Kind::kArray || !v.array || !v.array->dtype || v.array->dtype->kind != 'O') {
      return Bad("nested object-array pickle holds " + v.Describe() + ", not an object ndarray", *pos);
    }
    size_t n = 0;
    INFERD_RETURN_IF_ERROR(ArrayByteSize(arr->shape, 1, at, &n).status());
    if (v.array->shape != arr->shape) {
      return Bad("nested object-array shape differs from the NumpyArrayWrapper shape", *pos);
    }
    *pos = nested.end();
    // Move (not share) the NdArray: the nested top-level Value is unreachable garbage from
    // here on, and the array gets one owner.
    wrapper->array = std::move(v.array);
  } else {
    const Value* align = state.Get("numpy_array_alignment_bytes");
    if (align && !align->is_none()) {
      // joblib >= 1.2: one byte holding the padding length (1..16; 0 tolerated), then that
      // many pad bytes, so the data starts 16-aligned in the decompressed stream.
      if (*pos >= size) {
        return Status::InvalidArgument("truncated file: expected the array alignment byte" + At(*pos));
      }
      const size_t pad = data[*pos];
      if (pad > 16) return Bad("array alignment padding of " + std::to_string(pad) + " bytes (max 16)", *pos);
      if (pad > size - *pos - 1) {
        return Status::InvalidArgument("truncated file: expected " + std::to_string(pad) +
                                       " bytes of array alignment padding" + At(*pos + 1));
      }
      *pos += 1 + pad;
    }
    size_t n = 0;
    INFERD_ASSIGN_OR_RETURN(size_t nbytes, ArrayByteSize(arr->shape, arr->dtype->itemsize, at, &n));
    const size_t left = size - *pos;
    if (nbytes > left) {
      return Status::InvalidArgument("array of " + HumanCount(n) + " elements (" + std::to_string(nbytes) +
                                     " bytes) exceeds the " + std::to_string(left) + " bytes left in the file" +
                                     At(*pos));
    }
    INFERD_RETURN_IF_ERROR(FillArrayData(arr.get(), fortran, data + *pos, nbytes, *pos, ctx->stream_keeper));
    *pos += nbytes;
    wrapper->array = std::move(arr);
  }
  // Turn the record into the array in place: memo slots that point at the wrapper now see
  // the array (joblib replaces only the stack top, which is indistinguishable for us since
  // joblib never references a wrapper twice).
  wrapper->kind = Kind::kArray;
  wrapper->cls.clear();
  wrapper->args.reset();
  return Status::Ok();
}

}  // namespace inferd::pickle
