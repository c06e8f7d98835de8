// Sequence to sequence (book 2, ch. 7-8): `nnzero train` on question-answer lines and
// `nnzero translate`. See docs/seq2seq.md.
#pragma once

#include "commands.h"
#include "common.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/spec.h"

namespace nnzero::cli {

// True when the chosen model is an encoder-decoder (a built-in *seq2seq, or a spec with
// "seq2seq"): then `train` reads question-answer lines.
bool is_seq2seq(const ModelChoice& choice);

// Registers --reverse, --no-reverse and --bidirectional on `train`.
void add_seq2seq_flags(CLI::App& train);

// nnzero train for an encoder-decoder: `spec` (a built-in one sized to the data) on --data
// (default: the text folder's addition.txt, date.txt for the attention model); writes the run
// folder (metrics.csv, model.safetensors, loss.csv, curves.png) and prints the JSON, whose
// test_acc is the exact-match accuracy on the held-out tenth.
void train_seq2seq(const CLI::App& train, ModelSpec spec, bool builtin);

// nnzero eval on a seq2seq model file: the exact-match accuracy and the teacher-forced loss
// on the held-out tenth of --data (default: as train's); prints eval's JSON ("confusion":
// null).
void eval_seq2seq(LoadedModel& loaded, const std::string& file, const std::string& data_flag,
                  int64_t batch);

}  // namespace nnzero::cli
