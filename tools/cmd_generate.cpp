// nnzero generate MODEL --start TEXT --length N [--temperature T] [--seed S]: samples text from
// a language model (model/text_generator.h) and prints it, then the JSON line.
#include <chrono>
#include <iostream>

#include "common.h"
#include "nnzero/train/text_generator.h"

namespace nnzero::cli {

namespace {

struct GenerateArgs {
  std::string model, start;
  int64_t length = 100;
  double temperature = 1.0;
  uint64_t seed = 0;
  int threads = 1;
  bool cache_restart = false;
};

void run_generate(const GenerateArgs& a) {
  apply_threads(a.threads);
  TextGenerator gen(load_model(a.model), a.model);
  gen.set_cache_restart(a.cache_restart);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string text = gen.generate(a.start, a.length, a.temperature, a.seed);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << text << "\n";
  const auto tokens = static_cast<int64_t>(gen.tokens().size());
  print_result({{"model", gen.name()},
                {"start", a.start},
                {"text", text},
                {"tokens", tokens},
                {"generated", a.length},
                {"temperature", a.temperature},
                {"seed", a.seed},
                {"ms_per_token", tokens > 0 ? 1e3 * seconds / static_cast<double>(tokens) : 0.0}});
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Sample text from a language model");
  cmd->add_option("MODEL", args->model, "Model file of a language model (nnzero train on text)")
      ->required();
  cmd->add_option("--start", args->start,
                  "The text to begin with: words (word models; unknown ones become <unk>) or "
                  "characters")
      ->required();
  cmd->add_option("--length", args->length, "Tokens to generate (default 100)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--temperature", args->temperature,
                  "Sampling temperature: 1 the model's distribution (default), below 1 safer "
                  "choices (sharper), above 1 more varied ones, 0 always the most likely token")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", args->seed, "Random seed of the sampling (default 0)");
  cmd->add_option("--threads", args->threads, "Threads (default 1: one token at a time)");
  cmd->add_flag("--cache-restart", args->cache_restart,
                "GPT models past their context: restart the key/value cache from the last "
                "context/2 tokens when it is full, instead of reading the last context tokens "
                "again for every token (about 10x faster; the context then varies)");
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace nnzero::cli
