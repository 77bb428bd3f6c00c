// Test-only fake Models with simple, checkable arithmetic. Never linked into the binary.
#ifndef INFERD_SERVING_TESTING_FAKE_MODEL_H_
#define INFERD_SERVING_TESTING_FAKE_MODEL_H_

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "inferd/model.h"

namespace inferd::testing {

// Classifier: predicts class index floor(|x[0]|) % n_classes; proba puts 0.5 on that class and
// spreads 0.5 evenly over the others (so rows sum to 1).
class FakeClassifier : public Model {
 public:
  FakeClassifier(size_t n_features, std::vector<Label> classes, bool has_proba = true)
      : n_features_(n_features), classes_(std::move(classes)), has_proba_(has_proba) {}
  ModelKind kind() const override { return ModelKind::kClassifier; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return has_proba_; }
  std::string Describe() const override { return "FakeClassifier"; }

  Status PredictClass(const double* x, size_t n, int32_t* out) const override {
    for (size_t r = 0; r < n; ++r) out[r] = Index(x + r * n_features_);
    return Status::Ok();
  }
  Status PredictProba(const double* x, size_t n, double* out) const override {
    if (!has_proba_) return Model::PredictProba(x, n, out);
    size_t k = classes_.size();
    for (size_t r = 0; r < n; ++r) {
      int32_t c = Index(x + r * n_features_);
      for (size_t j = 0; j < k; ++j) {
        out[r * k + j] = k == 1 ? 1.0 : (static_cast<int32_t>(j) == c ? 0.5 : 0.5 / double(k - 1));
      }
    }
    return Status::Ok();
  }

 private:
  int32_t Index(const double* row) const {
    return static_cast<int32_t>(static_cast<long>(std::fabs(row[0])) % static_cast<long>(classes_.size()));
  }
  size_t n_features_;
  std::vector<Label> classes_;
  bool has_proba_;
};

// Regressor: target t of a row is (t + 1) * sum(row).
class FakeRegressor : public Model {
 public:
  FakeRegressor(size_t n_features, size_t n_targets) : n_features_(n_features), n_targets_(n_targets) {}
  ModelKind kind() const override { return ModelKind::kRegressor; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return n_targets_; }
  const std::vector<Label>& classes() const override { return no_classes_; }
  std::string Describe() const override { return "FakeRegressor"; }
  Status PredictValue(const double* x, size_t n, double* out) const override {
    for (size_t r = 0; r < n; ++r) {
      double s = 0;
      for (size_t j = 0; j < n_features_; ++j) s += x[r * n_features_ + j];
      for (size_t t = 0; t < n_targets_; ++t) out[r * n_targets_ + t] = double(t + 1) * s;
    }
    return Status::Ok();
  }

 private:
  size_t n_features_, n_targets_;
  std::vector<Label> no_classes_;
};

}  // namespace inferd::testing

#endif  // INFERD_SERVING_TESTING_FAKE_MODEL_H_
