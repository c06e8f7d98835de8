// Training on a table: the workflow of `nnzero train --data FILE.csv` (docs/tables.md) as a
// library call. Reads the CSV, decides what each column is (nnzero/data/table.h), holds rows
// out for validation (a seeded split, or k-fold cross-validation followed by a model trained
// on every row), trains a multilayer perceptron or the network of a spec with the statistics
// of each model's training rows only, and scores each model on its validation rows
// (accuracy, confusion matrix, per-class precision and recall; or R^2, RMSE and MAE in the
// target's units).
//
//   nnzero::TableTrainOptions options;
//   options.data = "iris.csv";
//   options.folds = 5;
//   nnzero::TableTrainResult r = nnzero::train_table(options);
//   double accuracy = r.mean(&nnzero::TableScores::acc);  // over the 5 folds
//   nnzero::write_table_run(r, "runs/iris");  // model.safetensors + metrics.csv
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nnzero/data/table.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/model/spec.h"
#include "nnzero/train/table_scores.h"
#include "nnzero/train/trainer.h"

namespace nnzero {

// Defaults for a small table (measured in docs/tables.md): the book's Adam (lr 0.001), small
// batches, enough epochs for a few hundred rows, and weight decay against overfitting them
// (without it the 64-64 MLP memorises diabetes.csv: R^2 0.19 instead of 0.49).
struct TableDefaults {
  static constexpr const char* optimizer = "adam";
  static constexpr double lr = 0.001;
  static constexpr double weight_decay = 0.03;
  static constexpr int64_t batch = 32;
  static constexpr int64_t epochs = 200;
  static constexpr double val_split = 0.2;
  static std::vector<int64_t> hidden() { return {64, 64}; }
};

struct TableTrainOptions {
  std::string data;      // the CSV file (.csv or .csv.gz)
  TableOptions columns;  // the target, the task, columns to drop, max categories per column
  double val_split = TableDefaults::val_split;  // rows held out, in [0, 1); 0: none
  int64_t folds = 0;  // >= 2: k-fold cross-validation (val_split is then ignored)
  uint64_t seed = 0;  // the split or folds, the initial weights, the batch order

  // The network: `spec` when given (its input must have the table's encoded width and its
  // output one score per class or one value; `spec_name` names it in messages), else an MLP
  // built by multi_layer_net from `mlp` with an output layer sized for the task.
  std::optional<ModelSpec> spec;
  std::string spec_name;
  MultiLayerOptions mlp = {.hidden = TableDefaults::hidden()};
  std::string init;  // overrides the network's init ("" keeps it)

  // Training: each field left unset takes the spec's "train" section, else TableDefaults.
  TrainDefaults train;
  bool shuffle = true;
  bool live_progress = false;  // a progress bar on stderr while each model trains

  // Lines for a person, as they happen. `on_progress`: the table's description, each fold's
  // scores, the final model's training and scores. `on_notice`: what a person should know
  // even when not following progress: rows without a target, ID-like columns, missing
  // values filled, categories not seen in training. Either may be empty (silent).
  std::function<void(const std::string&)> on_progress, on_notice;
};

// A validated model: the split's one model, or one fold's.
struct TableFold {
  TableScores val;
  TrainResult result;
};

struct TableTrainResult {
  std::string name;              // "<file stem>_mlp": the MLP's name (a spec keeps its own)
  TableEncoding layout;          // what each column is, decided from all rows
  TableNotes notes;              // why the task, ID-like columns, the encoded width over all rows
  int64_t rows = 0;              // labelled rows (the file's rows minus those without a target)
  std::string validation;        // "split", "folds" or "none"
  std::vector<TableFold> folds;  // the validated models (none without validation)

  // The model to keep: trained on the split's training rows, or on every row (with folds or
  // without validation), with the statistics (`encoding`) of those rows.
  std::unique_ptr<Sequential> model;
  TableEncoding encoding;
  TrainResult result;

  std::vector<int64_t> confusion;  // classify: the folds' confusion matrices summed
  // Per feature column: empty fields filled (the saved model's rows, training and
  // validation) and categories not seen in training (the validation rows of every fold).
  std::vector<int64_t> missing, unseen;
  bool interrupted = false;  // request_stop() (Ctrl-C): nothing above is complete
  double seconds = 0.0;      // the whole call

  bool validated() const { return !folds.empty(); }
  // The mean of a score over the validated models (NaN without validation).
  double mean(double TableScores::*score) const;
  // classify: the saved model's training accuracy, or with folds the folds' mean.
  double train_acc() const;
};

// Trains as the options say. Throws an Error naming the file, line, column or flag for bad
// tables and options, before anything is trained where it can.
TableTrainResult train_table(const TableTrainOptions& options);

// The per-epoch metrics of a run, as metrics.csv holds them: with folds, the mean over the
// fold models (the final model is not included); else the saved model's.
std::string table_metrics_csv(const TableTrainResult& result);

// Writes the run folder: model.safetensors (with the "nnzero.table" metadata) and
// metrics.csv. All or nothing: when a write fails, the files it made (and the folder, if it
// made it) are removed.
void write_table_run(const TableTrainResult& result, const std::string& dir);

// The "table" section a spec file for a table may carry: "target", "task", "drop" (a list of
// column names) and "max_categories", the same as the command's flags.
struct TableSection {
  std::optional<std::string> target;
  std::optional<TableTask> task;
  std::optional<std::vector<std::string>> drop;
  std::optional<int64_t> max_categories;
};
struct TableSpecFile {
  ModelSpec spec;  // the rest of the file, parsed as any model spec
  TableSection table;
};
// Reads a spec file for a table; throws an Error naming the file and field.
TableSpecFile load_table_spec(const std::string& path);

}  // namespace nnzero
