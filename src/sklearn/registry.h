// The estimator registry: sklearn class name (`cls` of the pickled record, e.g.
// "sklearn.linear_model._logistic.LogisticRegression") -> the adapter that validates the
// record and builds an immutable runtime Model.
//
// The table is explicit (registry.cc lists every family) rather than self-registering
// static objects, which a static library would silently drop.
//
// Thread safety: the table is built once (function-local static) and read-only after.
#ifndef INFERD_SKLEARN_REGISTRY_H_
#define INFERD_SKLEARN_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inferd/model.h"
#include "inferd/status.h"
#include "pickle/value.h"

namespace inferd::sklearn {

using ModelPtr = std::unique_ptr<const Model>;
// Builds a runtime from a record whose `cls` the adapter was registered for. Errors are
// one line, "<ShortClass>: <reason>", never a partial model.
using Adapter = StatusOr<ModelPtr> (*)(const pickle::Value& obj);

struct AdapterEntry {
  std::string_view class_name;
  Adapter adapter;
};

// Builds the model for any registered estimator record (used by the loader and by
// composites such as Pipeline). Unknown classes: Unimplemented "unsupported estimator 'cls'".
StatusOr<ModelPtr> BuildEstimator(const pickle::Value& obj);

// The registered class names (for diagnostics and tests).
std::vector<std::string> RegisteredClassNames();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_REGISTRY_H_
