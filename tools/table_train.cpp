// nnzero train --data FILE.csv: a multilayer perceptron on a table of features, for
// classification (softmax + cross-entropy) or regression (identity + squared error), with a
// seeded validation split or k-fold cross-validation. See docs/tables.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "common.h"
#include "nnzero/data/table.h"
#include "nnzero/io/file.h"
#include "nnzero/model/model_file.h"
#include "nnzero/train/evaluate.h"
#include "nnzero/train/progress.h"
#include "nnzero/train/trainer.h"
#include "table.h"

namespace nnzero::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Defaults for a small table (measured in docs/tables.md): the book's Adam (lr 0.001), small
// batches, enough epochs for a few hundred rows, and weight decay against overfitting them
// (without it the 64-64 MLP memorises diabetes.csv: R^2 0.19 instead of 0.49).
constexpr const char* kDefaultOptimizer = "adam";
constexpr double kDefaultLr = 0.001;
constexpr double kDefaultWeightDecay = 0.03;
constexpr int64_t kDefaultBatch = 32;
constexpr int64_t kDefaultEpochs = 200;
constexpr const char* kDefaultHidden = "64,64";
constexpr double kDefaultValSplit = 0.2;
constexpr uint64_t kSplitStream = 0x5441424c45535054ULL;  // the split's own random stream

bool given(const CLI::App& cmd, const char* flag) {
  const CLI::Option* o = cmd.get_option_no_throw(flag);
  return o != nullptr && o->count() > 0;
}

template <class T>
T value(const CLI::App& cmd, const char* flag, T fallback) {
  return given(cmd, flag) ? cmd.get_option(flag)->as<T>() : fallback;
}

struct TableArgs {
  std::string data, target, task, spec_file, hidden, activation, init, out;
  bool batchnorm = false, quiet = false, no_shuffle = false;
  double dropout = 0.0, val_split = kDefaultValSplit;
  int64_t folds = 0;
  uint64_t seed = 0;
  const CLI::App* cmd = nullptr;
  bool has(const char* flag) const { return given(*cmd, flag); }
};

TableArgs read_args(const CLI::App& cmd) {
  for (const char* flag : {"--model", "--resume", "--init-from", "--train-samples"}) {
    if (given(cmd, flag)) {
      throw Error(std::string(flag) +
                  " does not apply to a table (--data *.csv): the table path trains an MLP "
                  "from --hidden, or the network of --spec FILE");
    }
  }
  TableArgs a;
  a.cmd = &cmd;
  a.data = value<std::string>(cmd, "--data", "");
  a.target = value<std::string>(cmd, "--target", "");
  a.task = value<std::string>(cmd, "--task", "");
  a.spec_file = value<std::string>(cmd, "--spec", "");
  a.hidden = value<std::string>(cmd, "--hidden", "");
  a.activation = value<std::string>(cmd, "--activation", "");
  a.init = value<std::string>(cmd, "--init", "");
  a.out = value<std::string>(cmd, "--out", "");
  a.batchnorm = given(cmd, "--batchnorm");
  a.quiet = given(cmd, "--quiet");
  a.no_shuffle = given(cmd, "--no-shuffle");
  a.dropout = value<double>(cmd, "--dropout", 0.0);
  a.val_split = value<double>(cmd, "--val-split", kDefaultValSplit);
  a.folds = value<int64_t>(cmd, "--folds", 0);
  a.seed = value<uint64_t>(cmd, "--seed", 0);
  if (!a.task.empty()) (void)parse_task(a.task, "--task");
  if (!a.hidden.empty()) (void)parse_sizes(a.hidden, "--hidden");
  if (!(a.val_split >= 0.0 && a.val_split < 1.0)) {
    throw Error("--val-split must be in [0, 1), got " + std::to_string(a.val_split));
  }
  if (a.has("--folds") && a.folds < 2) {
    throw Error("--folds must be at least 2, got " + std::to_string(a.folds));
  }
  if (a.has("--folds") && a.has("--val-split")) {
    throw Error("give --folds K (cross-validation) or --val-split X, not both");
  }
  if (!a.spec_file.empty() &&
      (a.has("--hidden") || a.has("--activation") || a.batchnorm || a.dropout != 0.0)) {
    throw Error(
        "--hidden, --activation, --batchnorm and --dropout shape the built-in table MLP; "
        "they do not apply to --spec");
  }
  return a;
}

std::string stem_of(const std::string& path) {
  return strip_csv_extension(fs::path(path).filename().string());
}

std::string default_run_dir(const std::string& model) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  std::string dir = "runs/";
  dir += model;
  dir += '-';
  dir += stamp;
  return dir;
}

std::string feature_summary(const TableEncoding& e) {
  int64_t numeric = 0, categorical = 0;
  for (const FeatureColumn& f : e.features) (f.categorical ? categorical : numeric) += 1;
  std::string s = std::to_string(numeric) + " numeric and " + std::to_string(categorical) +
                  " categorical columns";
  return s;
}

// The network for the table: the flags' MLP, or the --spec file checked against the data.
ModelSpec table_spec(const TableArgs& a, const TableEncoding& e, const std::string& name) {
  const int64_t inputs = e.num_inputs();
  const int64_t outputs =
      e.task == TableTask::classify ? static_cast<int64_t>(e.classes.size()) : 1;
  const std::string loss = e.task == TableTask::classify ? "softmax_cross_entropy" : "mse";
  ModelSpec spec;
  if (!a.spec_file.empty()) {
    spec = ModelSpec::load(a.spec_file);
    if (spec.input.numel() != inputs) {
      throw Error(a.spec_file + ": the spec's input is " + spec.input.str() + " but " + a.data +
                  " encodes to " + std::to_string(inputs) + " features (" + feature_summary(e) +
                  ")");
    }
  } else {
    MultiLayerOptions o;
    o.hidden = parse_sizes(a.hidden.empty() ? kDefaultHidden : a.hidden, "--hidden");
    if (!a.activation.empty()) o.activation = a.activation;
    o.batchnorm = a.batchnorm;
    o.dropout = static_cast<float>(a.dropout);
    spec = builtin_spec("multi_layer_net", o);
    spec.name = name;
    spec.input = Shape{inputs};
    spec.layers.back().fields["out_features"] = outputs;
    spec.loss = loss;
    spec.train = {.optimizer = kDefaultOptimizer,
                  .lr_schedule = {},
                  .lr = kDefaultLr,
                  .weight_decay = kDefaultWeightDecay,
                  .batch = kDefaultBatch,
                  .epochs = kDefaultEpochs,
                  .max_steps = {}};
  }
  if (!a.init.empty()) {
    check_init(a.init, "--init");
    spec.init = a.init;
  }
  Rng rng(0);
  const Sequential check(spec, rng);
  const Shape& out = check.output_shape();
  if (out.rank() != 1 || out[0] != outputs || spec.loss != loss) {
    throw Error((a.spec_file.empty() ? std::string("the table MLP") : a.spec_file) +
                ": the network outputs " + out.str() + " with loss " + spec.loss + ", but --task " +
                task_name(e.task) + " on " + a.data + " needs (" + std::to_string(outputs) +
                ") with loss " + loss);
  }
  return spec;
}

TrainOptions train_options(const TableArgs& a, const ModelSpec& spec) {
  const CLI::App& c = *a.cmd;
  TrainOptions o;
  o.epochs = value<int64_t>(c, "--epochs", spec.train.epochs.value_or(kDefaultEpochs));
  o.batch = value<int64_t>(c, "--batch", spec.train.batch.value_or(kDefaultBatch));
  o.max_steps = value<int64_t>(c, "--max-steps", spec.train.max_steps.value_or(0));
  o.optimizer =
      value<std::string>(c, "--optimizer", spec.train.optimizer.value_or(kDefaultOptimizer));
  // As for MNIST: the spec's learning rate goes with its optimizer; another optimizer without
  // --lr gets its own book default (0 means that, see make_optimizer).
  const bool same_optimizer = o.optimizer == spec.train.optimizer.value_or(kDefaultOptimizer);
  o.lr = static_cast<float>(
      value<double>(c, "--lr", same_optimizer ? spec.train.lr.value_or(kDefaultLr) : 0.0));
  o.lr_schedule =
      value<std::string>(c, "--lr-schedule", spec.train.lr_schedule.value_or("constant"));
  o.weight_decay = static_cast<float>(
      value<double>(c, "--weight-decay", spec.train.weight_decay.value_or(kDefaultWeightDecay)));
  o.seed = a.seed;
  o.shuffle = !a.no_shuffle;
  o.log_epochs = false;  // hundreds of short epochs: one summary line per model instead
  o.live_progress = !a.quiet && Progress::stderr_is_terminal();
  return o;
}

// Fold (or "is validation") of each labelled row: a seeded shuffle, stratified by class for
// classification (rows sorted by class after shuffling, then dealt out in turn).
std::vector<int32_t> shuffled_order(const CsvTable& csv, const TableEncoding& layout,
                                    const std::vector<int32_t>& rows, uint64_t seed) {
  Rng rng(seed ^ kSplitStream);
  std::vector<int32_t> order = rng.permutation(static_cast<int32_t>(rows.size()));
  if (layout.task == TableTask::classify) {
    EncodeReport unused;
    const Dataset labels = table_dataset(csv, rows, layout, unused);
    std::stable_sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
      return labels.labels[static_cast<size_t>(x)] < labels.labels[static_cast<size_t>(y)];
    });
  }
  return order;
}

struct Split {
  std::vector<int32_t> train, val;  // row numbers in the CSV
};

std::vector<Split> make_folds(const std::vector<int32_t>& rows, const std::vector<int32_t>& order,
                              int64_t k) {
  std::vector<Split> folds(static_cast<size_t>(k));
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t fold = i % static_cast<size_t>(k);
    for (size_t f = 0; f < folds.size(); ++f) {
      (f == fold ? folds[f].val : folds[f].train).push_back(rows[static_cast<size_t>(order[i])]);
    }
  }
  for (Split& s : folds)
    std::sort(s.train.begin(), s.train.end()), std::sort(s.val.begin(), s.val.end());
  return folds;
}

// Every position i with floor((i+1) f) > floor(i f) goes to validation: floor(n f) rows spread
// evenly over the (class-sorted) shuffled order, so every class gets its share.
Split make_split(const std::vector<int32_t>& rows, const std::vector<int32_t>& order, double f) {
  Split s;
  for (size_t i = 0; i < order.size(); ++i) {
    const bool val =
        std::floor(static_cast<double>(i + 1) * f) > std::floor(static_cast<double>(i) * f);
    (val ? s.val : s.train).push_back(rows[static_cast<size_t>(order[i])]);
  }
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.val.begin(), s.val.end());
  return s;
}

// What one trained model scored on its validation rows, in the target's units.
struct Scores {
  int64_t rows = 0;
  double loss = NAN, acc = NAN, r2 = NAN, rmse = NAN, mae = NAN;
  std::vector<int64_t> confusion;
};

Scores score(Model& model, const Dataset& val, const TableEncoding& e) {
  Scores s;
  if (val.size() == 0) return s;
  const EvalResult r = evaluate(model, val, 256, 0, true);
  const auto n = static_cast<double>(r.samples);
  s.rows = r.samples;
  s.loss = r.loss;
  if (e.task == TableTask::classify) {
    s.acc = r.accuracy;
    s.confusion = r.confusion;
  } else {
    s.rmse = std::sqrt(r.sum_sq_error / n) * e.target_std;
    s.mae = r.sum_abs_error / n * e.target_std;
    s.r2 = r.sum_sq_total > 0.0 ? 1.0 - r.sum_sq_error / r.sum_sq_total : NAN;
  }
  return s;
}

json num(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json per_class(const std::vector<int64_t>& confusion, const std::vector<std::string>& classes) {
  const size_t k = classes.size();
  json out = json::array();
  for (size_t c = 0; c < k && confusion.size() == k * k; ++c) {
    int64_t predicted = 0, actual = 0;
    for (size_t j = 0; j < k; ++j)
      predicted += confusion[j * k + c], actual += confusion[c * k + j];
    const auto tp = static_cast<double>(confusion[c * k + c]);
    out.push_back(
        {{"class", classes[c]},
         {"precision", predicted > 0 ? json(tp / static_cast<double>(predicted)) : json(nullptr)},
         {"recall", actual > 0 ? json(tp / static_cast<double>(actual)) : json(nullptr)},
         {"support", actual}});
  }
  return out;
}

json confusion_rows(const std::vector<int64_t>& confusion, size_t k) {
  json rows = json::array();
  for (size_t i = 0; i < k && confusion.size() == k * k; ++i) {
    rows.push_back(std::vector<int64_t>(confusion.begin() + static_cast<ptrdiff_t>(i * k),
                                        confusion.begin() + static_cast<ptrdiff_t>((i + 1) * k)));
  }
  return rows;
}

// One model trained on `split.train`, with the statistics of those rows only.
struct Trained {
  TableEncoding encoding;
  std::unique_ptr<Sequential> model;
  TrainResult result;
  Scores val;
  EncodeReport train_report, val_report;
};

Trained train_model(const TableArgs& a, const CsvTable& csv, const TableEncoding& layout,
                    const Split& split, const std::string& name, const std::string& label) {
  Trained t;
  t.encoding = fit_table(csv, layout, split.train);
  const Dataset train = table_dataset(csv, split.train, t.encoding, t.train_report);
  const Dataset val = table_dataset(csv, split.val, t.encoding, t.val_report);
  ModelSpec spec;
  try {
    spec = table_spec(a, t.encoding, name);
  } catch (const Error& e) {
    throw Error(label.empty() ? e.what() : label + ": " + e.what());
  }
  const TrainOptions opt = train_options(a, spec);
  Rng init_rng(opt.seed);
  t.model = std::make_unique<Sequential>(spec, init_rng);
  Trainer trainer(*t.model, train, val.size() > 0 ? &val : nullptr, opt);
  if (!a.quiet && label.empty()) {
    std::cerr << "training " << spec.name << " (" << t.model->num_params() << " parameters, inputs "
              << t.encoding.num_inputs() << ") on " << train.size() << " rows, " << opt.optimizer
              << " lr " << trainer.optimizer().lr()
              << (opt.lr_schedule == "constant" ? "" : " (" + opt.lr_schedule + " decay)")
              << ", batch " << opt.batch << ", " << opt.epochs << " epochs\n";
  }
  t.result = trainer.run();
  if (!t.result.interrupted) t.val = score(*t.model, val, t.encoding);
  return t;
}

void log_scores(const std::string& label, const Trained& t, TableTask task) {
  char line[256];
  const Scores& s = t.val;
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
  std::cerr << line << "\n";
}

// How many empty fields each column had, and what filled them; categories the validation
// rows had that their training rows did not.
void report_filling(const CsvTable& csv, const TableEncoding& e,
                    const std::vector<int64_t>& missing, const std::vector<int64_t>& unseen) {
  for (size_t k = 0; k < e.features.size(); ++k) {
    const FeatureColumn& f = e.features[k];
    if (missing[k] > 0) {
      std::cerr << csv.name << ": column \"" << f.name << "\": " << missing[k] << " missing value"
                << (missing[k] == 1 ? "" : "s") << " filled with the training "
                << (f.categorical ? "rows' most common category \"" + f.fill_category + "\""
                                  : "mean " + std::to_string(f.fill))
                << "\n";
    }
    if (unseen[k] > 0) {
      std::cerr << "warning: " << csv.name << ": column \"" << f.name << "\": " << unseen[k]
                << " validation row" << (unseen[k] == 1 ? " has a category" : "s have categories")
                << " not seen in the training rows (encoded as all zeros)\n";
    }
  }
}

std::string metrics_csv(const std::vector<std::vector<EpochMetrics>>& histories) {
  std::string csv = "epoch,train_loss,train_acc,test_loss,test_acc,seconds\n";
  size_t epochs = 0;
  for (const auto& h : histories) epochs = std::max(epochs, h.size());
  for (size_t e = 0; e < epochs; ++e) {
    EpochMetrics m;
    double count = 0;
    for (const auto& h : histories) {
      if (e >= h.size()) continue;
      m.train_loss += h[e].train_loss, m.train_acc += h[e].train_acc, m.test_loss += h[e].test_loss;
      m.test_acc += h[e].test_acc, m.seconds += h[e].seconds, count += 1;
    }
    char row[256];
    std::snprintf(row, sizeof row, "%zu,%.6f,%.6f,%.6f,%.6f,%.3f\n", e + 1, m.train_loss / count,
                  m.train_acc / count, m.test_loss / count, m.test_acc / count, m.seconds / count);
    csv += row;
  }
  return csv;
}

double mean_of(const std::vector<Scores>& scores, double Scores::*field) {
  double sum = 0;
  for (const Scores& s : scores) sum += s.*field;
  return scores.empty() ? NAN : sum / static_cast<double>(scores.size());
}

extern "C" void on_table_sigint(int) {
  request_stop();
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

std::string strip_csv_extension(const std::string& path) {
  std::string out = path;
  for (const char* ext : {".gz", ".csv"}) {
    const std::string e = ext;
    if (out.size() > e.size()) {
      std::string tail = out.substr(out.size() - e.size());
      std::transform(tail.begin(), tail.end(), tail.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (tail == e) out.resize(out.size() - e.size());
    }
  }
  return out;
}

bool is_table_data(const std::string& data) {
  std::string lower = data;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return lower.ends_with(".csv") || lower.ends_with(".csv.gz");
}

void add_table_flags(CLI::App& train) {
  train
      .add_option("--target", "Table (--data FILE.csv): the column to predict (default: the last)")
      ->type_name("NAME");
  train
      .add_option("--task", "Table: classify or regress (default: guessed from the target column)")
      ->type_name("TASK");
  train.add_option("--val-split", "Table: fraction of rows held out for validation (default 0.2)")
      ->type_name("X");
  train.add_option("--folds", "Table: k-fold cross-validation, then a model trained on all rows")
      ->type_name("K");
}

void train_table(const CLI::App& cmd) {
  const TableArgs a = read_args(cmd);
  const auto start = std::chrono::steady_clock::now();
  const CsvTable csv = read_csv(a.data);
  TableOptions options;
  options.target = a.target;
  if (!a.task.empty()) options.task = parse_task(a.task, "--task");
  std::string reason;
  const TableEncoding layout = describe_table(csv, options, &reason);
  const std::vector<int32_t> rows = labelled_rows(csv, layout);
  const std::string name = stem_of(a.data) + "_mlp";
  const bool classify = layout.task == TableTask::classify;

  if (!a.quiet) {
    std::cerr << csv.name << ": " << csv.num_rows() << " rows, target \"" << layout.target << "\", "
              << feature_summary(layout) << "; task: " << task_name(layout.task) << " (" << reason
              << (a.task.empty() ? "; --task to change" : "") << ")";
    if (classify)
      std::cerr << ", " << layout.classes.size() << " classes: " << join(layout.classes, ", ");
    std::cerr << "\n";
  }
  if (static_cast<int64_t>(rows.size()) < csv.num_rows()) {
    std::cerr << csv.name << ": " << csv.num_rows() - static_cast<int64_t>(rows.size())
              << " rows without a value in the target column \"" << layout.target
              << "\" left out\n";
  }

  const std::vector<int32_t> order = shuffled_order(csv, layout, rows, a.seed);
  const auto n = static_cast<int64_t>(rows.size());
  if (a.folds > 0 && a.folds > n) {
    throw Error("--folds " + std::to_string(a.folds) +
                " needs at least as many rows with a target; " + csv.name + " has " +
                std::to_string(n));
  }
  if (a.folds == 0 && a.val_split > 0.0 && std::floor(static_cast<double>(n) * a.val_split) < 1.0) {
    throw Error("--val-split " + std::to_string(a.val_split) + " of " + std::to_string(n) +
                " rows in " + csv.name +
                " leaves no validation rows (use --val-split 0 to train on all rows)");
  }

  clear_stop_request();
  std::signal(SIGINT, on_table_sigint);
  std::vector<Scores> fold_scores;
  std::vector<std::vector<EpochMetrics>> histories;
  std::vector<TrainResult> fold_results;
  std::vector<int64_t> confusion, unseen(layout.features.size(), 0);
  Trained saved;
  bool interrupted = false;
  if (a.folds > 0) {
    const std::vector<Split> folds = make_folds(rows, order, a.folds);
    for (size_t f = 0; f < folds.size() && !interrupted; ++f) {
      const std::string label =
          "fold " + std::to_string(f + 1) + "/" + std::to_string(folds.size());
      Trained t = train_model(a, csv, layout, folds[f], name, label);
      interrupted = t.result.interrupted;
      if (interrupted) break;
      if (!a.quiet) log_scores(label, t, layout.task);
      fold_scores.push_back(t.val);
      fold_results.push_back(t.result);
      histories.push_back(t.result.history);
      for (size_t k = 0; k < unseen.size() && k < t.val_report.unseen.size(); ++k)
        unseen[k] += t.val_report.unseen[k];
      if (confusion.empty()) confusion.assign(t.val.confusion.size(), 0);
      for (size_t i = 0; i < confusion.size(); ++i) confusion[i] += t.val.confusion[i];
    }
    if (!interrupted) {
      // The model to keep: trained on every row, with statistics from every row.
      saved = train_model(a, csv, layout, Split{rows, {}}, name, "");
      interrupted = saved.result.interrupted;
      if (!a.quiet && !interrupted) log_scores("all rows", saved, layout.task);
    }
  } else {
    const Split split = a.val_split > 0.0 ? make_split(rows, order, a.val_split) : Split{rows, {}};
    saved = train_model(a, csv, layout, split, name, "");
    interrupted = saved.result.interrupted;
    if (!interrupted) {
      if (!a.quiet) log_scores(split.val.empty() ? "all rows" : "validation", saved, layout.task);
      if (!split.val.empty()) fold_scores.push_back(saved.val);
      histories.push_back(saved.result.history);
      unseen = saved.val_report.unseen;
      confusion = saved.val.confusion;
    }
  }
  std::signal(SIGINT, SIG_DFL);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (interrupted) {
    exit_status = 130;
    std::cerr << "interrupted: nothing saved (a table run is short: start it again)\n";
    print_result({{"model", name}, {"interrupted", true}, {"seconds", seconds}});
    return;
  }

  // Missing values, counted over every row used (training and validation).
  std::vector<int64_t> missing = saved.train_report.missing;
  for (size_t k = 0; k < missing.size() && k < saved.val_report.missing.size(); ++k) {
    missing[k] += saved.val_report.missing[k];
  }
  report_filling(csv, saved.encoding, missing, unseen);

  const std::string out_dir = a.out.empty() ? default_run_dir(name) : a.out;
  make_directories(out_dir);
  write_file_atomic((fs::path(out_dir) / "metrics.csv").string(), metrics_csv(histories));
  const std::string model_path = (fs::path(out_dir) / "model.safetensors").string();
  save_model(*saved.model, model_path, {{"nnzero.table", saved.encoding.to_json()}});

  const bool validated = !fold_scores.empty();
  const double val_loss = mean_of(fold_scores, &Scores::loss);
  double train_acc = saved.result.train_acc;
  if (a.folds > 0) {
    train_acc = 0;
    for (const TrainResult& r : fold_results) train_acc += r.train_acc;
    train_acc /= static_cast<double>(fold_results.size());
  }
  json j = {
      {"model", saved.model->spec().name},
      {"epochs", saved.result.epochs},
      {"steps", saved.result.steps},
      {"train_acc", classify ? num(train_acc) : json(nullptr)},
      {"test_acc", classify && validated ? num(mean_of(fold_scores, &Scores::acc)) : json(nullptr)},
      {"test_loss", validated ? num(val_loss) : json(nullptr)},
      {"seconds", seconds},
      {"samples_per_s", saved.result.samples_per_s},
      {"out", out_dir},
      {"task", task_name(layout.task)},
      {"target", layout.target},
      {"rows", n},
      {"inputs", saved.encoding.num_inputs()},
      {"validation", a.folds > 0 ? "folds" : (validated ? "split" : "none")},
      {"saved_model", a.folds > 0 || !validated ? "all rows" : "training rows of the split"}};
  if (a.folds == 0) {
    j["train_rows"] = saved.encoding.training_rows;
    j["val_rows"] = validated ? fold_scores[0].rows : 0;
  }
  if (classify) {
    j["classes"] = layout.classes;
    j["val_acc"] = validated ? num(mean_of(fold_scores, &Scores::acc)) : json(nullptr);
    if (validated) {
      j["per_class"] = per_class(confusion, layout.classes);
      j["confusion"] = confusion_rows(confusion, layout.classes.size());
    }
  } else {
    j["val_r2"] = validated ? num(mean_of(fold_scores, &Scores::r2)) : json(nullptr);
    j["val_rmse"] = validated ? num(mean_of(fold_scores, &Scores::rmse)) : json(nullptr);
    j["val_mae"] = validated ? num(mean_of(fold_scores, &Scores::mae)) : json(nullptr);
  }
  if (a.folds > 0) {
    json folds = json::array();
    for (size_t f = 0; f < fold_scores.size(); ++f) {
      const Scores& s = fold_scores[f];
      json row = {{"fold", f + 1}, {"val_rows", s.rows}, {"val_loss", num(s.loss)}};
      if (classify) {
        row["val_acc"] = num(s.acc);
        row["train_acc"] = num(fold_results[f].train_acc);
      } else {
        row["val_r2"] = num(s.r2);
        row["val_rmse"] = num(s.rmse);
        row["val_mae"] = num(s.mae);
      }
      folds.push_back(row);
    }
    j["folds"] = folds;
  }
  if (!a.quiet) {
    std::cerr << "saved " << model_path;
    if (a.folds > 0) {
      char line[160];
      if (classify) {
        std::snprintf(line, sizeof line, "; mean over %lld folds: acc %.4f",
                      static_cast<long long>(a.folds), mean_of(fold_scores, &Scores::acc));
      } else {
        std::snprintf(line, sizeof line, "; mean over %lld folds: R2 %.4f, RMSE %.4g, MAE %.4g",
                      static_cast<long long>(a.folds), mean_of(fold_scores, &Scores::r2),
                      mean_of(fold_scores, &Scores::rmse), mean_of(fold_scores, &Scores::mae));
      }
      std::cerr << line;
    }
    std::cerr << "\n";
  }
  print_result(j);
}

}  // namespace nnzero::cli
