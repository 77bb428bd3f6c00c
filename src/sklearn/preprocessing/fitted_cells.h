// Fitted per-column values read from a pickle record as cells (inferd/input_schema.h): a
// category list (categories_[i] of an encoder), a statistic (SimpleImputer.statistics_), a
// missing_values marker. Python str, numpy 'U' and 'S' strings become StringCode(text); None
// becomes kNoneCode; numbers (NaN included) stay numbers.
//
// Errors are "<Class>: ..." one-liners naming the attribute (`what`).
//
// Thread safety: pure functions.
#ifndef INFERD_SKLEARN_PREPROCESSING_FITTED_CELLS_H_
#define INFERD_SKLEARN_PREPROCESSING_FITTED_CELLS_H_

#include <string>
#include <vector>

#include "inferd/status.h"
#include "pickle/value.h"
#include "sklearn/preprocessing/categories.h"

namespace inferd::sklearn {

struct Cell {
  enum class Type { kNumber, kNan, kString, kNone };
  Type type = Type::kNumber;
  double value = 0.0;  // the number, StringCode(text), kNoneCode or NaN
  std::string text;    // kString: the string; kNone: "None"
  bool is_string() const { return type == Type::kString || type == Type::kNone; }
};

// One Python value: str (or bytes), None, or a number. Error without a class prefix.
StatusOr<Cell> CellOf(const pickle::Value& v);

// The elements of the 1-D array `a` (numeric, 'U', 'S', or object of str/None/numbers),
// attribute `what` of record `obj`.
StatusOr<std::vector<Cell>> CellsOf(const pickle::Value& obj, const pickle::Value* a, const std::string& what);

// One column's categories from the 1-D array `a`: all numbers (ascending) or all strings and
// None (a string column), NaN only last; refuses a column mixing the two and equal codes.
StatusOr<CategoryList> ReadCategoryList(const pickle::Value& obj, const pickle::Value* a, const std::string& what);

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_FITTED_CELLS_H_
