// Helpers shared by the subcommands: choosing a model (--model or --spec), loading data
// shaped for it, and the flags several commands take.
#pragma once

#include <string>
#include <vector>

#include "commands.h"
#include "nnzero/data/mnist.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/model/spec.h"
#include "nnzero/strings.h"

namespace nnzero::cli {

// --model NAME | --spec FILE, with multi_layer_net's options.
struct ModelChoice {
  std::string model, spec_file;
  std::string hidden;      // "100,100"
  std::string activation;  // multi_layer_net activation
  bool batchnorm = false;
  double dropout = 0.0;
  std::string init;    // overrides the spec's init
  std::string engine;  // "fast" (default) or "book" (model/plan.h)

  void add_flags(CLI::App& cmd, bool with_multi_layer_options = true);
  // The spec the flags describe; throws naming the problem.
  ModelSpec resolve() const;
  // --engine: fast, or book (every layer as the book computes it).
  Engine resolve_engine() const { return engine.empty() ? Engine::fast : engine_named(engine); }
};

// The MNIST-format folder to use: --data, else $NNZERO_DATA/mnist, else ./data/mnist.
std::string resolve_data_dir(const std::string& flag);
Mnist load_mnist_for(const std::string& dir);

// Parses "100,50,10" into sizes; throws on anything else.
std::vector<int64_t> parse_sizes(const std::string& text, const std::string& flag);

// Applies --threads (0: leave the default, all cores).
void apply_threads(int threads);

}  // namespace nnzero::cli
