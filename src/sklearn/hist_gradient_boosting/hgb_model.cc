#include "sklearn/hist_gradient_boosting/hgb_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

void HgbPreprocessor::Apply(const double* row, double* out) const {
  size_t o = 0;
  for (size_t j = 0; j < cat_cols.size(); ++j) {
    const double v = row[cat_cols[j]];
    const CategoryList& cats = categories[j];
    const long k = cats.Find(v);
    const bool known = k >= 0 && !(cats.has_nan() && static_cast<size_t>(k) == cats.nan_index());
    out[o++] = known ? static_cast<double>(k) : std::numeric_limits<double>::quiet_NaN();
  }
  for (size_t c : num_cols) out[o++] = row[c];
}

HistGradientBoostingModel::HistGradientBoostingModel(std::string name, HgbLink link, std::vector<Label> classes,
                                                     size_t n_features, std::vector<double> baseline, HgbForest forest,
                                                     HgbPreprocessor pre, bool raw_predict_rule)
    : name_(std::move(name)),
      link_(link),
      classes_(std::move(classes)),
      n_features_(n_features),
      baseline_(std::move(baseline)),
      forest_(CheckedForExplanations(std::move(forest))),
      pre_(std::move(pre)),
      raw_predict_rule_(raw_predict_rule) {}

std::string HistGradientBoostingModel::Describe() const {
  const char* link = link_ == HgbLink::kIdentity   ? "identity"
                     : link_ == HgbLink::kExp      ? "log-link"
                     : link_ == HgbLink::kBinomial ? "binomial"
                                                   : "multinomial";
  std::string s = name_ + "[" + link + ", " + std::to_string(forest_.n_trees() / baseline_.size()) + " iterations";
  if (pre_.active()) s += ", " + std::to_string(pre_.cat_cols.size()) + " encoded categorical";
  return s + "]";
}

void HistGradientBoostingModel::DescribeInputs(std::span<ColumnFacts> facts) const {
  for (size_t j = 0; j < pre_.cat_cols.size(); ++j) {
    const CategoryList& cats = pre_.categories[j];
    const size_t c = pre_.cat_cols[j];
    if (!cats.strings() || c >= facts.size()) continue;
    facts[c].type = InputColumn::Type::kString;
    facts[c].categories = cats.StringCategories();
  }
}

void HistGradientBoostingModel::Raw(const double* row, double* raw) const {
  thread_local std::vector<double> remapped;
  if (pre_.active()) {
    if (remapped.size() < n_features_) remapped.resize(n_features_);
    pre_.Apply(row, remapped.data());
    row = remapped.data();
  }
  const size_t k = baseline_.size();
  for (size_t c = 0; c < k; ++c) raw[c] = baseline_[c];
  const size_t nt = forest_.n_trees();
  for (size_t t = 0; t < nt; t += k) {
    for (size_t c = 0; c < k; ++c) raw[c] += forest_.Predict(t + c, row);
  }
}

Status HistGradientBoostingModel::Contributions(const double* x, size_t n_rows, double* out) const {
  if (!forest_.explainable()) return Model::Contributions(x, n_rows, out);
  const size_t k = baseline_.size(), nf = n_features_, width = nf + 1;
  thread_local std::vector<double> remapped, phi;
  // The trees read the preprocessed row (categorical columns first): contributions are
  // computed per preprocessed column and given back to the input column it came from.
  thread_local std::vector<size_t> source;
  source.resize(nf);
  for (size_t j = 0; j < nf; ++j) {
    const size_t nc = pre_.cat_cols.size();
    source[j] = !pre_.active() ? j : (j < nc ? pre_.cat_cols[j] : pre_.num_cols[j - nc]);
  }
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * nf;
    if (pre_.active()) {
      remapped.resize(nf);
      pre_.Apply(row, remapped.data());
      row = remapped.data();
    }
    double* o = out + r * k * width;
    std::fill(o, o + k * width, 0.0);
    for (size_t c = 0; c < k; ++c) o[c * width + nf] = baseline_[c];
    for (size_t t = 0; t < forest_.n_trees(); ++t) {
      phi.assign(nf, 0.0);
      double* g = o + (t % k) * width;  // iteration-major: tree t gives raw score t % k
      forest_.AddContributions(t, row, phi.data(), g + nf);
      for (size_t j = 0; j < nf; ++j) g[source[j]] += phi[j];
    }
  }
  return Status::Ok();
}

void HistGradientBoostingModel::ProbaFromRaw(const double* raw, double* p) const {
  if (link_ == HgbLink::kBinomial) {
    const double p1 = Expit(raw[0]);
    p[0] = 1.0 - p1;
    p[1] = p1;
    return;
  }
  const size_t k = classes_.size();
  for (size_t c = 0; c < k; ++c) p[c] = raw[c];
  SoftmaxInPlace(p, k);
}

Status HistGradientBoostingModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  if (!classes_.empty()) return Model::PredictValue(x, n_rows, out);
  for (size_t r = 0; r < n_rows; ++r) {
    double raw;
    Raw(x + r * n_features_, &raw);
    out[r] = link_ == HgbLink::kExp ? std::exp(raw) : raw;
  }
  return Status::Ok();
}

Status HistGradientBoostingModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (classes_.empty()) return Model::PredictProba(x, n_rows, out);
  const size_t k = classes_.size();
  std::vector<double> raw(baseline_.size());
  for (size_t r = 0; r < n_rows; ++r) {
    Raw(x + r * n_features_, raw.data());
    ProbaFromRaw(raw.data(), out + r * k);
  }
  return Status::Ok();
}

Status HistGradientBoostingModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  if (classes_.empty()) return Model::PredictClass(x, n_rows, out);
  const size_t k = classes_.size();
  std::vector<double> raw(baseline_.size()), p(k);
  for (size_t r = 0; r < n_rows; ++r) {
    Raw(x + r * n_features_, raw.data());
    if (raw_predict_rule_) {
      out[r] = link_ == HgbLink::kBinomial ? (raw[0] > 0 ? 1 : 0) : static_cast<int32_t>(ArgMax(raw.data(), k));
    } else {
      ProbaFromRaw(raw.data(), p.data());
      out[r] = static_cast<int32_t>(ArgMax(p.data(), k));
    }
  }
  return Status::Ok();
}

Status HistGradientBoostingModel::DecisionFunction(const double* x, size_t n_rows, double* out) const {
  if (classes_.empty()) return Model::DecisionFunction(x, n_rows, out);
  const size_t k = baseline_.size();
  for (size_t r = 0; r < n_rows; ++r) Raw(x + r * n_features_, out + r * k);
  return Status::Ok();
}

}  // namespace inferd::sklearn
