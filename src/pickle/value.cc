// Value / NdArray / Dtype helpers. Array data is already native-endian C-order here (the
// reader converts at load time), so element reads are plain memcpy's.
#include "pickle/value.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace inferd::pickle {

static_assert(std::endian::native == std::endian::little,
              "the pickle reader converts array data to little-endian (native) order");

namespace {

std::string ShortClass(const std::string& cls) {
  size_t dot = cls.rfind('.');
  return dot == std::string::npos ? cls : cls.substr(dot + 1);
}

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// IEEE half -> float (numpy 'f2').
float HalfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

bool IsNumeric(const Dtype& d) {
  switch (d.kind) {
    case 'f': return d.itemsize == 2 || d.itemsize == 4 || d.itemsize == 8;
    case 'i':
    case 'u': return d.itemsize == 1 || d.itemsize == 2 || d.itemsize == 4 || d.itemsize == 8;
    case 'b': return d.itemsize == 1;
    default: return false;
  }
}

// REQUIRES: IsNumeric(d).
double ReadDouble(const Dtype& d, const uint8_t* p) {
  switch (d.kind) {
    case 'f':
      if (d.itemsize == 8) return Load<double>(p);
      if (d.itemsize == 4) return Load<float>(p);
      return HalfToFloat(Load<uint16_t>(p));
    case 'i':
      switch (d.itemsize) {
        case 1: return Load<int8_t>(p);
        case 2: return Load<int16_t>(p);
        case 4: return Load<int32_t>(p);
        default: return static_cast<double>(Load<int64_t>(p));
      }
    case 'u':
      switch (d.itemsize) {
        case 1: return Load<uint8_t>(p);
        case 2: return Load<uint16_t>(p);
        case 4: return Load<uint32_t>(p);
        default: return static_cast<double>(Load<uint64_t>(p));
      }
    default: return *p ? 1.0 : 0.0;
  }
}

Status NotIntegral(double v) {
  return Status::InvalidArgument("value " + std::to_string(v) + " is not an integer in int64 range");
}

// REQUIRES: IsNumeric(d).
StatusOr<int64_t> ReadInt64(const Dtype& d, const uint8_t* p) {
  if (d.kind == 'i') {
    switch (d.itemsize) {
      case 1: return int64_t{Load<int8_t>(p)};
      case 2: return int64_t{Load<int16_t>(p)};
      case 4: return int64_t{Load<int32_t>(p)};
      default: return Load<int64_t>(p);
    }
  }
  if (d.kind == 'u') {
    uint64_t v;
    switch (d.itemsize) {
      case 1: v = Load<uint8_t>(p); break;
      case 2: v = Load<uint16_t>(p); break;
      case 4: v = Load<uint32_t>(p); break;
      default: v = Load<uint64_t>(p); break;
    }
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Status::InvalidArgument("value " + std::to_string(v) + " does not fit in int64");
    }
    return static_cast<int64_t>(v);
  }
  if (d.kind == 'b') return int64_t{*p ? 1 : 0};
  double v = ReadDouble(d, p);
  // 2^63 is exactly representable; anything >= it does not fit.
  if (!(v == std::floor(v)) || v >= 9223372036854775808.0 || v < -9223372036854775808.0) {
    return NotIntegral(v);
  }
  return static_cast<int64_t>(v);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Status WrongDtype(const char* what, const Dtype& d) {
  return Status::InvalidArgument(std::string("cannot convert an array of dtype ") + d.ToString() + " to " + what);
}

}  // namespace

const Dtype::Field* Dtype::FindField(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Dtype::ToString() const {
  std::string out;
  out.push_back(byteorder);
  if (subarray_base) {
    out = "(" + subarray_base->ToString() + ",(";
    for (size_t i = 0; i < subarray_shape.size(); ++i) {
      if (i) out += ",";
      out += std::to_string(subarray_shape[i]);
    }
    if (subarray_shape.size() == 1) out += ",";
    return out + "))";
  }
  out.push_back(kind);
  out += std::to_string(kind == 'U' ? itemsize / 4 : itemsize);
  if (!fields.empty()) {
    out += "{";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) out += ",";
      out += fields[i].name + ":" + (fields[i].dtype ? fields[i].dtype->ToString() : "?") + "@" +
             std::to_string(fields[i].offset);
    }
    out += "}";
  }
  return out;
}

size_t NdArray::size() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;  // the reader guarantees this does not overflow
  return n;
}

StatusOr<std::vector<double>> NdArray::ToDoubles() const {
  std::vector<double> out;
  if (!dtype) return Status::InvalidArgument("array without dtype");
  const size_t n = size();
  if (dtype->kind == 'O') {
    out.reserve(n);
    for (const ValuePtr& v : objects) {
      if (!v) return Status::InvalidArgument("object array element is missing");
      INFERD_ASSIGN_OR_RETURN(double d, v->AsDouble());
      out.push_back(d);
    }
    return out;
  }
  if (!IsNumeric(*dtype)) return WrongDtype("float64", *dtype);
  out.resize(n);
  const uint8_t* p = data.data();
  const size_t step = dtype->itemsize;
  if (dtype->kind == 'f' && step == 8) {
    if (n) std::memcpy(out.data(), p, n * 8);
    return out;
  }
  for (size_t i = 0; i < n; ++i) out[i] = ReadDouble(*dtype, p + i * step);
  return out;
}

StatusOr<std::vector<int64_t>> NdArray::ToInt64s() const {
  std::vector<int64_t> out;
  if (!dtype) return Status::InvalidArgument("array without dtype");
  const size_t n = size();
  if (dtype->kind == 'O') {
    out.reserve(n);
    for (const ValuePtr& v : objects) {
      if (!v) return Status::InvalidArgument("object array element is missing");
      INFERD_ASSIGN_OR_RETURN(int64_t x, v->AsInt());
      out.push_back(x);
    }
    return out;
  }
  if (!IsNumeric(*dtype)) return WrongDtype("int64", *dtype);
  out.resize(n);
  const size_t step = dtype->itemsize;
  for (size_t i = 0; i < n; ++i) {
    INFERD_ASSIGN_OR_RETURN(out[i], ReadInt64(*dtype, data.data() + i * step));
  }
  return out;
}

StatusOr<std::vector<std::string>> NdArray::ToStrings() const {
  std::vector<std::string> out;
  if (!dtype) return Status::InvalidArgument("array without dtype");
  const size_t n = size();
  out.reserve(n);
  if (dtype->kind == 'O') {
    for (const ValuePtr& v : objects) {
      if (!v) return Status::InvalidArgument("object array element is missing");
      INFERD_ASSIGN_OR_RETURN(std::string s, v->AsString());
      out.push_back(std::move(s));
    }
    return out;
  }
  const size_t step = dtype->itemsize;
  if (dtype->kind == 'S') {
    for (size_t i = 0; i < n; ++i) {
      const char* p = reinterpret_cast<const char*>(data.data() + i * step);
      size_t len = step;
      while (len > 0 && p[len - 1] == '\0') --len;
      out.emplace_back(p, len);
    }
    return out;
  }
  if (dtype->kind == 'U') {
    const size_t chars = step / 4;
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* p = data.data() + i * step;
      size_t len = chars;
      while (len > 0 && Load<uint32_t>(p + (len - 1) * 4) == 0) --len;
      std::string s;
      s.reserve(len);
      for (size_t c = 0; c < len; ++c) {
        uint32_t cp = Load<uint32_t>(p + c * 4);
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return Status::InvalidArgument("invalid code point " + std::to_string(cp) + " in a " + dtype->ToString() +
                                         " array");
        }
        AppendUtf8(cp, &s);
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  return WrongDtype("str", *dtype);
}

namespace {
StatusOr<const Dtype::Field*> NumericField(const NdArray& a, std::string_view name) {
  if (!a.dtype || a.dtype->fields.empty()) {
    return Status::InvalidArgument("array of dtype " + (a.dtype ? a.dtype->ToString() : "?") +
                                   " is not a structured array (looking for field '" + std::string(name) + "')");
  }
  const Dtype::Field* f = a.dtype->FindField(name);
  if (!f) return Status::InvalidArgument("structured array has no field '" + std::string(name) + "'");
  if (!f->dtype || !IsNumeric(*f->dtype)) {
    return Status::InvalidArgument("field '" + std::string(name) + "' has non-numeric dtype " +
                                   (f->dtype ? f->dtype->ToString() : "?"));
  }
  return f;
}
}  // namespace

StatusOr<double> NdArray::FieldDouble(size_t index, std::string_view name) const {
  INFERD_ASSIGN_OR_RETURN(const Dtype::Field* f, NumericField(*this, name));
  return ReadDouble(*f->dtype, data.data() + index * dtype->itemsize + f->offset);
}

StatusOr<int64_t> NdArray::FieldInt64(size_t index, std::string_view name) const {
  INFERD_ASSIGN_OR_RETURN(const Dtype::Field* f, NumericField(*this, name));
  return ReadInt64(*f->dtype, data.data() + index * dtype->itemsize + f->offset);
}

StatusOr<std::vector<double>> NdArray::FieldDoubles(std::string_view name) const {
  INFERD_ASSIGN_OR_RETURN(const Dtype::Field* f, NumericField(*this, name));
  const size_t n = size();
  std::vector<double> out(n);
  const uint8_t* p = data.data() + f->offset;
  const size_t stride = dtype->itemsize;
  if (f->dtype->kind == 'f' && f->dtype->itemsize == 8) {  // tree thresholds: no per-element dispatch
    for (size_t i = 0; i < n; ++i) out[i] = Load<double>(p + i * stride);
    return out;
  }
  for (size_t i = 0; i < n; ++i) out[i] = ReadDouble(*f->dtype, p + i * stride);
  return out;
}

StatusOr<std::vector<int64_t>> NdArray::FieldInt64s(std::string_view name) const {
  INFERD_ASSIGN_OR_RETURN(const Dtype::Field* f, NumericField(*this, name));
  const size_t n = size();
  std::vector<int64_t> out(n);
  const uint8_t* p = data.data() + f->offset;
  const size_t stride = dtype->itemsize;
  // Signed fields (tree node ids and features: intp) cannot fail: no per-element StatusOr.
  if (f->dtype->kind == 'i' && f->dtype->itemsize == 8) {
    for (size_t i = 0; i < n; ++i) out[i] = Load<int64_t>(p + i * stride);
    return out;
  }
  if (f->dtype->kind == 'i' && f->dtype->itemsize == 4) {
    for (size_t i = 0; i < n; ++i) out[i] = Load<int32_t>(p + i * stride);
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    INFERD_ASSIGN_OR_RETURN(out[i], ReadInt64(*f->dtype, p + i * stride));
  }
  return out;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kTuple: return "tuple";
    case Kind::kList: return "list";
    case Kind::kSet: return "set";
    case Kind::kDict: return "dict";
    case Kind::kGlobal: return "global";
    case Kind::kObject: return "object";
    case Kind::kArray: return "ndarray";
    case Kind::kDtype: return "dtype";
    case Kind::kSlice: return "slice";
  }
  return "?";
}

const Value* Value::Get(std::string_view key) const {
  if (kind != Kind::kDict) return nullptr;
  // Last match wins, like repeated SETITEMs on a Python dict.
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->first && it->first->kind == Kind::kStr && it->first->s == key) return it->second.get();
  }
  return nullptr;
}

const Value* Value::Attr(std::string_view name) const {
  if (kind != Kind::kObject || !state) return nullptr;
  return state->Get(name);
}

namespace {
// A numpy scalar / 0-d array / (for AsDouble) 1-element array.
const NdArray* SingleElement(const Value& v, bool allow_one_element) {
  if (v.kind != Kind::kArray || !v.array) return nullptr;
  if (v.array->shape.empty() || (allow_one_element && v.array->size() == 1)) return v.array.get();
  return nullptr;
}
}  // namespace

StatusOr<double> Value::AsDouble() const {
  switch (kind) {
    case Kind::kBool: return b ? 1.0 : 0.0;
    case Kind::kInt: return static_cast<double>(i);
    case Kind::kFloat: return f;
    default: break;
  }
  if (const NdArray* a = SingleElement(*this, true)) {
    INFERD_ASSIGN_OR_RETURN(std::vector<double> d, a->ToDoubles());
    if (d.size() == 1) return d[0];
  }
  return Status::InvalidArgument("expected a number, found " + Describe());
}

StatusOr<int64_t> Value::AsInt() const {
  switch (kind) {
    case Kind::kBool: return int64_t{b ? 1 : 0};
    case Kind::kInt: return i;
    case Kind::kFloat:
      if (f == std::floor(f) && f < 9223372036854775808.0 && f >= -9223372036854775808.0) {
        return static_cast<int64_t>(f);
      }
      return Status::InvalidArgument("expected an integer, found " + Describe());
    default: break;
  }
  if (const NdArray* a = SingleElement(*this, false)) {
    INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> d, a->ToInt64s());
    if (d.size() == 1) return d[0];
  }
  return Status::InvalidArgument("expected an integer, found " + Describe());
}

StatusOr<bool> Value::AsBool() const {
  if (kind == Kind::kBool) return b;
  if (kind == Kind::kInt && (i == 0 || i == 1)) return i == 1;
  if (const NdArray* a = SingleElement(*this, false)) {
    if (a->dtype && a->dtype->kind == 'b' && a->data.size() == 1) return a->data[0] != 0;
  }
  return Status::InvalidArgument("expected a bool, found " + Describe());
}

StatusOr<std::string> Value::AsString() const {
  if (kind == Kind::kStr) return s;
  if (const NdArray* a = SingleElement(*this, false)) {
    if (a->dtype && a->dtype->kind == 'U') {
      INFERD_ASSIGN_OR_RETURN(std::vector<std::string> v, a->ToStrings());
      if (v.size() == 1) return v[0];
    }
  }
  return Status::InvalidArgument("expected a str, found " + Describe());
}

std::string Value::Describe() const {
  auto clip = [](const std::string& t) { return t.size() > 40 ? t.substr(0, 40) + "..." : t; };
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return b ? "bool True" : "bool False";
    case Kind::kInt: return "int " + std::to_string(i);
    case Kind::kFloat: return "float " + std::to_string(f);
    case Kind::kStr: return "str '" + clip(s) + "'";
    case Kind::kBytes: return "bytes (" + std::to_string(s.size()) + " bytes)";
    case Kind::kTuple: return "tuple of " + std::to_string(items.size());
    case Kind::kList: return "list of " + std::to_string(items.size());
    case Kind::kSet: return "set of " + std::to_string(items.size());
    case Kind::kDict: return "dict of " + std::to_string(entries.size());
    case Kind::kGlobal: return "global " + s;
    case Kind::kObject: return "object " + cls;
    case Kind::kDtype: return "dtype " + (dtype ? dtype->ToString() : std::string("?"));
    case Kind::kSlice: return "slice";
    case Kind::kArray: {
      if (!array || !array->dtype) return "ndarray (incomplete)";
      if (array->shape.empty()) return "numpy scalar " + array->dtype->ToString();
      std::string out = "ndarray " + array->dtype->ToString() + " (";
      for (size_t k = 0; k < array->shape.size(); ++k) {
        if (k) out += ", ";
        out += std::to_string(array->shape[k]);
      }
      if (array->shape.size() == 1) out += ",";
      return out + ")";
    }
  }
  return "?";
}

StatusOr<const Value*> RequireAttr(const Value& obj, std::string_view name) {
  if (obj.kind != Kind::kObject) {
    return Status::InvalidArgument("expected an object with attribute '" + std::string(name) + "', found " +
                                   obj.Describe());
  }
  const Value* v = obj.Attr(name);
  if (!v) return Status::InvalidArgument(ShortClass(obj.cls) + ": missing attribute '" + std::string(name) + "'");
  return v;
}

StatusOr<const NdArray*> RequireArray(const Value& obj, std::string_view name) {
  INFERD_ASSIGN_OR_RETURN(const Value* v, RequireAttr(obj, name));
  if (v->kind != Kind::kArray || !v->array || !v->array->dtype) {
    return Status::InvalidArgument(ShortClass(obj.cls) + ": attribute '" + std::string(name) + "' is " + v->Describe() +
                                   ", expected an ndarray");
  }
  return v->array.get();
}

}  // namespace inferd::pickle
