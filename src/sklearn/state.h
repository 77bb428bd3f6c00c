// Reading an estimator's pickled state (a pickle::Value record) defensively: every accessor
// checks kind, dtype and shape and reports a one-line error prefixed with the estimator's
// short class name ("LogisticRegression: missing attribute 'coef_'"). The file is untrusted,
// so nothing here assumes sklearn wrote it.
//
// Thread safety: pure functions over an immutable Value tree.
#ifndef INFERD_SKLEARN_STATE_H_
#define INFERD_SKLEARN_STATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/model.h"
#include "inferd/status.h"
#include "pickle/value.h"

namespace inferd::sklearn {

// "sklearn.linear_model._logistic.LogisticRegression" -> "LogisticRegression".
std::string_view ShortClassName(std::string_view cls);

// `_sklearn_version` as (major, minor); {0, 0} when absent or unparsable, which callers
// treat as "old" (the conservative choice: e.g. re-normalising tree values that are
// already fractions is harmless, not normalising counts is not).
struct Version {
  int major = 0;
  int minor = 0;
  bool AtLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
};
Version SklearnVersion(const pickle::Value& obj);

// An error "<Class>: <message>".
Status StateError(const pickle::Value& obj, std::string_view message);

// state[name]; error "<Class>: missing attribute 'name'" if absent.
StatusOr<const pickle::Value*> Require(const pickle::Value& obj, std::string_view name);

// A numeric ndarray attribute converted to float64, with its shape.
struct DenseArray {
  std::vector<double> data;
  std::vector<size_t> shape;
};
StatusOr<DenseArray> GetDoubles(const pickle::Value& obj, std::string_view name);
// Same for an array Value that is not directly an attribute (`what` names it in errors).
StatusOr<DenseArray> ToDense(const pickle::Value& obj, const pickle::Value& v, std::string_view what);

// A scalar attribute (Python or numpy scalar).
StatusOr<double> GetDouble(const pickle::Value& obj, std::string_view name);
StatusOr<int64_t> GetInt(const pickle::Value& obj, std::string_view name);
StatusOr<bool> GetBool(const pickle::Value& obj, std::string_view name);
// A str attribute; std::nullopt if absent (error if present but not a str).
StatusOr<std::optional<std::string>> GetOptionalString(const pickle::Value& obj, std::string_view name);

// `classes_` as labels of their Python type; must be a non-empty 1-D array.
StatusOr<std::vector<Label>> GetClasses(const pickle::Value& obj);
// The same for the attribute `name` (LightGBM's wrapper keeps them in `_classes`).
StatusOr<std::vector<Label>> GetClasses(const pickle::Value& obj, std::string_view name);

// n_features_in_ if present (must equal `derived`, the width implied by the fitted
// arrays), else `derived`.
StatusOr<size_t> CheckNFeatures(const pickle::Value& obj, size_t derived);

// "(3, 4)" for error messages.
std::string ShapeString(const std::vector<size_t>& shape);

// Upper bound on any dimension we accept from a file (rows of a tree, classes, features):
// keeps index arithmetic in int32 and memory proportional to the file.
inline constexpr size_t kMaxDim = size_t{1} << 30;

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_STATE_H_
