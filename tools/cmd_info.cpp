#include "commands.h"

namespace nnzero::cli {

void add_info_command(CLI::App& app) { app.add_subcommand("info", "(not yet implemented)"); }

}  // namespace nnzero::cli
