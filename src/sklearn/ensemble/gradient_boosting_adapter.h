// Adapters for GradientBoostingClassifier / GradientBoostingRegressor: `estimators_` is an
// object ndarray (n_stages, K') of DecisionTreeRegressor; `init_` is 'zero', a
// DummyClassifier(strategy='prior') or a DummyRegressor, turned into constant raw
// predictions at load time with the formulas of the writing sklearn version (§5.2).
#ifndef INFERD_SKLEARN_ENSEMBLE_GRADIENT_BOOSTING_ADAPTER_H_
#define INFERD_SKLEARN_ENSEMBLE_GRADIENT_BOOSTING_ADAPTER_H_

#include <span>
#include <vector>

#include "sklearn/ensemble/gradient_boosting.h"
#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> GradientBoostingAdapters();

// The initial raw predictions from DummyClassifier class priors (exposed for tests).
// `new_rules`: sklearn >= 1.4 (centred log-priors for multinomial).
std::vector<double> InitRawFromPriors(GbLoss loss, const std::vector<double>& priors, bool new_rules);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_ENSEMBLE_GRADIENT_BOOSTING_ADAPTER_H_
