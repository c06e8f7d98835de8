// Training an encoder-decoder on question-answer lines (book 2, ch. 7: Trainer.fit with
// eval_seq2seq after each epoch).
//
// Each epoch visits the training pairs in a new random order, in batches of `batch` (the
// last partial batch left out, as the book's Trainer). A step feeds the question and the
// answer without its last character ("_91" for "_91 "), and the loss is the cross-entropy of
// predicting the answer without its start token ("91 ") at every step (teacher forcing). The
// gradients are clipped to a global norm (book 2's max_grad = 5) before the update.
// After each epoch, on the test pairs: the exact-match accuracy, the share of questions whose
// greedy answer (Seq2seq::generate) equals the true one in every character, and the loss with
// the true answers fed (teacher_forced_loss).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nnzero/data/sequence_pairs.h"
#include "nnzero/model/seq2seq.h"
#include "nnzero/train/trainer.h"

namespace nnzero {

struct Seq2seqOptions {
  int64_t epochs = 25;
  int64_t batch = 128;
  int64_t max_steps = 0;  // 0: no limit
  std::string optimizer = "adam";
  float lr = 0.001f;
  float clip = 5.0f;    // global gradient norm; 0: no clipping
  uint64_t seed = 0;    // the order of the pairs
  std::string out_dir;  // run folder: metrics.csv and model.safetensors ("" : nothing)
  bool live_progress = false, log_epochs = true;
  std::map<std::string, std::string> metadata;  // more __metadata__ for the model file
  std::function<void(int64_t step, double loss)> on_step;
  std::function<void(const std::vector<EpochMetrics>& history)> on_epoch;
};

// Book 2's eval_seq2seq over all `questions` (N, Tq): the share of rows whose greedy answer
// equals `answers` (N, Ta) after its start token, which is the first column.
double exact_match(Seq2seq& model, const Tensor& questions, const Tensor& answers,
                   int64_t batch = 1000);

// The mean cross-entropy per answer character with the true answer fed to the decoder (the
// training loss, on other pairs).
double teacher_forced_loss(Seq2seq& model, const Tensor& questions, const Tensor& answers,
                           int64_t batch = 1000);

class Seq2seqTrainer {
 public:
  Seq2seqTrainer(Seq2seq& model, const SequencePairs& data, Seq2seqOptions options);
  TrainResult run();

 private:
  void fill_batch(const std::vector<int32_t>& order, int64_t first);
  void write_outputs(const TrainResult& r) const;

  Seq2seq& model_;
  const SequencePairs& data_;
  Seq2seqOptions opt_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<Param*> params_;
  Tensor x_;
  std::vector<int64_t> rows_;
  std::vector<int32_t> targets_;
};

}  // namespace nnzero
