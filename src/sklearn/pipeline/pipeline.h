// Runtime for sklearn.pipeline.Pipeline: rows go through every transformer step's
// Transform, then the requested operation of the final step (or, when the final step is
// 'passthrough'/None or itself a transformer, the pipeline is a transformer).
//
// Thread safety: immutable after construction. Intermediate rows live in per-thread scratch
// taken from a small per-thread stack, so nested pipelines never share a buffer.
#ifndef INFERD_SKLEARN_PIPELINE_PIPELINE_H_
#define INFERD_SKLEARN_PIPELINE_PIPELINE_H_

#include <memory>
#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/pipeline/column_facts.h"
#include "sklearn/pipeline/missing_policy.h"

namespace inferd::sklearn {

class PipelineModel final : public Model,
                            public RemovesMissing,
                            public DescribesInputs,
                            public AttributesOutputs,
                            public NamesOutputs,
                            public NamesTransformedFeatures {
 public:
  // REQUIRES: every element of `transformers` has kind kTransformer; widths chain
  // (transformers[i+1]->n_features() == transformers[i]->n_outputs(), and the final
  // step's n_features() == the last transformer's n_outputs()); `final` may be null
  // (passthrough) only if `transformers` is non-empty.
  PipelineModel(std::vector<std::unique_ptr<const Model>> transformers, std::unique_ptr<const Model> final);

  ModelKind kind() const override { return kind_; }
  size_t n_features() const override { return n_features_; }
  size_t n_outputs() const override { return n_outputs_; }
  const std::vector<Label>& classes() const override { return final_ ? final_->classes() : no_classes_; }
  bool has_proba() const override { return final_ != nullptr && final_->has_proba(); }
  // See missing_policy.h.
  bool accepts_missing() const override { return accepts_missing_; }
  bool removes_missing() const override { return removes_missing_; }
  size_t decision_function_width() const override;
  std::string Describe() const override;
  // The first step's facts, plus what later steps know of the columns that steps passing
  // columns through (imputers) hand on unchanged.
  void DescribeInputs(std::span<ColumnFacts> facts) const override;

  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictValue(const double* x, size_t n_rows, double* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  Status Transform(const double* x, size_t n_rows, double* out) const override;
  Status DecisionFunction(const double* x, size_t n_rows, double* out) const override;
  // A transformer pipeline: its steps' sources composed.
  std::vector<long> output_sources() const override;
  // A transformer pipeline: its steps' names composed (sklearn's get_feature_names_out).
  std::vector<std::string> OutputNames(std::span<const std::string> input_names) const override;
  // The transformer steps' names composed (pipe[:-1].get_feature_names_out(input_names)).
  std::vector<std::string> TransformedFeatureNames(std::span<const std::string> input_names) const override;
  // Explained by its final estimator on the transformed row: by default each transformed
  // feature's contribution given to the input column it came from (a one-hot block to its
  // column, a scaled column to itself); when a step mixes columns (PCA, ...), per
  // transformed feature. Names here are for columns x0, x1, ... (the loader's schema
  // renames them for a model fitted on named columns).
  size_t contribution_groups() const override { return explain_groups_; }
  std::string contribution_space() const override {
    return final_ != nullptr ? final_->contribution_space() : std::string();
  }
  Status Contributions(const double* x, size_t n_rows, double* out) const override;
  ContributionForm contribution_form() const override { return form_; }
  const std::vector<std::string>& transformed_feature_names() const override { return transformed_names_; }
  Status TransformedContributions(const double* x, size_t n_rows, double* out) const override;

 private:
  class Scratch;
  // Runs the transformer steps; returns the pointer to the transformed rows (x itself if
  // there are no transformers).
  StatusOr<const double*> RunTransformers(const double* x, size_t n_rows, Scratch* scratch) const;

  const std::vector<std::unique_ptr<const Model>> transformers_;
  const std::unique_ptr<const Model> final_;
  ModelKind kind_;
  size_t n_features_ = 0;
  size_t n_outputs_ = 0;
  // For each input of the final step, the pipeline input column it comes from (or kMixedColumns).
  std::vector<long> final_sources_;
  size_t explain_groups_ = 0;
  ContributionForm form_ = ContributionForm::kInputColumns;
  // The final step's input features, named for input columns x0, x1, ...; empty when the
  // per-transformed-feature form is not offered.
  std::vector<std::string> transformed_names_;
  bool accepts_missing_ = true;
  bool removes_missing_ = false;
  const std::vector<Label> no_classes_;
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_PIPELINE_PIPELINE_H_
