#include "sklearn/preprocessing/imputer.h"

#include <cmath>
#include <utility>

namespace inferd::sklearn {

SimpleImputerModel::SimpleImputerModel(size_t n_in, double missing_value, std::vector<double> statistics,
                                       std::vector<size_t> kept, std::vector<size_t> indicator)
    : TransformerModel(n_in, kept.size() + indicator.size(), /*accepts=*/std::isnan(missing_value),
                       /*removes=*/std::isnan(missing_value)),
      missing_value_(missing_value),
      statistics_(std::move(statistics)),
      kept_(std::move(kept)),
      indicator_(std::move(indicator)) {}

std::string SimpleImputerModel::Describe() const {
  return indicator_.empty() ? "SimpleImputer" : "SimpleImputer[add_indicator]";
}

bool SimpleImputerModel::IsMissing(double v) const {
  return std::isnan(missing_value_) ? std::isnan(v) : v == missing_value_;
}

Status SimpleImputerModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t nin = n_features(), nout = n_outputs();
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * nin;
    double* o = out + r * nout;
    size_t k = 0;
    for (size_t c : kept_) o[k++] = IsMissing(row[c]) ? statistics_[c] : row[c];
    for (size_t c : indicator_) o[k++] = IsMissing(row[c]) ? 1.0 : 0.0;
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
