#include "sklearn/tree/tree_models.h"

#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

const float* RowToFloat32(const double* row, size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  for (size_t j = 0; j < n; ++j) buf[j] = static_cast<float>(row[j]);
  return buf.data();
}

TreeEnsembleClassifier::TreeEnsembleClassifier(std::string name, std::vector<Label> classes, size_t n_features,
                                               FlatForest forest, bool single_tree)
    : name_(std::move(name)),
      classes_(std::move(classes)),
      n_features_(n_features),
      forest_(std::move(forest)),
      single_tree_(single_tree) {}

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

Status TreeEnsembleClassifier::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  const size_t k = classes_.size();
  thread_local std::vector<double> p;
  p.resize(k);
  for (size_t r = 0; r < n_rows; ++r) {
    const float* xf = RowToFloat32(x + r * n_features_, n_features_);
    if (single_tree_) {
      out[r] = static_cast<int32_t>(forest_.Leaf(0, xf)[k]);
    } else {
      Proba(xf, p.data());
      out[r] = static_cast<int32_t>(ArgMax(p.data(), k));
    }
  }
  return Status::Ok();
}

Status TreeEnsembleClassifier::PredictProba(const double* x, size_t n_rows, double* out) const {
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    Proba(RowToFloat32(x + r * n_features_, n_features_), out + r * k);
  }
  return Status::Ok();
}

TreeEnsembleRegressor::TreeEnsembleRegressor(std::string name, size_t n_features, size_t n_outputs, FlatForest forest)
    : name_(std::move(name)), n_features_(n_features), n_outputs_(n_outputs), forest_(std::move(forest)) {}

std::string TreeEnsembleRegressor::Describe() const {
  std::string s = name_;
  if (forest_.n_trees() > 1) s += "[" + std::to_string(forest_.n_trees()) + " trees]";
  return s;
}

Status TreeEnsembleRegressor::PredictValue(const double* x, size_t n_rows, double* out) const {
  const size_t m = n_outputs_;
  const size_t nt = forest_.n_trees();
  const double n = static_cast<double>(nt);
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

}  // namespace inferd::sklearn
