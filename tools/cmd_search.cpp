#include "commands.h"

namespace nnzero::cli {

void add_search_command(CLI::App& app) { app.add_subcommand("search", "(not yet implemented)"); }

}  // namespace nnzero::cli
