#include "nnzero/data/table_columns.h"

#include <cstdio>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/strings.h"

namespace nnzero {

namespace {
constexpr size_t kMaxQuoted = 200;  // bytes of a value shown in a message
constexpr size_t kMaxListed = 50;   // column names listed in a message
}  // namespace

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxQuoted; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += s[i];
    }
  }
  if (s.size() > kMaxQuoted) out += "...";
  out += '"';
  return out;
}

ColumnIndex::ColumnIndex(const CsvTable& csv) {
  index_.reserve(csv.header.size());
  for (size_t i = 0; i < csv.header.size(); ++i) {
    const auto [it, fresh] = index_.emplace(trim_blanks(csv.header[i]), static_cast<int64_t>(i));
    if (!fresh) {
      throw Error(csv.name + ":1: duplicate column name " + in_quotes(it->first) + " (columns " +
                  std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }
}

int64_t ColumnIndex::find(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

std::string_view trimmed_field(const CsvTable& csv, int64_t row, int64_t column) {
  return trim_blanks(csv.rows[static_cast<size_t>(row)][static_cast<size_t>(column)]);
}

std::string field_at(const CsvTable& csv, int64_t row, std::string_view column) {
  return csv.where(row) + ": column " + in_quotes(column) + ": ";
}

std::string columns_list(const CsvTable& csv) {
  std::vector<std::string> names;
  for (size_t i = 0; i < csv.header.size() && i < kMaxListed; ++i) {
    names.push_back(in_quotes(csv.header[i]));
  }
  std::string out = join(names, ", ");
  if (csv.header.size() > kMaxListed) {
    out += ", ... (" + std::to_string(csv.header.size() - kMaxListed) + " more)";
  }
  return out;
}

}  // namespace nnzero
