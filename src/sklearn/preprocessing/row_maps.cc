#include "sklearn/preprocessing/row_maps.h"

#include <cmath>
#include <limits>
#include <utility>

#include "sklearn/numeric.h"

namespace inferd::sklearn {

std::string NormalizerModel::Describe() const {
  return std::string("Normalizer[") + (norm_ == Norm::kL1 ? "l1" : norm_ == Norm::kL2 ? "l2" : "max") + "]";
}

Status NormalizerModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t n = n_features();
  std::vector<double> tmp(n);
  for (size_t r = 0; r < n_rows; ++r) {
    const double* row = x + r * n;
    double norm = 0.0;
    switch (norm_) {
      case Norm::kL1:
        for (size_t j = 0; j < n; ++j) tmp[j] = std::fabs(row[j]);
        norm = NumpySum(tmp.data(), n);
        break;
      case Norm::kL2:
        for (size_t j = 0; j < n; ++j) tmp[j] = row[j] * row[j];
        norm = std::sqrt(NumpySum(tmp.data(), n));
        break;
      case Norm::kMax:
        for (size_t j = 0; j < n; ++j) norm = std::max(norm, std::fabs(row[j]));
        break;
    }
    if (norm < 10 * std::numeric_limits<double>::epsilon()) norm = 1.0;
    for (size_t j = 0; j < n; ++j) out[r * n + j] = row[j] / norm;
  }
  return Status::Ok();
}

namespace {

// Runs sklearn's column recurrence (PolynomialFeatures.transform, dense branch). With
// `xp` == nullptr only counts; returns the full width, or 0 if it would exceed `limit`.
size_t Expand(const double* x, size_t n, size_t max_degree, bool interaction_only, bool include_bias, double* xp,
              size_t limit) {
  size_t cur = 0;
  if (include_bias) {
    if (xp) xp[0] = 1.0;
    cur = 1;
  }
  if (max_degree == 0) return cur;
  if (cur + n > limit) return 0;
  if (xp) {
    for (size_t j = 0; j < n; ++j) xp[cur + j] = x[j];
  }
  std::vector<size_t> index;
  for (size_t j = 0; j <= n; ++j) index.push_back(cur + j);
  cur += n;
  for (size_t d = 2; d <= max_degree; ++d) {
    std::vector<size_t> next_index;
    const size_t end = index.back();
    for (size_t f = 0; f < n && f + 1 < index.size(); ++f) {
      size_t start = index[f];
      next_index.push_back(cur);
      if (interaction_only) start += index[f + 1] - index[f];
      if (start >= end) break;  // next_col <= current_col
      const size_t len = end - start;
      if (cur + len > limit) return 0;
      if (xp) {
        for (size_t t = 0; t < len; ++t) xp[cur + t] = xp[start + t] * x[f];
      }
      cur += len;
    }
    next_index.push_back(cur);
    index = std::move(next_index);
  }
  return cur;
}

}  // namespace

StatusOr<size_t> PolynomialFeaturesModel::OutputWidth(size_t n_in, size_t min_degree, size_t max_degree,
                                                      bool interaction_only, bool include_bias, size_t limit) {
  if (max_degree > 1000 || min_degree > max_degree) return Status::InvalidArgument("bad degree");
  const size_t full = Expand(nullptr, n_in, max_degree, interaction_only, include_bias, nullptr, limit);
  if (full == 0 && (include_bias || max_degree > 0)) {
    return Status::ResourceExhausted("PolynomialFeatures: more than " + std::to_string(limit) + " output columns");
  }
  if (min_degree <= 1) return full;
  const size_t low = Expand(nullptr, n_in, min_degree - 1, interaction_only, /*include_bias=*/false, nullptr, limit);
  return full - low;
}

PolynomialFeaturesModel::PolynomialFeaturesModel(size_t n_in, size_t min_degree, size_t max_degree,
                                                 bool interaction_only, bool include_bias, size_t n_out)
    : TransformerModel(n_in, n_out, false, true),
      min_degree_(min_degree),
      max_degree_(max_degree),
      interaction_only_(interaction_only),
      include_bias_(include_bias) {
  n_full_ =
      Expand(nullptr, n_in, max_degree, interaction_only, include_bias, nullptr, std::numeric_limits<size_t>::max());
}

std::vector<std::string> PolynomialFeaturesModel::OutputNames(std::span<const std::string> input_names) const {
  // sklearn's powers_ order: the bias (the empty combination), then for each degree the
  // combinations (with replacement unless interaction_only) of column indices in
  // lexicographic order.
  const size_t n = input_names.size();
  std::vector<std::string> full;
  if (include_bias_) full.push_back("1");
  std::vector<size_t> c;
  for (size_t d = 1; d <= max_degree_ && full.size() <= n_full_; ++d) {
    if (interaction_only_ && d > n) break;
    c.assign(d, 0);
    if (interaction_only_) {
      for (size_t i = 0; i < d; ++i) c[i] = i;
    }
    while (full.size() <= n_full_) {
      std::string name;
      for (size_t i = 0; i < d;) {
        size_t k = i;
        while (k < d && c[k] == c[i]) ++k;
        if (!name.empty()) name += ' ';
        name += input_names[c[i]];
        if (k - i > 1) name += "^" + std::to_string(k - i);
        i = k;
      }
      full.push_back(std::move(name));
      // Next combination: the rightmost index that can grow grows, the ones after it follow.
      size_t i = d;
      while (i > 0 && c[i - 1] == (interaction_only_ ? n - d + (i - 1) : n - 1)) --i;
      if (i == 0) break;
      ++c[i - 1];
      for (size_t j = i; j < d; ++j) c[j] = interaction_only_ ? c[j - 1] + 1 : c[i - 1];
    }
  }
  if (full.size() != n_full_) return {};
  const size_t nout = n_outputs();
  if (min_degree_ <= 1) return full;
  std::vector<std::string> out;
  if (include_bias_) out.push_back("1");
  for (size_t j = out.size(); j < nout; ++j) out.push_back(full[n_full_ - nout + j]);
  return out;
}

std::string PolynomialFeaturesModel::Describe() const {
  return "PolynomialFeatures[degree " + std::to_string(max_degree_) + (interaction_only_ ? ", interaction_only" : "") +
         "]";
}

Status PolynomialFeaturesModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t nin = n_features(), nout = n_outputs();
  std::vector<double> xp(n_full_);
  for (size_t r = 0; r < n_rows; ++r) {
    Expand(x + r * nin, nin, max_degree_, interaction_only_, include_bias_, xp.data(),
           std::numeric_limits<size_t>::max());
    double* o = out + r * nout;
    if (min_degree_ <= 1) {
      for (size_t j = 0; j < nout; ++j) o[j] = xp[j];
    } else if (include_bias_) {
      o[0] = 1.0;
      for (size_t j = 1; j < nout; ++j) o[j] = xp[n_full_ - nout + j];
    } else {
      for (size_t j = 0; j < nout; ++j) o[j] = xp[n_full_ - nout + j];
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
