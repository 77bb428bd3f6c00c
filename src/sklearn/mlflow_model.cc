#include "sklearn/mlflow_model.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <string_view>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "sklearn/input_schema_builder.h"

namespace inferd::sklearn {
namespace {

// Errors quote text from the file; a one-line message must not carry its line breaks.
std::string OneLine(std::string m) {
  for (char& c : m) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  constexpr size_t kMax = 300;
  if (m.size() > kMax) m = m.substr(0, kMax) + "...";
  return m;
}

Status Invalid(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + OneLine(what));
}

std::string StripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// A path relative to the model directory that names something inside it.
bool IsContainedRelativePath(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.find('\0') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    if (p.substr(start, slash - start) == "..") return false;
    start = slash + 1;
  }
  return true;
}

// True if `path` resolves (symlinks followed) to `root` or below it.
bool ResolvesInside(const std::string& root, const std::string& path) {
  char root_buf[PATH_MAX], path_buf[PATH_MAX];
  if (::realpath(root.c_str(), root_buf) == nullptr || ::realpath(path.c_str(), path_buf) == nullptr) return false;
  std::string_view r(root_buf), q(path_buf);
  if (r == "/") return true;
  return q.size() > r.size() && q.substr(0, r.size()) == r && q[r.size()] == '/';
}

// The string at node[key], or "" if absent; an error if present and not a string.
StatusOr<std::string> OptionalString(const YAML::Node& node, const char* key, const std::string& where,
                                     const std::string& path) {
  YAML::Node v = node[key];
  if (!v) return std::string();
  if (!v.IsScalar()) return Invalid(where, path + "." + key + " must be a string");
  return v.as<std::string>();
}

StatusOr<std::vector<MlflowColumn>> ReadSignatureInputs(const YAML::Node& signature, const std::string& where) {
  std::vector<MlflowColumn> columns;
  if (!signature || signature.IsNull()) return columns;
  if (!signature.IsMap()) return Invalid(where, "signature must be a mapping");
  YAML::Node inputs = signature["inputs"];
  if (!inputs || inputs.IsNull()) return columns;
  // MLflow writes the inputs as a JSON string; JSON is YAML, so the same parser reads it.
  YAML::Node specs = inputs.IsScalar() ? YAML::Load(inputs.as<std::string>()) : inputs;
  if (!specs.IsSequence()) return Invalid(where, "signature.inputs must be a JSON list of column specs");
  for (size_t i = 0; i < specs.size(); ++i) {
    const YAML::Node spec = specs[i];
    const std::string at = "signature.inputs[" + std::to_string(i) + "]";
    if (!spec.IsMap()) return Invalid(where, at + " must be an object");
    INFERD_ASSIGN_OR_RETURN(std::string type, OptionalString(spec, "type", where, at));
    // A tensor-based signature names no columns: nothing to check against.
    if (type == "tensor") return std::vector<MlflowColumn>();
    MlflowColumn col;
    INFERD_ASSIGN_OR_RETURN(col.name, OptionalString(spec, "name", where, at));
    col.type = std::move(type);
    columns.push_back(std::move(col));
  }
  return columns;
}

StatusOr<MlflowModelInfo> ParseMlmodel(const std::string& text, const std::string& dir, const std::string& where) {
  const YAML::Node root = YAML::Load(text);
  if (!root.IsMap()) return Invalid(where, "not a YAML mapping (an MLmodel file has flavors:)");
  const YAML::Node flavors = root["flavors"];
  if (!flavors || !flavors.IsMap()) return Invalid(where, "no flavors mapping");
  MlflowModelInfo info;
  std::string relative, path_key;
  const YAML::Node sk = flavors["sklearn"];
  const YAML::Node pyfunc = flavors["python_function"];
  if (sk && sk.IsMap()) {
    path_key = "flavors.sklearn.pickled_model";
    INFERD_ASSIGN_OR_RETURN(relative, OptionalString(sk, "pickled_model", where, "flavors.sklearn"));
    INFERD_ASSIGN_OR_RETURN(info.serialization_format,
                            OptionalString(sk, "serialization_format", where, "flavors.sklearn"));
  } else if (pyfunc && pyfunc.IsMap() && pyfunc["loader_module"] && pyfunc["loader_module"].IsScalar() &&
             pyfunc["loader_module"].as<std::string>() == "mlflow.sklearn") {
    path_key = "flavors.python_function.model_path";
    INFERD_ASSIGN_OR_RETURN(relative, OptionalString(pyfunc, "model_path", where, "flavors.python_function"));
  } else {
    std::string names;
    for (const auto& kv : flavors) {
      if (!names.empty()) names += ", ";
      names += kv.first.IsScalar() ? kv.first.as<std::string>() : "?";
    }
    return Status::Unimplemented(where + ": " +
                                 OneLine("no sklearn flavor (flavors: " + (names.empty() ? "none" : names) +
                                         "); inferd serves scikit-learn models saved with mlflow.sklearn"));
  }
  if (relative.empty()) return Invalid(where, path_key + " is missing");
  if (!IsContainedRelativePath(relative)) {
    return Invalid(where, path_key + " '" + relative + "' leaves the model directory (absolute or '..')");
  }
  if (info.serialization_format.empty()) info.serialization_format = "cloudpickle";
  if (info.serialization_format != "pickle" && info.serialization_format != "cloudpickle") {
    return Status::Unimplemented(where + ": " +
                                 OneLine("serialization_format '" + info.serialization_format +
                                         "' is not supported (pickle and cloudpickle are)"));
  }
  info.pickle_path = dir + "/" + relative;
  struct stat st;
  if (::stat(info.pickle_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Invalid(where, path_key + " '" + relative + "' is not a file in the model directory");
  }
  if (!ResolvesInside(dir, info.pickle_path)) {
    return Invalid(where, path_key + " '" + relative + "' resolves outside the model directory");
  }
  INFERD_ASSIGN_OR_RETURN(info.inputs, ReadSignatureInputs(root["signature"], where));
  return info;
}

enum class SignatureKind { kNumber, kString, kUnsupported };

SignatureKind KindOf(const std::string& type) {
  if (type == "double" || type == "float" || type == "long" || type == "integer" || type == "boolean") {
    return SignatureKind::kNumber;
  }
  if (type == "string" || type == "binary") return SignatureKind::kString;
  return SignatureKind::kUnsupported;
}

}  // namespace

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

StatusOr<MlflowModelInfo> ReadMlmodel(const std::string& dir_in) {
  const std::string dir = StripTrailingSlashes(dir_in);
  const std::string where = dir + "/MLmodel";
  struct stat st;
  if (::stat(where.c_str(), &st) != 0) {
    return Status::NotFound(where + ": no such file (a directory given as a model must be an MLflow model directory)");
  }
  if (!S_ISREG(st.st_mode)) return Invalid(where, "not a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxMlmodelBytes) {
    return Status::ResourceExhausted(where + ": " + std::to_string(st.st_size) + " bytes, over the limit of " +
                                     std::to_string(kMaxMlmodelBytes) + " for an MLmodel file");
  }
  std::ifstream in(where, std::ios::binary);
  if (!in) return Invalid(where, "cannot be read");
  // Read at most one byte past the limit: the file may have grown since stat.
  std::string text(kMaxMlmodelBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxMlmodelBytes) {
    return Status::ResourceExhausted(where + ": over the limit of " + std::to_string(kMaxMlmodelBytes) +
                                     " bytes for an MLmodel file");
  }
  // yaml-cpp reports errors (syntax, a wrong scalar type, too deep nesting) by exceptions.
  try {
    return ParseMlmodel(text, dir, where);
  } catch (const YAML::Exception& e) {
    return Invalid(where, std::string("invalid YAML: ") + e.what());
  } catch (const std::exception& e) {
    return Invalid(where, std::string("cannot be read: ") + e.what());
  }
}

StatusOr<ModelPtr> ApplyMlflowSignature(const std::string& where, const MlflowModelInfo& info, ModelPtr model) {
  if (info.inputs.empty()) return model;
  const InputSchema& schema = model->input_schema();
  const size_t n = model->n_features();
  if (info.inputs.size() != n) {
    return Invalid(where, "the signature has " + std::to_string(info.inputs.size()) +
                              " input columns but the model reads " + std::to_string(n));
  }
  // The model column each signature column is; by name when both have names, else by position.
  bool signature_named = true;
  for (const MlflowColumn& c : info.inputs) signature_named = signature_named && !c.name.empty();
  const bool by_name = signature_named && schema.named();
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < n; ++i) {
    const MlflowColumn& c = info.inputs[i];
    if (signature_named && !seen.emplace(c.name, i).second) {
      return Invalid(where, "the signature names column '" + c.name + "' twice");
    }
    size_t col = i;
    if (by_name) {
      const long found = schema.Find(c.name);
      if (found < 0) {
        return Invalid(where, "the signature's column '" + c.name + "' is not one of the model's columns (" +
                                  schema.columns()[0].name + (n > 1 ? ", ..., " + schema.columns()[n - 1].name : "") +
                                  ")");
      }
      col = static_cast<size_t>(found);
    }
    const SignatureKind kind = KindOf(c.type);
    const std::string name = c.name.empty() ? "#" + std::to_string(i) : "'" + c.name + "'";
    if (kind == SignatureKind::kUnsupported) {
      return Status::Unimplemented(where + ": " +
                                   OneLine("the signature's column " + name + " has type '" + c.type +
                                           "', which inferd cannot read (double, float, long, integer, boolean, "
                                           "string, binary)"));
    }
    const InputColumn::Type model_type = schema.empty() ? InputColumn::Type::kNumber : schema.columns()[col].type;
    if (kind == SignatureKind::kString && model_type == InputColumn::Type::kNumber) {
      return Invalid(where,
                     "the signature's column " + name + " is a " + c.type + " but the model reads numbers there");
    }
    if (kind == SignatureKind::kNumber && model_type == InputColumn::Type::kString) {
      return Invalid(where,
                     "the signature's column " + name + " is a " + c.type + " but the model reads strings there");
    }
  }
  if (!signature_named || schema.named()) return model;
  // A model fitted without names: the signature's names become its columns (MLflow enforces
  // them on every request).
  std::vector<InputColumn> columns = schema.empty() ? std::vector<InputColumn>(n) : schema.columns();
  for (size_t i = 0; i < n; ++i) columns[i].name = info.inputs[i].name;
  return WithInputSchema(std::move(model), InputSchema(std::move(columns), /*named=*/true));
}

StatusOr<ModelPtr> LoadMlflowModel(const std::string& dir,
                                   const std::function<StatusOr<ModelPtr>(const std::string& path)>& load_pickle) {
  INFERD_ASSIGN_OR_RETURN(MlflowModelInfo info, ReadMlmodel(dir));
  INFERD_ASSIGN_OR_RETURN(ModelPtr model, load_pickle(info.pickle_path));
  return ApplyMlflowSignature(StripTrailingSlashes(dir) + "/MLmodel", info, std::move(model));
}

}  // namespace inferd::sklearn
