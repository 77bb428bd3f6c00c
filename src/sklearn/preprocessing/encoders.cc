#include "sklearn/preprocessing/encoders.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/json_number.h"

namespace inferd::sklearn {
namespace {

size_t TotalWidth(const std::vector<CategoryList>& cats, const std::vector<long>& drop) {
  size_t n = 0;
  for (size_t i = 0; i < cats.size(); ++i) n += cats[i].size() - (drop[i] >= 0 ? 1 : 0);
  return n;
}

Status Unknown(const char* who, size_t col, double v) {
  std::string m = std::string(who) + ": column " + std::to_string(col) + " has unknown category ";
  AppendPythonFloat(v, &m);
  return Status::InvalidArgument(std::move(m));
}

bool AnyNanOutput(const std::optional<double>& unknown, double missing, const std::vector<CategoryList>& cats) {
  if (unknown.has_value() && std::isnan(*unknown)) return true;
  for (const auto& c : cats) {
    if (c.has_nan && std::isnan(missing)) return true;
  }
  return false;
}

}  // namespace

long CategoryList::Find(double v) const {
  if (std::isnan(v)) return has_nan ? static_cast<long>(values.size()) : -1;
  auto it = std::lower_bound(values.begin(), values.end(), v);
  if (it == values.end() || *it != v) return -1;
  return static_cast<long>(it - values.begin());
}

OneHotEncoderModel::OneHotEncoderModel(std::vector<CategoryList> categories, std::vector<long> drop,
                                       bool ignore_unknown)
    : TransformerModel(categories.size(), TotalWidth(categories, drop), /*accepts=*/true, /*removes=*/true),
      categories_(std::move(categories)),
      drop_(std::move(drop)),
      ignore_unknown_(ignore_unknown) {}

Status OneHotEncoderModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t nin = n_features(), nout = n_outputs();
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * nin;
    double* o = out + r * nout;
    std::fill(o, o + nout, 0.0);
    size_t base = 0;
    for (size_t j = 0; j < nin; ++j) {
      const CategoryList& c = categories_[j];
      const long d = drop_[j];
      const long k = c.Find(row[j]);
      if (k < 0 && !ignore_unknown_) return Unknown("OneHotEncoder", j, row[j]);
      if (k >= 0 && k != d) o[base + static_cast<size_t>(d >= 0 && k > d ? k - 1 : k)] = 1.0;
      base += c.size() - (d >= 0 ? 1 : 0);
    }
  }
  return Status::Ok();
}

OrdinalEncoderModel::OrdinalEncoderModel(std::vector<CategoryList> categories, std::optional<double> unknown_value,
                                         double encoded_missing_value)
    : TransformerModel(categories.size(), categories.size(), /*accepts=*/true,
                       /*removes=*/!AnyNanOutput(unknown_value, encoded_missing_value, categories)),
      categories_(std::move(categories)),
      unknown_value_(unknown_value),
      encoded_missing_value_(encoded_missing_value) {}

Status OrdinalEncoderModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t n = n_features();
  for (size_t r = 0; r < n_rows; ++r) {
    for (size_t j = 0; j < n; ++j) {
      const double v = x[r * n + j];
      const CategoryList& c = categories_[j];
      const long k = c.Find(v);
      double code;
      if (k < 0) {
        if (!unknown_value_.has_value()) return Unknown("OrdinalEncoder", j, v);
        code = *unknown_value_;
      } else if (c.has_nan && static_cast<size_t>(k) == c.values.size()) {
        code = encoded_missing_value_;
      } else {
        code = static_cast<double>(k);
      }
      out[r * n + j] = code;
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
