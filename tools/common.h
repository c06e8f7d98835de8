// Helpers shared by the subcommands: choosing a model (--model or --spec), loading data
// shaped for it, and the flags several commands take.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commands.h"
#include "nnzero/data/mnist.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/precision.h"
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

// True when `flag` was given on the command line of `cmd`.
bool given(const CLI::App& cmd, const char* flag);
// The flag's value, or `fallback` when it was not given.
template <class T>
T value(const CLI::App& cmd, const char* flag, T fallback) {
  return given(cmd, flag) ? cmd.get_option(flag)->as<T>() : fallback;
}
// The flag's value, or none when it was not given.
template <class T>
std::optional<T> optional_value(const CLI::App& cmd, const char* flag) {
  if (!given(cmd, flag)) return std::nullopt;
  return cmd.get_option(flag)->as<T>();
}

// The first n samples of `data` (at most) in batches of 100, shaped `input`: the images
// nnzero quantize calibrates on.
std::vector<Tensor> calibration_batches(const Dataset& data, int64_t n, const Shape& input);

// --precision fp32|fp16|bf16 (model/precision.h), stored in `value`.
void add_precision_flag(CLI::App& cmd, std::string& value);

// The run folder when --out is not given: "runs/<name>-<YYYYMMDD>-<HHMMSS>".
std::string default_run_dir(const std::string& name);
// The run folder of a new training run: --out, else default_run_dir(model_name). An empty
// --out, or one that already holds a run without --force, is an Error (never replaced
// silently).
std::string run_dir(const CLI::App& cmd, const std::string& model_name);

// While it lives, Ctrl-C asks the running Trainer to stop after its current step
// (request_stop); a second Ctrl-C stops the process at once.
class StopOnCtrlC {
 public:
  StopOnCtrlC();
  ~StopOnCtrlC();
  StopOnCtrlC(const StopOnCtrlC&) = delete;
  StopOnCtrlC& operator=(const StopOnCtrlC&) = delete;
};

}  // namespace nnzero::cli
