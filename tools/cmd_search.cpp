// nnzero search: the book's hyperparameter random search (section 6.5). Learning rate and
// weight decay are drawn log-uniformly; each trial trains on part of the training data and
// is scored on a validation split carved from the rest of it, never on the test set.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common.h"
#include "nnzero/train/trainer.h"

namespace nnzero::cli {

namespace {
struct SearchArgs {
  ModelChoice choice;
  std::string data, optimizer = "sgd", lr_range = "-6,-2", wd_range = "-8,-4";
  int64_t trials = 20, epochs = 50, batch = 100, train_samples = 500, top = 5;
  double val_split = 0.2;
  uint64_t seed = 0;
  int threads = 0;
};

std::pair<double, double> parse_range(const std::string& text, const std::string& flag) {
  const size_t comma = text.find(',');
  try {
    if (comma != std::string::npos) {
      const double lo = std::stod(text.substr(0, comma)), hi = std::stod(text.substr(comma + 1));
      if (lo <= hi && std::isfinite(lo) && std::isfinite(hi)) return {lo, hi};
    }
  } catch (const std::exception&) {
  }
  throw Error(flag + ": expected two base-10 exponents LO,HI with LO <= HI, e.g. -6,-2; got \"" +
              text + "\"");
}

struct Trial {
  double lr, weight_decay, val_acc, train_acc;
};

void run_search(SearchArgs& a) {
  if (a.trials < 1) throw Error("--trials must be at least 1");
  if (a.epochs < 1) throw Error("--epochs must be at least 1");
  if (a.batch < 1) throw Error("--batch must be at least 1");
  if (!(a.val_split > 0.0 && a.val_split < 1.0)) throw Error("--val-split must be in (0, 1)");
  const auto [lr_lo, lr_hi] = parse_range(a.lr_range, "--lr-range");
  const auto [wd_lo, wd_hi] = parse_range(a.wd_range, "--wd-range");
  apply_threads(a.threads);
  if (a.choice.model.empty() && a.choice.spec_file.empty()) {
    a.choice.model = "multi_layer_net";
    if (a.choice.hidden.empty()) a.choice.hidden = "100,100,100,100,100,100";  // the book's
  }
  const ModelSpec spec = a.choice.resolve();
  const Mnist mnist = load_mnist_for(resolve_data_dir(a.data));
  {
    Rng probe_rng(0);
    const Sequential probe(spec, probe_rng);
    check_labels_fit(mnist.train, probe.output_shape()[0], "the model " + spec.name);
  }

  // Shuffle the training set once (seeded), keep train_samples of it, and split those into
  // training and validation rows.
  Rng rng(a.seed);
  std::vector<int32_t> order = rng.permutation(static_cast<int32_t>(mnist.train.size()));
  const int64_t n = std::min<int64_t>(a.train_samples, mnist.train.size());
  const auto n_val = static_cast<int64_t>(std::round(static_cast<double>(n) * a.val_split));
  if (n_val < 1 || n - n_val < 1)
    throw Error("--val-split leaves no training or no validation rows");
  const Dataset val = subset(mnist.train, std::span(order.data(), static_cast<size_t>(n_val)));
  const Dataset train =
      subset(mnist.train, std::span(order.data() + n_val, static_cast<size_t>(n - n_val)));
  std::fprintf(
      stderr, "random search: %lld trials of %s, %lld epochs on %lld samples, validated on %lld\n",
      static_cast<long long>(a.trials), spec.name.c_str(), static_cast<long long>(a.epochs),
      static_cast<long long>(train.size()), static_cast<long long>(val.size()));

  std::vector<Trial> trials;
  for (int64_t t = 0; t < a.trials; ++t) {
    const double lr = std::pow(10.0, lr_lo + (lr_hi - lr_lo) * rng.uniform_double());
    const double wd = std::pow(10.0, wd_lo + (wd_hi - wd_lo) * rng.uniform_double());
    Rng init(a.seed + 1 + static_cast<uint64_t>(t));
    Sequential model(spec, init, a.choice.resolve_engine());
    TrainOptions o;
    o.epochs = a.epochs;
    o.batch = a.batch;
    o.optimizer = a.optimizer;
    o.lr = static_cast<float>(lr);
    o.weight_decay = static_cast<float>(wd);
    o.seed = a.seed + static_cast<uint64_t>(t);
    o.log_epochs = false;
    Trainer trainer(model, train, &val, o);
    Trial trial{lr, wd, 0.0, 0.0};
    try {
      const TrainResult r = trainer.run();
      trial.val_acc = r.test_acc;
      trial.train_acc = r.train_acc;
    } catch (const Error&) {
      trial.val_acc = trial.train_acc = 0.0;  // diverged: a learning rate too large
    }
    std::fprintf(stderr, "trial %3lld  lr %.3e  weight decay %.3e  val acc %.4f  train acc %.4f\n",
                 static_cast<long long>(t + 1), lr, wd, trial.val_acc, trial.train_acc);
    trials.push_back(trial);
  }
  std::vector<Trial> ranked = trials;
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Trial& x, const Trial& y) { return x.val_acc > y.val_acc; });
  std::fprintf(stderr, "\nbest %lld:\n%4s %12s %14s %8s %8s\n",
               static_cast<long long>(std::min<int64_t>(a.top, a.trials)), "rank", "lr",
               "weight decay", "val acc", "train acc");
  for (int64_t i = 0; i < std::min<int64_t>(a.top, static_cast<int64_t>(ranked.size())); ++i) {
    const Trial& t = ranked[static_cast<size_t>(i)];
    std::fprintf(stderr, "%4lld %12.3e %14.3e %8.4f %8.4f\n", static_cast<long long>(i + 1), t.lr,
                 t.weight_decay, t.val_acc, t.train_acc);
  }
  nlohmann::json table = nlohmann::json::array();
  for (const Trial& t : trials) {
    table.push_back({{"lr", t.lr},
                     {"weight_decay", t.weight_decay},
                     {"val_acc", t.val_acc},
                     {"train_acc", t.train_acc}});
  }
  print_result({{"model", spec.name},
                {"best_lr", ranked.front().lr},
                {"best_weight_decay", ranked.front().weight_decay},
                {"best_val_acc", ranked.front().val_acc},
                {"trials", table}});
}
}  // namespace

void add_search_command(CLI::App& app) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "search", "Random search of learning rate and weight decay (book section 6.5)");
  args->choice.add_flags(*cmd);
  cmd->add_option("--data", args->data, "Folder with the MNIST-format files");
  cmd->add_option("--trials", args->trials, "Number of random trials (default 20)");
  cmd->add_option("--epochs", args->epochs, "Epochs per trial (default 50, the book's)");
  cmd->add_option("--batch", args->batch, "Mini-batch size (default 100)");
  cmd->add_option("--train-samples", args->train_samples,
                  "Training samples used, validation included (default 500, the book's)");
  cmd->add_option("--val-split", args->val_split,
                  "Fraction of them held out for validation (default 0.2)");
  cmd->add_option("--optimizer", args->optimizer, "Optimizer (default sgd, the book's)");
  cmd->add_option("--lr-range", args->lr_range, "log10 range of the learning rate (default -6,-2)");
  cmd->add_option("--wd-range", args->wd_range, "log10 range of the weight decay (default -8,-4)");
  cmd->add_option("--top", args->top, "Best trials listed (default 5)");
  cmd->add_option("--seed", args->seed, "Random seed");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->callback([args] { run_search(*args); });
}

}  // namespace nnzero::cli
