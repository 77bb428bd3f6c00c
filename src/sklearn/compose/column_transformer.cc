#include "sklearn/compose/column_transformer.h"

#include <algorithm>
#include <string>
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

ColumnTransformerModel::ColumnTransformerModel(size_t n_features, std::vector<ColumnPart> parts, bool verbose_names)
    : TransformerModel(n_features, ColumnPartsWidth(parts), ColumnPartsAccept(parts), ColumnPartsRemove(parts)),
      parts_(std::move(parts)),
      verbose_names_(verbose_names) {
  for (const ColumnPart& p : parts_) {
    const auto* through = p.model ? dynamic_cast<const PassesColumnsThrough*>(p.model.get()) : nullptr;
    if (p.model == nullptr && !p.weighted) {
      for (size_t c : p.columns) passed_through_.push_back(static_cast<long>(c));
    } else if (through != nullptr && !p.weighted && through->passed_through().size() == p.width()) {
      for (long j : through->passed_through()) {
        passed_through_.push_back(j >= 0 && static_cast<size_t>(j) < p.columns.size()
                                      ? static_cast<long>(p.columns[static_cast<size_t>(j)])
                                      : -1);
      }
    } else {
      passed_through_.resize(passed_through_.size() + p.width(), -1);
    }
  }
}

void ColumnTransformerModel::DescribeInputs(std::span<ColumnFacts> facts) const {
  std::vector<bool> read(facts.size(), false);
  for (const ColumnPart& p : parts_) {
    std::vector<ColumnFacts> part_facts(p.columns.size());
    if (p.model) DescribeInto(*p.model, part_facts);
    for (size_t j = 0; j < p.columns.size(); ++j) {
      const size_t c = p.columns[j];
      if (c >= facts.size()) continue;
      if (!read[c]) {
        facts[c] = std::move(part_facts[j]);
        read[c] = true;
      } else {
        facts[c].Merge(part_facts[j]);
      }
    }
  }
  for (size_t c = 0; c < facts.size(); ++c) {
    if (!read[c]) facts[c] = ColumnFacts{InputColumn::Type::kAny, {}, false};
  }
}

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

std::vector<std::string> ColumnTransformerModel::OutputNames(std::span<const std::string> input_names) const {
  std::vector<std::string> names;
  for (const ColumnPart& p : parts_) {
    if (p.unnamed) return {};
    std::vector<std::string> selected;
    for (size_t c : p.columns) selected.push_back(input_names[c]);
    std::vector<std::string> local = p.model ? OutputNamesOf(*p.model, selected) : std::move(selected);
    if (local.size() != p.width()) return {};
    for (std::string& n : local) names.push_back(verbose_names_ ? p.name + "__" + n : std::move(n));
  }
  if (!verbose_names_) {
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return {};
  }
  return names;
}

std::vector<long> ColumnTransformerModel::output_sources() const {
  std::vector<long> out;
  for (const ColumnPart& p : parts_) {
    const std::vector<long> local = p.model ? OutputSourcesOf(*p.model) : IdentitySources(p.columns.size());
    for (long l : local) {
      out.push_back(l < 0 || static_cast<size_t>(l) >= p.columns.size()
                        ? kMixedColumns
                        : static_cast<long>(p.columns[static_cast<size_t>(l)]));
    }
  }
  return out;
}

}  // namespace inferd::sklearn
