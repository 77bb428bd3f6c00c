// Loading a user's model.pkl (joblib.dump or pickle.dump of a scikit-learn estimator) safely:
// nothing from the file is ever executed; only allow-listed globals get meaning.
#ifndef INFERD_LOADER_H_
#define INFERD_LOADER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "inferd/model.h"
#include "inferd/status.h"

namespace inferd {

struct LoadOptions {
  // Refuse files larger than this (compressed size on disk).
  size_t max_file_bytes = size_t{4} << 30;
  // Refuse decompressed streams larger than this, and larger than
  // max_expansion_ratio * compressed size (zip-bomb guard).
  size_t max_decompressed_bytes = size_t{8} << 30;
  size_t max_expansion_ratio = 1000;
};

// Loads and validates the model at `path`: a model file, or an MLflow model directory (its
// MLmodel file names the pickle and may carry a column signature).
// On failure the message is one line naming the file and the reason, e.g.
// "model.pkl: forbidden global 'posix.system' at byte 42"; no partial model is returned.
// Thread safety: may be called concurrently; the returned model is immutable and shareable.
StatusOr<std::shared_ptr<const Model>> LoadModelFile(const std::string& path, const LoadOptions& options = {});

// Same, from bytes already in memory; `name` is used as the message prefix.
StatusOr<std::shared_ptr<const Model>> LoadModelBytes(std::string_view bytes, std::string_view name,
                                                      const LoadOptions& options = {});

}  // namespace inferd

#endif  // INFERD_LOADER_H_
