// nnzero book FIGURE --out DIR: one of the book's figures recomputed by nnzero (PNG and CSV,
// nnzero/book/figures.h); nnzero book --list names them all.
#include <chrono>
#include <cstdio>

#include "common.h"
#include "nnzero/book/figures.h"
#include "nnzero/plot/page.h"

namespace nnzero::cli {

namespace {
struct BookArgs {
  std::string figure, out = "figures", data, model;
  int64_t iterations = 0, epochs = 0, trials = 0, train_samples = 0, test_samples = 0;
  uint64_t seed = 0;
  int threads = 0;
  bool list = false;
  CLI::App* cmd = nullptr;
};

void print_list() {
  nlohmann::json all = nlohmann::json::array();
  for (const book::BookFigure& f : book::book_figures()) {
    std::printf("%-24s %-20s %s\n", f.name, f.figures, f.title);
    all.push_back({{"name", f.name},
                   {"figures", f.figures},
                   {"title", f.title},
                   {"options", f.defaults},
                   {"uses_mnist", f.uses_mnist}});
  }
  print_result({{"figures", all}});
}

// Each figure takes the options its `defaults` line names (and --data if it reads MNIST).
void check_options(const BookArgs& a, const book::BookFigure& f) {
  for (const char* flag : {"--iterations", "--epochs", "--trials", "--train-samples",
                           "--test-samples", "--model", "--data"}) {
    if (a.cmd->count(flag) == 0) continue;
    const bool takes = std::string(flag) == "--data"
                           ? f.uses_mnist
                           : std::string(f.defaults).find(flag) != std::string::npos;
    if (!takes) {
      throw Error(
          std::string(flag) + " does not apply to the figure " + f.name +
          (std::string(f.defaults).empty() ? "" : " (it takes " + std::string(f.defaults) + ")"));
    }
  }
  for (const auto& [flag, v] : {std::pair{"--iterations", a.iterations},
                                {"--epochs", a.epochs},
                                {"--trials", a.trials},
                                {"--train-samples", a.train_samples},
                                {"--test-samples", a.test_samples}}) {
    if (a.cmd->count(flag) > 0 && v < 1) {
      throw Error(std::string(flag) + " must be at least 1, got " + std::to_string(v));
    }
  }
}

void run_book(const BookArgs& a) {
  if (a.list) return print_list();
  if (a.figure.empty()) throw Error("give a FIGURE name, or --list to see them");
  const book::BookFigure& f = book::find_book_figure(a.figure);
  check_options(a, f);
  plot::check_plotting_available();  // before minutes of training, not after
  apply_threads(a.threads);
  book::FigureOptions o;
  o.out_dir = a.out;
  o.data_dir = a.data.empty() ? "" : resolve_data_dir(a.data);
  o.model_file = a.model;
  o.iterations = a.iterations;
  o.epochs = a.epochs;
  o.trials = a.trials;
  o.train_samples = a.train_samples;
  o.test_samples = a.test_samples;
  o.seed = a.seed;
  const auto start = std::chrono::steady_clock::now();
  const book::FigureOutput out = f.make(o);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_result({{"figure", f.name},
                {"book", f.figures},
                {"files", out.files},
                {"summary", out.summary},
                {"seconds", seconds}});
}
}  // namespace

void add_book_command(CLI::App& app) {
  auto args = std::make_shared<BookArgs>();
  CLI::App* cmd = app.add_subcommand(
      "book", "Recompute one of the book's figures (PNG and the numbers behind it as CSV)");
  args->cmd = cmd;
  cmd->add_option("FIGURE", args->figure, "Figure name (see --list)");
  cmd->add_flag("--list", args->list, "List the figures, one line each");
  cmd->add_option("--out", args->out, "Folder for NAME.png and NAME.csv (default figures)");
  cmd->add_option("--data", args->data,
                  "MNIST folder (default $NNZERO_DATA/mnist, then ./data/mnist)");
  cmd->add_option("--model", args->model,
                  "ch7/ch8 figures: a trained model file instead of training one");
  cmd->add_option("--iterations", args->iterations, "Steps (default: the book's)");
  cmd->add_option("--epochs", args->epochs, "Epochs (default: the book's)");
  cmd->add_option("--trials", args->trials, "Search trials (default: the book's 100)");
  cmd->add_option("--train-samples", args->train_samples, "Training images (default: the book's)");
  cmd->add_option("--test-samples", args->test_samples, "Test images (default: all)");
  cmd->add_option("--seed", args->seed, "Random seed");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->callback([args] { run_book(*args); });
}

}  // namespace nnzero::cli
