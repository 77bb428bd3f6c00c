#include "sklearn/preprocessing/imputer.h"

#include <cmath>
#include <utility>

namespace inferd::sklearn {

SimpleImputerModel::SimpleImputerModel(size_t n_in, ImputerMissing missing, std::vector<ImputerStatistic> statistics,
                                       std::vector<size_t> kept, std::vector<size_t> indicator)
    : TransformerModel(n_in, kept.size() + indicator.size(), /*accepts=*/missing.kind == ImputerMissing::Kind::kNan,
                       /*removes=*/missing.kind == ImputerMissing::Kind::kNan),
      missing_(std::move(missing)),
      statistics_(std::move(statistics)),
      kept_(std::move(kept)),
      indicator_(std::move(indicator)) {
  for (size_t c : kept_) passed_through_.push_back(static_cast<long>(c));
  passed_through_.resize(kept_.size() + indicator_.size(), -1);
}

std::string SimpleImputerModel::Describe() const {
  return indicator_.empty() ? "SimpleImputer" : "SimpleImputer[add_indicator]";
}

bool SimpleImputerModel::IsMissing(size_t col, double v) const {
  switch (missing_.kind) {
    case ImputerMissing::Kind::kNan: return std::isnan(v);
    case ImputerMissing::Kind::kNumber: return !statistics_[col].is_string && v == missing_.value;
    case ImputerMissing::Kind::kString: return statistics_[col].is_string && v == missing_.value;
  }
  return false;
}

Status SimpleImputerModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t nin = n_features(), nout = n_outputs();
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * nin;
    double* o = out + r * nout;
    size_t k = 0;
    for (size_t c : kept_) o[k++] = IsMissing(c, row[c]) ? statistics_[c].value : row[c];
    for (size_t c : indicator_) o[k++] = IsMissing(c, row[c]) ? 1.0 : 0.0;
  }
  return Status::Ok();
}

void SimpleImputerModel::DescribeInputs(std::span<ColumnFacts> facts) const {
  for (size_t j = 0; j < statistics_.size() && j < facts.size(); ++j) {
    const ImputerStatistic& s = statistics_[j];
    if (!s.is_string) continue;
    facts[j].type = InputColumn::Type::kString;
    if (s.value != kNoneCode) facts[j].categories.push_back(s.text);
    if (!missing_.text.empty()) facts[j].categories.push_back(missing_.text);
  }
}

}  // namespace inferd::sklearn
