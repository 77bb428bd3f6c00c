// Reading a batch of input rows from a file for the offline CLI: a JSON array of rows
// (`[[1, 2], [3, 4]]`, also `{"instances": [...]}`) or CSV (numbers separated by commas,
// an optional non-numeric header line). Empty fields / `nan` in CSV and `null` in JSON become
// NaN (the caller decides whether the model accepts missing values).
#ifndef INFERD_CLI_ROWS_FILE_H_
#define INFERD_CLI_ROWS_FILE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "inferd/status.h"

namespace inferd::cli {

struct Rows {
  size_t n_rows = 0;
  size_t n_cols = 0;
  std::vector<double> values;  // row-major, n_rows * n_cols
};

// Detects the format from the first non-blank character ('[' or '{' -> JSON, else CSV).
// Errors name the row/column, e.g. "rows.json: row 3 has 5 values, row 0 has 4".
StatusOr<Rows> ReadRowsFile(const std::string& path);
StatusOr<Rows> ParseRows(const std::string& text, const std::string& name);

}  // namespace inferd::cli

#endif  // INFERD_CLI_ROWS_FILE_H_
