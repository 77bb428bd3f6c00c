#include "sklearn/tree/tree_models.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

const float* RowToFloat32(const double* row, size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  for (size_t j = 0; j < n; ++j) buf[j] = static_cast<float>(row[j]);
  return buf.data();
}

const float* RowsToFloat32(const double* rows, size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  for (size_t j = 0; j < n; ++j) buf[j] = static_cast<float>(rows[j]);
  return buf.data();
}

namespace {

// Contributions of an averaged ensemble: the mean over trees of each tree's TreeSHAP values
// for the first `k` payload entries. out[(r * k + g) * (n_features + 1) + f], bias last.
void AveragedContributions(const FlatForest& forest, size_t n_features, size_t k, const double* x, size_t n_rows,
                           double* out) {
  thread_local std::vector<double> phi, expected;
  const size_t width = n_features + 1;
  const double n = static_cast<double>(forest.n_trees());
  for (size_t r = 0; r < n_rows; ++r) {
    phi.assign(n_features * k, 0.0);
    expected.assign(k, 0.0);
    const float* xf = RowToFloat32(x + r * n_features, n_features);
    for (size_t t = 0; t < forest.n_trees(); ++t) forest.AddContributions(t, xf, k, phi.data(), expected.data());
    double* o = out + r * k * width;
    for (size_t g = 0; g < k; ++g) {
      for (size_t f = 0; f < n_features; ++f) o[g * width + f] = phi[f * k + g] / n;
      o[g * width + n_features] = expected[g] / n;
    }
  }
}

}  // namespace

TreeEnsembleClassifier::TreeEnsembleClassifier(std::string name, std::vector<Label> classes, size_t n_features,
                                               FlatForest forest, bool single_tree)
    : name_(std::move(name)),
      classes_(std::move(classes)),
      n_features_(n_features),
      forest_(CheckedForExplanations(std::move(forest), n_features)),
      single_tree_(single_tree) {}

Status TreeEnsembleClassifier::Contributions(const double* x, size_t n_rows, double* out) const {
  if (!forest_.explainable()) return Model::Contributions(x, n_rows, out);
  AveragedContributions(forest_, n_features_, classes_.size(), x, n_rows, out);
  return Status::Ok();
}

std::string TreeEnsembleClassifier::Describe() const {
  std::string s = name_ + "[" + std::to_string(classes_.size()) + " classes";
  if (!single_tree_) s += ", " + std::to_string(forest_.n_trees()) + " trees";
  return s + "]";
}

void TreeEnsembleClassifier::Proba(const float* xf, double* p) const {
  const size_t k = classes_.size();
  for (size_t c = 0; c < k; ++c) p[c] = 0.0;
  forest_.ForEachLeaf(xf, [&](size_t, const double* leaf) {
    for (size_t c = 0; c < k; ++c) p[c] += leaf[c];
  });
  const double n = static_cast<double>(forest_.n_trees());
  for (size_t c = 0; c < k; ++c) p[c] /= n;
}

void TreeEnsembleClassifier::ProbaRows(const double* x, size_t n_rows, double* out) const {
  const size_t k = classes_.size();
  const double n = static_cast<double>(forest_.n_trees());
  if (n_rows < kMinBatchRows) {
    for (size_t r = 0; r < n_rows; ++r) Proba(RowToFloat32(x + r * n_features_, n_features_), out + r * k);
    return;
  }
  for (size_t r0 = 0; r0 < n_rows; r0 += kTreeBlockRows) {
    const size_t nb = std::min(kTreeBlockRows, n_rows - r0);
    const float* xf = RowsToFloat32(x + r0 * n_features_, nb * n_features_);
    double* p = out + r0 * k;
    for (size_t i = 0; i < nb * k; ++i) p[i] = 0.0;
    forest_.ForEachLeafBatch(xf, nb, n_features_, [&](size_t, size_t r, const double* leaf) {
      double* pr = p + r * k;
      for (size_t c = 0; c < k; ++c) pr[c] += leaf[c];
    });
    for (size_t i = 0; i < nb * k; ++i) p[i] /= n;
  }
}

Status TreeEnsembleClassifier::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  const size_t k = classes_.size();
  if (single_tree_) {
    for (size_t r = 0; r < n_rows; ++r) {
      out[r] = static_cast<int32_t>(forest_.Leaf(0, RowToFloat32(x + r * n_features_, n_features_))[k]);
    }
    return Status::Ok();
  }
  thread_local std::vector<double> p;
  const size_t chunk = std::min(n_rows, kTreeBlockRows);
  if (p.size() < chunk * k) p.resize(chunk * k);
  for (size_t r0 = 0; r0 < n_rows; r0 += chunk) {
    const size_t nb = std::min(chunk, n_rows - r0);
    ProbaRows(x + r0 * n_features_, nb, p.data());
    for (size_t r = 0; r < nb; ++r) out[r0 + r] = static_cast<int32_t>(ArgMax(p.data() + r * k, k));
  }
  return Status::Ok();
}

Status TreeEnsembleClassifier::PredictProba(const double* x, size_t n_rows, double* out) const {
  ProbaRows(x, n_rows, out);
  return Status::Ok();
}

TreeEnsembleRegressor::TreeEnsembleRegressor(std::string name, size_t n_features, size_t n_outputs, FlatForest forest)
    : name_(std::move(name)),
      n_features_(n_features),
      n_outputs_(n_outputs),
      forest_(CheckedForExplanations(std::move(forest), n_features)) {}

Status TreeEnsembleRegressor::Contributions(const double* x, size_t n_rows, double* out) const {
  if (!forest_.explainable()) return Model::Contributions(x, n_rows, out);
  AveragedContributions(forest_, n_features_, n_outputs_, x, n_rows, out);
  return Status::Ok();
}

std::string TreeEnsembleRegressor::Describe() const {
  std::string s = name_;
  if (forest_.n_trees() > 1) s += "[" + std::to_string(forest_.n_trees()) + " trees]";
  return s;
}

Status TreeEnsembleRegressor::PredictValue(const double* x, size_t n_rows, double* out) const {
  const size_t m = n_outputs_;
  const double n = static_cast<double>(forest_.n_trees());
  if (n_rows < kMinBatchRows) {
    for (size_t r = 0; r < n_rows; ++r) {
      const float* xf = RowToFloat32(x + r * n_features_, n_features_);
      double* y = out + r * m;
      for (size_t o = 0; o < m; ++o) y[o] = 0.0;
      forest_.ForEachLeaf(xf, [&](size_t, const double* leaf) {
        for (size_t o = 0; o < m; ++o) y[o] += leaf[o];
      });
      for (size_t o = 0; o < m; ++o) y[o] /= n;
    }
    return Status::Ok();
  }
  for (size_t r0 = 0; r0 < n_rows; r0 += kTreeBlockRows) {
    const size_t nb = std::min(kTreeBlockRows, n_rows - r0);
    const float* xf = RowsToFloat32(x + r0 * n_features_, nb * n_features_);
    double* y = out + r0 * m;
    for (size_t i = 0; i < nb * m; ++i) y[i] = 0.0;
    forest_.ForEachLeafBatch(xf, nb, n_features_, [&](size_t, size_t r, const double* leaf) {
      double* yr = y + r * m;
      for (size_t o = 0; o < m; ++o) yr[o] += leaf[o];
    });
    for (size_t i = 0; i < nb * m; ++i) y[i] /= n;
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
