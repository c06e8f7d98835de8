// The training state a checkpoint holds beside its tensors: the "nnzero.checkpoint" metadata
// of a run folder's checkpoint.safetensors (docs/model-files.md) as JSON. Where the run is
// (epoch, batch, step), its options, its random generators and its history, so that
// `nnzero train --resume` continues exactly. parse() checks every field: a corrupt or edited
// checkpoint is an error naming the field, never a crash or a hang.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/rng.h"
#include "nnzero/train/trainer.h"

namespace nnzero {

struct CheckpointState {
  int64_t epoch = 0;           // epochs completed
  int64_t batch_in_epoch = 0;  // batches done in the current epoch
  int64_t step = 0;            // batches done in all
  double seconds = 0.0;        // training time so far
  int64_t iterations = 0;      // the optimizer's update count (Adam's bias correction)
  TrainOptions options;        // epochs, batch, max_steps, shuffle, seed, optimizer, lr, ...
  Rng::State epoch_rng{};      // the shuffling generator at the start of the current epoch
  std::vector<Rng::State> dropout_rngs;  // one per dropout layer, in layer order
  std::vector<EpochMetrics> history;

  std::string to_json() const;
  // `where` (the file) prefixes errors.
  static CheckpointState parse(const std::string& json_text, const std::string& where);
};

}  // namespace nnzero
