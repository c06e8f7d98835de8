// The nnzero command: one file per subcommand, each registering itself on the CLI11 app.
// A subcommand prints its result as one JSON object on the last line of stdout (print_result)
// and logs to stderr. Errors are thrown as nnzero::Error; main() prints "error: ..." and
// exits with 2 (bad usage or input) or 1 (internal failure).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace nnzero::cli {

void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_gradcheck_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_layers_command(CLI::App& app);
void add_data_command(CLI::App& app);
void add_search_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_book_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_translate_command(CLI::App& app);
void add_words_command(CLI::App& app);
// `nnzero words train` (word2vec), added to the `words` command.
void add_words_train_command(CLI::App& words);

// Prints the command's result: one JSON object on one line of stdout.
void print_result(const nlohmann::json& result);
// A measured number for the JSON, or null when there is none (NaN, infinity).
nlohmann::json number_or_null(double v);

// Exit status a subcommand asks main() to return (0 unless set).
extern int exit_status;

}  // namespace nnzero::cli
