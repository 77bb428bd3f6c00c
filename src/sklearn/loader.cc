// LoadModelFile / LoadModelBytes: pickle bytes -> Value tree (pickle/reader.h, never
// executing anything) -> runtime Model via the estimator registry.
#include "inferd/loader.h"

#include <sys/stat.h>

#include <string>
#include <utility>

#include "pickle/reader.h"
#include "sklearn/input_schema_builder.h"
#include "sklearn/lightgbm/lightgbm_adapters.h"
#include "sklearn/mlflow_model.h"
#include "sklearn/registry.h"
#include "sklearn/xgboost/xgboost_adapters.h"

namespace inferd {
namespace {

pickle::ReadLimits ToReadLimits(const LoadOptions& o) {
  pickle::ReadLimits l;
  l.max_decompressed_bytes = o.max_decompressed_bytes;
  l.max_expansion_ratio = o.max_expansion_ratio;
  return l;
}

// The contract is a one-line message; text from the file (a str attribute, a class name)
// could carry control characters, so they are replaced.
Status OneLine(const Status& s) {
  std::string m = s.message();
  for (char& c : m) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return Status(s.code(), std::move(m));
}

// Models read from a native XGBoost or LightGBM file: columns named as the file names them,
// else x0, x1, ...; string columns as the model describes them.
sklearn::ModelPtr WithPlainSchema(sklearn::ModelPtr m) {
  InputSchema schema = sklearn::BuildInputSchema(pickle::Value(), *m);
  return sklearn::WithInputSchema(std::move(m), std::move(schema));
}

StatusOr<sklearn::ModelPtr> FromRoot(const pickle::Value& root) {
  INFERD_ASSIGN_OR_RETURN(sklearn::ModelPtr m, sklearn::BuildEstimator(root));
  InputSchema schema = sklearn::BuildInputSchema(root, *m);
  return sklearn::WithInputSchema(std::move(m), std::move(schema));
}

// A model file (pickle, joblib, native XGBoost or LightGBM text).
StatusOr<sklearn::ModelPtr> LoadPickleFile(const std::string& path, const LoadOptions& options) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > options.max_file_bytes) {
    return Status::ResourceExhausted(path + ": file is " + std::to_string(st.st_size) + " bytes, over the limit of " +
                                     std::to_string(options.max_file_bytes));
  }
  // Native xgboost model files (.json / .ubj) start with '{', which no pickle does.
  if (auto xgb = sklearn::TryLoadNativeXGBoostFile(path, options.max_file_bytes)) {
    if (!xgb->ok()) return OneLine(xgb->status().WithPrefix(path));
    return WithPlainSchema(std::move(*xgb).value());
  }
  // LightGBM model text files start with the line "tree", which no pickle does.
  if (auto lgb = sklearn::TryLoadLightGBMTextFile(path, options.max_file_bytes)) {
    if (!lgb->ok()) return OneLine(lgb->status().WithPrefix(path));
    return WithPlainSchema(std::move(*lgb).value());
  }
  std::shared_ptr<const pickle::MappedFile> mapping;
  StatusOr<pickle::TreePtr> root = pickle::ReadPickleFile(path, ToReadLimits(options), &mapping);
  if (!root.ok()) return OneLine(root.status().WithPrefix(path));
  if (*root == nullptr) return Status::InvalidArgument(path + ": empty pickle");
  StatusOr<sklearn::ModelPtr> m = FromRoot(**root);
  // The model was built from bytes that may view the mapped file: if the file shrank
  // meanwhile, some of them read as zeros and the model must not be used.
  if (mapping != nullptr && mapping->truncated()) {
    return Status::InvalidArgument(path + ": " + pickle::kShrankMessage);
  }
  if (!m.ok()) return OneLine(m.status().WithPrefix(path));
  return m;
}

}  // namespace

StatusOr<std::shared_ptr<const Model>> LoadModelFile(const std::string& path, const LoadOptions& options) {
  // A directory is an MLflow model directory (DIR/MLmodel names the pickle).
  if (sklearn::IsDirectory(path)) {
    INFERD_ASSIGN_OR_RETURN(sklearn::ModelPtr m, sklearn::LoadMlflowModel(path, [&](const std::string& pickle) {
                              return LoadPickleFile(pickle, options);
                            }));
    return std::shared_ptr<const Model>(std::move(m));
  }
  INFERD_ASSIGN_OR_RETURN(sklearn::ModelPtr m, LoadPickleFile(path, options));
  return std::shared_ptr<const Model>(std::move(m));
}

StatusOr<std::shared_ptr<const Model>> LoadModelBytes(std::string_view bytes, std::string_view name,
                                                      const LoadOptions& options) {
  if (bytes.size() > options.max_file_bytes) {
    return Status::ResourceExhausted(std::string(name) + ": " + std::to_string(bytes.size()) +
                                     " bytes, over the limit of " + std::to_string(options.max_file_bytes));
  }
  if (sklearn::IsNativeXGBoostModel(bytes)) {
    StatusOr<sklearn::ModelPtr> xgb = sklearn::LoadNativeXGBoostModel(bytes);
    if (!xgb.ok()) return OneLine(xgb.status().WithPrefix(name));
    return std::shared_ptr<const Model>(WithPlainSchema(std::move(xgb).value()));
  }
  if (sklearn::IsLightGBMText(bytes)) {
    StatusOr<sklearn::ModelPtr> lgb = sklearn::LoadLightGBMText(bytes);
    if (!lgb.ok()) return OneLine(lgb.status().WithPrefix(name));
    return std::shared_ptr<const Model>(WithPlainSchema(std::move(lgb).value()));
  }
  StatusOr<pickle::TreePtr> root = pickle::ReadPickle(bytes, ToReadLimits(options));
  if (!root.ok()) return OneLine(root.status().WithPrefix(name));
  if (*root == nullptr) return Status::InvalidArgument(std::string(name) + ": empty pickle");
  StatusOr<sklearn::ModelPtr> m = FromRoot(**root);
  if (!m.ok()) return OneLine(m.status().WithPrefix(name));
  return std::shared_ptr<const Model>(std::move(m).value());
}

}  // namespace inferd
