// Finding a table's columns by name, and quoting its values in messages: the small pieces the
// table code (nnzero/data/table.h) shares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "nnzero/io/csv.h"

namespace nnzero {

// Spaces and tabs around a header name or a value do not count.
std::string_view trim_blanks(std::string_view s);

// `s` in double quotes for a message, with control bytes (a NUL would end the message where
// it is printed) written as \xNN and anything past 200 bytes cut to "...".
std::string in_quotes(std::string_view s);

// The columns of a CSV header by (trimmed) name: one hash lookup per name, so that a table
// of 100,000 columns is not searched column by column. Throws an Error naming the file and
// both positions when two columns share a name. It refers to the header's strings: keep the
// CsvTable alive while the index is used.
class ColumnIndex {
 public:
  explicit ColumnIndex(const CsvTable& csv);
  // The column called `name` (from 0), or -1.
  int64_t find(std::string_view name) const;

 private:
  std::unordered_map<std::string_view, int64_t> index_;
};

// Field `column` of data row `row`, without the spaces and tabs around it.
std::string_view trimmed_field(const CsvTable& csv, int64_t row, int64_t column);

// "file:line: column "x": " for messages about one field of data row `row`.
std::string field_at(const CsvTable& csv, int64_t row, std::string_view column);

// The file's column names, quoted, for messages: "a", "b", "y" (the first 50, then a count).
std::string columns_list(const CsvTable& csv);

}  // namespace nnzero
