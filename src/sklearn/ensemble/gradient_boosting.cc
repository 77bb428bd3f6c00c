#include "sklearn/ensemble/gradient_boosting.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "sklearn/numeric.h"
#include "sklearn/tree/tree_models.h"

namespace inferd::sklearn {

GradientBoostingModel::GradientBoostingModel(std::string name, GbLoss loss, std::vector<Label> classes,
                                             size_t n_features, std::vector<double> init_raw, double learning_rate,
                                             FlatForest forest, bool new_rules)
    : name_(std::move(name)),
      loss_(loss),
      classes_(std::move(classes)),
      n_features_(n_features),
      init_raw_(std::move(init_raw)),
      learning_rate_(learning_rate),
      forest_(CheckedForExplanations(std::move(forest), n_features)),
      new_rules_(new_rules) {}

Status GradientBoostingModel::Contributions(const double* x, size_t n_rows, double* out) const {
  if (!forest_.explainable()) return Model::Contributions(x, n_rows, out);
  const size_t kk = init_raw_.size(), nf = n_features_, width = nf + 1;
  thread_local std::vector<double> phi, expected;
  for (size_t r = 0; r < n_rows; ++r) {
    const float* xf = RowToFloat32(x + r * nf, nf);
    double* o = out + r * kk * width;
    std::fill(o, o + kk * width, 0.0);
    for (size_t k = 0; k < kk; ++k) o[k * width + nf] = init_raw_[k];
    for (size_t t = 0; t < forest_.n_trees(); ++t) {
      phi.assign(nf, 0.0);
      expected.assign(1, 0.0);
      forest_.AddContributions(t, xf, 1, phi.data(), expected.data());
      double* g = o + (t % kk) * width;  // stage-major: tree t belongs to output t % kk
      for (size_t f = 0; f < nf; ++f) g[f] += learning_rate_ * phi[f];
      g[nf] += learning_rate_ * expected[0];
    }
  }
  return Status::Ok();
}

std::string GradientBoostingModel::Describe() const {
  const char* loss = loss_ == GbLoss::kRegression    ? "regression"
                     : loss_ == GbLoss::kBinomial    ? "binomial"
                     : loss_ == GbLoss::kMultinomial ? "multinomial"
                                                     : "exponential";
  return name_ + "[" + loss + ", " + std::to_string(forest_.n_trees() / init_raw_.size()) + " stages]";
}

void GradientBoostingModel::Raw(const double* row, double* raw) const {
  const size_t kk = init_raw_.size();
  for (size_t k = 0; k < kk; ++k) raw[k] = init_raw_[k];
  const float* xf = RowToFloat32(row, n_features_);
  size_t k = 0;
  forest_.ForEachLeaf(xf, [&](size_t, const double* leaf) {
    raw[k] += learning_rate_ * leaf[0];
    if (++k == kk) k = 0;
  });
}

void GradientBoostingModel::RawRows(const double* x, size_t n_rows, double* raw) const {
  const size_t kk = init_raw_.size();
  if (n_rows < kMinBatchRows) {
    for (size_t r = 0; r < n_rows; ++r) Raw(x + r * n_features_, raw + r * kk);
    return;
  }
  // Tree-major over blocks of rows (FlatForest::ForEachLeafBatch): each row still adds its
  // stages in order, so the sums are the same as Raw's.
  for (size_t r0 = 0; r0 < n_rows; r0 += kTreeBlockRows) {
    const size_t nb = std::min(kTreeBlockRows, n_rows - r0);
    const float* xf = RowsToFloat32(x + r0 * n_features_, nb * n_features_);
    double* out = raw + r0 * kk;
    for (size_t r = 0; r < nb; ++r) {
      for (size_t k = 0; k < kk; ++k) out[r * kk + k] = init_raw_[k];
    }
    if (kk == 1) {  // regressors and binary classifiers: no division per (tree, row)
      forest_.ForEachLeafBatch(xf, nb, n_features_,
                               [&](size_t, size_t r, const double* leaf) { out[r] += learning_rate_ * leaf[0]; });
    } else {
      forest_.ForEachLeafBatch(xf, nb, n_features_, [&](size_t t, size_t r, const double* leaf) {
        out[r * kk + t % kk] += learning_rate_ * leaf[0];
      });
    }
  }
}

void GradientBoostingModel::ProbaFromRaw(const double* raw, double* p) const {
  switch (loss_) {
    case GbLoss::kBinomial:
    case GbLoss::kExponential: {
      const double p1 = Expit(loss_ == GbLoss::kBinomial ? raw[0] : 2.0 * raw[0]);
      p[0] = 1.0 - p1;
      p[1] = p1;
      return;
    }
    case GbLoss::kMultinomial: {
      const size_t k = classes_.size();
      for (size_t c = 0; c < k; ++c) p[c] = raw[c];
      if (new_rules_) {
        SoftmaxInPlace(p, k);
        return;
      }
      // <= 1.3: nan_to_num(exp(raw - logsumexp(raw))), logsumexp as in scipy.
      double m = raw[0];
      for (size_t c = 1; c < k; ++c) m = raw[c] > m ? raw[c] : m;
      if (!std::isfinite(m)) m = 0.0;
      for (size_t c = 0; c < k; ++c) p[c] = std::exp(raw[c] - m);
      const double lse = std::log(NumpySum(p, k)) + m;
      for (size_t c = 0; c < k; ++c) {
        double v = std::exp(raw[c] - lse);
        if (std::isnan(v))
          v = 0.0;
        else if (std::isinf(v))
          v = v > 0 ? std::numeric_limits<double>::max() : -std::numeric_limits<double>::max();
        p[c] = v;
      }
      return;
    }
    case GbLoss::kRegression: return;
  }
}

Status GradientBoostingModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  if (loss_ != GbLoss::kRegression) return Model::PredictValue(x, n_rows, out);
  RawRows(x, n_rows, out);
  return Status::Ok();
}

Status GradientBoostingModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  if (loss_ == GbLoss::kRegression) return Model::PredictClass(x, n_rows, out);
  const size_t k = classes_.size();
  thread_local std::vector<double> raw, p;
  raw.resize(init_raw_.size());
  p.resize(k);
  for (size_t r = 0; r < n_rows; ++r) {
    Raw(x + r * n_features_, raw.data());
    if (new_rules_) {
      out[r] = init_raw_.size() == 1 ? (raw[0] >= 0 ? 1 : 0) : static_cast<int32_t>(ArgMax(raw.data(), k));
    } else if (loss_ == GbLoss::kExponential) {
      out[r] = raw[0] >= 0 ? 1 : 0;
    } else {
      ProbaFromRaw(raw.data(), p.data());
      out[r] = static_cast<int32_t>(ArgMax(p.data(), k));
    }
  }
  return Status::Ok();
}

Status GradientBoostingModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (loss_ == GbLoss::kRegression) return Model::PredictProba(x, n_rows, out);
  const size_t k = classes_.size();
  thread_local std::vector<double> raw;
  raw.resize(init_raw_.size());
  for (size_t r = 0; r < n_rows; ++r) {
    Raw(x + r * n_features_, raw.data());
    ProbaFromRaw(raw.data(), out + r * k);
  }
  return Status::Ok();
}

Status GradientBoostingModel::DecisionFunction(const double* x, size_t n_rows, double* out) const {
  if (loss_ == GbLoss::kRegression) return Model::DecisionFunction(x, n_rows, out);
  RawRows(x, n_rows, out);
  return Status::Ok();
}

}  // namespace inferd::sklearn
