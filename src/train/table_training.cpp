// train_table: read the table, decide its columns, hold rows out (a split or k folds), train
// each model on its training rows' statistics and score it on its validation rows.
#include "nnzero/train/table_training.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "nnzero/data/table_columns.h"
#include "nnzero/data/table_split.h"
#include "nnzero/error.h"
#include "nnzero/strings.h"
#include "nnzero/train/table_network.h"

namespace nnzero {

namespace {

using Say = std::function<void(const std::string&)>;

void say(const Say& to, const std::string& line) {
  if (to) to(line);
}

// One model trained on split.train (with the statistics of those rows only) and scored on
// split.val.
struct Trained {
  TableEncoding encoding;
  std::unique_ptr<Sequential> model;
  TrainResult result;
  TableScores val;
  EncodeReport train_report, val_report;
};

std::string training_line(const ModelSpec& spec, Model& model, const Dataset& train,
                          const TrainOptions& opt, Trainer& trainer, int64_t inputs) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", static_cast<double>(trainer.optimizer().lr()));
  return "training " + spec.name + " (" + std::to_string(model.num_params()) +
         " parameters, inputs " + std::to_string(inputs) + ") on " + std::to_string(train.size()) +
         " rows, " + opt.optimizer + " lr " + lr +
         (opt.lr_schedule == "constant" ? "" : " (" + opt.lr_schedule + " decay)") + ", batch " +
         std::to_string(opt.batch) + ", " + std::to_string(opt.epochs) + " epochs";
}

// `label` is "fold 2/5" for a fold's model, "" for the model to keep.
Trained train_one(const TableTrainOptions& o, const CsvTable& csv, const TableEncoding& layout,
                  const TableSplit& split, const std::string& name, const std::string& label) {
  Trained t;
  t.encoding = fit_table(csv, layout, split.train);
  const Dataset train = table_dataset(csv, split.train, t.encoding, t.train_report);
  const Dataset val = table_dataset(csv, split.val, t.encoding, t.val_report);
  ModelSpec spec;
  try {
    spec = table_network(o, t.encoding, name);
  } catch (const Error& e) {
    throw Error(label.empty() ? e.what() : label + ": " + e.what());
  }
  const TrainOptions opt = table_train_options(o, spec);
  Rng init_rng(opt.seed);
  t.model = std::make_unique<Sequential>(spec, init_rng);
  Trainer trainer(*t.model, train, val.size() > 0 ? &val : nullptr, opt);
  if (label.empty()) {
    say(o.on_progress, training_line(spec, *t.model, train, opt, trainer, t.encoding.num_inputs()));
  }
  t.result = trainer.run();
  if (!t.result.interrupted) t.val = score_table_model(*t.model, val, t.encoding);
  return t;
}

std::string score_line(const std::string& label, const Trained& t, TableTask task) {
  char line[256];
  const TableScores& s = t.val;
  if (s.rows == 0) {
    std::snprintf(line, sizeof line, "%s: train loss %.4f, no validation rows, %.1fs",
                  label.c_str(), t.result.train_loss, t.result.seconds);
  } else if (task == TableTask::classify) {
    std::snprintf(line, sizeof line,
                  "%s: %lld validation rows: acc %.4f, loss %.4f (train acc %.4f), %.1fs",
                  label.c_str(), static_cast<long long>(s.rows), s.acc, s.loss, t.result.train_acc,
                  t.result.seconds);
  } else {
    std::snprintf(line, sizeof line,
                  "%s: %lld validation rows: R2 %.4f, RMSE %.4g, MAE %.4g, %.1fs", label.c_str(),
                  static_cast<long long>(s.rows), s.r2, s.rmse, s.mae, t.result.seconds);
  }
  return line;
}

// "iris.csv: 150 rows, target "species", 4 numeric and 0 categorical columns (4 encoded
// features); task: classify (...), 3 classes: setosa, versicolor, virginica"
std::string description_line(const CsvTable& csv, const TableTrainResult& r,
                             const TableOptions& columns) {
  const TableNotes& n = r.notes;
  std::string line = csv.name + ": " + std::to_string(csv.num_rows()) + " rows, target " +
                     in_quotes(r.layout.target) + ", " + std::to_string(n.numeric) +
                     " numeric and " + std::to_string(n.categorical) + " categorical columns (" +
                     std::to_string(n.encoded_features) + " encoded feature" +
                     (n.encoded_features == 1 ? "" : "s");
  if (!n.dropped.empty()) {
    std::vector<std::string> dropped;
    for (const std::string& d : n.dropped) dropped.push_back(in_quotes(d));
    line += "; dropped " + join(dropped, ", ");
  }
  line += "); task: " + std::string(task_name(r.layout.task)) + " (" + n.task_reason +
          (columns.task ? "" : "; --task to change") + ")";
  if (r.layout.task == TableTask::classify) {
    line += ", " + std::to_string(r.layout.classes.size()) +
            " classes: " + join(r.layout.classes, ", ");
  }
  return line;
}

void check_options(const TableTrainOptions& o) {
  if (!(o.val_split >= 0.0 && o.val_split < 1.0)) {
    throw Error("--val-split must be in [0, 1), got " + std::to_string(o.val_split));
  }
  if (o.folds != 0 && o.folds < 2) {
    throw Error("--folds must be at least 2, got " + std::to_string(o.folds));
  }
  if (o.columns.max_categories < 0) {
    throw Error("--max-categories must be at least 0 (0: no limit), got " +
                std::to_string(o.columns.max_categories));
  }
}

void check_rows(const TableTrainOptions& o, const CsvTable& csv, int64_t n) {
  if (o.folds > n) {
    throw Error("--folds " + std::to_string(o.folds) +
                " needs at least as many rows with a target; " + csv.name + " has " +
                std::to_string(n));
  }
  if (o.folds == 0 && o.val_split > 0.0 && std::floor(static_cast<double>(n) * o.val_split) < 1.0) {
    throw Error("--val-split " + std::to_string(o.val_split) + " of " + std::to_string(n) +
                " rows in " + csv.name +
                " leaves no validation rows (use --val-split 0 to train on all rows)");
  }
}

void keep(TableTrainResult& r, Trained&& t) {
  r.model = std::move(t.model);
  r.encoding = std::move(t.encoding);
  r.result = t.result;
  r.interrupted = t.result.interrupted;
  r.missing = t.train_report.missing;
  for (size_t k = 0; k < r.missing.size() && k < t.val_report.missing.size(); ++k) {
    r.missing[k] += t.val_report.missing[k];
  }
}

void run_folds(const TableTrainOptions& o, const CsvTable& csv, const std::vector<int32_t>& rows,
               const std::vector<int32_t>& order, TableTrainResult& r) {
  const std::vector<TableSplit> splits = kfold_splits(rows, order, o.folds);
  r.unseen.assign(r.layout.features.size(), 0);
  for (size_t f = 0; f < splits.size(); ++f) {
    const std::string label = "fold " + std::to_string(f + 1) + "/" + std::to_string(splits.size());
    const Trained t = train_one(o, csv, r.layout, splits[f], r.name, label);
    if (t.result.interrupted) {
      r.interrupted = true;
      return;
    }
    say(o.on_progress, score_line(label, t, r.layout.task));
    r.folds.push_back({t.val, t.result});
    for (size_t k = 0; k < r.unseen.size() && k < t.val_report.unseen.size(); ++k) {
      r.unseen[k] += t.val_report.unseen[k];
    }
    if (r.confusion.empty()) r.confusion.assign(t.val.confusion.size(), 0);
    for (size_t i = 0; i < r.confusion.size(); ++i) r.confusion[i] += t.val.confusion[i];
  }
  // The model to keep: trained on every row, with statistics from every row.
  Trained all = train_one(o, csv, r.layout, TableSplit{rows, {}}, r.name, "");
  if (!all.result.interrupted) say(o.on_progress, score_line("all rows", all, r.layout.task));
  keep(r, std::move(all));
}

void run_split(const TableTrainOptions& o, const CsvTable& csv, const std::vector<int32_t>& rows,
               const std::vector<int32_t>& order, TableTrainResult& r) {
  const TableSplit split =
      o.val_split > 0.0 ? holdout_split(rows, order, o.val_split) : TableSplit{rows, {}};
  Trained t = train_one(o, csv, r.layout, split, r.name, "");
  if (!t.result.interrupted) {
    say(o.on_progress, score_line(split.val.empty() ? "all rows" : "validation", t, r.layout.task));
    if (!split.val.empty()) r.folds.push_back({t.val, t.result});
    r.unseen = t.val_report.unseen;
    r.confusion = t.val.confusion;
  }
  keep(r, std::move(t));
}

// How many empty fields each column had, and what filled them; categories the validation
// rows had that their training rows did not.
void report_filling(const TableTrainOptions& o, const CsvTable& csv, const TableTrainResult& r) {
  for (size_t k = 0; k < r.encoding.features.size(); ++k) {
    const FeatureColumn& f = r.encoding.features[k];
    const int64_t missing = k < r.missing.size() ? r.missing[k] : 0;
    const int64_t unseen = k < r.unseen.size() ? r.unseen[k] : 0;
    if (missing > 0) {
      say(o.on_notice,
          csv.name + ": column " + in_quotes(f.name) + ": " + std::to_string(missing) +
              " missing value" + (missing == 1 ? "" : "s") + " filled with the " +
              (f.categorical ? "training rows' most common category " + in_quotes(f.fill_category)
                             : "training mean " + std::to_string(f.fill)));
    }
    if (unseen > 0) {
      say(o.on_notice, "warning: " + csv.name + ": column " + in_quotes(f.name) + ": " +
                           std::to_string(unseen) + " validation row" +
                           (unseen == 1 ? " has a category" : "s have categories") +
                           " not seen in the training rows (encoded as all zeros)");
    }
  }
}

// "<file stem>_mlp": the MLP's name.
std::string model_name(const TableTrainOptions& o) {
  return strip_csv_extension(std::filesystem::path(o.data).filename().string()) + "_mlp";
}

}  // namespace

double TableTrainResult::mean(double TableScores::*score) const {
  if (folds.empty()) return NAN;
  double sum = 0;
  for (const TableFold& f : folds) sum += f.val.*score;
  return sum / static_cast<double>(folds.size());
}

double TableTrainResult::train_acc() const {
  if (validation != "folds" || folds.empty()) return result.train_acc;
  double sum = 0;
  for (const TableFold& f : folds) sum += f.result.train_acc;
  return sum / static_cast<double>(folds.size());
}

TableTrainResult train_table(const TableTrainOptions& o) {
  check_options(o);
  const auto start = std::chrono::steady_clock::now();
  const CsvTable csv = read_csv(o.data);
  TableTrainResult r;
  r.layout = describe_table(csv, o.columns, r.notes);
  r.name = model_name(o);
  const std::vector<int32_t> rows = labelled_rows(csv, r.layout);
  r.rows = static_cast<int64_t>(rows.size());
  say(o.on_progress, description_line(csv, r, o.columns));
  if (r.rows < csv.num_rows()) {
    say(o.on_notice, csv.name + ": " + std::to_string(csv.num_rows() - r.rows) +
                         " rows without a value in the target column " +
                         in_quotes(r.layout.target) + " left out");
  }
  for (const std::string& w : r.notes.warnings) say(o.on_notice, "warning: " + w);
  check_rows(o, csv, r.rows);

  const bool classify = r.layout.task == TableTask::classify;
  const std::vector<int32_t> classes =
      classify ? class_indices(csv, rows, r.layout) : std::vector<int32_t>{};
  const std::vector<int32_t> order = split_order(static_cast<int32_t>(r.rows), classes, o.seed);
  r.validation = o.folds > 0 ? "folds" : (o.val_split > 0.0 ? "split" : "none");
  if (o.folds > 0) {
    run_folds(o, csv, rows, order, r);
  } else {
    run_split(o, csv, rows, order, r);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.interrupted) report_filling(o, csv, r);
  return r;
}

}  // namespace nnzero
