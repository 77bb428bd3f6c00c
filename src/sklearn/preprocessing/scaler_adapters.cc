#include "sklearn/preprocessing/scaler_adapters.h"

#include <optional>
#include <utility>

#include "sklearn/preprocessing/scalers.h"
#include "sklearn/state.h"

namespace inferd::sklearn {
namespace {

using pickle::Kind;
using pickle::Value;

// A 1-D per-feature array attribute, or nullopt if it is None/absent and not `required`.
StatusOr<std::optional<std::vector<double>>> PerFeature(const Value& obj, std::string_view name, bool required) {
  const Value* v = obj.Attr(name);
  if (v == nullptr || v->is_none()) {
    if (required) return StateError(obj, "missing attribute '" + std::string(name) + "'");
    return std::optional<std::vector<double>>();
  }
  INFERD_ASSIGN_OR_RETURN(DenseArray a, ToDense(obj, *v, name));
  if (a.shape.size() != 1 || a.shape[0] == 0 || a.shape[0] > kMaxDim) {
    return StateError(obj,
                      "'" + std::string(name) + "' must be a non-empty 1-D array, found shape " + ShapeString(a.shape));
  }
  return std::optional<std::vector<double>>(std::move(a.data));
}

bool FlagOr(const Value& obj, std::string_view name, bool fallback, Status* err) {
  const Value* v = obj.Attr(name);
  if (v == nullptr) return fallback;
  StatusOr<bool> b = v->AsBool();
  if (!b.ok()) {
    *err = StateError(obj, "'" + std::string(name) + "': " + b.status().message());
    return fallback;
  }
  return *b;
}

StatusOr<ModelPtr> BuildStandardScaler(const Value& obj) {
  Status err;
  const bool with_mean = FlagOr(obj, "with_mean", true, &err);
  const bool with_std = FlagOr(obj, "with_std", true, &err);
  INFERD_RETURN_IF_ERROR(err);
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> mean, PerFeature(obj, "mean_", with_mean));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> scale, PerFeature(obj, "scale_", with_std));
  std::vector<double> m = with_mean ? std::move(*mean) : std::vector<double>();
  std::vector<double> s = with_std ? std::move(*scale) : std::vector<double>();
  if (!m.empty() && !s.empty() && m.size() != s.size()) {
    return StateError(obj, "'mean_' and 'scale_' have different lengths");
  }
  size_t nf;
  if (!m.empty() || !s.empty()) {
    INFERD_ASSIGN_OR_RETURN(nf, CheckNFeatures(obj, m.empty() ? s.size() : m.size()));
  } else {
    INFERD_ASSIGN_OR_RETURN(int64_t n, GetInt(obj, "n_features_in_"));
    if (n <= 0 || static_cast<uint64_t>(n) > kMaxDim) return StateError(obj, "bad n_features_in_");
    nf = static_cast<size_t>(n);
  }
  return ModelPtr(std::make_unique<StandardScalerModel>(nf, std::move(m), std::move(s)));
}

StatusOr<ModelPtr> BuildMinMaxScaler(const Value& obj) {
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> scale, PerFeature(obj, "scale_", true));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::vector<double>> min, PerFeature(obj, "min_", true));
  if (scale->size() != min->size()) return StateError(obj, "'scale_' and 'min_' have different lengths");
  Status err;
  const bool clip = FlagOr(obj, "clip", false, &err);
  INFERD_RETURN_IF_ERROR(err);
  double lo = 0.0, hi = 1.0;
  if (clip) {
    INFERD_ASSIGN_OR_RETURN(const Value* fr, Require(obj, "feature_range"));
    if ((fr->kind != Kind::kTuple && fr->kind != Kind::kList) || fr->items.size() != 2 || !fr->items[0] ||
        !fr->items[1]) {
      return StateError(obj, "'feature_range' must be a pair, found " + fr->Describe());
    }
    StatusOr<double> a = fr->items[0]->AsDouble();
    StatusOr<double> b = fr->items[1]->AsDouble();
    if (!a.ok() || !b.ok()) return StateError(obj, "'feature_range' must hold two numbers");
    lo = *a;
    hi = *b;
  }
  INFERD_ASSIGN_OR_RETURN(size_t nf, CheckNFeatures(obj, scale->size()));
  return ModelPtr(std::make_unique<MinMaxScalerModel>(nf, std::move(*scale), std::move(*min), clip, lo, hi));
}

}  // namespace

std::span<const AdapterEntry> ScalerAdapters() {
  static constexpr AdapterEntry kEntries[] = {
      {"sklearn.preprocessing._data.StandardScaler", &BuildStandardScaler},
      {"sklearn.preprocessing._data.MinMaxScaler", &BuildMinMaxScaler},
  };
  return kEntries;
}

}  // namespace inferd::sklearn
