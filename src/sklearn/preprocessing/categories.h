// The fitted categories of one input column of an encoder (categories_[i]), as cell values
// (inferd/input_schema.h): numbers, or for a string column the StringCode of each string and
// kNoneCode for None. NaN, which sklearn keeps last, is not stored among the values but
// remembered (has_nan).
//
// A cell matches a category when it is equal to it (NaN matches the NaN category). Codes of
// strings the column does not know (kUnknownStringCode, or the code of a string only another
// step knows) match nothing.
//
// Thread safety: immutable after Create.
#ifndef INFERD_SKLEARN_PREPROCESSING_CATEGORIES_H_
#define INFERD_SKLEARN_PREPROCESSING_CATEGORIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "inferd/status.h"

namespace inferd::sklearn {

class CategoryList {
 public:
  CategoryList() = default;
  // `values`: the categories in categories_ order without NaN. Numbers must be ascending
  // and unique; in a string column (`texts` non-empty, one per value, "None" for
  // kNoneCode) the codes must be unique. Errors are one line without a class prefix.
  static StatusOr<CategoryList> Create(std::vector<double> values, std::vector<std::string> texts, bool has_nan);

  // Number of categories, NaN included.
  size_t size() const { return values_.size() + (has_nan_ ? 1 : 0); }
  bool has_nan() const { return has_nan_; }
  // Index of the NaN category. REQUIRES: has_nan().
  size_t nan_index() const { return values_.size(); }
  // True for a column of strings (codes), false for numbers.
  bool strings() const { return !texts_.empty(); }
  // Index of cell v in categories_ order, or -1 if the column does not know it.
  long Find(double v) const;
  // The strings the column knows (without None); empty for a number column.
  std::vector<std::string> StringCategories() const;
  // "unknown category 7.5", "unknown category None", "unknown category nan", or for a
  // string the column does not know, "a string it does not know".
  std::string DescribeUnknown(double v) const;

 private:
  std::vector<double> values_;
  std::vector<std::string> texts_;
  bool has_nan_ = false;
  // (value, index into values_) sorted by value: the lookup of string codes, which are not
  // in categories_ order.
  std::vector<std::pair<double, uint32_t>> sorted_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_CATEGORIES_H_
