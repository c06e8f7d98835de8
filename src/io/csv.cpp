#include "nnzero/io/csv.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace nnzero {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// A byte for a message: 'x' when printable ASCII, else its value (a NUL would end the
// message where it is printed, a stray UTF-8 byte would garble it).
std::string shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  char hex[16];
  std::snprintf(hex, sizeof hex, "byte 0x%02X", u);
  return hex;
}

// Length of the UTF-8 sequence starting at s[i] (1 to 4), or 0 when it is not valid UTF-8:
// a stray continuation byte, a truncated sequence, an overlong form, a UTF-16 surrogate or a
// code point past U+10FFFF (RFC 3629, the rules JSON writers enforce too).
size_t utf8_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Why `field` is not text ("" when it is): a NUL byte (a binary or UTF-16 file) or bytes that
// are not UTF-8 (Latin-1 or Windows-1252 exports). Model files store names as JSON, which
// must be UTF-8, so such a field is refused here rather than when the model is saved.
std::string text_problem(std::string_view field) {
  for (size_t i = 0; i < field.size();) {
    if (field[i] == '\0') {
      return "a NUL byte: not a text CSV file (a UTF-16 file must be converted to UTF-8 first)";
    }
    const size_t n = utf8_length(field, i);
    if (n == 0) {
      return shown(field[i]) +
             " is not UTF-8 (convert the file to UTF-8 first, e.g. iconv -f latin1 -t utf-8)";
    }
    i += n;
  }
  return "";
}

// Reads records one at a time, counting lines so that errors can name them. A line ends in
// LF, CRLF or a lone CR (old Mac files); inside quotes every byte is kept.
class CsvReader {
 public:
  CsvReader(std::string_view text, const std::string& name) : text_(text), name_(name) {
    if (text_.starts_with(kByteOrderMark)) pos_ = kByteOrderMark.size();
  }

  bool done() const { return pos_ >= text_.size(); }
  int64_t line() const { return line_; }

  // The next record's fields; `blank` is set for a line with nothing on it.
  std::vector<std::string> next(bool& blank) {
    std::vector<std::string> fields;
    const int64_t start_line = line_;
    bool any_quoted = false;
    for (;;) {
      std::string field;
      const auto column = static_cast<int64_t>(fields.size()) + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        any_quoted = true;
        read_quoted(field, column);
      } else {
        read_plain(field);
      }
      const std::string problem = text_problem(field);
      if (!problem.empty()) throw Error(at(start_line, column) + problem);
      fields.push_back(std::move(field));
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      skip_line_break();  // or the end of the text
      break;
    }
    blank = !any_quoted && fields.size() == 1 && fields[0].empty();
    return fields;
  }

 private:
  std::string at(int64_t line, int64_t column) const {
    return name_ + ":" + std::to_string(line) + ": column " + std::to_string(column) + ": ";
  }

  bool line_break_at(size_t i) const { return text_[i] == '\n' || text_[i] == '\r'; }

  // LF, CRLF or CR: one line break.
  void skip_line_break() {
    if (pos_ >= text_.size()) return;
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  // An unquoted field: everything up to a comma or the end of the line.
  void read_plain(std::string& field) {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && !line_break_at(pos_)) ++pos_;
    field.assign(text_.substr(start, pos_ - start));
  }

  // A quoted field: "" stands for one quote; commas and line breaks are part of the field.
  void read_quoted(std::string& field, int64_t column) {
    const int64_t start_line = line_;
    ++pos_;  // the opening quote
    for (;;) {
      if (pos_ >= text_.size()) {
        throw Error(at(start_line, column) + "the quoted field never ends (no closing \")");
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
      // A line break inside the field counts once (CRLF is one, CR alone is one).
      if (c == '\n' || (c == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] != '\n'))) {
        ++line_;
      }
      field += c;
      ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] != ',' && !line_break_at(pos_)) {
      throw Error(at(line_, column) + "unexpected " + shown(text_[pos_]) +
                  " after a closing quote (a quote inside a quoted field is written \"\")");
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

namespace {
std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

bool has_csv_extension(const std::string& path) {
  const std::string lower = lowercase(path);
  return lower.ends_with(".csv") || lower.ends_with(".csv.gz");
}

std::string strip_csv_extension(const std::string& path) {
  std::string out = path;
  for (const std::string_view ext : {".gz", ".csv"}) {
    if (out.size() > ext.size() && lowercase(out.substr(out.size() - ext.size())) == ext) {
      out.resize(out.size() - ext.size());
    }
  }
  return out;
}

std::string csv_field(std::string_view field) {
  // A leading byte-order mark is quoted too: at the start of a file the reader would skip it.
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' ')) ||
                     field.starts_with(kByteOrderMark);
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
