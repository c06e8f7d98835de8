// describe_table: what each column of a table is (target, task, numeric or categorical
// features, columns left out), decided from all its rows before any model is trained.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include "nnzero/data/table.h"
#include "nnzero/data/table_columns.h"
#include "nnzero/error.h"
#include "nnzero/strings.h"

namespace nnzero {

namespace {

constexpr size_t kMaxGuessedClasses = 20;
// A column needs this many distinct values before it can look like an ID: in a small table a
// few distinct values per row are normal.
constexpr int64_t kIdLikeMinDistinct = 20;

bool is_whole(double v) {
  return std::floor(v) == v && std::abs(v) < 1e15;
}

// The target's values: all numbers? whole numbers? how many distinct ones?
struct TargetValues {
  std::map<std::string, int64_t> counts;
  int32_t first_text = -1;  // the first row whose value is not a number
  bool whole = true;
  int64_t labelled = 0;
};

TargetValues target_values(const CsvTable& csv, int64_t column) {
  TargetValues t;
  for (int32_t r = 0; r < static_cast<int32_t>(csv.rows.size()); ++r) {
    const std::string_view v = trimmed_field(csv, r, column);
    if (v.empty()) continue;
    ++t.labelled;
    ++t.counts[std::string(v)];
    double x = 0;
    if (!parse_number(v, x)) {
      if (t.first_text < 0) t.first_text = r;
    } else {
      t.whole = t.whole && is_whole(x);
    }
  }
  return t;
}

TableTask decide_task(const TableOptions& options, const TargetValues& t, std::string& why) {
  if (options.task) {
    why = "--task";
    return *options.task;
  }
  if (t.first_text >= 0) {
    why = "the target has values that are not numbers";
    return TableTask::classify;
  }
  if (t.whole && t.counts.size() <= kMaxGuessedClasses &&
      static_cast<int64_t>(t.counts.size()) * 2 <= t.labelled) {
    why = "the target has " + std::to_string(t.counts.size()) + " distinct whole-number values";
    return TableTask::classify;
  }
  why = "the target is numeric with " + std::to_string(t.counts.size()) + " distinct values";
  return TableTask::regress;
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

void describe_target(const CsvTable& csv, int64_t column, const TableOptions& options,
                     TableEncoding& e, std::string& why) {
  const TargetValues t = target_values(csv, column);
  if (t.labelled == 0) {
    throw Error(csv.name + ": column " + in_quotes(e.target) +
                " (the target) is empty in every row");
  }
  e.task = decide_task(options, t, why);
  if (e.task == TableTask::regress && t.first_text >= 0) {
    throw Error(field_at(csv, t.first_text, e.target) +
                in_quotes(trimmed_field(csv, t.first_text, column)) +
                " is not a number, but a regression target must be");
  }
  if (e.task == TableTask::classify) {
    if (t.counts.size() < 2) {
      throw Error(csv.name + ": the target column " + in_quotes(e.target) + " has a single class " +
                  in_quotes(t.counts.begin()->first) + " (in all " + std::to_string(t.labelled) +
                  " rows); classification needs at least two");
    }
    e.classes = sorted_classes(t.counts);
  }
}

// One feature column's values, counted over all rows.
struct ColumnValues {
  int64_t numbers = 0, texts = 0;
  int32_t first_text_row = -1;
  int64_t distinct = 0;   // distinct non-empty values
  bool all_whole = true;  // every number is a whole number
};

ColumnValues column_values(const CsvTable& csv, int64_t column) {
  ColumnValues c;
  std::unordered_set<std::string_view> seen;
  for (int32_t r = 0; r < static_cast<int32_t>(csv.rows.size()); ++r) {
    const std::string_view v = trimmed_field(csv, r, column);
    if (v.empty()) continue;
    seen.insert(v);
    double x = 0;
    if (parse_number(v, x)) {
      ++c.numbers;
      c.all_whole = c.all_whole && is_whole(x);
    } else if (c.texts++ == 0) {
      c.first_text_row = r;
    }
  }
  c.distinct = static_cast<int64_t>(seen.size());
  return c;
}

// The columns of options.drop, checked: each must exist and none may be the target.
std::vector<bool> dropped_columns(const CsvTable& csv, const ColumnIndex& index,
                                  const TableOptions& options, int64_t target) {
  std::vector<bool> dropped(csv.header.size(), false);
  for (const std::string& name : options.drop) {
    const int64_t c = index.find(trim_blanks(name));
    if (c < 0) {
      throw Error(csv.name + ":1: no column " + in_quotes(name) +
                  " to drop; the columns are: " + columns_list(csv));
    }
    if (c == target) {
      throw Error(csv.name + ": column " + in_quotes(name) +
                  " is the target; it cannot be dropped (choose another --target)");
    }
    dropped[static_cast<size_t>(c)] = true;
  }
  return dropped;
}

// The columns as --drop takes them: A,B; a name that is empty or holds a space is quoted for
// the shell (an empty-named column is the index pandas writes).
std::string drop_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ',';
    out += n.empty() || n.find_first_of(" \t\"'") != std::string::npos ? in_quotes(n) : n;
  }
  return out;
}

bool looks_like_id(const ColumnValues& v, bool categorical) {
  const int64_t values = v.numbers + v.texts;
  if (v.distinct < kIdLikeMinDistinct) return false;
  if (categorical) return v.distinct * 2 > values;
  return v.all_whole && v.distinct == values && values == v.numbers;
}

std::string id_like_warning(const CsvTable& csv, const std::string& name, const ColumnValues& v,
                            bool categorical) {
  const int64_t values = v.numbers + v.texts;
  std::string msg = csv.name + ": column " + in_quotes(name) + " looks like ";
  msg += categorical ? "an ID or free text (" + std::to_string(v.distinct) +
                           " distinct values in " + std::to_string(values) + " rows)"
                     : "a row ID (a different whole number in each of its " +
                           std::to_string(values) + " rows)";
  msg += ": a network can only memorise it; leave it out with --drop " + drop_list({name});
  return msg;
}

// Feature columns that cannot be used as they are, collected so that one message names
// them all: a mostly-numeric column with text in it (a typo, or codes mixed with numbers)
// and a categorical column with too many categories.
struct ColumnProblems {
  std::vector<std::string> mixed, mixed_names;  // "file:line: column "x": ... values are"
  std::vector<std::string> wide, wide_names;    // "column "x" has 891 categories in 891 rows"
};

// One feature column described; a mostly-numeric column with text in it is a problem.
FeatureColumn describe_feature(const CsvTable& csv, int64_t c, const ColumnValues& v,
                               ColumnProblems& problems) {
  FeatureColumn f;
  f.name = std::string(trim_blanks(csv.header[static_cast<size_t>(c)]));
  // Categorical when most values are not numbers; a column of numbers with a few that are
  // not is a numeric column with typos ("n/a", "1,5"), an error rather than 30 categories.
  f.categorical = v.texts > v.numbers;
  if (!f.categorical && v.texts > 0) {
    problems.mixed_names.push_back(f.name);
    problems.mixed.push_back(field_at(csv, v.first_text_row, f.name) +
                             in_quotes(trimmed_field(csv, v.first_text_row, c)) +
                             " is not a number, but " + std::to_string(v.numbers) +
                             " of the column's " + std::to_string(v.numbers + v.texts) +
                             " values are");
  }
  return f;
}

std::string wide_message(const CsvTable& csv, const ColumnProblems& p, int64_t max_categories) {
  const bool one = p.wide.size() == 1;
  return csv.name + ": " + join(p.wide, ", ") + ": more than " + std::to_string(max_categories) +
         " categories; one-hot encoding gives each category an input of its own, learned from a "
         "row or two, which does not generalise (IDs, names, free text); leave " +
         (one ? "it" : "them") + " out with --drop " + drop_list(p.wide_names) +
         ", or allow more with --max-categories N (0: no limit)";
}

// Throws one Error naming every problem column, with the --drop that leaves them all out.
void refuse_problem_columns(const CsvTable& csv, const ColumnProblems& p, int64_t max_categories) {
  if (p.mixed.empty() && p.wide.empty()) return;
  if (p.mixed.empty()) throw Error(wide_message(csv, p, max_categories));
  if (p.mixed.size() == 1 && p.wide.empty()) {
    throw Error(p.mixed[0] +
                " (fix the value, leave the field empty for a missing value, or leave the "
                "column out with --drop " +
                drop_list(p.mixed_names) + ")");
  }
  std::vector<std::string> all = p.mixed, names = p.mixed_names;
  for (const std::string& w : p.wide) all.push_back(csv.name + ": " + w);
  names.insert(names.end(), p.wide_names.begin(), p.wide_names.end());
  throw Error(csv.name + ": " + std::to_string(all.size()) +
              " columns cannot be used as they are: " + join(all, "; ") +
              (p.wide.empty() ? ""
                              : " (more than " + std::to_string(max_categories) +
                                    " categories: --max-categories N allows more)") +
              "; leave them out with --drop " + drop_list(names));
}

void describe_features(const CsvTable& csv, const ColumnIndex& index, int64_t target,
                       const TableOptions& options, TableEncoding& e, TableNotes& notes) {
  const std::vector<bool> dropped = dropped_columns(csv, index, options, target);
  ColumnProblems problems;
  for (size_t c = 0; c < csv.header.size(); ++c) {
    if (dropped[c]) notes.dropped.emplace_back(trim_blanks(csv.header[c]));
    if (static_cast<int64_t>(c) == target || dropped[c]) continue;
    const ColumnValues v = column_values(csv, static_cast<int64_t>(c));
    FeatureColumn f = describe_feature(csv, static_cast<int64_t>(c), v, problems);
    if (f.categorical && options.max_categories > 0 && v.distinct > options.max_categories) {
      problems.wide_names.push_back(f.name);
      problems.wide.push_back("column " + in_quotes(f.name) + " has " + std::to_string(v.distinct) +
                              " categories in " + std::to_string(v.texts + v.numbers) + " rows");
    } else if (looks_like_id(v, f.categorical)) {
      notes.id_like.push_back(f.name);
      notes.warnings.push_back(id_like_warning(csv, f.name, v, f.categorical));
    }
    (f.categorical ? notes.categorical : notes.numeric) += 1;
    notes.encoded_features += f.categorical ? v.distinct : 1;
    e.features.push_back(std::move(f));
  }
  refuse_problem_columns(csv, problems, options.max_categories);
  if (e.features.empty()) {
    throw Error(csv.name + ": no feature columns besides the target " + in_quotes(e.target) +
                (options.drop.empty() ? " (is the file comma-separated?)" : ""));
  }
}

}  // namespace

TableEncoding describe_table(const CsvTable& csv, const TableOptions& options, TableNotes& notes) {
  if (csv.header.empty())
    throw Error(csv.name + ": empty file (expected a header row of column names)");
  const ColumnIndex index(csv);
  if (csv.rows.empty()) {
    throw Error(csv.name + ": no data rows after the header (line 1): a table needs at least one");
  }
  check_rectangular(csv);

  notes = TableNotes{};
  TableEncoding e;
  e.standardize_target = options.standardize_target;
  e.target = options.target.empty() ? std::string(trim_blanks(csv.header.back())) : options.target;
  const int64_t target = index.find(e.target);
  if (target < 0) {
    throw Error(csv.name + ":1: no column " + in_quotes(e.target) +
                " to use as the target; the columns are: " + columns_list(csv));
  }
  describe_target(csv, target, options, e, notes.task_reason);
  describe_features(csv, index, target, options, e, notes);
  return e;
}

TableEncoding describe_table(const CsvTable& csv, const TableOptions& options,
                             std::string* reason) {
  TableNotes notes;
  TableEncoding e = describe_table(csv, options, notes);
  if (reason != nullptr) *reason = notes.task_reason;
  return e;
}

std::vector<int32_t> labelled_rows(const CsvTable& csv, const TableEncoding& layout) {
  const int64_t target = ColumnIndex(csv).find(layout.target);
  std::vector<int32_t> rows;
  for (int32_t r = 0; r < static_cast<int32_t>(csv.rows.size()); ++r) {
    if (target < 0 || static_cast<int64_t>(csv.rows[static_cast<size_t>(r)].size()) <= target ||
        !trimmed_field(csv, r, target).empty()) {
      rows.push_back(r);
    }
  }
  return rows;
}

}  // namespace nnzero
