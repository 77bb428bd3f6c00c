// Adapters for xgboost.sklearn.XGBClassifier / XGBRegressor / XGBRFClassifier /
// XGBRFRegressor / XGBRanker and bare xgboost.core.Booster records in pickles, and the
// loader entry for native xgboost model files (.json / .ubj).
#ifndef INFERD_SKLEARN_XGBOOST_XGBOOST_ADAPTERS_H_
#define INFERD_SKLEARN_XGBOOST_XGBOOST_ADAPTERS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> XGBoostAdapters();

// True if `bytes` start like a native xgboost model (a JSON or UBJSON object).
bool IsNativeXGBoostModel(std::string_view bytes);
// Loads a native xgboost model file. Errors are one line without prefix.
StatusOr<ModelPtr> LoadNativeXGBoostModel(std::string_view bytes);
// For the loader: if the file at `path` starts like a native xgboost model, loads it
// (refusing files over `max_bytes`, and xgboost's legacy binary format with a hint to re-save
// it); std::nullopt if it is not one (then it is a pickle).
std::optional<StatusOr<ModelPtr>> TryLoadNativeXGBoostFile(const std::string& path, size_t max_bytes);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_XGBOOST_XGBOOST_ADAPTERS_H_
