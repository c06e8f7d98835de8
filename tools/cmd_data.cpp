#include "commands.h"

namespace nnzero::cli {

void add_data_command(CLI::App& app) { app.add_subcommand("data", "(not yet implemented)"); }

}  // namespace nnzero::cli
