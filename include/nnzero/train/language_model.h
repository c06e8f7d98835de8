// Training a language model (book 2, chapters 5-6: RnnlmTrainer and eval_perplexity).
//
// The text is one long stream of token ids. A step's batch takes N streams that start evenly
// spaced in the text (offset i * len / N) and reads the next T tokens of each: x the tokens,
// t the tokens one later. Step after step every stream moves on by T, so the recurrent layers
// carry their hidden state from one batch to the next (Layer::set_carry_state) while the
// gradient is cut at each batch boundary: truncated backpropagation through time.
//
// nanoGPT's way, for a model without state (a GPT), is `random_windows`: each of the N rows of
// a batch is T tokens from a random place in the text (its get_batch), and an "epoch" is
// `steps_per_epoch` steps between two validations rather than a pass over the text.
//
// Each step clips the gradients to a global L2 norm (book 2's clip_grads) before the update.
// After every epoch, the perplexity exp(mean cross-entropy per token) of the validation text;
// when it has not improved, the learning rate is divided by `lr_decay` (book 2's
// train_better_rnnlm.py: lr /= 4.0).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "nnzero/data/text_corpus.h"
#include "nnzero/model/model.h"
#include "nnzero/rng.h"
#include "nnzero/train/optimizer.h"

namespace nnzero {

struct LanguageModelEpoch;

struct LanguageModelOptions {
  int64_t epochs = 4;
  int64_t batch = 20;     // streams N; the time steps T are the model's input (T)
  int64_t max_steps = 0;  // 0: no limit
  std::string optimizer = "sgd";
  float lr = 20.0f;
  float clip = 0.25f;     // global gradient norm; 0: no clipping
  float lr_decay = 1.0f;  // divide lr by this when validation perplexity does not improve
  std::string lr_schedule = "constant";  // or "cosine" over the run (train/lr_schedule.h)
  int64_t warmup_steps = 0;              // linear warm-up of the learning rate
  double min_lr_ratio = 0.0;             // the cosine schedule decays to this share of lr
  AdamWSettings adamw;                   // for optimizer "adamw"
  bool random_windows = false;           // nanoGPT's batches (above)
  int64_t steps_per_epoch = 0;           // 0: one pass over the training text
  uint64_t seed = 0;                     // the random windows'
  int64_t eval_batch = 10;  // streams when measuring perplexity (book 2's eval_perplexity)
  std::string out_dir;      // run folder: metrics.csv and model.safetensors ("" : nothing)
  bool live_progress = false, log_epochs = true;
  std::map<std::string, std::string> metadata;  // more __metadata__ for the model file
  // Called after every step (step count from 1, the batch's mean loss) and after every epoch.
  std::function<void(int64_t step, double loss)> on_step;
  std::function<void(const std::vector<LanguageModelEpoch>& history)> on_epoch;
};

struct LanguageModelEpoch {
  int64_t epoch = 0;
  double train_perplexity = 0, val_perplexity = 0, val_loss = 0, val_accuracy = 0;
  double lr = 0, seconds = 0;
};

struct LanguageModelResult {
  int64_t epochs = 0, steps = 0;
  double train_perplexity = 0, val_perplexity = 0, test_perplexity = 0;
  double test_accuracy = 0, test_loss = 0;  // next-token accuracy, mean cross-entropy
  double seconds = 0, tokens_per_s = 0;
  bool interrupted = false;
  std::vector<LanguageModelEpoch> history;
};

struct Perplexity {
  double perplexity = 0, loss = 0, accuracy = 0;  // exp(loss); loss per token; argmax == next
  int64_t tokens = 0;
};

// Book 2's eval_perplexity: the model (input (T)) reads `tokens` as `streams` streams from
// a zero state, carrying it across batches, and averages the loss of predicting each next
// token. Tokens that do not fill a whole batch at the end are left out, as the book does.
Perplexity measure_perplexity(Model& model, std::span<const int32_t> tokens, int64_t streams);

// Scales every gradient by max_norm / norm when their global L2 norm exceeds max_norm; returns
// the norm before clipping.
double clip_gradients(std::vector<Param*> params, double max_norm);

class LanguageModelTrainer {
 public:
  LanguageModelTrainer(Model& model, const TextCorpus& corpus, LanguageModelOptions options);
  LanguageModelResult run();
  // Steps of an epoch (steps_per_epoch, else a pass over the training text), and of the run
  // (every epoch's, at most max_steps).
  int64_t steps_per_epoch() const;
  int64_t total_steps() const;

 private:
  void fill_batch(int64_t step_in_epoch);
  void write_outputs(const LanguageModelResult& r) const;

  Model& model_;
  const TextCorpus& corpus_;
  LanguageModelOptions opt_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<Param*> params_;  // the model's, each once (a tied weight too)
  int64_t T_;
  Rng rng_;  // the random windows' offsets
  Tensor x_;
  std::vector<int32_t> targets_;
};

}  // namespace nnzero
