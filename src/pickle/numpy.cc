#include "pickle/numpy.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

namespace inferd::pickle {
namespace {

constexpr size_t kMaxItemsize = size_t{1} << 31;
constexpr size_t kMaxDims = 32;

std::string At(size_t at) { return " at byte " + std::to_string(at); }

Status Bad(const std::string& what, size_t at) { return Status::InvalidArgument(what + At(at)); }

bool IsTupleLike(const Value& v) { return v.kind == Kind::kTuple || v.kind == Kind::kList; }

StatusOr<int64_t> IntItem(const Value& v, const char* what, size_t at) {
  if (v.kind == Kind::kInt) return v.i;
  if (v.kind == Kind::kBool) return int64_t{v.b};
  return Bad(std::string(what) + " must be an int, found " + v.Describe(), at);
}

// Byte-swap `count` units of `unit` bytes starting at p (unit in {2,4,8}).
void SwapUnits(uint8_t* p, size_t count, size_t unit) {
  switch (unit) {
    case 2:
      for (size_t i = 0; i < count; ++i, p += 2) {
        uint16_t v;
        std::memcpy(&v, p, 2);
        v = __builtin_bswap16(v);
        std::memcpy(p, &v, 2);
      }
      break;
    case 4:
      for (size_t i = 0; i < count; ++i, p += 4) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        v = __builtin_bswap32(v);
        std::memcpy(p, &v, 4);
      }
      break;
    case 8:
      for (size_t i = 0; i < count; ++i, p += 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        v = __builtin_bswap64(v);
        std::memcpy(p, &v, 8);
      }
      break;
    default:
      for (size_t i = 0; i < count; ++i, p += unit) std::reverse(p, p + unit);
  }
}

size_t SwapUnit(const Dtype& d) {
  switch (d.kind) {
    case 'U': return 4;
    case 'c': return d.itemsize / 2;
    case 'f':
    case 'i':
    case 'u':
    case 'm':
    case 'M': return d.itemsize;
    default: return 1;  // b, S, V, O: byte order does not apply
  }
}

bool NeedsSwap(const Dtype& d) {
  if (d.subarray_base) return NeedsSwap(*d.subarray_base);
  if (!d.fields.empty()) {
    for (const auto& f : d.fields) {
      if (f.dtype && NeedsSwap(*f.dtype)) return true;
    }
    return false;
  }
  return d.byteorder == '>' && SwapUnit(d) > 1;
}

size_t Product(const std::vector<size_t>& v) {
  size_t n = 1;
  for (size_t x : v) n *= x;
  return n;
}

// Swaps `count` elements of dtype d, `stride` bytes apart, to native order.
// Recursion depth is bounded by DtypeTable's max_depth.
void SwapToNative(const Dtype& d, uint8_t* p, size_t count, size_t stride) {
  if (d.subarray_base) {
    const size_t n = Product(d.subarray_shape);
    const size_t sub = d.subarray_base->itemsize;
    for (size_t i = 0; i < count; ++i) SwapToNative(*d.subarray_base, p + i * stride, n, sub);
    return;
  }
  if (!d.fields.empty()) {
    for (const auto& f : d.fields) {
      if (f.dtype && NeedsSwap(*f.dtype)) SwapToNative(*f.dtype, p + f.offset, count, stride);
    }
    return;
  }
  if (d.byteorder != '>') return;
  const size_t unit = SwapUnit(d);
  if (unit <= 1) return;
  const size_t per = d.itemsize / unit;
  if (stride == d.itemsize) {
    SwapUnits(p, count * per, unit);
  } else {
    for (size_t i = 0; i < count; ++i) SwapUnits(p + i * stride, per, unit);
  }
}

StatusOr<std::shared_ptr<Dtype>> DtypeOf(const Value& v, const char* what, size_t at) {
  if (v.kind != Kind::kDtype || !v.dtype) {
    return Bad(std::string(what) + " must be a numpy dtype, found " + v.Describe(), at);
  }
  return v.dtype;
}

}  // namespace

StatusOr<std::shared_ptr<Dtype>> DtypeTable::Create(const Value& args, size_t at) {
  if (!IsTupleLike(args) || args.items.empty() || args.items[0]->kind != Kind::kStr) {
    return Bad("numpy.dtype() expects (name, align, copy), found " + args.Describe(), at);
  }
  const std::string& name = args.items[0]->s;
  if (name.empty() || name.size() > 12) return Bad("unsupported numpy dtype '" + name.substr(0, 12) + "'", at);
  auto d = std::make_shared<Dtype>();
  d->kind = name[0];
  size_t size = 0;
  bool has_size = name.size() > 1;
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || size > kMaxItemsize) {
      return Bad("unsupported numpy dtype '" + name + "'", at);
    }
    size = size * 10 + static_cast<size_t>(name[i] - '0');
  }
  auto one_of = [&](std::initializer_list<size_t> ok) {
    return has_size && std::find(ok.begin(), ok.end(), size) != ok.end();
  };
  bool ok = false;
  switch (d->kind) {
    case 'f':
      ok = one_of({2, 4, 8});
      d->byteorder = '<';
      break;
    case 'i':
    case 'u':
      ok = one_of({1, 2, 4, 8});
      d->byteorder = size == 1 ? '|' : '<';
      break;
    case 'b':
      ok = one_of({1});
      d->byteorder = '|';
      break;
    case 'c':
      ok = one_of({8, 16});
      d->byteorder = '<';
      break;
    case 'm':
    case 'M':
      ok = one_of({8});
      d->byteorder = '<';
      break;
    case 'O':
      ok = one_of({4, 8}) || !has_size;
      size = 8;
      d->byteorder = '|';
      break;
    case 'U':
      ok = size <= kMaxItemsize / 4;
      size *= 4;
      d->byteorder = '<';
      break;
    case 'S':
    case 'V':
      ok = size <= kMaxItemsize;
      d->byteorder = '|';
      break;
    default: ok = false;
  }
  if (!ok) return Status::Unimplemented("unsupported numpy dtype '" + name + "'" + At(at));
  d->itemsize = size;
  Info info;
  info.has_object = d->kind == 'O';
  info_.emplace(d.get(), info);
  return d;
}

StatusOr<const DtypeTable::Info*> DtypeTable::Usable(const Value& v, size_t at, std::shared_ptr<Dtype>* out) const {
  INFERD_ASSIGN_OR_RETURN(*out, DtypeOf(v, "structured dtype field", at));
  auto it = info_.find(out->get());
  if (it == info_.end()) return Bad("dtype from another stream used as a field", at);
  if (!it->second.built && (*out)->kind == 'V') {
    return Bad("structured dtype field refers to an unfinished dtype (cyclic dtype)", at);
  }
  return &it->second;
}

bool DtypeTable::HasObject(const Dtype* d) const {
  auto it = info_.find(d);
  return it != info_.end() ? it->second.has_object : d->kind == 'O';
}

Status DtypeTable::Build(const std::shared_ptr<Dtype>& d, const Value& state, size_t at) {
  auto it = info_.find(d.get());
  if (it == info_.end()) return Bad("BUILD on a dtype from another stream", at);
  if (it->second.built) return Bad("BUILD applied twice to the same dtype", at);
  if (state.kind != Kind::kTuple || (state.items.size() != 8 && state.items.size() != 9)) {
    return Bad("unsupported dtype state " + state.Describe() + " (expected the 8/9-tuple of numpy >= 1.7)", at);
  }
  const auto& s = state.items;
  INFERD_ASSIGN_OR_RETURN(int64_t version, IntItem(*s[0], "dtype state version", at));
  if (version != 3 && version != 4) return Bad("unsupported dtype state version " + std::to_string(version), at);
  if (s[1]->kind != Kind::kStr || s[1]->s.size() != 1 ||
      std::string_view("<>|=").find(s[1]->s[0]) == std::string_view::npos) {
    return Bad("bad dtype byte order " + s[1]->Describe(), at);
  }
  Info info = it->second;
  char byteorder = s[1]->s[0] == '=' ? '<' : s[1]->s[0];
  INFERD_ASSIGN_OR_RETURN(int64_t elsize, IntItem(*s[5], "dtype elsize", at));
  if (elsize < -1 || elsize > static_cast<int64_t>(kMaxItemsize)) {
    return Bad("dtype elsize " + std::to_string(elsize) + " out of range", at);
  }
  size_t itemsize = d->itemsize;
  if (elsize >= 0 && (d->kind == 'U' || d->kind == 'S' || d->kind == 'V')) itemsize = static_cast<size_t>(elsize);
  if (elsize >= 0 && static_cast<size_t>(elsize) != itemsize) {
    return Bad("dtype elsize " + std::to_string(elsize) + " does not match '" + std::string(1, d->kind) +
                   std::to_string(d->itemsize) + "'",
               at);
  }
  if (d->kind == 'U' && itemsize % 4 != 0)
    return Bad("'U' dtype elsize " + std::to_string(itemsize) + " is not a multiple of 4", at);

  std::shared_ptr<Dtype> sub_base;
  std::vector<size_t> sub_shape;
  if (!s[2]->is_none()) {
    if (d->kind != 'V') return Bad("subarray on a non-void dtype", at);
    if (s[2]->kind != Kind::kTuple || s[2]->items.size() != 2) return Bad("bad dtype subarray " + s[2]->Describe(), at);
    INFERD_ASSIGN_OR_RETURN(const Info* bi, Usable(*s[2]->items[0], at, &sub_base));
    const Value& shp = *s[2]->items[1];
    if (shp.kind == Kind::kInt) {
      if (shp.i < 0) return Bad("negative subarray shape", at);
      sub_shape.push_back(static_cast<size_t>(shp.i));
    } else {
      INFERD_ASSIGN_OR_RETURN(sub_shape, ParseShape(shp, at));
    }
    size_t n = 0;
    INFERD_ASSIGN_OR_RETURN(size_t bytes, ArrayByteSize(sub_shape, sub_base->itemsize, at, &n));
    if (bytes != itemsize) {
      return Bad("subarray " + sub_base->ToString() + " x " + std::to_string(n) + " = " + std::to_string(bytes) +
                     " bytes does not match elsize " + std::to_string(itemsize),
                 at);
    }
    info.depth = std::max(info.depth, bi->depth + 1);
    info.has_object = info.has_object || bi->has_object;
  }

  std::vector<Dtype::Field> fields;
  const Value& names = *s[3];
  const Value& fdict = *s[4];
  if (!names.is_none() || !fdict.is_none()) {
    if (d->kind != 'V') return Bad("fields on a non-void dtype", at);
    if (names.kind != Kind::kTuple || fdict.kind != Kind::kDict) {
      return Bad("bad structured dtype: names " + names.Describe() + ", fields " + fdict.Describe(), at);
    }
    if (names.items.size() != fdict.entries.size()) {
      return Bad("structured dtype has " + std::to_string(names.items.size()) + " names but " +
                     std::to_string(fdict.entries.size()) + " fields",
                 at);
    }
    fields.reserve(names.items.size());
    for (const ValuePtr& n : names.items) {
      if (n->kind != Kind::kStr) return Bad("structured dtype field name must be a str, found " + n->Describe(), at);
      const Value* spec = fdict.Get(n->s);
      if (!spec) return Bad("structured dtype field '" + n->s + "' is named but not described", at);
      if (spec->kind != Kind::kTuple || spec->items.size() < 2 || spec->items.size() > 3) {
        return Bad("bad description of field '" + n->s + "': " + spec->Describe(), at);
      }
      Dtype::Field f;
      f.name = n->s;
      INFERD_ASSIGN_OR_RETURN(const Info* fi, Usable(*spec->items[0], at, &f.dtype));
      INFERD_ASSIGN_OR_RETURN(int64_t off, IntItem(*spec->items[1], "field offset", at));
      if (off < 0 || static_cast<uint64_t>(off) > itemsize || f.dtype->itemsize > itemsize - static_cast<size_t>(off)) {
        return Bad("field '" + f.name + "' (" + f.dtype->ToString() + " at offset " + std::to_string(off) +
                       ") does not fit in the " + std::to_string(itemsize) + "-byte record",
                   at);
      }
      f.offset = static_cast<size_t>(off);
      info.depth = std::max(info.depth, fi->depth + 1);
      info.has_object = info.has_object || fi->has_object;
      fields.push_back(std::move(f));
    }
  }
  if (info.depth > max_depth_) return Bad("dtype nesting deeper than " + std::to_string(max_depth_), at);
  info.built = true;
  d->byteorder = byteorder;
  d->itemsize = itemsize;
  d->fields = std::move(fields);
  d->subarray_base = std::move(sub_base);
  d->subarray_shape = std::move(sub_shape);
  it->second = info;
  return Status::Ok();
}

StatusOr<std::vector<size_t>> ParseShape(const Value& v, size_t at) {
  if (!IsTupleLike(v)) return Bad("array shape must be a tuple, found " + v.Describe(), at);
  if (v.items.size() > kMaxDims) return Bad("array has " + std::to_string(v.items.size()) + " dimensions (max 32)", at);
  std::vector<size_t> shape;
  shape.reserve(v.items.size());
  for (const ValuePtr& x : v.items) {
    INFERD_ASSIGN_OR_RETURN(int64_t n, IntItem(*x, "array dimension", at));
    if (n < 0) return Bad("negative array dimension " + std::to_string(n), at);
    shape.push_back(static_cast<size_t>(n));
  }
  return shape;
}

StatusOr<size_t> ArrayByteSize(const std::vector<size_t>& shape, size_t itemsize, size_t at, size_t* elements) {
  size_t n = 1;
  bool overflow = false;
  bool zero = false;
  for (size_t d : shape) {
    if (d == 0) zero = true;
    if (!overflow && d != 0 && n > std::numeric_limits<size_t>::max() / d) overflow = true;
    if (!overflow) n *= d;
  }
  if (zero) {
    *elements = 0;
    return size_t{0};
  }
  if (overflow || (itemsize != 0 && n > std::numeric_limits<size_t>::max() / itemsize)) {
    return Status::ResourceExhausted("array size overflows (shape product times itemsize " + std::to_string(itemsize) +
                                     ")" + At(at));
  }
  *elements = n;
  return n * itemsize;
}

Status FillArrayData(NdArray* out, bool fortran, const uint8_t* src, size_t nbytes, size_t at,
                     std::shared_ptr<const void> keeper) {
  const size_t isz = out->dtype->itemsize;
  size_t n = 0;
  INFERD_ASSIGN_OR_RETURN(size_t want, ArrayByteSize(out->shape, isz, at, &n));
  if (want != nbytes) {
    return Bad("array data has " + std::to_string(nbytes) + " bytes, expected " + std::to_string(want) + " for " +
                   std::to_string(n) + " elements of " + out->dtype->ToString(),
               at);
  }
  const size_t nd = out->shape.size();
  uint8_t* dst;
  if (!fortran || nd < 2 || n == 0 || isz == 0) {
    if (keeper != nullptr && nbytes > 0 && !NeedsSwap(*out->dtype)) {
      out->data.View(std::move(keeper), src, nbytes);
      return Status::Ok();
    }
    out->data.assign(src, src + nbytes);  // single copy, no zero-fill
    dst = out->data.data();
  } else if (dst = (out->data.resize(nbytes), out->data.data()); nd == 2) {
    // F order of (r, c) is C order of (c, r): dst[i][j] = src[j][i].
    const size_t r = out->shape[0], c = out->shape[1];
    for (size_t i = 0; i < r; ++i) {
      for (size_t j = 0; j < c; ++j) std::memcpy(dst + (i * c + j) * isz, src + (j * r + i) * isz, isz);
    }
  } else {
    // General n-d: walk destination in C order, source offset from Fortran strides.
    std::vector<size_t> fstride(nd), idx(nd, 0);
    size_t s = isz;
    for (size_t k = 0; k < nd; ++k) {
      fstride[k] = s;
      s *= out->shape[k];
    }
    size_t off = 0;
    for (size_t e = 0; e < n; ++e) {
      std::memcpy(dst + e * isz, src + off, isz);
      for (size_t k = nd; k-- > 0;) {
        if (++idx[k] < out->shape[k]) {
          off += fstride[k];
          break;
        }
        off -= fstride[k] * (out->shape[k] - 1);
        idx[k] = 0;
      }
    }
  }
  if (NeedsSwap(*out->dtype)) SwapToNative(*out->dtype, dst, n, isz);
  return Status::Ok();
}

void FortranToCObjects(NdArray* out) {
  const size_t nd = out->shape.size();
  const size_t n = out->objects.size();
  if (nd < 2 || n == 0) return;
  std::vector<ValuePtr> c(n);
  std::vector<size_t> fstride(nd), idx(nd, 0);
  size_t s = 1;
  for (size_t k = 0; k < nd; ++k) {
    fstride[k] = s;
    s *= out->shape[k];
  }
  size_t off = 0;
  for (size_t e = 0; e < n; ++e) {
    c[e] = out->objects[off];
    for (size_t k = nd; k-- > 0;) {
      if (++idx[k] < out->shape[k]) {
        off += fstride[k];
        break;
      }
      off -= fstride[k] * (out->shape[k] - 1);
      idx[k] = 0;
    }
  }
  out->objects = std::move(c);
}

Status BuildReconstructed(NdArray* arr, const Value& state, const DtypeTable& dtypes, size_t at) {
  if (arr->dtype) return Bad("BUILD applied twice to the same ndarray", at);
  if (state.kind != Kind::kTuple || (state.items.size() != 5 && state.items.size() != 4)) {
    return Bad(
        "unsupported ndarray state " + state.Describe() + " (expected (version, shape, dtype, is_fortran, data))", at);
  }
  const size_t b = state.items.size() == 5 ? 1 : 0;
  if (b == 1) {
    INFERD_ASSIGN_OR_RETURN(int64_t version, IntItem(*state.items[0], "ndarray state version", at));
    if (version != 1) return Bad("unsupported ndarray state version " + std::to_string(version), at);
  }
  INFERD_ASSIGN_OR_RETURN(std::vector<size_t> shape, ParseShape(*state.items[b], at));
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<Dtype> dtype, DtypeOf(*state.items[b + 1], "ndarray dtype", at));
  const Value& fortran_v = *state.items[b + 2];
  if (fortran_v.kind != Kind::kBool && fortran_v.kind != Kind::kInt) {
    return Bad("ndarray is_fortran must be a bool, found " + fortran_v.Describe(), at);
  }
  const bool fortran = fortran_v.kind == Kind::kBool ? fortran_v.b : fortran_v.i != 0;
  const Value& raw = *state.items[b + 3];
  size_t n = 0;
  INFERD_ASSIGN_OR_RETURN(size_t nbytes, ArrayByteSize(shape, dtype->itemsize, at, &n));
  arr->shape = std::move(shape);
  if (dtypes.HasObject(dtype.get())) {
    if (dtype->kind != 'O') return Status::Unimplemented("structured dtype with object fields" + At(at));
    if (raw.kind != Kind::kList) return Bad("object ndarray data must be a list, found " + raw.Describe(), at);
    if (raw.items.size() != n) {
      return Bad(
          "object ndarray has " + std::to_string(raw.items.size()) + " elements, shape needs " + std::to_string(n), at);
    }
    arr->dtype = dtype;
    arr->objects.assign(raw.items.begin(), raw.items.end());
    if (fortran) FortranToCObjects(arr);
    return Status::Ok();
  }
  if (raw.kind != Kind::kBytes) return Bad("ndarray data must be bytes, found " + raw.Describe(), at);
  if (raw.s.size() != nbytes) {
    return Bad("ndarray data has " + std::to_string(raw.s.size()) + " bytes, shape and dtype " + dtype->ToString() +
                   " need " + std::to_string(nbytes),
               at);
  }
  arr->dtype = dtype;
  // Copied (no keeper): the bytes value lives in the tree's arena, and an array that viewed
  // it could not keep it alive without the arena owning itself through the array.
  return FillArrayData(arr, fortran, reinterpret_cast<const uint8_t*>(raw.s.data()), raw.s.size(), at, nullptr);
}

StatusOr<std::shared_ptr<NdArray>> MakeScalar(const Value& args, const DtypeTable& dtypes, size_t at) {
  if (args.kind != Kind::kTuple || args.items.empty() || args.items.size() > 2) {
    return Bad("numpy scalar() expects (dtype, data), found " + args.Describe(), at);
  }
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<Dtype> dtype, DtypeOf(*args.items[0], "numpy scalar dtype", at));
  auto arr = std::make_shared<NdArray>();
  arr->dtype = dtype;
  if (dtypes.HasObject(dtype.get())) {
    if (dtype->kind != 'O') return Status::Unimplemented("structured numpy scalar with object fields" + At(at));
    // Without data the element is None: one immutable node for all trees (it is not a
    // container, so no graph walk writes to it).
    static Value none_value;
    arr->objects.push_back(args.items.size() == 2 ? args.items[1] : ValuePtr(&none_value));
    return arr;
  }
  if (args.items.size() != 2 || args.items[1]->kind != Kind::kBytes) {
    return Bad("numpy scalar data must be bytes, found " + args.Describe(), at);
  }
  const std::string& raw = args.items[1]->s;
  INFERD_RETURN_IF_ERROR(FillArrayData(arr.get(), false, reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), at));
  return arr;
}

StatusOr<std::shared_ptr<NdArray>> MakeFromBuffer(const Value& args, const DtypeTable& dtypes, size_t at) {
  if (args.kind != Kind::kTuple || args.items.size() < 4) {
    return Bad("numpy _frombuffer() expects (buffer, dtype, shape, order), found " + args.Describe(), at);
  }
  if (args.items.size() > 4) {
    return Status::Unimplemented("numpy _frombuffer with an axis order ('K' layout, numpy >= 2.3)" + At(at));
  }
  const Value& buf = *args.items[0];
  if (buf.kind != Kind::kBytes) return Bad("_frombuffer buffer must be bytes, found " + buf.Describe(), at);
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<Dtype> dtype, DtypeOf(*args.items[1], "_frombuffer dtype", at));
  if (dtypes.HasObject(dtype.get())) return Bad("_frombuffer with an object dtype", at);
  auto arr = std::make_shared<NdArray>();
  INFERD_ASSIGN_OR_RETURN(arr->shape, ParseShape(*args.items[2], at));
  const Value& order = *args.items[3];
  if (order.kind != Kind::kStr || (order.s != "C" && order.s != "F")) {
    return Bad("_frombuffer order must be 'C' or 'F', found " + order.Describe(), at);
  }
  arr->dtype = dtype;
  INFERD_RETURN_IF_ERROR(
      FillArrayData(arr.get(), order.s == "F", reinterpret_cast<const uint8_t*>(buf.s.data()), buf.s.size(), at));
  return arr;
}

}  // namespace inferd::pickle
