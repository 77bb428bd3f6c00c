#include "sklearn/preprocessing/categories.h"

#include <algorithm>
#include <cmath>

#include "common/json_number.h"
#include "inferd/input_schema.h"

namespace inferd::sklearn {

StatusOr<CategoryList> CategoryList::Create(std::vector<double> values, std::vector<std::string> texts, bool has_nan) {
  if (!texts.empty() && texts.size() != values.size()) {
    return Status::InvalidArgument("category texts do not match the categories");
  }
  CategoryList c;
  c.sorted_.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) return Status::InvalidArgument("NaN must be the last category");
    if (texts.empty() && i > 0 && !(values[i - 1] < values[i])) {
      return Status::InvalidArgument("the categories are not sorted and unique");
    }
    c.sorted_.emplace_back(values[i], static_cast<uint32_t>(i));
  }
  std::sort(c.sorted_.begin(), c.sorted_.end());
  for (size_t i = 1; i < c.sorted_.size(); ++i) {
    if (c.sorted_[i - 1].first == c.sorted_[i].first) {
      const std::string& a = texts.empty() ? std::string() : texts[c.sorted_[i - 1].second];
      const std::string& b = texts.empty() ? std::string() : texts[c.sorted_[i].second];
      return Status::InvalidArgument("categories '" + a.substr(0, 40) + "' and '" + b.substr(0, 40) +
                                     "' have the same string code");
    }
  }
  c.values_ = std::move(values);
  c.texts_ = std::move(texts);
  c.has_nan_ = has_nan;
  return c;
}

long CategoryList::Find(double v) const {
  if (std::isnan(v)) return has_nan_ ? static_cast<long>(values_.size()) : -1;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), v,
                             [](const std::pair<double, uint32_t>& e, double x) { return e.first < x; });
  if (it == sorted_.end() || it->first != v) return -1;
  return static_cast<long>(it->second);
}

std::vector<std::string> CategoryList::StringCategories() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < texts_.size(); ++i) {
    if (values_[i] != kNoneCode) out.push_back(texts_[i]);
  }
  return out;
}

std::string CategoryList::DescribeUnknown(double v) const {
  if (strings()) {
    if (v == kNoneCode) return "unknown category None";
    if (std::isnan(v)) return "unknown category nan";
    return "a string it does not know";
  }
  std::string m = "unknown category ";
  AppendPythonFloat(v, &m);
  return m;
}

}  // namespace inferd::sklearn
