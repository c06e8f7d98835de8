// Text (book 2): `nnzero train` on a corpus (a language model) and `nnzero generate`.
// See docs/language-models.md.
#pragma once

#include <string>

#include "commands.h"
#include "common.h"
#include "nnzero/model/spec.h"

namespace nnzero::cli {

// True when `data` names text: a .txt file (or .txt.gz), or a folder holding a
// <name>.train.txt (the Penn Treebank's layout). `train` then trains a language model.
bool is_text_data(const std::string& data);
// True when the chosen model is a language model (a built-in one, or a spec whose first layer
// is an embedding): then `train` without --data reads the text folder.
bool reads_text(const ModelChoice& choice);

// Registers the language-model flags on `train`: --clip, --lr-decay.
void add_text_flags(CLI::App& train);

// nnzero train --data TEXT: trains `spec` (a built-in model is sized to the corpus's
// vocabulary), reading the other flags from the parsed `train` subcommand; writes the run
// folder (metrics.csv, model.safetensors, loss.csv, curves.png) and prints the JSON.
void train_text(const CLI::App& train, ModelSpec spec, bool builtin);

}  // namespace nnzero::cli
