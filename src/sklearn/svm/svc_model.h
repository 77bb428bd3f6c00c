// Runtime for SVC / NuSVC (libsvm c_svc / nu_svc; sklearn-model-files.md §3.3 "SVC", §5.3).
// For each class pair (i < j), in order p = 0, 1, ...:
//   dec_p = sum_{sv in class i} dual[j-1][sv] K(x, sv) + sum_{sv in class j} dual[i][sv] K(x, sv)
//           - rho_p                                         (rho = -_intercept_)
//   predict: libsvm voting (dec_p > 0 votes for i, else j; first maximum wins), or with
//            break_ties (ovr, K > 2) the argmax of the ovr decision function
//   decision_function: binary -dec_0; 'ovo' dec; 'ovr' (K > 2) votes + conf / (3 (|conf| + 1))
//   predict_proba (probability=True): Platt sigmoids + pairwise coupling (pairwise_coupling.h)
//
// Thread safety: immutable after construction; per-thread scratch only.
#ifndef INFERD_SKLEARN_SVM_SVC_MODEL_H_
#define INFERD_SKLEARN_SVM_SVC_MODEL_H_

#include <string>
#include <vector>

#include "inferd/model.h"
#include "sklearn/svm/libsvm_kernel.h"

namespace inferd::sklearn {

struct SvcParams {
  std::vector<Label> classes;     // K >= 2
  std::vector<size_t> n_support;  // K entries, sum == kernel.n_sv()
  std::vector<double> dual_coef;  // (K-1) x n_sv, row-major (libsvm sign, `_dual_coef_`)
  std::vector<double> intercept;  // K(K-1)/2 (`_intercept_`)
  std::vector<double> prob_a;     // K(K-1)/2, or empty when probability=False
  std::vector<double> prob_b;     // same length as prob_a
  bool ovo_shape = false;         // decision_function_shape == 'ovo'
  bool break_ties = false;
};

class SvcModel final : public Model {
 public:
  // REQUIRES: the shapes documented in SvcParams hold (the adapter validates them).
  SvcModel(std::string name, LibsvmKernel kernel, SvcParams params);

  ModelKind kind() const override { return ModelKind::kClassifier; }
  size_t n_features() const override { return kernel_.n_features(); }
  size_t n_outputs() const override { return p_.classes.size(); }
  const std::vector<Label>& classes() const override { return p_.classes; }
  bool has_proba() const override { return !p_.prob_a.empty(); }
  size_t decision_function_width() const override;
  std::string Describe() const override;
  Status PredictClass(const double* x, size_t n_rows, int32_t* out) const override;
  Status PredictProba(const double* x, size_t n_rows, double* out) const override;
  Status DecisionFunction(const double* x, size_t n_rows, double* out) const override;

 private:
  // libsvm's pairwise decision values for one row (n_pairs_ values).
  void PairwiseDecisions(const double* row, double* dec) const;
  // sklearn's _ovr_decision_function(dec < 0, -dec, K) for one row (K values).
  void OvrDecision(const double* dec, double* out) const;

  const std::string name_;
  const LibsvmKernel kernel_;
  const SvcParams p_;
  const size_t n_pairs_;
  std::vector<size_t> start_;  // first support vector of each class
};

}  // namespace inferd::sklearn

#endif  // INFERD_SKLEARN_SVM_SVC_MODEL_H_
