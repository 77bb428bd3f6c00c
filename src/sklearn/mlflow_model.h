// MLflow model directories (what mlflow.sklearn.save_model writes): DIR/MLmodel, a YAML file
// naming the pickle (flavors.sklearn.pickled_model, or flavors.python_function.model_path with
// loader_module mlflow.sklearn) and an optional column signature
// (signature.inputs: a JSON string [{"name": "age", "type": "double"}, ...]).
//
// The MLmodel file is untrusted: at most kMaxMlmodelBytes, YAML parsed by yaml-cpp (its
// exceptions stop here), the pickle path must stay inside DIR (no absolute path, no "..", no
// symlink leading out). Every error is one line starting "DIR/MLmodel: ".
//
// Thread safety: free functions; no shared state.
#ifndef INFERD_SKLEARN_MLFLOW_MODEL_H_
#define INFERD_SKLEARN_MLFLOW_MODEL_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "inferd/status.h"
#include "sklearn/registry.h"

namespace inferd::sklearn {

inline constexpr size_t kMaxMlmodelBytes = size_t{1} << 20;

// One column of a column-based signature.
struct MlflowColumn {
  std::string name;  // may be empty (MLflow allows unnamed columns)
  std::string type;  // double, float, long, integer, boolean, string, binary, datetime
};

// What inferd reads from an MLmodel file.
struct MlflowModelInfo {
  // The pickle: DIR joined with the flavor's relative path.
  std::string pickle_path;
  // "pickle" or "cloudpickle".
  std::string serialization_format;
  // signature.inputs when it is column-based; empty without a signature or for a tensor one.
  std::vector<MlflowColumn> inputs;
};

// True if `path` is a directory (an MLflow model directory or not).
bool IsDirectory(const std::string& path);

// Reads and validates DIR/MLmodel.
StatusOr<MlflowModelInfo> ReadMlmodel(const std::string& dir);

// Checks `model` (with the input schema its pickle gave it) against info.inputs and returns
// it with the signature's names when the model has none of its own (x0, x1, ...). Refused: a
// different number of columns, names other than the model's feature_names_in_, a string
// column where the model reads numbers (or the reverse), a type inferd cannot read (datetime).
// `where` prefixes errors ("DIR/MLmodel").
StatusOr<ModelPtr> ApplyMlflowSignature(const std::string& where, const MlflowModelInfo& info, ModelPtr model);

// ReadMlmodel, then `load_pickle(info.pickle_path)`, then ApplyMlflowSignature.
StatusOr<ModelPtr> LoadMlflowModel(const std::string& dir,
                                   const std::function<StatusOr<ModelPtr>(const std::string& path)>& load_pickle);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_MLFLOW_MODEL_H_
