// CsvWriter: a CSV file built row by row (the numbers behind a picture, per-step losses) and
// written atomically. Numbers are printed with 9 significant digits, enough to read a float
// back exactly; NaN (a metric that was not measured) is an empty field.
#pragma once

#include <string>
#include <vector>

namespace nnzero {

class CsvWriter {
 public:
  explicit CsvWriter(const std::vector<std::string>& header);
  void add(const std::vector<std::string>& fields);
  void add_numbers(const std::vector<double>& values);
  const std::string& text() const { return text_; }
  // Temporary file, then rename: a crash never leaves half a file under `path`.
  void save(const std::string& path) const;

  static std::string number(double v);

 private:
  std::string text_;
};

}  // namespace nnzero
