#include "commands.h"

namespace nnzero::cli {

void add_train_command(CLI::App& app) { app.add_subcommand("train", "(not yet implemented)"); }

}  // namespace nnzero::cli
