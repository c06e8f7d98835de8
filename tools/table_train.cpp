// nnzero train --data FILE.csv: the flags into TableTrainOptions, the library's train_table
// (nnzero/train/table_training.h), the run folder and the JSON line. See docs/tables.md.
#include <filesystem>
#include <iostream>

#include "common.h"
#include "nnzero/error.h"
#include "nnzero/train/progress.h"
#include "table.h"

namespace nnzero::cli {

namespace {

void check_flag_combinations(const CLI::App& cmd) {
  for (const char* flag : {"--model", "--resume", "--init-from", "--train-samples"}) {
    if (given(cmd, flag)) {
      throw Error(std::string(flag) +
                  " does not apply to a table (--data *.csv): the table path trains an MLP "
                  "from --hidden, or the network of --spec FILE");
    }
  }
  if (given(cmd, "--folds") && given(cmd, "--val-split")) {
    throw Error("give --folds K (cross-validation) or --val-split X, not both");
  }
  if (given(cmd, "--spec") && (given(cmd, "--hidden") || given(cmd, "--activation") ||
                               given(cmd, "--batchnorm") || given(cmd, "--dropout"))) {
    throw Error(
        "--hidden, --activation, --batchnorm and --dropout shape the built-in table MLP; "
        "they do not apply to --spec");
  }
}

// --target, --task, --drop and --max-categories; each flag overrides the spec's "table"
// section.
TableOptions column_options(const CLI::App& cmd, const TableSection& section) {
  TableOptions c;
  c.target = value<std::string>(cmd, "--target", section.target.value_or(""));
  c.task = section.task;
  if (given(cmd, "--task")) c.task = parse_task(value<std::string>(cmd, "--task", ""), "--task");
  c.drop = value<std::vector<std::string>>(cmd, "--drop",
                                           section.drop.value_or(std::vector<std::string>{}));
  c.max_categories = value<int64_t>(cmd, "--max-categories",
                                    section.max_categories.value_or(kDefaultMaxCategories));
  return c;
}

// The MLP's shape (--hidden, --activation, --batchnorm, --dropout) or the --spec file.
void network_options(const CLI::App& cmd, TableTrainOptions& o, TableSection& section) {
  const std::string spec_file = value<std::string>(cmd, "--spec", "");
  if (!spec_file.empty()) {
    TableSpecFile f = load_table_spec(spec_file);
    o.spec = std::move(f.spec);
    o.spec_name = spec_file;
    section = std::move(f.table);
  }
  const std::string hidden = value<std::string>(cmd, "--hidden", "");
  if (!hidden.empty()) o.mlp.hidden = parse_sizes(hidden, "--hidden");
  o.mlp.activation = value<std::string>(cmd, "--activation", o.mlp.activation);
  o.mlp.batchnorm = given(cmd, "--batchnorm");
  o.mlp.dropout = static_cast<float>(value<double>(cmd, "--dropout", 0.0));
  o.init = value<std::string>(cmd, "--init", "");
}

TableTrainOptions read_options(const CLI::App& cmd) {
  check_flag_combinations(cmd);
  TableTrainOptions o;
  o.data = value<std::string>(cmd, "--data", "");
  TableSection section;
  network_options(cmd, o, section);
  o.columns = column_options(cmd, section);
  o.val_split = value<double>(cmd, "--val-split", TableDefaults::val_split);
  o.folds = value<int64_t>(cmd, "--folds", 0);
  o.seed = value<uint64_t>(cmd, "--seed", 0);
  o.shuffle = !given(cmd, "--no-shuffle");
  o.train = {.optimizer = optional_value<std::string>(cmd, "--optimizer"),
             .lr_schedule = optional_value<std::string>(cmd, "--lr-schedule"),
             .lr = optional_value<double>(cmd, "--lr"),
             .weight_decay = optional_value<double>(cmd, "--weight-decay"),
             .batch = optional_value<int64_t>(cmd, "--batch"),
             .epochs = optional_value<int64_t>(cmd, "--epochs"),
             .max_steps = optional_value<int64_t>(cmd, "--max-steps"),
             .crop_padding = {},
             .horizontal_flip = {}};
  const bool quiet = given(cmd, "--quiet");
  o.live_progress = !quiet && Progress::stderr_is_terminal();
  if (!quiet) o.on_progress = [](const std::string& line) { std::cerr << line << "\n"; };
  o.on_notice = [](const std::string& line) { std::cerr << line << "\n"; };
  return o;
}

// "saved runs/iris/model.safetensors; mean over 5 folds: acc 0.9533"
std::string saved_line(const TableTrainResult& r, const std::string& model_path) {
  std::string line = "saved " + model_path;
  if (r.validation != "folds") return line;
  char means[160];
  const auto folds = static_cast<long long>(r.folds.size());
  if (r.layout.task == TableTask::classify) {
    std::snprintf(means, sizeof means, "; mean over %lld folds: acc %.4f", folds,
                  r.mean(&TableScores::acc));
  } else {
    std::snprintf(means, sizeof means, "; mean over %lld folds: R2 %.4f, RMSE %.4g, MAE %.4g",
                  folds, r.mean(&TableScores::r2), r.mean(&TableScores::rmse),
                  r.mean(&TableScores::mae));
  }
  return line + means;
}

}  // namespace

void add_table_flags(CLI::App& train) {
  train
      .add_option("--target", "Table (--data FILE.csv): the column to predict (default: the last)")
      ->type_name("NAME");
  train
      .add_option("--task", "Table: classify or regress (default: guessed from the target column)")
      ->type_name("TASK");
  train
      .add_option("--val-split",
                  "Table: fraction of rows held out for validation (default 0.2). Image folder "
                  "without test/: fraction of each class of train/ held out as the test set")
      ->type_name("X");
  train.add_option("--folds", "Table: k-fold cross-validation, then a model trained on all rows")
      ->type_name("K");
  train.add_option("--drop", "Table: columns to leave out, e.g. PassengerId,Name")
      ->type_name("COL,...")
      ->delimiter(',')
      ->expected(1, CLI::detail::expected_max_vector_size);
  train
      .add_option("--max-categories",
                  "Table: refuse categorical columns with more categories (default 100, 0: no "
                  "limit)")
      ->type_name("N");
}

void train_table(const CLI::App& cmd) {
  const TableTrainOptions options = read_options(cmd);
  // Checked before training: a bad --out is found now, not after the run.
  const std::string flag_out = given(cmd, "--out") ? run_dir(cmd, "") : "";
  TableTrainResult r;
  {
    const StopOnCtrlC stop_on_ctrl_c;
    r = nnzero::train_table(options);
  }
  if (r.interrupted) {
    exit_status = 130;
    std::cerr << "interrupted: nothing saved (a table run is short: start it again)\n";
    print_result({{"model", r.name}, {"interrupted", true}, {"seconds", r.seconds}});
    return;
  }
  const std::string out_dir = flag_out.empty() ? default_run_dir(r.name) : flag_out;
  write_table_run(r, out_dir);
  if (options.on_progress) {
    options.on_progress(
        saved_line(r, (std::filesystem::path(out_dir) / "model.safetensors").string()));
  }
  print_result(table_result_json(r, out_dir));
}

}  // namespace nnzero::cli
