#include "nnzero/io/csv.h"

#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace nnzero {

namespace {

// Reads records one at a time, counting lines so that errors can name them.
class CsvReader {
 public:
  CsvReader(std::string_view text, const std::string& name) : text_(text), name_(name) {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // UTF-8 byte-order mark
  }

  bool done() const { return pos_ >= text_.size(); }
  int64_t line() const { return line_; }

  // The next record's fields; `blank` is set for a line with nothing on it.
  std::vector<std::string> next(bool& blank) {
    std::vector<std::string> fields;
    bool any_quoted = false;
    for (;;) {
      std::string field;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        any_quoted = true;
        read_quoted(field, static_cast<int64_t>(fields.size()) + 1);
      } else {
        read_plain(field);
      }
      fields.push_back(std::move(field));
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      // End of the record: a line break (LF or CRLF; read_plain left it) or the end.
      if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '\n') {
        ++pos_;
        ++line_;
      }
      break;
    }
    blank = !any_quoted && fields.size() == 1 && fields[0].empty();
    return fields;
  }

 private:
  // An unquoted field: everything up to a comma or the end of the line. A CR right before
  // the LF belongs to the line break, not to the field.
  void read_plain(std::string& field) {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') ++pos_;
    const bool line_end = pos_ == text_.size() || text_[pos_] == '\n';
    if (line_end && pos_ > start && text_[pos_ - 1] == '\r') --pos_;  // next() skips the CR
    field.assign(text_.substr(start, pos_ - start));
  }

  // A quoted field: "" stands for one quote; commas and line breaks are part of the field.
  void read_quoted(std::string& field, int64_t column) {
    const int64_t start_line = line_;
    ++pos_;  // the opening quote
    for (;;) {
      if (pos_ >= text_.size()) {
        throw Error(name_ + ":" + std::to_string(start_line) + ": column " +
                    std::to_string(column) + ": the quoted field never ends (no closing \")");
      }
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;  // the closing quote
        break;
      }
      if (c == '\n') ++line_;
      field += c;
      ++pos_;
    }
    const bool at_end =
        pos_ >= text_.size() || text_[pos_] == ',' || text_[pos_] == '\n' ||
        (text_[pos_] == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'));
    if (!at_end) {
      std::string msg = name_ + ":" + std::to_string(line_) + ": column " + std::to_string(column);
      msg += ": unexpected '";
      msg += text_[pos_];
      msg += "' after a closing quote (a quote inside a quoted field is written \"\")";
      throw Error(msg);
    }
  }

  std::string_view text_;
  const std::string& name_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

}  // namespace

std::string CsvTable::where(int64_t row) const {
  std::string out = name;
  if (row >= 0 && row < static_cast<int64_t>(lines.size())) {
    out += ':';
    out += std::to_string(lines[static_cast<size_t>(row)]);
  }
  return out;
}

CsvTable parse_csv(std::string_view text, const std::string& name) {
  CsvTable table;
  table.name = name;
  CsvReader reader(text, name);
  bool have_header = false;
  while (!reader.done()) {
    const int64_t line = reader.line();
    bool blank = false;
    std::vector<std::string> fields = reader.next(blank);
    if (blank) continue;
    if (!have_header) {
      table.header = std::move(fields);
      have_header = true;
    } else {
      table.rows.push_back(std::move(fields));
      table.lines.push_back(line);
    }
  }
  if (!have_header) throw Error(name + ": empty file (expected a header row of column names)");
  return table;
}

CsvTable read_csv(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return parse_csv(text, path);
}

std::string ragged_problem(const CsvTable& table, int64_t row) {
  const auto& fields = table.rows[static_cast<size_t>(row)];
  const size_t want = table.header.size();
  if (fields.size() == want) return "";
  std::string msg = std::to_string(fields.size()) + (fields.size() == 1 ? " field" : " fields") +
                    " but the header has " + std::to_string(want) + " columns";
  if (fields.size() < want) {
    msg += " (no value for column \"" + table.header[fields.size()] + "\")";
  } else {
    msg += " (an extra value in column " + std::to_string(want + 1) + ")";
  }
  return msg;
}

void check_rectangular(const CsvTable& table) {
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    const std::string problem = ragged_problem(table, r);
    if (!problem.empty()) throw Error(table.where(r) + ": " + problem);
  }
}

std::string csv_field(std::string_view field) {
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!quote) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_line(const std::vector<std::string>& fields) {
  if (fields.size() == 1 && fields[0].empty()) return "\"\"\n";  // not a blank line
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(fields[i]);
  }
  out += '\n';
  return out;
}

}  // namespace nnzero
