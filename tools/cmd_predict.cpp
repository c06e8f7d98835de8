#include "commands.h"

namespace nnzero::cli {

void add_predict_command(CLI::App& app) { app.add_subcommand("predict", "(not yet implemented)"); }

}  // namespace nnzero::cli
