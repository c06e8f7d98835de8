// libFuzzer target for tables: nnzero::parse_csv on the raw bytes, then what `nnzero train`
// and `predict` do with a CSV: describe_table, fit_table, encode_features and the
// "nnzero.table" metadata round trip.
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report, another
// exception or a result that breaks the rules: every field is UTF-8 without NUL bytes, rows
// start on increasing lines, written fields read back the same, an encoding reads back
// from its JSON unchanged, and the encoded rows have the encoding's width.
//
//   scripts/fuzz.sh 60 csv      # builds with clang and runs this target for 60 s
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_checks.h"
#include "nnzero/data/table.h"
#include "nnzero/error.h"
#include "nnzero/io/csv.h"

namespace {
using nnzero_fuzz::check;
void check_fields(const std::vector<std::string>& fields) {
  for (const std::string& f : fields) {
    check(f.find('\0') == std::string::npos, "a field holds a NUL byte");
  }
}

// What parse_csv promises when it accepts: a header, rows on increasing lines, fields that
// csv_line writes so that they read back the same.
void check_table(const nnzero::CsvTable& t) {
  check(!t.header.empty(), "a table has a header");
  check(t.lines.size() == t.rows.size(), "a line per row");
  int64_t last = 1;
  for (int64_t line : t.lines) {
    check(line > last, "rows start on increasing lines after the header");
    last = line;
  }
  check_fields(t.header);
  std::string text = nnzero::csv_line(t.header);
  for (const auto& row : t.rows) {
    check_fields(row);
    text += nnzero::csv_line(row);
  }
  const nnzero::CsvTable back = nnzero::parse_csv(text, "written");
  check(back.header == t.header && back.rows == t.rows, "written fields read back the same");
}

// The table as `train` reads it; the options come from the first byte, so that both tasks,
// a target that is not the last column and a category limit are tried.
void check_encoding(const nnzero::CsvTable& t, uint8_t choice) {
  nnzero::TableOptions options;
  if (choice & 1)
    options.task = choice & 2 ? nnzero::TableTask::regress : nnzero::TableTask::classify;
  if (choice & 4) options.target = std::string(t.header.front());
  if (choice & 8) options.max_categories = 3;
  nnzero::TableNotes notes;
  nnzero::TableEncoding fitted;
  std::vector<int32_t> rows;
  try {
    const nnzero::TableEncoding layout = nnzero::describe_table(t, options, notes);
    rows = nnzero::labelled_rows(t, layout);
    fitted = nnzero::fit_table(t, layout, rows);
  } catch (const nnzero::Error&) {
    return;
  }
  check(notes.numeric + notes.categorical == static_cast<int64_t>(fitted.features.size()),
        "every feature column is numeric or categorical");
  check(fitted.num_inputs() <= notes.encoded_features, "the training rows' width fits all rows'");
  const std::string json = fitted.to_json();
  check(nnzero::TableEncoding::from_json(json, "fuzz").to_json() == json,
        "the metadata reads back unchanged");
  nnzero::EncodeReport report;
  std::vector<int32_t> all(t.rows.size());
  std::iota(all.begin(), all.end(), 0);
  const std::vector<float> x = nnzero::encode_features(t, all, fitted, report, false);
  check(x.size() == all.size() * static_cast<size_t>(fitted.num_inputs()), "encoded width");
  size_t bad = 0;
  for (uint8_t ok : report.row_ok) bad += ok == 0;
  check(bad == report.problems.size(), "a problem per row that could not be encoded");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nnzero::CsvTable table;
  try {
    table = nnzero::parse_csv(text, "fuzz input");
  } catch (const nnzero::Error&) {
    return 0;
  }
  check_table(table);
  check_encoding(table, size > 0 ? data[0] : 0);
  return 0;
}
