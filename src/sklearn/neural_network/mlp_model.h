// Runtime for MLPClassifier / MLPRegressor (sklearn's _forward_pass_fast,
// sklearn-model-files.md §3.3): a = act(a @ W_i + b_i) on the hidden layers, then the
// output activation (identity, logistic or softmax).
//   Regressor: the output layer.
//   Classifier, binary (one logistic output p): predict_proba [1-p, p], predict p > 0.5.
//   Classifier, multiclass (softmax over K outputs): predict argmax.
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_NEURAL_NETWORK_MLP_MODEL_H_
#define INFERD_SKLEARN_NEURAL_NETWORK_MLP_MODEL_H_

#include <string>
#include <vector>

#include "inferd/model.h"

namespace inferd::sklearn {

enum class Activation { kIdentity, kLogistic, kTanh, kRelu, kSoftmax };

struct DenseLayer {
  size_t n_in = 0;
  size_t n_out = 0;
  std::vector<double> weights;  // n_in x n_out, row-major (sklearn's coefs_[i])
  std::vector<double> bias;     // n_out
};

class MlpModel final : public Model {
 public:
  // REQUIRES: layers non-empty and chained (layers[i+1].n_in == layers[i].n_out); hidden
  // is not kSoftmax. Classifier (classes non-empty): output kLogistic with 1 output and 2
  // classes, or kSoftmax with classes.size() outputs. Regressor: classes empty.
  MlpModel(std::string name, std::vector<DenseLayer> layers, Activation hidden, Activation output,
           std::vector<Label> classes);

  ModelKind kind() const override { return classes_.empty() ? ModelKind::kRegressor : ModelKind::kClassifier; }
  size_t n_features() const override { return layers_.front().n_in; }
  size_t n_outputs() const override { return classes_.empty() ? layers_.back().n_out : classes_.size(); }
  const std::vector<Label>& classes() const override { return classes_; }
  bool has_proba() const override { return !classes_.empty(); }
  std::string Describe() const override;
  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;

  static const char* ActivationName(Activation a);

 private:
  // The output layer for one row (layers_.back().n_out values, valid until the next call
  // on this thread).
  const double* Forward(const double* row) const;

  const std::string name_;
  const std::vector<DenseLayer> layers_;
  const Activation hidden_;
  const Activation output_;
  const std::vector<Label> classes_;
  size_t max_width_ = 0;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_NEURAL_NETWORK_MLP_MODEL_H_
