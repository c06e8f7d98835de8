// Text (book 2): `nnzero train` on a corpus (a language model) and `nnzero generate`.
// See docs/language-models.md.
#pragma once

#include <string>

#include "commands.h"
#include "nnzero/model/spec.h"

namespace nnzero::cli {

// True when `data` names text: a .txt file (or .txt.gz), or a folder holding a
// <name>.train.txt (the Penn Treebank's layout). `train` then trains a language model.
bool is_text_data(const std::string& data);
// True when `model` is a built-in language model (then `train` defaults to the text folder).
bool is_language_model(const std::string& model);

// Registers the language-model flags on `train`: --clip, --lr-decay.
void add_text_flags(CLI::App& train);

// nnzero train --data TEXT: trains `spec` (a built-in model is sized to the corpus's
// vocabulary), reading the other flags from the parsed `train` subcommand; writes the run
// folder (metrics.csv, model.safetensors, loss.csv, curves.png) and prints the JSON.
void train_text(const CLI::App& train, ModelSpec spec, bool builtin);

}  // namespace nnzero::cli
