// Learning a table's statistics from the training rows (fit_table) and applying them to any
// rows (encode_features): standardised numbers, one-hot categories, filled missing values.
#include "nnzero/data/table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "nnzero/data/table_columns.h"
#include "nnzero/error.h"

namespace nnzero {

namespace {

// Population standard deviation (as scikit-learn's StandardScaler), 1 for a constant column.
void mean_std_of(const std::vector<double>& values, double& mean, double& std) {
  mean = 0.0;
  std = 1.0;
  if (values.empty()) return;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  if (*lo == *hi) return;
  double ss = 0.0;
  for (double v : values) ss += (v - mean) * (v - mean);
  std = std::sqrt(ss / static_cast<double>(values.size()));
  if (!(std > 0.0)) std = 1.0;
}

// mean_std_of for `column`: numbers near the double's limit (1e308) overflow its sums, an
// Error naming the column rather than an infinite mean in the model file.
void mean_std(const std::vector<double>& values, double& mean, double& std, const CsvTable& csv,
              const std::string& column) {
  mean_std_of(values, mean, std);
  if (!std::isfinite(mean) || !std::isfinite(std)) {
    throw Error(csv.name + ": column " + in_quotes(column) +
                ": the values are too large to standardise (their mean or standard deviation "
                "overflows a double)");
  }
}

// The categories of the training rows, sorted, and the most common one (ties go to the first
// name) as the fill for missing values.
void fit_categories(const CsvTable& csv, int64_t c, std::span<const int32_t> rows,
                    FeatureColumn& f) {
  std::map<std::string, int64_t> counts;
  for (int32_t r : rows) {
    const std::string_view v = trimmed_field(csv, r, c);
    if (!v.empty()) ++counts[std::string(v)];
  }
  f.categories.clear();
  f.fill_category.clear();
  int64_t best = 0;
  for (const auto& [name, count] : counts) {
    f.categories.push_back(name);
    if (count > best) best = count, f.fill_category = name;
  }
}

// The numbers of column `c` in `rows` (empty fields skipped); `what` ends the message for a
// field that is not a number.
std::vector<double> numbers_of(const CsvTable& csv, int64_t c, const std::string& name,
                               std::span<const int32_t> rows, bool skip_empty, const char* what) {
  std::vector<double> values;
  values.reserve(rows.size());
  for (int32_t r : rows) {
    const std::string_view v = trimmed_field(csv, r, c);
    double x = 0;
    if (v.empty() && skip_empty) continue;
    if (!parse_number(v, x)) throw Error(field_at(csv, r, name) + in_quotes(v) + what);
    values.push_back(x);
  }
  return values;
}

// Where each feature column is in `csv`, and each category's input, for encoding.
struct FeatureLookup {
  std::vector<int64_t> columns;
  std::vector<std::unordered_map<std::string_view, int64_t>> category_index;
};

FeatureLookup feature_lookup(const CsvTable& csv, const TableEncoding& encoding) {
  const ColumnIndex index(csv);
  FeatureLookup l;
  for (const FeatureColumn& f : encoding.features) {
    const int64_t c = index.find(f.name);
    if (c < 0) {
      throw Error(csv.name + ":1: no column " + in_quotes(f.name) +
                  " (the model was trained with it); the columns are: " + columns_list(csv));
    }
    l.columns.push_back(c);
    auto& categories = l.category_index.emplace_back();
    for (size_t k = 0; k < f.categories.size(); ++k) {
      categories.emplace(f.categories[k], static_cast<int64_t>(k));
    }
  }
  return l;
}

// One row into `out` (num_inputs() values, zeroed); counts its missing and unseen values.
// Returns the row's problem ("" when it could be encoded).
std::string encode_row(const CsvTable& csv, int32_t r, const TableEncoding& e,
                       const FeatureLookup& l, float* out, std::vector<int64_t>& missing,
                       std::vector<int64_t>& unseen) {
  const std::string ragged = ragged_problem(csv, r);
  if (!ragged.empty()) return csv.where(r) + ": " + ragged;
  int64_t offset = 0;
  for (size_t k = 0; k < e.features.size(); ++k) {
    const FeatureColumn& f = e.features[k];
    const std::string_view v = trimmed_field(csv, r, l.columns[k]);
    if (f.categorical) {
      const std::string_view category = v.empty() ? std::string_view(f.fill_category) : v;
      missing[k] += v.empty();
      const auto it = l.category_index[k].find(category);
      if (it != l.category_index[k].end()) {
        out[offset + it->second] = 1.0f;
      } else {
        ++unseen[k];  // all zeros: the network sees none of the categories it knows
      }
    } else {
      double value = f.fill;
      if (v.empty()) {
        ++missing[k];
      } else if (!parse_number(v, value)) {
        return field_at(csv, r, f.name) + in_quotes(v) +
               " is not a number (the column is numeric in the training data)";
      }
      const double z = standardised(value, f.mean, f.std);
      if (std::isnan(z)) {
        return field_at(csv, r, f.name) + in_quotes(v) +
               " is too far from the training values to be a float32 input";
      }
      out[offset] = static_cast<float>(z);
    }
    offset += f.width();
  }
  return "";
}

}  // namespace

double standardised(double x, double mean, double std) {
  const double z = (x - mean) / std;
  return std::abs(z) <= std::numeric_limits<float>::max() ? z : NAN;
}

bool parse_number(std::string_view text, double& value) {
  text = trim_blanks(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

TableEncoding fit_table(const CsvTable& csv, const TableEncoding& layout,
                        std::span<const int32_t> train_rows) {
  if (train_rows.empty()) throw Error(csv.name + ": no training rows to learn the features from");
  const ColumnIndex index(csv);
  TableEncoding e = layout;
  e.training_rows = static_cast<int64_t>(train_rows.size());
  for (FeatureColumn& f : e.features) {
    const int64_t c = index.find(f.name);
    if (c < 0) throw Error(csv.name + ":1: no column " + in_quotes(f.name));
    if (f.categorical) {
      fit_categories(csv, c, train_rows, f);
      continue;
    }
    mean_std(numbers_of(csv, c, f.name, train_rows, true, " is not a number"), f.mean, f.std, csv,
             f.name);
    f.fill = f.mean;
  }
  if (e.task == TableTask::regress) {
    const int64_t t = index.find(e.target);
    if (t < 0) throw Error(csv.name + ":1: no column " + in_quotes(e.target) + " (the target)");
    mean_std(numbers_of(csv, t, e.target, train_rows, false,
                        " is not a number, but a regression target must be"),
             e.target_mean, e.target_std, csv, e.target);
    if (!e.standardize_target) e.target_mean = 0.0, e.target_std = 1.0;
  }
  return e;
}

std::vector<float> encode_features(const CsvTable& csv, std::span<const int32_t> rows,
                                   const TableEncoding& encoding, EncodeReport& report,
                                   bool strict) {
  const FeatureLookup lookup = feature_lookup(csv, encoding);
  const size_t nf = encoding.features.size();
  const int64_t width = encoding.num_inputs();
  std::vector<float> x(rows.size() * static_cast<size_t>(width), 0.0f);
  report.missing.assign(nf, 0);
  report.unseen.assign(nf, 0);
  report.row_ok.assign(rows.size(), 1);
  std::vector<int64_t> missing(nf), unseen(nf);
  for (size_t i = 0; i < rows.size(); ++i) {
    float* out = x.data() + static_cast<int64_t>(i) * width;
    std::fill(missing.begin(), missing.end(), 0);
    std::fill(unseen.begin(), unseen.end(), 0);
    const std::string problem = encode_row(csv, rows[i], encoding, lookup, out, missing, unseen);
    if (!problem.empty()) {
      if (strict) throw Error(problem);
      report.problems.push_back(problem);
      report.row_ok[i] = 0;
      std::fill(out, out + width, 0.0f);
      continue;
    }
    for (size_t k = 0; k < nf; ++k) report.missing[k] += missing[k], report.unseen[k] += unseen[k];
  }
  return x;
}

double target_value(const TableEncoding& encoding, float output) {
  return static_cast<double>(output) * encoding.target_std + encoding.target_mean;
}

std::string prediction_text(const TableEncoding& encoding, std::span<const float> output) {
  if (encoding.task == TableTask::classify) {
    const auto best = std::max_element(output.begin(), output.end()) - output.begin();
    return encoding.classes.at(static_cast<size_t>(best));
  }
  char text[64];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, target_value(encoding, output[0]));
  return ec == std::errc() ? std::string(text, end) : "";
}

}  // namespace nnzero
