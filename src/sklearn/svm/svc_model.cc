#include "sklearn/svm/svc_model.h"

#include <cmath>
#include <utility>

#include "sklearn/numeric.h"
#include "sklearn/svm/pairwise_coupling.h"

namespace inferd::sklearn {

SvcModel::SvcModel(std::string name, LibsvmKernel kernel, SvcParams params)
    : name_(std::move(name)),
      kernel_(std::move(kernel)),
      p_(std::move(params)),
      n_pairs_(p_.classes.size() * (p_.classes.size() - 1) / 2) {
  start_.resize(p_.classes.size());
  size_t s = 0;
  for (size_t i = 0; i < p_.classes.size(); ++i) {
    start_[i] = s;
    s += p_.n_support[i];
  }
}

size_t SvcModel::decision_function_width() const {
  const size_t k = p_.classes.size();
  if (k == 2) return 1;
  return p_.ovo_shape ? n_pairs_ : k;
}

std::string SvcModel::Describe() const {
  return name_ + "[" + LibsvmKernel::Name(kernel_.params().type) + ", " + std::to_string(p_.classes.size()) +
         " classes, " + std::to_string(kernel_.n_sv()) + " support vectors" + (has_proba() ? ", probability" : "") +
         "]";
}

void SvcModel::PairwiseDecisions(const double* row, double* dec) const {
  thread_local std::vector<double> kvalue;
  kvalue.resize(kernel_.n_sv());
  kernel_.Eval(row, kvalue.data());
  const size_t k = p_.classes.size();
  const size_t n_sv = kernel_.n_sv();
  size_t p = 0;
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = i + 1; j < k; ++j, ++p) {
      const double* coef1 = p_.dual_coef.data() + (j - 1) * n_sv;
      const double* coef2 = p_.dual_coef.data() + i * n_sv;
      double sum = 0;
      for (size_t s = start_[i], e = start_[i] + p_.n_support[i]; s < e; ++s) sum += coef1[s] * kvalue[s];
      for (size_t s = start_[j], e = start_[j] + p_.n_support[j]; s < e; ++s) sum += coef2[s] * kvalue[s];
      // libsvm subtracts rho = -intercept; x - (-c) is exactly x + c.
      sum -= -p_.intercept[p];
      dec[p] = sum;
    }
  }
}

void SvcModel::OvrDecision(const double* dec, double* out) const {
  const size_t k = p_.classes.size();
  thread_local std::vector<double> votes, conf;
  votes.assign(k, 0.0);
  conf.assign(k, 0.0);
  size_t p = 0;
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = i + 1; j < k; ++j, ++p) {
      const double c = -dec[p];
      conf[i] -= c;
      conf[j] += c;
      if (dec[p] < 0)
        votes[j] += 1;
      else
        votes[i] += 1;
    }
  }
  for (size_t c = 0; c < k; ++c) out[c] = votes[c] + conf[c] / (3 * (std::fabs(conf[c]) + 1));
}

Status SvcModel::DecisionFunction(const double* x, size_t n_rows, double* out) const {
  const size_t k = p_.classes.size();
  const size_t w = decision_function_width();
  thread_local std::vector<double> dec;
  dec.resize(n_pairs_);
  for (size_t r = 0; r < n_rows; ++r) {
    PairwiseDecisions(x + r * kernel_.n_features(), dec.data());
    double* o = out + r * w;
    if (k == 2) {
      o[0] = -dec[0];
    } else if (p_.ovo_shape) {
      for (size_t q = 0; q < n_pairs_; ++q) o[q] = dec[q];
    } else {
      OvrDecision(dec.data(), o);
    }
  }
  return Status::Ok();
}

Status SvcModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  const size_t k = p_.classes.size();
  thread_local std::vector<double> dec, ovr;
  thread_local std::vector<size_t> votes;
  dec.resize(n_pairs_);
  const bool by_ovr = p_.break_ties && !p_.ovo_shape && k > 2;
  for (size_t r = 0; r < n_rows; ++r) {
    PairwiseDecisions(x + r * kernel_.n_features(), dec.data());
    if (by_ovr) {
      ovr.resize(k);
      OvrDecision(dec.data(), ovr.data());
      out[r] = static_cast<int32_t>(ArgMax(ovr.data(), k));
      continue;
    }
    votes.assign(k, 0);
    size_t p = 0;
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = i + 1; j < k; ++j, ++p) {
        if (dec[p] > 0)
          ++votes[i];
        else
          ++votes[j];
      }
    }
    size_t best = 0;
    for (size_t i = 1; i < k; ++i) {
      if (votes[i] > votes[best]) best = i;
    }
    out[r] = static_cast<int32_t>(best);
  }
  return Status::Ok();
}

Status SvcModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (!has_proba()) return Model::PredictProba(x, n_rows, out);
  const size_t k = p_.classes.size();
  thread_local std::vector<double> dec, pairwise, scratch;
  dec.resize(n_pairs_);
  pairwise.assign(k * k, 0.0);
  scratch.resize(k * k + k);
  constexpr double kMinProb = 1e-7;
  for (size_t r = 0; r < n_rows; ++r) {
    PairwiseDecisions(x + r * kernel_.n_features(), dec.data());
    size_t p = 0;
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = i + 1; j < k; ++j, ++p) {
        // libsvm's min(max(v, lo), hi) with its own templates: a NaN becomes lo.
        double v = PlattSigmoid(dec[p], p_.prob_a[p], p_.prob_b[p]);
        v = v > kMinProb ? v : kMinProb;
        v = v < 1 - kMinProb ? v : 1 - kMinProb;
        pairwise[i * k + j] = v;
        pairwise[j * k + i] = 1 - v;
      }
    }
    MulticlassProbability(k, pairwise.data(), out + r * k, scratch.data());
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
