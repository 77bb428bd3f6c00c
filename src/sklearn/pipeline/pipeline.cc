#include "sklearn/pipeline/pipeline.h"

#include <algorithm>
#include <utility>

namespace inferd::sklearn {

// Two ping-pong buffers taken from a per-thread stack of buffers; released (not freed) on
// destruction so later calls on this thread reuse the capacity without allocating.
class PipelineModel::Scratch {
 public:
  Scratch() : base_(top()) {
    top() += 2;
    if (pool().size() < top()) pool().resize(top());
  }
  ~Scratch() { top() -= 2; }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  double* Buffer(size_t i, size_t n) {
    std::vector<double>& b = pool()[base_ + i];
    if (b.size() < n) b.resize(n);
    return b.data();
  }

 private:
  static std::vector<std::vector<double>>& pool() {
    thread_local std::vector<std::vector<double>> p;
    return p;
  }
  static size_t& top() {
    thread_local size_t t = 0;
    return t;
  }
  size_t base_;
};

PipelineModel::PipelineModel(std::vector<std::unique_ptr<const Model>> transformers, std::unique_ptr<const Model> final)
    : transformers_(std::move(transformers)), final_(std::move(final)) {
  const Model* first = transformers_.empty() ? final_.get() : transformers_.front().get();
  n_features_ = first->n_features();
  if (final_ != nullptr) {
    kind_ = final_->kind();
    n_outputs_ = final_->n_outputs();
    accepts_missing_ = final_->accepts_missing();
  } else {
    kind_ = ModelKind::kTransformer;
    n_outputs_ = transformers_.back()->n_outputs();
  }
  // missing_policy.h: every step up to the first NaN-removing one must accept NaN.
  bool removed = false;
  bool ok = true;
  for (const auto& t : transformers_) {
    ok = t->accepts_missing();
    if (!ok || OutputFreeOfMissing(*t)) {
      removed = ok;
      break;
    }
  }
  if (!ok) {
    accepts_missing_ = false;
  } else if (removed) {
    accepts_missing_ = true;
    // Transformers do not turn NaN-free rows into NaN (OrdinalEncoder with a NaN
    // unknown_value aside, which does not claim removes_missing), so the output stays clean.
    removes_missing_ = true;
  } else {
    removes_missing_ = final_ != nullptr && OutputFreeOfMissing(*final_);
  }
  // Where each input of the final step comes from, through the transformer steps.
  final_sources_ = IdentitySources(n_features_);
  for (const auto& t : transformers_) {
    const std::vector<long> step = OutputSourcesOf(*t);
    std::vector<long> next(step.size(), kMixedColumns);
    for (size_t j = 0; j < step.size(); ++j) {
      if (step[j] >= 0 && static_cast<size_t>(step[j]) < final_sources_.size()) {
        next[j] = final_sources_[static_cast<size_t>(step[j])];
      }
    }
    final_sources_ = std::move(next);
  }
  // Explanations: the final estimator's own, per its input columns, on the transformed row.
  const size_t groups = final_ != nullptr && final_->contribution_form() == ContributionForm::kInputColumns &&
                                final_->n_features() == final_sources_.size()
                            ? final_->contribution_groups()
                            : 0;
  if (groups == 0) return;
  if (!transformers_.empty()) {
    transformed_names_ = TransformedFeatureNames(DefaultInputNames(n_features_));
    if (transformed_names_.size() != final_->n_features()) transformed_names_.clear();
  }
  const bool attributable = std::all_of(final_sources_.begin(), final_sources_.end(), [](long c) { return c >= 0; });
  if (attributable) {
    explain_groups_ = groups;
  } else if (!transformed_names_.empty()) {
    explain_groups_ = groups;
    form_ = ContributionForm::kTransformedFeatures;
  }
}

std::vector<std::string> PipelineModel::TransformedFeatureNames(std::span<const std::string> input_names) const {
  std::vector<std::string> names(input_names.begin(), input_names.end());
  for (const auto& t : transformers_) {
    names = OutputNamesOf(*t, names);
    if (names.empty()) return {};
  }
  return names;
}

std::vector<std::string> PipelineModel::OutputNames(std::span<const std::string> input_names) const {
  if (kind_ != ModelKind::kTransformer) return {};
  std::vector<std::string> names = TransformedFeatureNames(input_names);
  if (final_ == nullptr || names.empty()) return names;
  return OutputNamesOf(*final_, names);
}

void PipelineModel::DescribeInputs(std::span<ColumnFacts> facts) const {
  // map[j]: the pipeline input column that the current step's input column j copies, or -1.
  std::vector<long> map(n_features_);
  for (size_t j = 0; j < map.size(); ++j) map[j] = static_cast<long>(j);
  const size_t n_steps = transformers_.size() + (final_ != nullptr ? 1 : 0);
  auto step_at = [&](size_t s) -> const Model& { return s < transformers_.size() ? *transformers_[s] : *final_; };
  for (size_t s = 0; s < n_steps; ++s) {
    const Model& step = step_at(s);
    std::vector<ColumnFacts> step_facts = DescribeInputsOf(step);
    for (size_t j = 0; j < step_facts.size() && j < map.size(); ++j) {
      if (map[j] < 0) continue;
      ColumnFacts& f = facts[static_cast<size_t>(map[j])];
      if (s == 0) {
        f = std::move(step_facts[j]);
        continue;
      }
      // A NaN the earlier steps passed on meets this step's rule.
      const MissingRule before = f.missing;
      if (step_facts[j].type == InputColumn::Type::kString) f.Merge(step_facts[j]);
      f.missing = before == MissingRule::kPassed ? step_facts[j].missing : before;
    }
    const auto* through = dynamic_cast<const PassesColumnsThrough*>(&step);
    if (through == nullptr) {
      // The step mixes columns: a NaN it passes on lands somewhere in the next steps' input,
      // so the rest of the pipeline decides as a whole (missing_policy.h).
      MissingRule rest = MissingRule::kPassed;
      for (size_t t = s + 1; t < n_steps && rest == MissingRule::kPassed; ++t) {
        if (!step_at(t).accepts_missing()) {
          rest = MissingRule::kRefused;
        } else if (OutputFreeOfMissing(step_at(t))) {
          rest = MissingRule::kRemoved;
        }
      }
      for (ColumnFacts& f : facts) {
        if (f.missing == MissingRule::kPassed) f.missing = rest;
      }
      return;
    }
    const std::vector<long>& from = through->passed_through();
    std::vector<long> next(from.size(), -1);
    for (size_t j = 0; j < from.size(); ++j) {
      if (from[j] >= 0 && static_cast<size_t>(from[j]) < map.size()) next[j] = map[static_cast<size_t>(from[j])];
    }
    map = std::move(next);
  }
}

size_t PipelineModel::decision_function_width() const {
  return final_ != nullptr ? final_->decision_function_width() : 0;
}

Status PipelineModel::DecisionFunction(const double* x, size_t n_rows, double* out) const {
  if (final_ == nullptr || final_->decision_function_width() == 0) return Model::DecisionFunction(x, n_rows, out);
  Scratch scratch;
  INFERD_ASSIGN_OR_RETURN(const double* z, RunTransformers(x, n_rows, &scratch));
  return final_->DecisionFunction(z, n_rows, out);
}

std::vector<long> PipelineModel::output_sources() const {
  if (final_ == nullptr) return final_sources_;
  std::vector<long> out;
  for (long l : OutputSourcesOf(*final_)) {
    out.push_back(l < 0 || static_cast<size_t>(l) >= final_sources_.size() ? kMixedColumns
                                                                           : final_sources_[static_cast<size_t>(l)]);
  }
  return out;
}

Status PipelineModel::TransformedContributions(const double* x, size_t n_rows, double* out) const {
  if (explain_groups_ == 0 || transformed_names_.empty()) return Model::TransformedContributions(x, n_rows, out);
  Scratch scratch;
  INFERD_ASSIGN_OR_RETURN(const double* z, RunTransformers(x, n_rows, &scratch));
  return final_->Contributions(z, n_rows, out);
}

Status PipelineModel::Contributions(const double* x, size_t n_rows, double* out) const {
  if (explain_groups_ == 0) return Model::Contributions(x, n_rows, out);
  if (form_ == ContributionForm::kTransformedFeatures) return TransformedContributions(x, n_rows, out);
  Scratch scratch;
  INFERD_ASSIGN_OR_RETURN(const double* z, RunTransformers(x, n_rows, &scratch));
  const size_t groups = explain_groups_, inner_width = final_->n_features() + 1, width = n_features_ + 1;
  thread_local std::vector<double> inner;
  inner.resize(n_rows * groups * inner_width);
  INFERD_RETURN_IF_ERROR(final_->Contributions(z, n_rows, inner.data()));
  for (size_t rg = 0; rg < n_rows * groups; ++rg) {
    const double* in = inner.data() + rg * inner_width;
    double* o = out + rg * width;
    std::fill(o, o + width, 0.0);
    for (size_t j = 0; j + 1 < inner_width; ++j) o[static_cast<size_t>(final_sources_[j])] += in[j];
    o[n_features_] = in[inner_width - 1];
  }
  return Status::Ok();
}

std::string PipelineModel::Describe() const {
  std::string s = "Pipeline(";
  bool first = true;
  for (const auto& t : transformers_) {
    if (!first) s += ", ";
    s += t->Describe();
    first = false;
  }
  if (final_ != nullptr) {
    if (!first) s += ", ";
    s += final_->Describe();
  }
  return s + ")";
}

StatusOr<const double*> PipelineModel::RunTransformers(const double* x, size_t n_rows, Scratch* scratch) const {
  const double* cur = x;
  for (size_t i = 0; i < transformers_.size(); ++i) {
    const Model& t = *transformers_[i];
    double* next = scratch->Buffer(i % 2, n_rows * t.n_outputs());
    INFERD_RETURN_IF_ERROR(t.Transform(cur, n_rows, next));
    cur = next;
  }
  return cur;
}

Status PipelineModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  if (final_ == nullptr) return Model::PredictClass(x, n_rows, out);
  Scratch scratch;
  INFERD_ASSIGN_OR_RETURN(const double* z, RunTransformers(x, n_rows, &scratch));
  return final_->PredictClass(z, n_rows, out);
}

Status PipelineModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  if (final_ == nullptr) return Model::PredictValue(x, n_rows, out);
  Scratch scratch;
  INFERD_ASSIGN_OR_RETURN(const double* z, RunTransformers(x, n_rows, &scratch));
  return final_->PredictValue(z, n_rows, out);
}

Status PipelineModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (final_ == nullptr) return Model::PredictProba(x, n_rows, out);
  Scratch scratch;
  INFERD_ASSIGN_OR_RETURN(const double* z, RunTransformers(x, n_rows, &scratch));
  return final_->PredictProba(z, n_rows, out);
}

Status PipelineModel::Transform(const double* x, size_t n_rows, double* out) const {
  if (kind_ != ModelKind::kTransformer) return Model::Transform(x, n_rows, out);
  Scratch scratch;
  INFERD_ASSIGN_OR_RETURN(const double* z, RunTransformers(x, n_rows, &scratch));
  if (final_ != nullptr) return final_->Transform(z, n_rows, out);
  const size_t n = n_rows * n_outputs_;
  for (size_t i = 0; i < n; ++i) out[i] = z[i];
  return Status::Ok();
}

}  // namespace inferd::sklearn
