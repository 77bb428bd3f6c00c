// RFC 4180 records of a text, one at a time: quoted fields may hold commas, quotes as "" and
// line breaks; lines end in CRLF or LF; a leading UTF-8 byte order mark is skipped; blank lines
// are skipped, as pandas.read_csv does. Shared by MLflow's text/csv and `inferd predict`.
//
// Untrusted input: every index is checked against the text; a cell is at most the text's size.
// Thread safety: one reader per text; the text must outlive it.
#ifndef INFERD_JSON_CSV_READER_H_
#define INFERD_JSON_CSV_READER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "inferd/status.h"

namespace inferd {

class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // a UTF-8 byte order mark
  }

  // The next record's cells into cells[0, *n) (the vector only grows, keeping its strings'
  // capacity); *more is false at the end of the text.
  Status Next(std::vector<std::string>* cells, size_t* n, bool* more);

  // The line the last record started on (1-based).
  size_t record_line() const { return record_line_; }

 private:
  // REQUIRES: text_[pos_] is '\r' or '\n'.
  void EndLine();

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 1;
};

}  // namespace inferd

#endif  // INFERD_JSON_CSV_READER_H_
