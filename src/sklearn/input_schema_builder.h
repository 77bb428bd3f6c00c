// The input schema of a model loaded from a pickle: column names from the estimator's
// feature_names_in_ (a Pipeline's from its first step), else the names the model itself
// reports (a named input_schema(), e.g. an XGBoost booster's feature_names), else x0, x1, ...; kinds and string
// categories from the model's column facts (pipeline/column_facts.h).
//
// Thread safety: pure functions; the returned model is immutable.
#ifndef INFERD_SKLEARN_INPUT_SCHEMA_BUILDER_H_
#define INFERD_SKLEARN_INPUT_SCHEMA_BUILDER_H_

#include "inferd/input_schema.h"
#include "inferd/model.h"
#include "pickle/value.h"
#include "sklearn/registry.h"

namespace inferd::sklearn {

// `root` is the record `model` was built from.
InputSchema BuildInputSchema(const pickle::Value& root, const Model& model);

// `model` with `schema` as its input_schema(); everything else is forwarded.
ModelPtr WithInputSchema(ModelPtr model, InputSchema schema);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_INPUT_SCHEMA_BUILDER_H_
