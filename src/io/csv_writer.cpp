#include "nnzero/io/csv_writer.h"

#include <cmath>
#include <cstdio>

#include "nnzero/io/csv.h"
#include "nnzero/io/file.h"

namespace nnzero {

CsvWriter::CsvWriter(const std::vector<std::string>& header) : text_(csv_line(header)) {}

void CsvWriter::add(const std::vector<std::string>& fields) {
  text_ += csv_line(fields);
}

void CsvWriter::add_numbers(const std::vector<double>& values) {
  std::vector<std::string> fields;
  fields.reserve(values.size());
  for (double v : values) fields.push_back(number(v));
  add(fields);
}

void CsvWriter::save(const std::string& path) const {
  write_file_atomic(path, text_);
}

std::string CsvWriter::number(double v) {
  if (std::isnan(v)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

}  // namespace nnzero
