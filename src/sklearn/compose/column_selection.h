// Resolving which input columns a ColumnTransformer entry selects, as integer indices into
// the request row (sklearn-model-files.md §3.3 "ColumnTransformer"). Used by the
// ColumnTransformer adapter and by HistGradientBoosting's >= 1.4 `_preprocessor`.
//
// The fitted `_transformer_to_input_indices[name]` (ints, sklearn 1.2 -> main) is preferred;
// otherwise `columns` is interpreted: an int, a list/array of ints (negative ints count from
// the end), a bool mask, a slice (of ints, or of names: then the stop column is included, as
// in sklearn), or column names (a str or list of str) looked up in
// `feature_names_in_`. Names therefore still select by POSITION in the request row: the
// row carries no names, its columns are in feature_names_in_ order.
//
// Thread safety: pure functions.
#ifndef INFERD_SKLEARN_COMPOSE_COLUMN_SELECTION_H_
#define INFERD_SKLEARN_COMPOSE_COLUMN_SELECTION_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"

namespace inferd::sklearn {

// Every returned index is < n_features. Errors are one line without a class prefix.
StatusOr<std::vector<size_t>> ResolveColumns(const pickle::Value& column_transformer, std::string_view name,
                                             const pickle::Value* columns, size_t n_features);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_COMPOSE_COLUMN_SELECTION_H_
