#include "sklearn/state.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace inferd::sklearn {

using pickle::Kind;
using pickle::NdArray;
using pickle::Value;

std::string_view ShortClassName(std::string_view cls) {
  size_t dot = cls.rfind('.');
  return dot == std::string_view::npos ? cls : cls.substr(dot + 1);
}

Version SklearnVersion(const Value& obj) {
  Version v;
  const Value* s = obj.Attr("_sklearn_version");
  if (s == nullptr || s->kind != Kind::kStr) return v;
  const std::string& t = s->s;
  const char* p = t.data();
  const char* end = t.data() + t.size();
  int major = 0, minor = 0;
  auto r1 = std::from_chars(p, end, major);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '.') return v;
  auto r2 = std::from_chars(r1.ptr + 1, end, minor);
  if (r2.ec != std::errc()) return v;
  v.major = major;
  v.minor = minor;
  return v;
}

Status StateError(const Value& obj, std::string_view message) {
  std::string m(ShortClassName(obj.cls));
  m += ": ";
  m += message;
  return Status::InvalidArgument(std::move(m));
}

StatusOr<const Value*> Require(const Value& obj, std::string_view name) {
  const Value* v = obj.Attr(name);
  if (v == nullptr) return StateError(obj, "missing attribute '" + std::string(name) + "'");
  return v;
}

std::string ShapeString(const std::vector<size_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  s += ")";
  return s;
}

StatusOr<DenseArray> ToDense(const Value& obj, const Value& v, std::string_view what) {
  if (v.kind != Kind::kArray || v.array == nullptr) {
    return StateError(obj, "'" + std::string(what) + "' must be an ndarray, found " + v.Describe());
  }
  StatusOr<std::vector<double>> d = v.array->ToDoubles();
  if (!d.ok()) return StateError(obj, "'" + std::string(what) + "': " + d.status().message());
  DenseArray out;
  out.data = std::move(d).value();
  out.shape = v.array->shape;
  if (out.data.size() != v.array->size()) {
    return StateError(obj, "'" + std::string(what) + "': element count does not match its shape");
  }
  return out;
}

StatusOr<DenseArray> GetDoubles(const Value& obj, std::string_view name) {
  INFERD_ASSIGN_OR_RETURN(const Value* v, Require(obj, name));
  return ToDense(obj, *v, name);
}

StatusOr<double> GetDouble(const Value& obj, std::string_view name) {
  INFERD_ASSIGN_OR_RETURN(const Value* v, Require(obj, name));
  StatusOr<double> d = v->AsDouble();
  if (!d.ok()) return StateError(obj, "'" + std::string(name) + "': " + d.status().message());
  return *d;
}

StatusOr<int64_t> GetInt(const Value& obj, std::string_view name) {
  INFERD_ASSIGN_OR_RETURN(const Value* v, Require(obj, name));
  StatusOr<int64_t> d = v->AsInt();
  if (!d.ok()) return StateError(obj, "'" + std::string(name) + "': " + d.status().message());
  return *d;
}

StatusOr<bool> GetBool(const Value& obj, std::string_view name) {
  INFERD_ASSIGN_OR_RETURN(const Value* v, Require(obj, name));
  StatusOr<bool> d = v->AsBool();
  if (!d.ok()) return StateError(obj, "'" + std::string(name) + "': " + d.status().message());
  return *d;
}

StatusOr<std::optional<std::string>> GetOptionalString(const Value& obj, std::string_view name) {
  const Value* v = obj.Attr(name);
  if (v == nullptr) return std::optional<std::string>();
  if (v->kind != Kind::kStr) {
    return StateError(obj, "'" + std::string(name) + "' must be a str, found " + v->Describe());
  }
  return std::optional<std::string>(v->s);
}

namespace {

// One element of an object-dtype classes_ array: a Python scalar or a numpy scalar.
StatusOr<Label> ObjectLabel(const Value& e) {
  switch (e.kind) {
    case Kind::kStr: return Label::String(e.s);
    case Kind::kInt: return Label::Int(e.i);
    case Kind::kBool: return Label::Bool(e.b);
    case Kind::kFloat: return Label::Float(e.f);
    case Kind::kArray:
      if (e.array != nullptr && e.array->ndim() == 0 && e.array->dtype != nullptr) {
        switch (e.array->dtype->kind) {
          case 'i':
          case 'u': {
            INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> v, e.array->ToInt64s());
            if (v.size() == 1) return Label::Int(v[0]);
            break;
          }
          case 'b': {
            INFERD_ASSIGN_OR_RETURN(std::vector<int64_t> v, e.array->ToInt64s());
            if (v.size() == 1) return Label::Bool(v[0] != 0);
            break;
          }
          case 'f': {
            INFERD_ASSIGN_OR_RETURN(std::vector<double> v, e.array->ToDoubles());
            if (v.size() == 1) return Label::Float(v[0]);
            break;
          }
          case 'U':
          case 'S': {
            INFERD_ASSIGN_OR_RETURN(std::vector<std::string> v, e.array->ToStrings());
            if (v.size() == 1) return Label::String(std::move(v[0]));
            break;
          }
          default: break;
        }
      }
      break;
    default: break;
  }
  return Status::InvalidArgument("unsupported class label " + e.Describe());
}

}  // namespace

StatusOr<std::vector<Label>> GetClasses(const Value& obj, std::string_view name) {
  INFERD_ASSIGN_OR_RETURN(const Value* v, Require(obj, name));
  if (v->kind != Kind::kArray || v->array == nullptr || v->array->dtype == nullptr) {
    return StateError(obj, "'" + std::string(name) + "' must be an ndarray, found " + v->Describe());
  }
  const NdArray& a = *v->array;
  if (a.ndim() != 1 || a.size() == 0 || a.size() > kMaxDim) {
    return StateError(obj,
                      "'" + std::string(name) + "' must be a non-empty 1-D array, found shape " + ShapeString(a.shape));
  }
  std::vector<Label> out;
  out.reserve(a.size());
  Status bad;
  switch (a.dtype->kind) {
    case 'i':
    case 'u': {
      StatusOr<std::vector<int64_t>> x = a.ToInt64s();
      if (!x.ok()) {
        bad = x.status();
        break;
      }
      for (int64_t i : *x) out.push_back(Label::Int(i));
      break;
    }
    case 'b': {
      StatusOr<std::vector<int64_t>> x = a.ToInt64s();
      if (!x.ok()) {
        bad = x.status();
        break;
      }
      for (int64_t i : *x) out.push_back(Label::Bool(i != 0));
      break;
    }
    case 'f': {
      StatusOr<std::vector<double>> x = a.ToDoubles();
      if (!x.ok()) {
        bad = x.status();
        break;
      }
      for (double d : *x) out.push_back(Label::Float(d));
      break;
    }
    case 'U':
    case 'S': {
      StatusOr<std::vector<std::string>> x = a.ToStrings();
      if (!x.ok()) {
        bad = x.status();
        break;
      }
      for (std::string& s : *x) out.push_back(Label::String(std::move(s)));
      break;
    }
    case 'O': {
      if (a.objects.size() != a.size()) {
        bad = Status::InvalidArgument("object array size mismatch");
        break;
      }
      for (const auto& e : a.objects) {
        if (e == nullptr) {
          bad = Status::InvalidArgument("null element");
          break;
        }
        StatusOr<Label> l = ObjectLabel(*e);
        if (!l.ok()) {
          bad = l.status();
          break;
        }
        out.push_back(std::move(l).value());
      }
      break;
    }
    default: bad = Status::InvalidArgument("unsupported dtype " + a.dtype->ToString());
  }
  if (!bad.ok()) return StateError(obj, "'" + std::string(name) + "': " + bad.message());
  if (out.size() != a.size())
    return StateError(obj, "'" + std::string(name) + "': element count does not match its shape");
  return out;
}

StatusOr<std::vector<Label>> GetClasses(const Value& obj) { return GetClasses(obj, "classes_"); }

StatusOr<size_t> CheckNFeatures(const Value& obj, size_t derived) {
  const Value* v = obj.Attr("n_features_in_");
  if (v == nullptr) return derived;
  StatusOr<int64_t> n = v->AsInt();
  if (!n.ok()) return StateError(obj, "'n_features_in_': " + n.status().message());
  if (*n < 0 || static_cast<uint64_t>(*n) != derived) {
    return StateError(obj, "n_features_in_ is " + std::to_string(*n) + " but the fitted arrays have " +
                               std::to_string(derived) + " features");
  }
  return derived;
}

}  // namespace inferd::sklearn
