// Adapters for the tree ensembles of sklearn.ensemble:
//   - RandomForestClassifier/Regressor, ExtraTreesClassifier/Regressor: the member trees
//     (`estimators_`, a list) flattened into one TreeEnsemble* runtime (tree/tree_models.h).
//   - GradientBoostingClassifier/Regressor: `estimators_` is an object ndarray (n_stages, K')
//     of DecisionTreeRegressor; `init_` is 'zero', a DummyClassifier(strategy='prior') or a
//     DummyRegressor, turned into constant raw predictions at load time with the formulas of
//     the writing sklearn version (§5.2) (GradientBoostingModel, gradient_boosting.h).
#ifndef INFERD_SKLEARN_ENSEMBLE_ENSEMBLE_ADAPTERS_H_
#define INFERD_SKLEARN_ENSEMBLE_ENSEMBLE_ADAPTERS_H_

#include <span>
#include <vector>

#include "sklearn/ensemble/gradient_boosting.h"
#include "sklearn/registry.h"

namespace inferd::sklearn {

std::span<const AdapterEntry> EnsembleAdapters();

// The initial raw predictions from DummyClassifier class priors (exposed for tests).
// `new_rules`: sklearn >= 1.4 (centred log-priors for multinomial).
std::vector<double> InitRawFromPriors(GbLoss loss, const std::vector<double>& priors, bool new_rules);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_ENSEMBLE_ENSEMBLE_ADAPTERS_H_
