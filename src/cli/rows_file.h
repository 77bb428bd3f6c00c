// Reading a batch of input rows from a file for the offline CLI (`inferd predict --input`),
// decoded against the model's input columns (InputSpec::schema) with the cell rules of
// json/table_cells.h, so a file means what pandas makes of it (pandas.read_csv /
// pandas.DataFrame(records)).
//
// JSON (the first non-blank character is '[' or '{'):
//   [[22, 7.25, "male"], ...]                     rows in the model's column order
//   [{"age": 22, "sex": "male"}, ...]             records: every model column by name
//   {"columns": [...], "data": [[...], ...]}      pandas' orient="split" (other keys ignored)
//   {"instances": [...]}, {"dataframe_records": [...]}, {"dataframe_split": {...}}
// All rows of a file take one form (arrays or objects). A missing value is null (Python's
// json.dumps writes NaN as a bare word, which is not JSON and is refused as invalid JSON).
//
// CSV (anything else): RFC 4180 (fields separated by ',', records by LF or CRLF, "quoted"
// fields may hold commas, line breaks and "" for a quote); blank lines are skipped. An empty
// cell is a missing value. Spaces around a number are ignored (as pandas does); string cells
// are taken as written. The first record is a header when
//   1. one of its cells (spaces trimmed) is the name of a model column, or
//   2. some cell is not a number and the model's columns are named (feature_names_in_), or
//   3. some cell is not a number and the model has neither names nor string columns (an
//      arbitrary header line is then skipped and the rows are read in column order);
// otherwise it is the first data row and every row is in the model's column order. A header's
// names are matched to the model's columns (json/table_cells.h ColumnMapper): each model column
// exactly once, a name the model does not have is an error unless spec.ignore_extra_columns.
//
// Errors are InvalidArgument naming the file and where: "rows.csv: line 4 (row 2): column 'sex'
// has unknown category 'robot'", "rows.json: row 3: missing column 'age'".
#ifndef INFERD_CLI_ROWS_FILE_H_
#define INFERD_CLI_ROWS_FILE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "inferd/status.h"
#include "serving/inference.h"

namespace inferd::cli {

struct Rows {
  size_t n_rows = 0;
  size_t n_cols = 0;
  std::vector<double> values;  // row-major, n_rows * n_cols; string cells as codes
};

// Decodes `text` (named `name` in errors) for the model described by `spec`: every row gets
// spec.n_features values. A spec with n_features == 0 and no schema reads numbers only, the
// width taken from the first row (missing values allowed per spec.allow_missing).
StatusOr<Rows> ParseRows(const std::string& text, const std::string& name, const InputSpec& spec);
// ParseRows on the contents of the file at `path` (NotFound if it cannot be opened).
StatusOr<Rows> ReadRowsFile(const std::string& path, const InputSpec& spec);

}  // namespace inferd::cli

#endif  // INFERD_CLI_ROWS_FILE_H_
