#include "commands.h"

namespace nnzero::cli {

void add_gradcheck_command(CLI::App& app) { app.add_subcommand("gradcheck", "(not yet implemented)"); }

}  // namespace nnzero::cli
