// The input schema the JSON fuzz targets decode against when the options byte asks for one:
// columns "a", "b", ... alternating number and string (string columns know "x" and "y"; every
// third one refuses unknown strings), and the check every decoded cell must pass.
#ifndef INFERD_JSON_FUZZ_FUZZ_SCHEMA_H_
#define INFERD_JSON_FUZZ_FUZZ_SCHEMA_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "inferd/input_schema.h"
#include "serving/inference.h"

namespace inferd::fuzz {

inline const InputSchema& FuzzSchema(size_t n) {
  static std::vector<InputSchema>* schemas = [] {
    auto* v = new std::vector<InputSchema>();
    for (size_t k = 0; k <= 16; ++k) {
      std::vector<InputColumn> cols(k);
      for (size_t c = 0; c < k; ++c) {
        cols[c].name = std::string(1, static_cast<char>('a' + c));
        if (c % 2 == 1) {
          cols[c].type = InputColumn::Type::kString;
          cols[c].categories = {"x", "y"};
          cols[c].unknown_is_error = c % 3 == 0;
        }
        cols[c].accepts_missing = c % 4 == 2;
      }
      v->emplace_back(std::move(cols), true);
    }
    return v;
  }();
  return (*schemas)[n];
}

// A decoded cell is a finite number or NaN (if allowed) in number columns, and a string code,
// kNoneCode, kUnknownStringCode (unless refused) or NaN in string columns.
inline bool CellOk(double v, size_t col, const InputSpec& o) {
  if (std::isinf(v)) return false;
  if (o.schema == nullptr || o.schema->columns()[col].type != InputColumn::Type::kString) {
    return !std::isnan(v) || o.allow_missing || (o.schema != nullptr && o.schema->columns()[col].accepts_missing);
  }
  if (std::isnan(v)) return o.allow_missing || o.schema->columns()[col].accepts_missing;
  if (v == kNoneCode) return true;
  if (v == kUnknownStringCode) return !o.schema->columns()[col].unknown_is_error;
  return v == StringCode("x") || v == StringCode("y");
}

// The options the first input byte picks: n_features 1 + (byte & width_mask), allow_missing
// (0x10), a small max_rows (0x20), the schema above (0x40), ignore_extra_columns (0x80).
inline InputSpec SpecFromByte(uint8_t b, uint8_t width_mask) {
  InputSpec o;
  o.n_features = 1 + (b & width_mask);
  o.allow_missing = (b & 0x10) != 0;
  o.max_rows = (b & 0x20) ? 3 : 10000;
  if (b & 0x40) o.schema = &FuzzSchema(o.n_features);
  o.ignore_extra_columns = (b & 0x80) != 0;
  return o;
}

// A decoded matrix: n_rows within 1..max_rows, n_rows * n_features cells, each CellOk.
inline void CheckMatrix(const std::vector<double>& x, size_t n_rows, const InputSpec& o) {
  if (n_rows == 0 || n_rows > o.max_rows) __builtin_trap();
  if (x.size() != n_rows * o.n_features) __builtin_trap();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!CellOk(x[i], i % o.n_features, o)) __builtin_trap();
  }
}

}  // namespace inferd::fuzz

#endif  // INFERD_JSON_FUZZ_FUZZ_SCHEMA_H_
