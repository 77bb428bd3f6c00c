#include "grpc/infer_codec.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "json/predict_codec.h"
#include "json/table_cells.h"
#include "json/tensor_codec.h"

namespace inferd::grpc_api {
namespace {

static_assert(std::endian::native == std::endian::little, "raw tensor contents are little-endian");

using InputTensor = inference::ModelInferRequest::InferInputTensor;

constexpr size_t kMaxRank = 8;

enum class DType {
  kBool,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kFp16,
  kFp32,
  kFp64,
  kBytes
};

struct DTypeInfo {
  std::string_view name;
  DType dt;
  size_t raw_size;       // bytes per element in raw contents; 0 for BYTES
  const char* contents;  // the typed contents field, or nullptr (FP16: raw only)
};

constexpr DTypeInfo kDTypes[] = {
    {"BOOL", DType::kBool, 1, "bool_contents"},       {"INT8", DType::kInt8, 1, "int_contents"},
    {"INT16", DType::kInt16, 2, "int_contents"},      {"INT32", DType::kInt32, 4, "int_contents"},
    {"INT64", DType::kInt64, 8, "int64_contents"},    {"UINT8", DType::kUInt8, 1, "uint_contents"},
    {"UINT16", DType::kUInt16, 2, "uint_contents"},   {"UINT32", DType::kUInt32, 4, "uint_contents"},
    {"UINT64", DType::kUInt64, 8, "uint64_contents"}, {"FP16", DType::kFp16, 2, nullptr},
    {"FP32", DType::kFp32, 4, "fp32_contents"},       {"FP64", DType::kFp64, 8, "fp64_contents"},
    {"BYTES", DType::kBytes, 0, "bytes_contents"},
};

const DTypeInfo* FindDType(std::string_view name) {
  for (const DTypeInfo& d : kDTypes) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

// Elements in each typed contents field, in field order.
size_t ContentsSize(const inference::InferTensorContents& c, DType dt) {
  switch (dt) {
    case DType::kBool: return static_cast<size_t>(c.bool_contents_size());
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32: return static_cast<size_t>(c.int_contents_size());
    case DType::kInt64: return static_cast<size_t>(c.int64_contents_size());
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32: return static_cast<size_t>(c.uint_contents_size());
    case DType::kUInt64: return static_cast<size_t>(c.uint64_contents_size());
    case DType::kFp16: return 0;
    case DType::kFp32: return static_cast<size_t>(c.fp32_contents_size());
    case DType::kFp64: return static_cast<size_t>(c.fp64_contents_size());
    case DType::kBytes: return static_cast<size_t>(c.bytes_contents_size());
  }
  return 0;
}

size_t AllContentsSize(const inference::InferTensorContents& c) {
  return static_cast<size_t>(c.bool_contents_size()) + static_cast<size_t>(c.int_contents_size()) +
         static_cast<size_t>(c.int64_contents_size()) + static_cast<size_t>(c.uint_contents_size()) +
         static_cast<size_t>(c.uint64_contents_size()) + static_cast<size_t>(c.fp32_contents_size()) +
         static_cast<size_t>(c.fp64_contents_size()) + static_cast<size_t>(c.bytes_contents_size());
}

// IEEE 754 half precision -> float.
float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

template <typename T>
T LoadRaw(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// One input tensor, checked: its datatype, shape, element count and where its elements are.
struct Input {
  const InputTensor* tensor = nullptr;
  const DTypeInfo* dtype = nullptr;
  std::vector<size_t> shape;
  size_t count = 1;
  const std::string* raw = nullptr;           // raw form: the tensor's bytes
  std::vector<std::string_view> raw_strings;  // raw BYTES: the elements
};

std::string ShapeString(const std::vector<size_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

Status CheckInput(const InputTensor& t, const std::string* raw, const InputSpec& spec, Input* out) {
  out->tensor = &t;
  const std::string& name = t.name();
  out->dtype = FindDType(t.datatype());
  if (out->dtype == nullptr) {
    return Status::InvalidArgument("input '" + name + "': unknown datatype '" + t.datatype() + "'");
  }
  if (t.shape_size() == 0)
    return Status::InvalidArgument("input '" + name + "': shape must have at least one dimension");
  if (static_cast<size_t>(t.shape_size()) > kMaxRank)
    return Status::InvalidArgument("input '" + name + "': shape has too many dimensions");
  size_t count = 1;
  out->shape.reserve(static_cast<size_t>(t.shape_size()));
  for (int64_t d : t.shape()) {
    if (d < 0) return Status::InvalidArgument("input '" + name + "': shape must be non-negative integers");
    const auto v = static_cast<size_t>(d);
    if (v != 0 && count > (size_t{1} << 40) / v)
      return Status::ResourceExhausted("input '" + name + "': shape is too large");
    count *= v;
    out->shape.push_back(v);
  }
  if (out->shape[0] > spec.max_rows) {
    return Status::ResourceExhausted("input '" + name + "' has more than " + std::to_string(spec.max_rows) +
                                     " rows (the server's --max-batch-rows)");
  }
  out->count = count;
  const DTypeInfo& dt = *out->dtype;
  if (raw != nullptr) {
    out->raw = raw;
    if (dt.dt != DType::kBytes) {
      if (raw->size() != count * dt.raw_size) {
        return Status::InvalidArgument("input '" + name + "': raw_input_contents has " + std::to_string(raw->size()) +
                                       " bytes but shape " + ShapeString(out->shape) + " of " + std::string(dt.name) +
                                       " needs " + std::to_string(count * dt.raw_size));
      }
      return Status::Ok();
    }
    // BYTES: each element a 4-byte little-endian length and its bytes, back to back.
    out->raw_strings.clear();
    size_t pos = 0;
    while (pos < raw->size()) {
      if (out->raw_strings.size() == count)
        return Status::InvalidArgument("input '" + name + "': raw_input_contents has more elements than its shape");
      if (raw->size() - pos < 4)
        return Status::InvalidArgument("input '" + name + "': raw_input_contents ends inside an element's length");
      const uint32_t len = LoadRaw<uint32_t>(raw->data() + pos);
      pos += 4;
      if (len > raw->size() - pos)
        return Status::InvalidArgument("input '" + name + "': raw_input_contents element " +
                                       std::to_string(out->raw_strings.size()) + " is longer than the bytes left");
      out->raw_strings.emplace_back(raw->data() + pos, len);
      pos += len;
    }
    if (out->raw_strings.size() != count) {
      return Status::InvalidArgument("input '" + name + "': raw_input_contents has " +
                                     std::to_string(out->raw_strings.size()) + " elements but shape " +
                                     ShapeString(out->shape) + " needs " + std::to_string(count));
    }
    return Status::Ok();
  }
  if (dt.contents == nullptr) {
    return Status::InvalidArgument("input '" + name + "': datatype " + std::string(dt.name) +
                                   " has no typed contents; send it in raw_input_contents");
  }
  const size_t n = ContentsSize(t.contents(), dt.dt);
  if (AllContentsSize(t.contents()) != n) {
    return Status::InvalidArgument("input '" + name + "': datatype " + std::string(dt.name) +
                                   " takes its elements in " + dt.contents + " only");
  }
  if (n != count) {
    return Status::InvalidArgument("input '" + name + "': " + dt.contents + " has " + std::to_string(n) +
                                   " elements but shape " + ShapeString(out->shape) + " needs " +
                                   std::to_string(count));
  }
  return Status::Ok();
}

Status OutOfRange(const Input& in, size_t i) {
  return Status::InvalidArgument("input '" + in.tensor->name() + "' element " + std::to_string(i) +
                                 " is out of range for " + std::string(in.dtype->name));
}

// Element i of a numeric (not BYTES) input as a double; false when it is outside its
// datatype's range.
bool NumberAt(const Input& in, size_t i, double* d) {
  const DType dt = in.dtype->dt;
  if (in.raw != nullptr) {
    const char* p = in.raw->data() + i * in.dtype->raw_size;
    switch (dt) {
      case DType::kBool: {
        const auto b = static_cast<uint8_t>(*p);
        if (b > 1) return false;
        *d = b;
        return true;
      }
      case DType::kInt8: *d = LoadRaw<int8_t>(p); return true;
      case DType::kInt16: *d = LoadRaw<int16_t>(p); return true;
      case DType::kInt32: *d = LoadRaw<int32_t>(p); return true;
      case DType::kInt64: *d = static_cast<double>(LoadRaw<int64_t>(p)); return true;
      case DType::kUInt8: *d = LoadRaw<uint8_t>(p); return true;
      case DType::kUInt16: *d = LoadRaw<uint16_t>(p); return true;
      case DType::kUInt32: *d = LoadRaw<uint32_t>(p); return true;
      case DType::kUInt64: *d = static_cast<double>(LoadRaw<uint64_t>(p)); return true;
      case DType::kFp16: *d = HalfToFloat(LoadRaw<uint16_t>(p)); return true;
      case DType::kFp32: *d = LoadRaw<float>(p); return true;
      case DType::kFp64: *d = LoadRaw<double>(p); return true;
      case DType::kBytes: return false;
    }
    return false;
  }
  const inference::InferTensorContents& c = in.tensor->contents();
  const int k = static_cast<int>(i);
  switch (dt) {
    case DType::kBool: *d = c.bool_contents(k) ? 1.0 : 0.0; return true;
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32: {
      const int32_t v = c.int_contents(k);
      const int32_t lim = dt == DType::kInt8 ? 127 : dt == DType::kInt16 ? 32767 : std::numeric_limits<int32_t>::max();
      if (v > lim || v < -lim - 1) return false;
      *d = v;
      return true;
    }
    case DType::kInt64: *d = static_cast<double>(c.int64_contents(k)); return true;
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32: {
      const uint32_t v = c.uint_contents(k);
      if ((dt == DType::kUInt8 && v > 255) || (dt == DType::kUInt16 && v > 65535)) return false;
      *d = v;
      return true;
    }
    case DType::kUInt64: *d = static_cast<double>(c.uint64_contents(k)); return true;
    case DType::kFp32: *d = c.fp32_contents(k); return true;
    case DType::kFp64: *d = c.fp64_contents(k); return true;
    case DType::kFp16:
    case DType::kBytes: return false;
  }
  return false;
}

Status CellError(const Input& in, size_t i, const Status& st) {
  return st.WithPrefix("input '" + in.tensor->name() + "' element " + std::to_string(i));
}

// Decodes every element of `in`; element i goes to out[i * stride] as column col_of(i).
template <typename ColOf>
Status DecodeInput(const Input& in, const InputSpec& spec, ColOf&& col_of, double* out, size_t stride) {
  if (in.dtype->dt == DType::kBytes) {
    for (size_t i = 0; i < in.count; ++i) {
      const std::string_view s = in.raw != nullptr
                                     ? in.raw_strings[i]
                                     : std::string_view(in.tensor->contents().bytes_contents(static_cast<int>(i)));
      if (Status st = DecodeStringCell(s, spec, col_of(i), &out[i * stride]); !st.ok()) return CellError(in, i, st);
    }
    return Status::Ok();
  }
  for (size_t i = 0; i < in.count; ++i) {
    double d;
    if (!NumberAt(in, i, &d)) return OutOfRange(in, i);
    if (Status st = DecodeNumberCell(d, spec, col_of(i), &out[i * stride]); !st.ok()) return CellError(in, i, st);
  }
  return Status::Ok();
}

void AppendRawBytes(std::string_view s, std::string* out) {
  const auto len = static_cast<uint32_t>(s.size());
  char buf[4];
  std::memcpy(buf, &len, 4);
  out->append(buf, 4);
  out->append(s);
}

template <typename T>
void AppendRaw(T v, std::string* out) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

}  // namespace

Status DecodeModelInferRequest(const inference::ModelInferRequest& request, const InputSpec& spec,
                               InferenceRequest* out, bool* raw_outputs) {
  out->id = request.id();
  // parameters["explain"]: true/false (the model's own form), "columns" or "features" — the
  // REST V2 request parameter.
  if (auto it = request.parameters().find("explain"); it != request.parameters().end()) {
    const inference::InferParameter& p = it->second;
    const bool ok = p.parameter_choice_case() == inference::InferParameter::kBoolParam ||
                    (p.parameter_choice_case() == inference::InferParameter::kStringParam &&
                     ParseContributionRequest(p.string_param(), &out->contributions_form));
    if (!ok) return Status::InvalidArgument("parameters['explain'] must be true, false, \"columns\" or \"features\"");
  }
  const int n_inputs = request.inputs_size();
  if (n_inputs == 0) return Status::InvalidArgument("the request has no inputs");
  const bool raw = request.raw_input_contents_size() > 0;
  *raw_outputs = raw;
  if (raw && request.raw_input_contents_size() != n_inputs) {
    return Status::InvalidArgument("raw_input_contents has " + std::to_string(request.raw_input_contents_size()) +
                                   " entries for " + std::to_string(n_inputs) + " inputs (one per input)");
  }
  const size_t nf = spec.n_features;
  if (static_cast<size_t>(n_inputs) > nf + 1 && !spec.ignore_extra_columns)
    return Status::InvalidArgument("too many inputs");
  if (static_cast<size_t>(n_inputs) > 2 * nf + 64) return Status::InvalidArgument("too many inputs");
  thread_local std::vector<Input> ins;
  ins.clear();
  ins.resize(static_cast<size_t>(n_inputs));
  for (int k = 0; k < n_inputs; ++k) {
    const InputTensor& t = request.inputs(k);
    if (raw && t.has_contents()) {
      return Status::InvalidArgument("input '" + t.name() +
                                     "' has contents but the request uses raw_input_contents; use one form");
    }
    INFERD_RETURN_IF_ERROR(
        CheckInput(t, raw ? &request.raw_input_contents(k) : nullptr, spec, &ins[static_cast<size_t>(k)]));
  }
  // One input is the [N, n_features] matrix unless it names one of the model's own columns
  // (then it is that column, and the others are missing).
  const bool one_named_column = ins.size() == 1 && spec.schema != nullptr && spec.schema->named() &&
                                spec.schema->Find(ins[0].tensor->name()) >= 0 &&
                                (ins[0].shape.size() == 1 || (ins[0].shape.size() == 2 && ins[0].shape[1] == 1));
  if (ins.size() == 1 && !one_named_column && (ins[0].shape.size() == 2 || nf > 1)) {
    // One [N, n_features] matrix: element i is column i % n_features.
    const Input& in = ins[0];
    if (in.shape.size() != 2 || in.shape[1] != nf) {
      return Status::InvalidArgument("input '" + in.tensor->name() + "' has shape " + ShapeString(in.shape) +
                                     "; expected [N," + std::to_string(nf) + "] (N rows of " + std::to_string(nf) +
                                     " features)");
    }
    out->n_rows = in.shape[0];
    out->x.resize(in.count);
    INFERD_RETURN_IF_ERROR(DecodeInput(
        in, spec, [nf](size_t i) { return i % nf; }, out->x.data(), 1));
  } else {
    // One input per column, each [N] or [N,1]: by name when every name is a model column,
    // else (a model without its own names) in request order.
    bool by_name = true;
    if (spec.schema == nullptr || !spec.schema->named()) {
      for (const Input& in : ins)
        by_name = by_name && spec.schema != nullptr && spec.schema->Find(in.tensor->name()) >= 0;
    }
    if (!by_name && ins.size() != nf) {
      return Status::InvalidArgument("expected 1 input of shape [N," + std::to_string(nf) + "] or " +
                                     std::to_string(nf) + " inputs (one per feature), got " +
                                     std::to_string(ins.size()) + " inputs");
    }
    const size_t n = ins[0].shape[0];
    for (const Input& in : ins) {
      const bool ok = (in.shape.size() == 1 || (in.shape.size() == 2 && in.shape[1] == 1)) && in.shape[0] == n;
      if (!ok) {
        return Status::InvalidArgument("input '" + in.tensor->name() + "' has shape " + ShapeString(in.shape) +
                                       "; per-feature inputs must all be [" + std::to_string(n) + "] or [" +
                                       std::to_string(n) + ",1]");
      }
    }
    if (n == 0) return Status::InvalidArgument("the request has no rows");
    out->n_rows = n;
    out->x.resize(n * nf);
    ColumnMapper mapper(spec);
    for (size_t k = 0; k < ins.size(); ++k) {
      size_t col = k;
      if (by_name) {
        INFERD_ASSIGN_OR_RETURN(long c, mapper.Add(ins[k].tensor->name()));
        if (c < 0) continue;
        col = static_cast<size_t>(c);
      }
      INFERD_RETURN_IF_ERROR(DecodeInput(
          ins[k], spec, [col](size_t) { return col; }, out->x.data() + col, nf));
    }
    if (by_name) INFERD_RETURN_IF_ERROR(mapper.CheckComplete().WithPrefix("inputs"));
  }
  if (out->n_rows == 0) return Status::InvalidArgument("the request has no rows");
  for (const auto& o : request.outputs()) {
    OutputKind kind;
    if (!ParseOutputKind(o.name(), &kind)) {
      return Status::InvalidArgument(
          "unknown output '" + o.name() +
          "' (predict, predict_proba, decision_function, transform, raw_score, contributions)");
    }
    for (OutputKind seen : out->outputs) {
      if (seen == kind) return Status::InvalidArgument("output '" + o.name() + "' requested twice");
    }
    out->outputs.push_back(kind);
  }
  return Status::Ok();
}

void EncodeModelInferResponse(const InferenceResult& result, bool raw_outputs,
                              inference::ModelInferResponse* response) {
  const Model& model = *result.served->model;
  response->set_model_name(result.served->name);
  response->set_model_version(result.served->version);
  if (!result.request->id.empty()) response->set_id(result.request->id);
  for (const OutputTensor& t : result.outputs) {
    inference::ModelInferResponse::InferOutputTensor* o = response->add_outputs();
    o->set_name(OutputKindName(t.kind));
    o->set_datatype(V2Datatype(model, t));
    o->add_shape(static_cast<int64_t>(t.n_rows));
    if (t.groups > 1) {
      o->add_shape(static_cast<int64_t>(t.groups));
      o->add_shape(static_cast<int64_t>(t.width / t.groups));
    } else if (t.two_d) {
      o->add_shape(static_cast<int64_t>(t.width));
    }
    if (t.kind == OutputKind::kContributions) {
      // As REST V2: which features the contributions are for, and their names (a JSON array).
      (*o->mutable_parameters())["contributions_of"].set_string_param(ContributionsOf(t));
      std::string names;
      AppendContributionFeatureNames(model, t, &names);
      (*o->mutable_parameters())["features"].set_string_param(std::move(names));
    }
    const size_t n = t.n_rows * t.width;
    std::string* raw = raw_outputs ? response->add_raw_output_contents() : nullptr;
    inference::InferTensorContents* c = raw_outputs ? nullptr : o->mutable_contents();
    if (t.classes == nullptr) {
      if (raw != nullptr) {
        raw->resize(n * sizeof(double));
        std::memcpy(raw->data(), t.values, n * sizeof(double));
      } else {
        c->mutable_fp64_contents()->Add(t.values, t.values + n);
      }
      continue;
    }
    const std::vector<Label>& classes = model.classes();
    for (size_t i = 0; i < n; ++i) {
      const auto index = static_cast<size_t>(t.classes[i]);
      if (classes.empty()) {
        raw != nullptr ? AppendRaw<int64_t>(static_cast<int64_t>(index), raw)
                       : c->add_int64_contents(static_cast<int64_t>(index));
        continue;
      }
      const Label& label = classes[index];
      switch (classes[0].type) {
        case Label::Type::kInt:
          raw != nullptr ? AppendRaw<int64_t>(label.i, raw) : c->add_int64_contents(label.i);
          break;
        case Label::Type::kFloat:
          raw != nullptr ? AppendRaw<double>(label.f, raw) : c->add_fp64_contents(label.f);
          break;
        case Label::Type::kBool:
          raw != nullptr ? AppendRaw<uint8_t>(label.b ? 1 : 0, raw) : c->add_bool_contents(label.b);
          break;
        case Label::Type::kString:
          raw != nullptr ? AppendRawBytes(label.s, raw) : c->add_bytes_contents(label.s);
          break;
      }
    }
  }
}

}  // namespace inferd::grpc_api
