// Runtimes for StandardScaler and MinMaxScaler (sklearn-model-files.md §3.3), applying
// sklearn's formulas in sklearn's operation order for bit-exact output:
//   StandardScaler: if with_mean: x -= mean_; if with_std: x /= scale_
//   MinMaxScaler:   x = x * scale_ + min_; if clip: clip to feature_range
//
// Thread safety: immutable after construction.
#ifndef INFERD_SKLEARN_PREPROCESSING_SCALERS_H_
#define INFERD_SKLEARN_PREPROCESSING_SCALERS_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/pipeline/column_facts.h"

namespace inferd::sklearn {

class StandardScalerModel final : public Model, public AttributesOutputs, public NamesOutputs {
 public:
  // `mean` / `scale` empty when with_mean / with_std is false, else n_features long.
  StandardScalerModel(size_t n_features, std::vector<double> mean, std::vector<double> scale);

  ModelKind kind() const override { return ModelKind::kTransformer; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return n_features_; }
  const std::vector<Label>& classes() const override { return no_classes_; }
  bool accepts_missing() const override { return true; }  // NaN passes through, as in sklearn
  std::string Describe() const override { return "StandardScaler"; }
  std::vector<long> output_sources() const override { return IdentitySources(n_features_); }
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override {
    return {input_names.begin(), input_names.end()};
  }
  Status Transform(const double* x, size_t n_rows, double* out) const override;

 private:
  const size_t n_features_;
  const std::vector<double> mean_;
  const std::vector<double> scale_;
  const std::vector<Label> no_classes_;
};

class MinMaxScalerModel final : public Model, public AttributesOutputs, public NamesOutputs {
 public:
  // REQUIRES: scale.size() == min.size() == n_features.
  MinMaxScalerModel(size_t n_features, std::vector<double> scale, std::vector<double> min, bool clip, double lo,
                    double hi);

  ModelKind kind() const override { return ModelKind::kTransformer; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return n_features_; }
  const std::vector<Label>& classes() const override { return no_classes_; }
  bool accepts_missing() const override { return true; }
  std::string Describe() const override { return clip_ ? "MinMaxScaler[clip]" : "MinMaxScaler"; }
  std::vector<long> output_sources() const override { return IdentitySources(n_features_); }
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override {
    return {input_names.begin(), input_names.end()};
  }
  Status Transform(const double* x, size_t n_rows, double* out) const override;

 private:
  const size_t n_features_;
  const std::vector<double> scale_;
  const std::vector<double> min_;
  const bool clip_;
  const double lo_, hi_;
  const std::vector<Label> no_classes_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PREPROCESSING_SCALERS_H_
