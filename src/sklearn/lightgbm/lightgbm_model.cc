#include "sklearn/lightgbm/lightgbm_model.h"

#include <algorithm>
#include <utility>

namespace inferd::sklearn {
namespace {

// LightGBM names the columns of an unnamed matrix Column_0, Column_1, ...
bool MadeUpNames(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != "Column_" + std::to_string(i)) return false;
  }
  return true;
}

// Booster.predict's outputs for the rows, in a per-thread buffer valid until the next call on
// this thread (no allocation per request once grown).
const double* Outputs(const LgbBooster& b, const double* x, size_t n_rows) {
  thread_local std::vector<double> v;
  v.resize(n_rows * b.n_groups());
  b.Predict(x, n_rows, v.data());
  return v.data();
}

}  // namespace

StatusOr<std::unique_ptr<LightGBMModel>> LightGBMModel::Load(std::string_view text, LgbOptions options) {
  INFERD_ASSIGN_OR_RETURN(LgbDocument doc, ReadLgbDocument(text));
  INFERD_ASSIGN_OR_RETURN(LgbBooster booster, LgbBooster::Build(doc, options.best_iteration));
  std::unique_ptr<LightGBMModel> m(new LightGBMModel(std::move(booster)));
  const size_t n = doc.n_features();

  // pandas categories: the k-th list belongs to the k-th categorical feature.
  if (!doc.pandas_categorical.empty()) {
    m->string_categories_.resize(n);
    if (doc.pandas_categorical.size() != doc.categorical_features.size()) {
      return Status::Unimplemented(
          "lightgbm model: pandas_categorical has " + std::to_string(doc.pandas_categorical.size()) +
          " category lists but the parameters list " + std::to_string(doc.categorical_features.size()) +
          " categorical features, so which columns were pandas categories is not known");
    }
    std::vector<std::vector<std::pair<double, double>>> maps(n);
    for (size_t k = 0; k < doc.pandas_categorical.size(); ++k) {
      const auto f = static_cast<size_t>(doc.categorical_features[k]);
      if (f >= n) {
        return Status::InvalidArgument("lightgbm model: categorical_feature " + std::to_string(f) +
                                       " is outside the model's " + std::to_string(n) + " features");
      }
      const auto& cats = doc.pandas_categorical[k];
      const bool strings = !cats.empty() && cats.front().is_string;
      for (size_t c = 0; c < cats.size(); ++c) {
        if (cats[c].is_string != strings) {
          return Status::Unimplemented("lightgbm model: pandas_categorical list " + std::to_string(k) +
                                       " mixes strings and numbers");
        }
        const double key = strings ? StringCode(cats[c].s) : cats[c].number;
        maps[f].emplace_back(key, static_cast<double>(c));
        if (strings) m->string_categories_[f].push_back(cats[c].s);
      }
      std::sort(maps[f].begin(), maps[f].end());
      for (size_t i = 1; i < maps[f].size(); ++i) {
        if (maps[f][i].first == maps[f][i - 1].first) {
          return Status::InvalidArgument("lightgbm model: pandas_categorical list " + std::to_string(k) +
                                         " repeats a category");
        }
      }
    }
    m->booster_.SetCategoryMaps(std::move(maps));
  }

  const LgbBooster& b = m->booster_;
  const LgbObjective& obj = b.objective();
  const bool classifier =
      options.role == LgbRole::kClassifier || (options.role == LgbRole::kBooster && obj.classification);
  if (classifier) {
    if (!obj.classification) {
      return Status::Unimplemented("lightgbm classifier with objective '" + obj.name +
                                   "' is not supported (binary, multiclass and multiclassova are)");
    }
    const size_t k = b.n_groups() == 1 ? 2 : b.n_groups();
    if (options.classes.empty()) {
      for (size_t c = 0; c < k; ++c) options.classes.push_back(Label::Int(static_cast<int64_t>(c)));
    }
    if (options.classes.size() != k) {
      return Status::InvalidArgument("lightgbm model has " + std::to_string(k) + " classes but classes_ has " +
                                     std::to_string(options.classes.size()));
    }
    m->classes_ = std::move(options.classes);
  }
  if (!MadeUpNames(doc.feature_names)) {
    std::vector<std::string> sorted = doc.feature_names;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) {
      std::vector<InputColumn> columns(n);
      for (size_t i = 0; i < n; ++i) {
        columns[i].name = doc.feature_names[i];
        columns[i].accepts_missing = true;
        if (i < m->string_categories_.size() && !m->string_categories_[i].empty()) {
          columns[i].type = InputColumn::Type::kString;
          columns[i].categories = m->string_categories_[i];
          std::sort(columns[i].categories.begin(), columns[i].categories.end());
        }
      }
      m->schema_ = InputSchema(std::move(columns), true);
    }
  }
  const std::string boosting = doc.boosting.empty() ? std::string("gbdt") : doc.boosting;
  m->description_ = options.name + "[" + (obj.name.empty() ? std::string("no objective") : obj.name) + ", " + boosting +
                    ", " + std::to_string(b.iterations() * static_cast<int64_t>(b.n_groups())) + " trees, " +
                    std::to_string(n) + " features]";
  return m;
}

void LightGBMModel::DescribeInputs(std::span<ColumnFacts> facts) const {
  for (size_t f = 0; f < facts.size() && f < string_categories_.size(); ++f) {
    if (string_categories_[f].empty()) continue;
    facts[f].type = InputColumn::Type::kString;
    facts[f].categories = string_categories_[f];
    facts[f].unknown_is_error = false;
  }
}

Status LightGBMModel::PredictValue(const double* x, size_t n_rows, double* out) const {
  if (!classes_.empty()) return Model::PredictValue(x, n_rows, out);
  booster_.Predict(x, n_rows, out);
  return Status::Ok();
}

Status LightGBMModel::RawScore(const double* x, size_t n_rows, double* out) const {
  booster_.RawScores(x, n_rows, out);
  return Status::Ok();
}

Status LightGBMModel::PredictProba(const double* x, size_t n_rows, double* out) const {
  if (classes_.empty()) return Model::PredictProba(x, n_rows, out);
  if (booster_.n_groups() == 1) {
    const double* p = Outputs(booster_, x, n_rows);
    for (size_t r = 0; r < n_rows; ++r) {
      out[r * 2] = 1.0 - p[r];
      out[r * 2 + 1] = p[r];
    }
    return Status::Ok();
  }
  booster_.Predict(x, n_rows, out);
  return Status::Ok();
}

Status LightGBMModel::PredictClass(const double* x, size_t n_rows, int32_t* out) const {
  if (classes_.empty()) return Model::PredictClass(x, n_rows, out);
  const double* p = Outputs(booster_, x, n_rows);
  const size_t k = booster_.n_groups();
  for (size_t r = 0; r < n_rows; ++r) {
    if (k == 1) {
      out[r] = p[r] > 1.0 - p[r] ? 1 : 0;  // argmax of [1 - p, p], the first on a tie
    } else {
      const double* row = p + r * k;
      out[r] = static_cast<int32_t>(std::max_element(row, row + k) - row);
    }
  }
  return Status::Ok();
}

Status LightGBMModel::Contributions(const double* x, size_t n_rows, double* out) const {
  if (!booster_.explainable()) return Model::Contributions(x, n_rows, out);
  booster_.Contributions(x, n_rows, out);
  return Status::Ok();
}

}  // namespace inferd::sklearn
