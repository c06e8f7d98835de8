#include "nnzero/data/table.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "nnzero/error.h"
#include "nnzero/strings.h"

namespace nnzero {

using nlohmann::json;

namespace {

constexpr int kFormat = 1;  // version of the "nnzero.table" JSON
constexpr size_t kMaxGuessedClasses = 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string in_quotes(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

// "file:line: column "x": " for messages about one field.
std::string at(const CsvTable& csv, int32_t row, const std::string& column) {
  std::string out = csv.where(row);
  out += ": column ";
  out += in_quotes(column);
  out += ": ";
  return out;
}

std::string columns_list(const CsvTable& csv) {
  std::vector<std::string> names;
  for (const std::string& h : csv.header) names.push_back(in_quotes(h));
  return join(names, ", ");
}

void check_unique_names(const CsvTable& csv) {
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < csv.header.size(); ++i) {
    const std::string name(trim(csv.header[i]));
    const auto [it, fresh] = seen.emplace(name, i);
    if (!fresh) {
      std::string msg = csv.name + ":1: duplicate column name " + in_quotes(name) + " (columns ";
      msg += std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")";
      throw Error(msg);
    }
  }
}

// Index of the column `name` in the header (spaces around header names do not count), or -1.
int64_t column_index(const CsvTable& csv, const std::string& name) {
  for (size_t i = 0; i < csv.header.size(); ++i) {
    if (trim(csv.header[i]) == name) return static_cast<int64_t>(i);
  }
  return -1;
}

std::string_view field(const CsvTable& csv, int32_t row, int64_t column) {
  return trim(csv.rows[static_cast<size_t>(row)][static_cast<size_t>(column)]);
}

bool is_whole(double v) {
  return std::floor(v) == v && std::abs(v) < 1e15;
}

// Population standard deviation (as scikit-learn's StandardScaler), 1 for a constant column.
void mean_std(const std::vector<double>& values, double& mean, double& std) {
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

// The classes of a target column, sorted: by value when every class is a number.
std::vector<std::string> sorted_classes(const std::map<std::string, int64_t>& counts) {
  std::vector<std::string> classes;
  bool numeric = true;
  for (const auto& [name, count] : counts) {
    classes.push_back(name);
    double v = 0;
    numeric = numeric && parse_number(name, v);
  }
  if (numeric) {
    std::stable_sort(classes.begin(), classes.end(),
                     [](const std::string& a, const std::string& b) {
                       double x = 0, y = 0;
                       parse_number(a, x);
                       parse_number(b, y);
                       return x < y;
                     });
  }
  return classes;
}

json finite_or_null(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

}  // namespace

const char* task_name(TableTask task) {
  return task == TableTask::classify ? "classify" : "regress";
}

TableTask parse_task(const std::string& text, const std::string& where) {
  if (text == "classify") return TableTask::classify;
  if (text == "regress") return TableTask::regress;
  throw Error(where + ": unknown task " + in_quotes(text) + " (use classify or regress)");
}

bool parse_number(std::string_view text, double& value) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

int64_t TableEncoding::num_inputs() const {
  int64_t n = 0;
  for (const FeatureColumn& f : features) n += f.width();
  return n;
}

std::string TableEncoding::to_json() const {
  json features_json = json::array();
  for (const FeatureColumn& f : features) {
    if (f.categorical) {
      features_json.push_back({{"name", f.name},
                               {"kind", "categorical"},
                               {"categories", f.categories},
                               {"fill", f.fill_category}});
    } else {
      features_json.push_back({{"name", f.name},
                               {"kind", "numeric"},
                               {"mean", f.mean},
                               {"std", f.std},
                               {"fill", f.fill}});
    }
  }
  json j = {{"format", kFormat},       {"target", target},
            {"task", task_name(task)}, {"features", features_json},
            {"inputs", num_inputs()},  {"training_rows", training_rows}};
  if (task == TableTask::classify) {
    j["classes"] = classes;
  } else {
    j["target_standardized"] = standardize_target;
    j["target_mean"] = finite_or_null(target_mean);
    j["target_std"] = finite_or_null(target_std);
  }
  return j.dump();
}

TableEncoding TableEncoding::from_json(const std::string& text, const std::string& where) {
  TableEncoding e;
  try {
    const json j = json::parse(text);
    if (j.at("format").get<int>() != kFormat) {
      throw Error(where + ": table format " + j.at("format").dump() +
                  " is not supported (this nnzero reads " + std::to_string(kFormat) + ")");
    }
    e.target = j.at("target").get<std::string>();
    e.task = parse_task(j.at("task").get<std::string>(), where);
    e.training_rows = j.value("training_rows", int64_t{0});
    for (const json& f : j.at("features")) {
      FeatureColumn c;
      c.name = f.at("name").get<std::string>();
      const std::string kind = f.at("kind").get<std::string>();
      if (kind == "categorical") {
        c.categorical = true;
        c.categories = f.at("categories").get<std::vector<std::string>>();
        c.fill_category = f.at("fill").get<std::string>();
      } else if (kind == "numeric") {
        c.mean = f.at("mean").get<double>();
        c.std = f.at("std").get<double>();
        c.fill = f.at("fill").get<double>();
        if (!(c.std > 0.0) || !std::isfinite(c.mean) || !std::isfinite(c.fill)) {
          throw Error(where + ": feature " + in_quotes(c.name) + " has a bad mean or std");
        }
      } else {
        throw Error(where + ": feature " + in_quotes(c.name) + " has unknown kind " +
                    in_quotes(kind) + " (numeric or categorical)");
      }
      e.features.push_back(std::move(c));
    }
    if (e.task == TableTask::classify) {
      e.classes = j.at("classes").get<std::vector<std::string>>();
      if (e.classes.size() < 2) throw Error(where + ": a classifier needs at least two classes");
    } else {
      e.standardize_target = j.value("target_standardized", true);
      e.target_mean = j.at("target_mean").get<double>();
      e.target_std = j.at("target_std").get<double>();
      if (!(e.target_std > 0.0)) throw Error(where + ": target_std must be positive");
    }
    if (j.contains("inputs") && j.at("inputs").get<int64_t>() != e.num_inputs()) {
      throw Error(where + ": \"inputs\" is " + j.at("inputs").dump() +
                  " but the features encode to " + std::to_string(e.num_inputs()));
    }
  } catch (const json::exception& ex) {
    throw Error(where + ": bad table metadata (" + ex.what() + ")");
  }
  return e;
}

TableEncoding describe_table(const CsvTable& csv, const TableOptions& options,
                             std::string* reason) {
  if (csv.header.empty())
    throw Error(csv.name + ": empty file (expected a header row of column names)");
  check_unique_names(csv);
  if (csv.rows.empty()) {
    throw Error(csv.name + ": no data rows after the header (line 1): a table needs at least one");
  }
  check_rectangular(csv);

  TableEncoding e;
  e.standardize_target = options.standardize_target;
  e.target = options.target.empty() ? std::string(trim(csv.header.back())) : options.target;
  const int64_t target = column_index(csv, e.target);
  if (target < 0) {
    throw Error(csv.name + ":1: no column " + in_quotes(e.target) +
                " to use as the target; the columns are: " + columns_list(csv));
  }

  // The target's values: all numbers? whole numbers? how many distinct ones?
  std::map<std::string, int64_t> counts;
  int32_t first_text = -1;
  bool whole = true;
  int64_t labelled = 0;
  for (int32_t r = 0; r < static_cast<int32_t>(csv.rows.size()); ++r) {
    const std::string_view v = field(csv, r, target);
    if (v.empty()) continue;
    ++labelled;
    ++counts[std::string(v)];
    double x = 0;
    if (!parse_number(v, x)) {
      if (first_text < 0) first_text = r;
    } else {
      whole = whole && is_whole(x);
    }
  }
  if (labelled == 0) {
    throw Error(csv.name + ": column " + in_quotes(e.target) +
                " (the target) is empty in every row");
  }
  std::string why;
  if (options.task) {
    e.task = *options.task;
    why = "--task";
  } else if (first_text >= 0) {
    e.task = TableTask::classify;
    why = "the target has values that are not numbers";
  } else if (whole && counts.size() <= kMaxGuessedClasses &&
             static_cast<int64_t>(counts.size()) * 2 <= labelled) {
    e.task = TableTask::classify;
    why = "the target has " + std::to_string(counts.size()) + " distinct whole-number values";
  } else {
    e.task = TableTask::regress;
    why = "the target is numeric with " + std::to_string(counts.size()) + " distinct values";
  }
  if (reason != nullptr) *reason = why;

  if (e.task == TableTask::regress && first_text >= 0) {
    throw Error(at(csv, first_text, e.target) + in_quotes(field(csv, first_text, target)) +
                " is not a number, but a regression target must be");
  }
  if (e.task == TableTask::classify) {
    if (counts.size() < 2) {
      throw Error(csv.name + ": the target column " + in_quotes(e.target) + " has a single class " +
                  in_quotes(counts.begin()->first) + " (in all " + std::to_string(labelled) +
                  " rows); classification needs at least two");
    }
    e.classes = sorted_classes(counts);
  }

  for (size_t c = 0; c < csv.header.size(); ++c) {
    if (static_cast<int64_t>(c) == target) continue;
    FeatureColumn f;
    f.name = std::string(trim(csv.header[c]));
    // Categorical when most values are not numbers; a column of numbers with a few that are
    // not is a numeric column with typos ("n/a", "1,5"), an error rather than 30 categories.
    int64_t numbers = 0, texts = 0;
    int32_t first_text_row = -1;
    for (int32_t r = 0; r < static_cast<int32_t>(csv.rows.size()); ++r) {
      const std::string_view v = field(csv, r, static_cast<int64_t>(c));
      double x = 0;
      if (v.empty()) continue;
      if (parse_number(v, x)) {
        ++numbers;
      } else if (texts++ == 0) {
        first_text_row = r;
      }
    }
    f.categorical = texts > numbers;
    if (!f.categorical && texts > 0) {
      throw Error(at(csv, first_text_row, f.name) +
                  in_quotes(field(csv, first_text_row, static_cast<int64_t>(c))) +
                  " is not a number, but " + std::to_string(numbers) + " of the column's " +
                  std::to_string(numbers + texts) +
                  " values are (fix the value, or leave the field empty for a missing value)");
    }
    e.features.push_back(std::move(f));
  }
  if (e.features.empty()) {
    throw Error(csv.name + ": no feature columns besides the target " + in_quotes(e.target) +
                " (is the file comma-separated?)");
  }
  return e;
}

std::vector<int32_t> labelled_rows(const CsvTable& csv, const TableEncoding& layout) {
  const int64_t target = column_index(csv, layout.target);
  std::vector<int32_t> rows;
  for (int32_t r = 0; r < static_cast<int32_t>(csv.rows.size()); ++r) {
    if (target < 0 || static_cast<int64_t>(csv.rows[static_cast<size_t>(r)].size()) <= target ||
        !field(csv, r, target).empty()) {
      rows.push_back(r);
    }
  }
  return rows;
}

TableEncoding fit_table(const CsvTable& csv, const TableEncoding& layout,
                        std::span<const int32_t> train_rows) {
  if (train_rows.empty()) throw Error(csv.name + ": no training rows to learn the features from");
  TableEncoding e = layout;
  e.training_rows = static_cast<int64_t>(train_rows.size());
  for (FeatureColumn& f : e.features) {
    const int64_t c = column_index(csv, f.name);
    if (c < 0) throw Error(csv.name + ":1: no column " + in_quotes(f.name));
    if (f.categorical) {
      std::map<std::string, int64_t> counts;
      for (int32_t r : train_rows) {
        const std::string_view v = field(csv, r, c);
        if (!v.empty()) ++counts[std::string(v)];
      }
      f.categories.clear();
      f.fill_category.clear();
      int64_t best = 0;
      for (const auto& [name, count] : counts) {  // sorted, so ties go to the first name
        f.categories.push_back(name);
        if (count > best) best = count, f.fill_category = name;
      }
      continue;
    }
    std::vector<double> values;
    for (int32_t r : train_rows) {
      const std::string_view v = field(csv, r, c);
      double x = 0;
      if (v.empty()) continue;
      if (!parse_number(v, x)) throw Error(at(csv, r, f.name) + in_quotes(v) + " is not a number");
      values.push_back(x);
    }
    mean_std(values, f.mean, f.std);
    f.fill = f.mean;
  }
  if (e.task == TableTask::regress) {
    const int64_t t = column_index(csv, e.target);
    std::vector<double> values;
    for (int32_t r : train_rows) {
      const std::string_view v = field(csv, r, t);
      double y = 0;
      if (!parse_number(v, y)) {
        throw Error(at(csv, r, e.target) + in_quotes(v) +
                    " is not a number, but a regression target must be");
      }
      values.push_back(y);
    }
    mean_std(values, e.target_mean, e.target_std);
    if (!e.standardize_target) e.target_mean = 0.0, e.target_std = 1.0;
  }
  return e;
}

std::vector<float> encode_features(const CsvTable& csv, std::span<const int32_t> rows,
                                   const TableEncoding& encoding, EncodeReport& report,
                                   bool strict) {
  check_unique_names(csv);
  const size_t nf = encoding.features.size();
  std::vector<int64_t> columns(nf);
  std::vector<std::unordered_map<std::string, int64_t>> category_index(nf);
  for (size_t i = 0; i < nf; ++i) {
    const FeatureColumn& f = encoding.features[i];
    columns[i] = column_index(csv, f.name);
    if (columns[i] < 0) {
      throw Error(csv.name + ":1: no column " + in_quotes(f.name) +
                  " (the model was trained with it); the columns are: " + columns_list(csv));
    }
    for (size_t k = 0; k < f.categories.size(); ++k) {
      category_index[i].emplace(f.categories[k], static_cast<int64_t>(k));
    }
  }
  const int64_t width = encoding.num_inputs();
  std::vector<float> x(rows.size() * static_cast<size_t>(width), 0.0f);
  report.missing.assign(nf, 0);
  report.unseen.assign(nf, 0);
  report.row_ok.assign(rows.size(), 1);
  std::vector<int64_t> missing(nf), unseen(nf);
  for (size_t i = 0; i < rows.size(); ++i) {
    const int32_t r = rows[i];
    float* out = x.data() + static_cast<int64_t>(i) * width;
    std::string problem = ragged_problem(csv, r);
    if (!problem.empty()) problem = csv.where(r) + ": " + problem;
    std::fill(missing.begin(), missing.end(), 0);
    std::fill(unseen.begin(), unseen.end(), 0);
    int64_t offset = 0;
    for (size_t k = 0; k < nf && problem.empty(); ++k) {
      const FeatureColumn& f = encoding.features[k];
      const std::string_view v = field(csv, r, columns[k]);
      if (f.categorical) {
        std::string category = v.empty() ? f.fill_category : std::string(v);
        missing[k] += v.empty();
        const auto it = category_index[k].find(category);
        if (it != category_index[k].end()) {
          out[offset + it->second] = 1.0f;
        } else {
          ++unseen[k];  // all zeros: the network sees none of the categories it knows
        }
      } else {
        double value = f.fill;
        if (v.empty()) {
          ++missing[k];
        } else if (!parse_number(v, value)) {
          problem = at(csv, r, f.name) + in_quotes(v) +
                    " is not a number (the column is numeric in the training data)";
          break;
        }
        out[offset] = static_cast<float>((value - f.mean) / f.std);
      }
      offset += f.width();
    }
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

Dataset table_dataset(const CsvTable& csv, std::span<const int32_t> rows,
                      const TableEncoding& encoding, EncodeReport& report) {
  Dataset d;
  d.name = std::filesystem::path(csv.name).stem().string();
  d.sample_shape = Shape{encoding.num_inputs()};
  d.features = encode_features(csv, rows, encoding, report, true);
  const int64_t t = column_index(csv, encoding.target);
  if (t < 0)
    throw Error(csv.name + ":1: no column " + in_quotes(encoding.target) + " (the target)");
  if (encoding.task == TableTask::classify) {
    std::unordered_map<std::string, int32_t> index;
    for (size_t k = 0; k < encoding.classes.size(); ++k) {
      index.emplace(encoding.classes[k], static_cast<int32_t>(k));
    }
    d.num_classes = static_cast<int32_t>(encoding.classes.size());
    for (int32_t r : rows) {
      const std::string_view v = field(csv, r, t);
      const auto it = index.find(std::string(v));
      if (it == index.end()) {
        throw Error(at(csv, r, encoding.target) + "class " + in_quotes(v) +
                    " is not one of the model's classes");
      }
      d.labels.push_back(it->second);
    }
  } else {
    d.target_size = 1;
    for (int32_t r : rows) {
      const std::string_view v = field(csv, r, t);
      double y = 0;
      if (!parse_number(v, y)) {
        throw Error(at(csv, r, encoding.target) + in_quotes(v) +
                    " is not a number, but a regression target must be");
      }
      d.targets.push_back(static_cast<float>((y - encoding.target_mean) / encoding.target_std));
    }
  }
  return d;
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
