// RunCurves: a training run's curves.png, drawn as the run goes. It records the loss of every
// step (a store into reserved memory and a clock read) and writes loss.csv (step, loss) and
// curves.png (plot/learning_curves.h) into the run folder after each epoch and, within a
// long epoch, every 30 seconds. Redrawing takes a while on long runs (docs/benchmarks.md), so
// it is skipped until 20 times the last drawing's time has passed: at most 5 % of the run
// goes to the pictures; flush() (and the destructor) writes what is left. A resumed run keeps
// the steps its loss.csv holds up to the checkpoint's step.
//
//   RunCurves curves(run_dir, "two_layer_net", expected_steps);
//   curves.attach(options);   // sets options.on_step and options.on_epoch
//   Trainer(model, train, &test, options).run();
//   curves.flush();
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "nnzero/plot/learning_curves.h"
#include "nnzero/train/trainer.h"

namespace nnzero::plot {

class RunCurves {
 public:
  RunCurves(std::string run_dir, std::string title, int64_t expected_steps = 0,
            RightPanel right = RightPanel::accuracy);
  ~RunCurves();
  RunCurves(const RunCurves&) = delete;
  RunCurves& operator=(const RunCurves&) = delete;

  // Steps count from 1; a step at or below the last recorded one (a resumed run) drops the
  // losses from there on.
  void record(int64_t step, double loss);
  // An epoch ended: keeps its metrics and redraws unless the last drawing was too recent
  // (or the pictures already show this many epochs).
  void update(const std::vector<EpochMetrics>& history);
  // Writes loss.csv and curves.png now if anything changed since they were last written.
  // Never throws (nor do record and update): training goes on without pictures, and the
  // first failure is reported on stderr.
  void flush();
  // Hooks record() and update() to a Trainer's options (chaining an on_step already set).
  // This object must outlive the training run.
  void attach(TrainOptions& options);

  const std::vector<float>& losses() const { return losses_; }
  std::string curves_path() const;
  std::string losses_path() const;

 private:
  void read_earlier_losses();
  void write_files();
  bool due(std::chrono::steady_clock::duration at_least) const;
  void warn_once(const char* what, const std::exception& e);

  std::string dir_, title_;
  RightPanel right_;
  std::vector<float> losses_;          // losses_[i]: step i + 1
  std::vector<EpochMetrics> history_;  // the last epoch's metrics
  std::chrono::steady_clock::time_point last_write_;
  std::chrono::steady_clock::duration min_interval_{};  // 20 x the last writing's time
  bool written_ = false, pending_ = false;
  bool drawing_failed_ = false, warned_ = false;
};

}  // namespace nnzero::plot
