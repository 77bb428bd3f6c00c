#include "sklearn/preprocessing/encoders.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace inferd::sklearn {
namespace {

size_t TotalWidth(const std::vector<OneHotColumn>& columns) {
  size_t n = 0;
  for (const OneHotColumn& c : columns) n += c.width;
  return n;
}

Status Unknown(const char* who, size_t col, const CategoryList& c, double v) {
  return Status::InvalidArgument(std::string(who) + ": column " + std::to_string(col) + " has " + c.DescribeUnknown(v));
}

bool AnyNanOutput(const std::optional<double>& unknown, double missing, const std::vector<CategoryList>& cats) {
  if (unknown.has_value() && std::isnan(*unknown)) return true;
  for (const auto& c : cats) {
    if (c.has_nan() && std::isnan(missing)) return true;
  }
  return false;
}

void DescribeStringColumn(const CategoryList& c, bool unknown_is_error, ColumnFacts* f) {
  if (!c.strings()) return;
  f->type = InputColumn::Type::kString;
  f->categories = c.StringCategories();
  f->unknown_is_error = unknown_is_error;
}

}  // namespace

OneHotEncoderModel::OneHotEncoderModel(std::vector<OneHotColumn> columns, bool unknown_is_error)
    : TransformerModel(columns.size(), TotalWidth(columns), /*accepts=*/true, /*removes=*/true),
      columns_(std::move(columns)),
      unknown_is_error_(unknown_is_error) {}

std::vector<std::string> OneHotEncoderModel::OutputNames(std::span<const std::string> input_names) const {
  std::vector<std::string> names;
  for (size_t c = 0; c < columns_.size(); ++c) {
    const OneHotColumn& col = columns_[c];
    std::vector<std::string> block(col.width);
    for (size_t k = 0; k < col.position.size(); ++k) {
      const long p = col.position[k];
      if (p < 0 || p == col.infrequent_position) continue;
      if (col.texts.size() != col.position.size()) return {};
      block[static_cast<size_t>(p)] = input_names[c] + "_" + col.texts[k];
    }
    if (col.infrequent_position >= 0) {
      block[static_cast<size_t>(col.infrequent_position)] = input_names[c] + "_infrequent_sklearn";
    }
    for (std::string& n : block) {
      if (n.empty()) return {};
      names.push_back(std::move(n));
    }
  }
  return names;
}

Status OneHotEncoderModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t nin = n_features(), nout = n_outputs();
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * nin;
    double* o = out + r * nout;
    std::fill(o, o + nout, 0.0);
    size_t base = 0;
    for (size_t j = 0; j < nin; ++j) {
      const OneHotColumn& c = columns_[j];
      const long k = c.categories.Find(row[j]);
      long pos;
      if (k >= 0) {
        pos = c.position[static_cast<size_t>(k)];
      } else if (unknown_is_error_) {
        return Unknown("OneHotEncoder", j, c.categories, row[j]);
      } else {
        pos = c.unknown_position;
      }
      if (pos >= 0) o[base + static_cast<size_t>(pos)] = 1.0;
      base += c.width;
    }
  }
  return Status::Ok();
}

void OneHotEncoderModel::DescribeInputs(std::span<ColumnFacts> facts) const {
  for (size_t j = 0; j < columns_.size() && j < facts.size(); ++j) {
    DescribeStringColumn(columns_[j].categories, unknown_is_error_, &facts[j]);
  }
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
        if (!unknown_value_.has_value()) return Unknown("OrdinalEncoder", j, c, v);
        code = *unknown_value_;
      } else if (c.has_nan() && static_cast<size_t>(k) == c.nan_index()) {
        code = encoded_missing_value_;
      } else {
        code = static_cast<double>(k);
      }
      out[r * n + j] = code;
    }
  }
  return Status::Ok();
}

void OrdinalEncoderModel::DescribeInputs(std::span<ColumnFacts> facts) const {
  for (size_t j = 0; j < categories_.size() && j < facts.size(); ++j) {
    DescribeStringColumn(categories_[j], !unknown_value_.has_value(), &facts[j]);
  }
}

}  // namespace inferd::sklearn
