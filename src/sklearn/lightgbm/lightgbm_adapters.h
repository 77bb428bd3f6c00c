// Adapters for lightgbm.sklearn.LGBMClassifier / LGBMRegressor / LGBMRanker and bare
// lightgbm.basic.Booster records in pickles (the Booster's state carries the model text under
// `_handle`), and the loader entry for LightGBM model text files.
#ifndef INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_ADAPTERS_H_
#define INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_ADAPTERS_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> LightGBMAdapters();

// True if `bytes` start like a LightGBM model text (the line "tree").
bool IsLightGBMText(std::string_view bytes);
// Loads a LightGBM model text (Booster.predict's answers). Errors are one line without prefix.
StatusOr<ModelPtr> LoadLightGBMText(std::string_view bytes);
// For the loader: if the file at `path` starts like a LightGBM model text, loads it (refusing
// files over `max_bytes`); std::nullopt if it is not one.
std::optional<StatusOr<ModelPtr>> TryLoadLightGBMTextFile(const std::string& path, size_t max_bytes);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_LIGHTGBM_LIGHTGBM_ADAPTERS_H_
