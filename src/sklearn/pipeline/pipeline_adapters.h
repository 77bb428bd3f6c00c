// Adapter for sklearn.pipeline.Pipeline: `steps` is a list of (name, estimator |
// 'passthrough' | None); each estimator is built through the registry (so pipelines nest).
#ifndef INFERD_SKLEARN_PIPELINE_PIPELINE_ADAPTERS_H_
#define INFERD_SKLEARN_PIPELINE_PIPELINE_ADAPTERS_H_

#include <span>

#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> PipelineAdapters();

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PIPELINE_PIPELINE_ADAPTERS_H_
