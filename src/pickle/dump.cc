#include "pickle/dump.h"

#include "common/json_number.h"

namespace inferd::pickle {
namespace {

constexpr size_t kPreview = 6;

void Indent(size_t depth, std::string* out) { out->append(depth * 2, ' '); }

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      static const char* d = "0123456789abcdef";
      out += "\\x";
      out.push_back(d[c >> 4]);
      out.push_back(d[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > 80) out += "...";
  return out + "'";
}

std::string Preview(const NdArray& a) {
  if (!a.dtype) return "";
  std::string out = " [";
  const size_t n = a.size();
  if (a.dtype->kind == 'O') {
    out += std::to_string(a.objects.size()) + " objects]";
    return out;
  }
  auto d = a.ToDoubles();
  if (d.ok()) {
    for (size_t i = 0; i < n && i < kPreview; ++i) {
      if (i) out += ", ";
      AppendPythonFloat((*d)[i], &out);
    }
  } else if (auto s = a.ToStrings(); s.ok()) {
    for (size_t i = 0; i < n && i < kPreview; ++i) {
      if (i) out += ", ";
      out += Quote((*s)[i]);
    }
  } else if (!a.dtype->fields.empty()) {
    return " [structured, " + std::to_string(n) + " records]";
  } else {
    return " [" + std::to_string(a.data.size()) + " bytes]";
  }
  if (n > kPreview) out += ", ...";
  return out + "]";
}

// The dump stops once it reaches this many bytes: memo-shared nodes are printed again at every
// reference, so a small hostile file ("billion laughs") could otherwise expand to fan-out^depth
// lines.
constexpr size_t kMaxDumpBytes = size_t{4} << 20;

void Dump(const Value& v, size_t depth, size_t max_depth, const std::string& label, std::string* out) {
  if (out->size() >= kMaxDumpBytes) return;
  Indent(depth, out);
  out->append(label);
  switch (v.kind) {
    case Kind::kNone: *out += "None\n"; return;
    case Kind::kBool: *out += v.b ? "True\n" : "False\n"; return;
    case Kind::kInt: *out += std::to_string(v.i) + "\n"; return;
    case Kind::kFloat:
      AppendPythonFloat(v.f, out);
      *out += "\n";
      return;
    case Kind::kStr: *out += Quote(v.s) + "\n"; return;
    case Kind::kBytes: *out += "bytes(" + std::to_string(v.s.size()) + ")\n"; return;
    case Kind::kGlobal: *out += "<global " + v.s + ">\n"; return;
    case Kind::kDtype: *out += "dtype(" + (v.dtype ? v.dtype->ToString() : std::string("?")) + ")\n"; return;
    case Kind::kArray:
      *out += v.Describe() + (v.array ? Preview(*v.array) : std::string()) + "\n";
      if (v.array && v.array->dtype && v.array->dtype->kind == 'O' && depth < max_depth) {
        for (size_t i = 0; i < v.array->objects.size() && i < kPreview; ++i) {
          if (v.array->objects[i])
            Dump(*v.array->objects[i], depth + 1, max_depth, "[" + std::to_string(i) + "] ", out);
        }
      }
      return;
    default: break;
  }
  // Containers.
  if (v.kind == Kind::kObject) {
    *out += "<" + v.cls + ">";
  } else {
    *out += KindName(v.kind);
  }
  const size_t children = v.items.size() + v.entries.size() + (v.args ? 1 : 0) + (v.state ? 1 : 0);
  if (depth >= max_depth && children > 0) {
    *out += " ...\n";
    return;
  }
  *out += v.kind == Kind::kObject ? "\n" : " (" + std::to_string(v.items.size() + v.entries.size()) + ")\n";
  if (v.kind == Kind::kObject && v.args && !(v.args->kind == Kind::kTuple && v.args->items.empty())) {
    Dump(*v.args, depth + 1, max_depth, "args: ", out);
  }
  for (size_t i = 0; i < v.items.size(); ++i) Dump(*v.items[i], depth + 1, max_depth, "", out);
  for (const auto& [k, val] : v.entries) {
    std::string key = k->kind == Kind::kStr ? k->s : k->Describe();
    Dump(*val, depth + 1, max_depth, key + ": ", out);
  }
  if (v.kind == Kind::kObject && v.state) {
    if (v.state->kind == Kind::kDict) {
      for (const auto& [k, val] : v.state->entries) {
        std::string key = k->kind == Kind::kStr ? k->s : k->Describe();
        Dump(*val, depth + 1, max_depth, key + " = ", out);
      }
    } else {
      Dump(*v.state, depth + 1, max_depth, "state: ", out);
    }
  }
}

}  // namespace

std::string DumpValue(const Value& v, size_t max_depth) {
  std::string out;
  Dump(v, 0, max_depth, "", &out);
  if (out.size() >= kMaxDumpBytes) out += "... (dump truncated at " + std::to_string(kMaxDumpBytes) + " bytes)\n";
  return out;
}

}  // namespace inferd::pickle
