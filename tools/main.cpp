// nnzero: deep learning from zero. See README.md and `nnzero --help`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "nnzero/denormals.h"
#include "nnzero/error.h"
#include "nnzero/kernels/blas_setup.h"
#include "nnzero/parallel.h"
#include "nnzero/strings.h"
#include "nnzero/version.h"

namespace nnzero::cli {

int exit_status = 0;

void print_result(const nlohmann::json& result) {
  std::cout << result.dump() << std::endl;
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

namespace {
// The subcommands, in the order `--help` lists them.
std::vector<std::string> commands(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* cmd : app.get_subcommands(std::function<bool(const CLI::App*)>{})) {
    names.push_back(cmd->get_name());
  }
  return names;
}

// The usage error for a missing or unknown command, or "" when argv names a known one (or
// only options, such as --help, which CLI11 handles). CLI11 itself says "A subcommand is
// required" in both cases, and nothing about the word it did not know.
std::string command_error(const CLI::App& app, int argc, char** argv) {
  const std::vector<std::string> names = commands(app);
  const std::string list = nnzero::join(names, ", ") + " (nnzero --help describes them)";
  if (argc < 2) return "a command is required: " + list;
  const std::string first = argv[1];
  if (first.starts_with("-") || std::find(names.begin(), names.end(), first) != names.end()) {
    return "";
  }
  return "unknown command \"" + first + "\"; the commands are " + list;
}
}  // namespace

}  // namespace nnzero::cli

int main(int argc, char** argv) {
  using namespace nnzero::cli;
  nnzero::use_best_blas_kernels(argv);
  nnzero::flush_denormals();  // see nnzero/denormals.h: dead units otherwise slow training
  CLI::App app{"nnzero: deep learning from zero (the book's networks, fast, in C++)"};
  app.require_subcommand(1);
  add_train_command(app);
  add_eval_command(app);
  add_predict_command(app);
  add_bench_command(app);
  add_gradcheck_command(app);
  add_info_command(app);
  add_convert_command(app);
  add_quantize_command(app);
  add_layers_command(app);
  add_data_command(app);
  add_search_command(app);
  add_plot_command(app);
  add_book_command(app);
  add_serve_command(app);
  add_generate_command(app);
  add_translate_command(app);
  add_words_command(app);
  app.set_version_flag("--version", std::string("nnzero ") + nnzero::kVersion,
                       "Print the version and exit");
  if (const std::string error = command_error(app, argc, argv); !error.empty()) {
    std::cerr << "error: " << error << "\n";
    return 2;
  }
  try {
    // At most the cores this process may use, and what its address-space limit leaves room
    // for, unless --threads asks for more (nnzero/parallel.h).
    nnzero::set_num_threads(nnzero::default_threads());
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const nnzero::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    // Sizes that come from the input (files, shapes, images) are checked against limits
    // before anything is allocated; what is left is a request this machine cannot meet, most
    // often a network or batch too large for its memory: the input's doing, not a bug.
    std::cerr << "error: out of memory: the command needs more memory than it could allocate "
                 "(try a smaller network, batch or dataset)\n";
    return 2;
  } catch (const std::length_error& e) {
    std::cerr << "error: out of memory: a size too large to allocate (" << e.what() << ")\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: internal failure: " << e.what() << "\n";
    return 1;
  }
  return exit_status;
}
