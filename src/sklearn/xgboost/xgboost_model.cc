#include "sklearn/xgboost/xgboost_model.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "sklearn/numeric.h"
#include "sklearn/state.h"
#include "sklearn/xgboost/xgboost_document.h"

namespace inferd::sklearn {
namespace {

// libxgboost's last error, first line only (the contract is one-line messages).
std::string LastError() {
  std::string m = XGBGetLastError();
  const size_t nl = m.find('\n');
  if (nl != std::string::npos) m.resize(nl);
  return m;
}

}  // namespace

bool LooksLikeXGBoostModel(std::string_view bytes) { return !bytes.empty() && bytes[0] == '{'; }

XGBoostModel::~XGBoostModel() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

StatusOr<std::unique_ptr<XGBoostModel>> XGBoostModel::Load(std::string_view blob, XgbFormat format,
                                                           XgbOptions options) {
  if (blob.substr(0, 14) == "CONFIG-offset:") {
    return Status::Unimplemented(
        "xgboost < 1.4 binary snapshot (CONFIG-offset): load it with that xgboost and re-save it with xgboost >= 1.6");
  }
  if (!LooksLikeXGBoostModel(blob) || blob.size() < 2) {
    return Status::Unimplemented(
        "not an xgboost JSON/UBJSON model (legacy binary models are not supported; re-save "
        "with save_model('model.json'))");
  }
  // Every count, index and link is checked here; libxgboost then reads only the checked
  // model document (for a snapshot, its "Model" part, without the training "Config").
  INFERD_ASSIGN_OR_RETURN(
      XgbDocument doc,
      ReadXgbDocument(blob, format == XgbFormat::kSnapshot ? XgbDocumentForm::kSnapshot : XgbDocumentForm::kModelFile));
  if (doc.booster == "gblinear") {
    return Status::Unimplemented("xgboost gblinear boosters are not supported (gbtree and dart are)");
  }
  if (format == XgbFormat::kModelFile) {
    // Files saved by the sklearn wrapper record its type in the "scikit_learn" attribute.
    const std::string* meta = doc.attribute("scikit_learn");
    if (meta != nullptr && meta->find("\"regressor\"") != std::string::npos) options.force_regressor = true;
  }
  long best = options.best_iteration;
  if (best < 0) {
    if (const std::string* attr = doc.attribute("best_iteration")) best = std::strtol(attr->c_str(), nullptr, 10);
  }
  if (best >= 0 && best >= doc.rounds()) {
    return Status::InvalidArgument("xgboost best_iteration is " + std::to_string(best) + " but the model has " +
                                   std::to_string(doc.rounds()) + " boosting rounds");
  }

  std::unique_ptr<XGBoostModel> m(new XGBoostModel());
  BoosterHandle h = nullptr;
  if (XGBoosterCreate(nullptr, 0, &h) != 0) return Status::Internal("xgboost: " + LastError());
  m->handle_ = h;
  if (XGBoosterLoadModelFromBuffer(h, doc.model_bytes.data(), static_cast<bst_ulong>(doc.model_bytes.size())) != 0) {
    return Status::InvalidArgument("xgboost could not load the booster: " + LastError());
  }
  bst_ulong nf = 0;
  if (XGBoosterGetNumFeature(h, &nf) != 0) return Status::InvalidArgument("xgboost: " + LastError());
  if (static_cast<int64_t>(nf) != doc.num_feature) {
    return Status::Internal("xgboost reports " + std::to_string(nf) + " features, the model file " +
                            std::to_string(doc.num_feature));
  }
  m->n_features_ = static_cast<size_t>(nf);
  const std::string& objective = doc.objective;
  m->serialise_ = doc.booster != "gbtree";

  const long iteration_end = best >= 0 ? best + 1 : 0;
  std::string missing = "NaN";
  if (!std::isnan(options.missing)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", options.missing);
    missing = buf;
  }
  m->config_ =
      "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":" + std::to_string(iteration_end) +
      ",\"strict_shape\":true,\"cache_id\":0,\"missing\":" + missing + "}";

  // One prediction now: configures the learner before it is shared, and gives the width.
  std::vector<double> zeros(m->n_features_, 0.0);
  const float* values = nullptr;
  size_t width = 0;
  INFERD_RETURN_IF_ERROR(m->Raw(zeros.data(), 1, &values, &width));

  const bool classifier_objective = objective == "binary:logistic" || objective == "multi:softprob";
  if (!options.force_regressor && (classifier_objective || !options.classes.empty())) {
    if (!classifier_objective) {
      return Status::Unimplemented("xgboost classifier objective '" + objective +
                                   "' is not supported (binary:logistic and multi:softprob are)");
    }
    m->binary_ = objective == "binary:logistic";
    const size_t k = m->binary_ ? 2 : width;
    if ((m->binary_ && width != 1) || k < 2)
      return Status::InvalidArgument("xgboost classifier output has width " + std::to_string(width));
    if (options.classes.empty()) {
      for (size_t c = 0; c < k; ++c) options.classes.push_back(Label::Int(static_cast<int64_t>(c)));
    }
    if (options.classes.size() != k) {
      return Status::InvalidArgument("xgboost model has " + std::to_string(k) + " classes but classes_ has " +
                                     std::to_string(options.classes.size()));
    }
    m->classes_ = std::move(options.classes);
  } else if (width != 1) {
    return Status::Unimplemented("xgboost models with " + std::to_string(width) + " outputs per row are not supported");
  }
  m->description_ = options.name + "[" + (objective.empty() ? "?" : objective) + ", " + std::to_string(m->n_features_) +
                    " features" + (m->serialise_ ? ", serialised" : "") + "]";
  return m;
}

Status XGBoostModel::Raw(const double* x, size_t n_rows, const float** values, size_t* width) const {
  char iface[256];
  std::snprintf(iface, sizeof iface, "{\"data\":[%llu,true],\"shape\":[%llu,%llu],\"typestr\":\"<f8\",\"version\":3}",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(x)),
                static_cast<unsigned long long>(n_rows), static_cast<unsigned long long>(n_features_));
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
  if (serialise_) lock.lock();
  if (XGBoosterPredictFromDense(handle_, iface, config_.c_str(), nullptr, &shape, &dim, &result) != 0) {
    return Status::Internal("xgboost prediction failed: " + LastError());
  }
  if (dim != 2 || shape == nullptr || shape[0] != n_rows || shape[1] == 0) {
    return Status::Internal("xgboost returned an unexpected prediction shape");
  }
  *values = result;
  *width = static_cast<size_t>(shape[1]);
  return Status::Ok();
}

Status XGBoostModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  if (!classes_.empty()) return Model::PredictValue(x, n_rows, out);
  if (n_rows == 0) return Status::Ok();
  const float* v;
  size_t w;
  INFERD_RETURN_IF_ERROR(Raw(x, n_rows, &v, &w));
  if (w != 1) return Status::Internal("xgboost returned " + std::to_string(w) + " values per row");
  for (size_t r = 0; r < n_rows; ++r) out[r] = v[r];
  return Status::Ok();
}

Status XGBoostModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (classes_.empty()) return Model::PredictProba(x, n_rows, out);
  if (n_rows == 0) return Status::Ok();
  const float* v;
  size_t w;
  INFERD_RETURN_IF_ERROR(Raw(x, n_rows, &v, &w));
  const size_t k = classes_.size();
  if (w != (binary_ ? 1 : k)) return Status::Internal("xgboost returned " + std::to_string(w) + " values per row");
  for (size_t r = 0; r < n_rows; ++r) {
    if (binary_) {
      const float p = v[r];
      out[r * 2] = static_cast<double>(1.0f - p);  // the wrapper computes this in float32
      out[r * 2 + 1] = static_cast<double>(p);
    } else {
      for (size_t c = 0; c < k; ++c) out[r * k + c] = static_cast<double>(v[r * k + c]);
    }
  }
  return Status::Ok();
}

Status XGBoostModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  if (classes_.empty()) return Model::PredictClass(x, n_rows, out);
  if (n_rows == 0) return Status::Ok();
  const float* v;
  size_t w;
  INFERD_RETURN_IF_ERROR(Raw(x, n_rows, &v, &w));
  const size_t k = classes_.size();
  for (size_t r = 0; r < n_rows; ++r) {
    if (binary_) {
      out[r] = v[r] > 0.5f ? 1 : 0;
    } else {
      size_t best = 0;
      for (size_t c = 1; c < k; ++c) {
        if (v[r * k + c] > v[r * k + best]) best = c;
      }
      out[r] = static_cast<int32_t>(best);
    }
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
