#include "sklearn/neural_network/mlp_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {
namespace {

void Apply(Activation a, double* z, size_t n) {
  switch (a) {
    case Activation::kIdentity: return;
    case Activation::kLogistic:
      for (size_t i = 0; i < n; ++i) z[i] = Expit(z[i]);
      return;
    case Activation::kTanh:
      for (size_t i = 0; i < n; ++i) z[i] = std::tanh(z[i]);
      return;
    case Activation::kRelu:
      // np.maximum(z, 0): NaN propagates.
      for (size_t i = 0; i < n; ++i) z[i] = std::isnan(z[i]) ? z[i] : (z[i] > 0.0 ? z[i] : 0.0);
      return;
    case Activation::kSoftmax: SoftmaxInPlace(z, n); return;
  }
}

}  // namespace

MlpModel::MlpModel(std::string name, std::vector<DenseLayer> layers, Activation hidden, Activation output,
                   std::vector<Label> classes)
    : name_(std::move(name)),
      layers_(std::move(layers)),
      hidden_(hidden),
      output_(output),
      classes_(std::move(classes)) {
  for (const DenseLayer& l : layers_) max_width_ = std::max(max_width_, l.n_out);
}

const char* MlpModel::ActivationName(Activation a) {
  switch (a) {
    case Activation::kIdentity: return "identity";
    case Activation::kLogistic: return "logistic";
    case Activation::kTanh: return "tanh";
    case Activation::kRelu: return "relu";
    case Activation::kSoftmax: return "softmax";
  }
  return "?";
}

std::string MlpModel::Describe() const {
  std::string s = name_ + "[" + std::to_string(layers_.front().n_in);
  for (const DenseLayer& l : layers_) s += "-" + std::to_string(l.n_out);
  s += std::string(", ") + ActivationName(hidden_) + "/" + ActivationName(output_) + "]";
  return s;
}

const double* MlpModel::Forward(const double* row) const {
  thread_local std::vector<double> a, b;
  a.resize(max_width_);
  b.resize(max_width_);
  const double* in = row;
  for (size_t li = 0; li < layers_.size(); ++li) {
    const DenseLayer& l = layers_[li];
    double* out = (li % 2 == 0) ? a.data() : b.data();
    for (size_t j = 0; j < l.n_out; ++j) out[j] = 0.0;
    for (size_t i = 0; i < l.n_in; ++i) {
      const double xi = in[i];
      const double* w = l.weights.data() + i * l.n_out;
      for (size_t j = 0; j < l.n_out; ++j) out[j] += xi * w[j];
    }
    for (size_t j = 0; j < l.n_out; ++j) out[j] += l.bias[j];
    Apply(li + 1 == layers_.size() ? output_ : hidden_, out, l.n_out);
    in = out;
  }
  return in;
}

Status MlpModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  if (!classes_.empty()) return Model::PredictValue(x, n_rows, out);
  const size_t k = layers_.back().n_out;
  for (size_t r = 0; r < n_rows; ++r) {
    const double* y = Forward(x + r * n_features());
    std::copy(y, y + k, out + r * k);
  }
  return Status::Ok();
}

Status MlpModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (classes_.empty()) return Model::PredictProba(x, n_rows, out);
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    const double* y = Forward(x + r * n_features());
    double* p = out + r * k;
    if (layers_.back().n_out == 1) {
      p[0] = 1 - y[0];
      p[1] = y[0];
    } else {
      std::copy(y, y + k, p);
    }
  }
  return Status::Ok();
}

Status MlpModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  if (classes_.empty()) return Model::PredictClass(x, n_rows, out);
  for (size_t r = 0; r < n_rows; ++r) {
    const double* y = Forward(x + r * n_features());
    // LabelBinarizer.inverse_transform: threshold 0.5 (strict) for one column, else argmax.
    out[r] = layers_.back().n_out == 1 ? (y[0] > 0.5 ? 1 : 0) : static_cast<int32_t>(ArgMax(y, layers_.back().n_out));
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
