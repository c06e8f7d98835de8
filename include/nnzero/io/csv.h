// CSV files as spreadsheets and pandas write them (RFC 4180): a header row of column names,
// then one record per line, fields separated by commas. A field in double quotes may hold
// commas, line breaks and quotes written twice (""). Lines may end in LF, CRLF or CR; a UTF-8
// byte-order mark before the header is skipped; blank lines are skipped. The text must be
// UTF-8 without NUL bytes. Fields are kept as written (no trimming, no type guessing): the
// table layer (nnzero/data/table.h) decides what they mean.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nnzero {

struct CsvTable {
  std::string name;                            // the file, for messages
  std::vector<std::string> header;             // column names, in order
  std::vector<std::vector<std::string>> rows;  // fields of each record (maybe ragged)
  std::vector<int64_t> lines;                  // the line (from 1) each record starts on

  int64_t num_rows() const { return static_cast<int64_t>(rows.size()); }
  // "file:line" of data row `row` (from 0), for messages.
  std::string where(int64_t row) const;
};

// Parses CSV text; `name` prefixes error messages. Throws an Error naming the line for an
// empty text (no header), for a quoted field that never ends or that is followed by
// something other than a comma or the end of the line, and (with the column) for a field
// holding a NUL byte or bytes that are not UTF-8. Records may have any number of
// fields: check_rectangular() rejects ragged ones.
CsvTable parse_csv(std::string_view text, const std::string& name = "csv");
// Reads and parses a file (gzip-compressed files too).
CsvTable read_csv(const std::string& path);

// Throws an Error naming the file, the line and the first missing or extra column unless
// every record has as many fields as the header.
void check_rectangular(const CsvTable& table);
// Why data row `row` (from 0) does not fit the header ("" if it does).
std::string ragged_problem(const CsvTable& table, int64_t row);

// True when `path` ends in ".csv" or ".csv.gz" (any letter case).
bool has_csv_extension(const std::string& path);
// "dir/iris.csv" -> "dir/iris" (".csv", ".csv.gz", any case; other names unchanged).
std::string strip_csv_extension(const std::string& path);

// One field as CSV text: quoted (with "" escapes) when it holds a comma, a quote, a line
// break or leading/trailing spaces.
std::string csv_field(std::string_view field);
// A record as one CSV line (ending in '\n').
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace nnzero
