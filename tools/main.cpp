// nnzero: deep learning from zero. See README.md and `nnzero --help`.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "nnzero/blas_setup.h"
#include "nnzero/denormals.h"
#include "nnzero/error.h"

namespace nnzero::cli {

int exit_status = 0;

void print_result(const nlohmann::json& result) {
  std::cout << result.dump() << std::endl;
}

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
  add_data_command(app);
  add_search_command(app);
  add_plot_command(app);
  add_book_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const nnzero::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: internal failure: " << e.what() << "\n";
    return 1;
  }
  return exit_status;
}
