#include "inferd/input_schema.h"

#include <algorithm>

namespace inferd {

double StringCode(std::string_view s) {
  // FNV-1a, then a 64-bit finaliser (splitmix64's) so that short strings spread over all
  // bits before the top 12 are dropped.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return static_cast<double>(h >> 12);
}

const char* InputTypeName(InputColumn::Type type) {
  switch (type) {
    case InputColumn::Type::kNumber: return "number";
    case InputColumn::Type::kString: return "string";
    case InputColumn::Type::kAny: return "any";
  }
  return "unknown";
}

InputSchema::InputSchema(std::vector<InputColumn> columns, bool named) : columns_(std::move(columns)), named_(named) {
  by_name_.resize(columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) by_name_[i] = static_cast<uint32_t>(i);
  std::stable_sort(by_name_.begin(), by_name_.end(),
                   [this](uint32_t a, uint32_t b) { return columns_[a].name < columns_[b].name; });
  codes_.resize(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    InputColumn& col = columns_[c];
    if (col.type != InputColumn::Type::kString) continue;
    has_strings_ = true;
    std::sort(col.categories.begin(), col.categories.end());
    col.categories.erase(std::unique(col.categories.begin(), col.categories.end()), col.categories.end());
    auto& codes = codes_[c];
    for (size_t k = 0; k < col.categories.size(); ++k) {
      codes.emplace_back(StringCode(col.categories[k]), static_cast<uint32_t>(k));
    }
    std::sort(codes.begin(), codes.end());
  }
}

long InputSchema::Find(std::string_view name) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [this](uint32_t i, std::string_view n) { return columns_[i].name < n; });
  if (it == by_name_.end() || columns_[*it].name != name) return -1;
  return static_cast<long>(*it);
}

double InputSchema::EncodeString(size_t col, std::string_view s) const {
  if (col >= codes_.size()) return kUnknownStringCode;
  const double code = StringCode(s);
  const auto& codes = codes_[col];
  auto it = std::lower_bound(codes.begin(), codes.end(), std::make_pair(code, uint32_t{0}));
  // Equal codes of different strings are possible in principle; the text decides.
  for (; it != codes.end() && it->first == code; ++it) {
    if (columns_[col].categories[it->second] == s) return code;
  }
  return kUnknownStringCode;
}

const std::string* InputSchema::Decode(size_t col, double code) const {
  if (col >= codes_.size() || !(code >= 0)) return nullptr;
  const auto& codes = codes_[col];
  auto it = std::lower_bound(codes.begin(), codes.end(), std::make_pair(code, uint32_t{0}));
  if (it == codes.end() || it->first != code) return nullptr;
  return &columns_[col].categories[it->second];
}

}  // namespace inferd
