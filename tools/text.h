// Text (book 2): `nnzero train` on a corpus (a language model) and `nnzero generate`.
// See docs/language-models.md.
#pragma once

#include <string>

#include "commands.h"
#include "common.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/spec.h"

namespace nnzero::cli {

// True when `data` names text: a .txt file (or .txt.gz), or a folder holding a
// <name>.train.txt (the Penn Treebank's layout). `train` then trains a language model.
bool is_text_data(const std::string& data);
// True when the chosen model is a language model (a built-in one, or a spec whose first layer
// is an embedding): then `train` without --data reads the text folder.
bool reads_text(const ModelChoice& choice);

// Throws unless `gpt` when a GPT-only flag (--layers, --heads, --width, --context,
// --warmup-steps, --steps-per-epoch, --min-lr) was given.
void reject_gpt_flags(const CLI::App& train, bool gpt);

// Registers the language-model flags on `train`: --clip, --lr-decay, and the GPT flags.
void add_text_flags(CLI::App& train);

// nnzero train --data TEXT: trains `spec` (a built-in model is sized to the corpus's
// vocabulary), reading the other flags from the parsed `train` subcommand; writes the run
// folder (metrics.csv, model.safetensors, loss.csv, curves.png) and prints the JSON.
void train_text(const CLI::App& train, ModelSpec spec, bool builtin);

// True when a model file holds a language model (its vocabulary, "nnzero.vocab").
bool is_language_model(const LoadedModel& loaded);
// nnzero eval on a language model: the loss, perplexity and next-token accuracy of the
// validation and test text of --data (default: as train's), measured as train measures them;
// prints eval's JSON.
void eval_text(LoadedModel& loaded, const std::string& file, const std::string& data_flag);

}  // namespace nnzero::cli
