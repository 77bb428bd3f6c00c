#include "json/csv_reader.h"

namespace inferd {

Status CsvReader::Next(std::vector<std::string>* cells, size_t* n, bool* more) {
  const size_t size = text_.size();
  while (pos_ < size && (text_[pos_] == '\n' || text_[pos_] == '\r')) EndLine();
  *more = pos_ < size;
  *n = 0;
  if (!*more) return Status::Ok();
  record_line_ = line_;
  for (;;) {
    if (*n == cells->size()) cells->emplace_back();
    std::string& cell = (*cells)[(*n)++];
    cell.clear();
    if (pos_ < size && text_[pos_] == '"') {
      const size_t opened = line_;
      ++pos_;
      for (;;) {
        if (pos_ >= size) {
          return Status::InvalidArgument("malformed CSV: the quoted field opened on line " + std::to_string(opened) +
                                         " is not closed");
        }
        const char ch = text_[pos_++];
        if (ch == '"') {
          if (pos_ < size && text_[pos_] == '"') {
            cell += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (ch == '\n') ++line_;
        cell += ch;
      }
      if (pos_ < size && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
        return Status::InvalidArgument("malformed CSV: text after a closing quote on line " + std::to_string(line_));
      }
    } else {
      size_t end = text_.find_first_of(",\r\n", pos_);
      if (end == std::string_view::npos) end = size;
      cell.assign(text_.substr(pos_, end - pos_));
      pos_ = end;
    }
    if (pos_ >= size) return Status::Ok();
    if (text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    EndLine();
    return Status::Ok();
  }
}

void CsvReader::EndLine() {
  if (text_[pos_++] == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
  ++line_;
}

}  // namespace inferd
