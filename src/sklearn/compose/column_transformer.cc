#include "sklearn/compose/column_transformer.h"

#include <utility>

namespace inferd::sklearn {

size_t ColumnPartsWidth(const std::vector<ColumnPart>& parts) {
  size_t w = 0;
  for (const auto& p : parts) w += p.width();
  return w;
}

bool ColumnPartsAccept(const std::vector<ColumnPart>& parts) {
  for (const auto& p : parts) {
    if (p.model && !p.model->accepts_missing()) return false;
  }
  return true;
}

bool ColumnPartsRemove(const std::vector<ColumnPart>& parts) {
  for (const auto& p : parts) {
    if (!p.model || !OutputFreeOfMissing(*p.model)) return false;
  }
  return true;
}

ColumnTransformerModel::ColumnTransformerModel(size_t n_features, std::vector<ColumnPart> parts)
    : TransformerModel(n_features, ColumnPartsWidth(parts), ColumnPartsAccept(parts), ColumnPartsRemove(parts)),
      parts_(std::move(parts)) {}

std::string ColumnTransformerModel::Describe() const {
  std::string s = "ColumnTransformer(";
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (i) s += ", ";
    s += parts_[i].name + "=" + (parts_[i].model ? parts_[i].model->Describe() : std::string("passthrough"));
  }
  return s + ")";
}

Status ColumnTransformerModel::Transform(const double* x, size_t n_rows, double* out) const {
  const size_t nin = n_features(), nout = n_outputs();
  std::vector<double> in, res;
  size_t offset = 0;
  for (const ColumnPart& p : parts_) {
    const size_t nc = p.columns.size(), w = p.width();
    in.resize(n_rows * nc);
    for (size_t r = 0; r < n_rows; ++r) {
      for (size_t j = 0; j < nc; ++j) in[r * nc + j] = x[r * nin + p.columns[j]];
    }
    const double* src = in.data();
    if (p.model) {
      res.resize(n_rows * w);
      Status s = p.model->Transform(in.data(), n_rows, res.data());
      if (!s.ok()) return Status(s.code(), "ColumnTransformer: '" + p.name + "': " + s.message());
      src = res.data();
    }
    for (size_t r = 0; r < n_rows; ++r) {
      for (size_t j = 0; j < w; ++j) {
        const double v = src[r * w + j];
        out[r * nout + offset + j] = p.weighted ? v * p.weight : v;
      }
    }
    offset += w;
  }
  return Status::Ok();
}

}  // namespace inferd::sklearn
