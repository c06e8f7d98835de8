// RunCurves: a training run's curves.png, drawn as the run goes. It records the loss of every
// step (one store into reserved memory and a clock read: the cost is in docs/benchmarks.md)
// and, after each epoch and at most every 30 seconds within one, writes loss.csv (step, loss)
// and curves.png (plot/learning_curves.h) into the run folder. A resumed run keeps the
// steps loss.csv already holds up to the checkpoint's step.
//
//   RunCurves curves(run_dir, "two_layer_net", expected_steps);
//   curves.attach(options);   // sets options.on_step and options.on_epoch
//   Trainer(model, train, &test, options).run();
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "nnzero/train/trainer.h"

namespace nnzero::plot {

class RunCurves {
 public:
  RunCurves(std::string run_dir, std::string title, int64_t expected_steps = 0);

  // Steps count from 1; a step at or below the last recorded one (a resumed run) drops the
  // losses from there on.
  void record(int64_t step, double loss);
  // Writes loss.csv and curves.png. Never throws: training goes on without pictures, and
  // the first failure is reported on stderr.
  void update(const std::vector<EpochMetrics>& history);
  // Hooks record() and update() to a Trainer's options (chaining an on_step already set).
  // This object must outlive the training run.
  void attach(TrainOptions& options);

  const std::vector<float>& losses() const { return losses_; }
  std::string curves_path() const;
  std::string losses_path() const;

 private:
  void read_earlier_losses();
  void warn_once(const char* what, const std::exception& e);

  std::string dir_, title_;
  std::vector<float> losses_;          // losses_[i]: step i + 1
  std::vector<EpochMetrics> history_;  // for redraws within an epoch
  std::chrono::steady_clock::time_point last_draw_;
  bool drawing_failed_ = false, warned_ = false;
};

}  // namespace nnzero::plot
