#include "commands.h"

namespace nnzero::cli {

void add_eval_command(CLI::App& app) { app.add_subcommand("eval", "(not yet implemented)"); }

}  // namespace nnzero::cli
