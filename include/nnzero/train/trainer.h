// Trainer: the training loop of the book's chapter 4-6 (train_neuralnet.py, trainer.py):
// each epoch shuffles the training set (seeded), and for each mini-batch computes the loss,
// backpropagates, and lets the optimizer update the weights; after each epoch it measures
// loss and accuracy on (part of) the training set and on the test set.
//
// With a run folder it writes metrics.csv (one row per epoch), model.safetensors and a
// checkpoint after every epoch, and on request_stop() (Ctrl-C) a checkpoint mid-epoch, from
// which resume() continues exactly: with one thread, an interrupted and resumed run ends
// with the same weights, bit for bit, as an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nnzero/data/batch_loader.h"
#include "nnzero/data/dataset.h"
#include "nnzero/model/model.h"
#include "nnzero/model/precision.h"
#include "nnzero/train/optimizer.h"
#include "nnzero/train/progress.h"
#include "nnzero/train/thread_governor.h"

namespace nnzero {

struct EpochMetrics;
class Communicator;
class GradientAllreduce;

struct TrainOptions {
  int64_t epochs = 1;
  int64_t batch = 100;
  int64_t max_steps = 0;  // stop after this many steps (0: no limit)
  bool shuffle = true;
  uint64_t seed = 0;  // shuffling (the model's initial weights take their own Rng)
  std::string optimizer = "sgd";
  float lr = 0.0f;                        // 0: the optimizer's default
  std::string lr_schedule = "constant";   // or "cosine": see lr_schedule.h
  float weight_decay = 0.0f;              // L2 lambda, added to the gradient as in the book
  Precision precision = Precision::fp32;  // or bf16: Sequential::set_training_precision
  std::string out_dir;                    // run folder ("" : write nothing)
  int64_t train_eval_samples = 10000;     // train_acc/train_loss measured on this many samples
  bool live_progress = false;             // progress bar on stderr
  // The thread count in force is a maximum: fewer when they run faster (another program busy
  // on the cores; train/thread_governor.h). Off: the count stays as it is.
  bool adapt_threads = true;
  bool log_epochs = true;     // one line per epoch on stderr
  std::string data_dir;       // recorded in the checkpoint, for --resume
  int64_t train_samples = 0;  // recorded too: training used the first N samples (0: all)
  double val_split = 0;       // recorded too: the share of an image folder held out as test
  Augmentation augmentation;  // of the training batches (data/augment.h), from `seed`
  // More __metadata__ for the model file (e.g. "nnzero.classes" of an image folder).
  std::map<std::string, std::string> metadata;
  // Called after every step with the step count and the batch's loss (may be empty).
  std::function<void(int64_t step, double loss)> on_step;
  // Called after every epoch, and when the run is interrupted, with the metrics so far
  // (plot::RunCurves draws curves.png from it).
  std::function<void(const std::vector<EpochMetrics>& history)> on_epoch;
  // The ranks of a data-parallel run (train/data_parallel.h), or null: this process alone.
  // Every rank trains on its part of each batch; rank 0 alone evaluates, and only a rank
  // given an out_dir writes (the command gives it to rank 0 only).
  Communicator* comm = nullptr;
};

inline constexpr double kNoMetric = std::numeric_limits<double>::quiet_NaN();

struct EpochMetrics {
  int64_t epoch = 0;
  double train_loss = 0, train_acc = 0, test_loss = 0, test_acc = 0, seconds = 0;
};

struct TrainResult {
  int64_t epochs = 0, steps = 0;
  // The last epoch's metrics; NaN (JSON null) when no epoch has ended, or without test data.
  double train_acc = kNoMetric, train_loss = kNoMetric, test_acc = kNoMetric, test_loss = kNoMetric;
  double seconds = 0, samples_per_s = 0;
  bool interrupted = false;
  std::vector<EpochMetrics> history;
  int ranks = 1;                 // data-parallel processes
  double allreduce_seconds = 0;  // of the training time, spent summing gradients across ranks
};

// Asks a running Trainer to stop after the current step (async-signal-safe).
void request_stop();
bool stop_requested();
void clear_stop_request();

class Trainer {
 public:
  // `test` may be null (no test evaluation).
  Trainer(Model& model, const Dataset& train, const Dataset* test, TrainOptions options);
  ~Trainer();

  TrainResult run();
  Optimizer& optimizer() { return *optimizer_; }
  const TrainOptions& options() const { return opt_; }

  void save_checkpoint(const std::string& path);
  // Restores weights, optimizer state, random generators, position and history.
  void load_checkpoint(const std::string& path);

  static std::string checkpoint_path(const std::string& run_dir);
  // The options stored in a run folder's checkpoint, for --resume.
  static TrainOptions checkpoint_options(const std::string& run_dir);
  static ModelSpec checkpoint_spec(const std::string& run_dir);

 private:
  // What run() counts as it goes.
  struct RunStats {
    int64_t samples = 0;
    double train_seconds = 0.0;  // in training steps only, for samples/s
    bool interrupted = false;
    ThreadGovernor* threads = nullptr;
  };
  double train_step(const Batch* batch, int64_t count);
  std::span<const int32_t> my_part(std::span<const int32_t> batch) const;
  double reduce_across_ranks(double loss, int64_t rows, int64_t count);
  bool distributed() const;
  bool stop_now() const;
  bool run_epoch(const std::vector<int32_t>& order, BatchLoader& loader, Progress& progress,
                 RunStats& stats);
  void epoch_order(std::vector<int32_t>& order);
  TrainResult result(const RunStats& stats) const;
  void write_outputs();
  std::map<std::string, std::string> model_metadata() const;
  int64_t batches_per_epoch() const;
  bool steps_done() const;
  int64_t total_steps() const;
  void log_epoch(const EpochMetrics& m);
  EpochMetrics end_epoch(double epoch_seconds);
  std::span<const int32_t> batch_of(const std::vector<int32_t>& order, int64_t b) const;

  Model& model_;
  const Dataset& train_;
  const Dataset* test_;
  TrainOptions opt_;
  std::unique_ptr<Optimizer> optimizer_;
  float base_lr_;  // the rate the schedule scales
  Rng shuffle_rng_;
  Rng::State epoch_rng_state_;   // shuffle_rng_ at the start of the current epoch
  int64_t epoch_ = 0;            // epochs completed
  int64_t batch_in_epoch_ = 0;   // batches done in the current epoch
  int64_t step_ = 0;             // batches done in all
  double seconds_before_ = 0.0;  // training time of the runs this one resumes
  std::vector<EpochMetrics> history_;
  std::unique_ptr<GradientAllreduce> allreduce_;  // with peers only
  bool ranks_stop_ = false;                       // a rank was asked to stop: all stop
};

}  // namespace nnzero
