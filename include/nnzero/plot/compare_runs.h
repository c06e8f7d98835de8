// Several training runs in one picture (nnzero plot RUN_DIR...): each run's smoothed loss per
// step and its test (solid) and training (dashed) accuracy per epoch, one colour per run,
// each run named in the legend by the settings in which the runs differ (optimizer, lr,
// init, batchnorm, ...), the settings they share in the title.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nnzero/train/trainer.h"

namespace nnzero::plot {

constexpr int kCompareWidth = 1100, kCompareHeight = 500;

struct RunRecord {
  std::string dir;
  std::vector<float> losses;          // loss.csv (empty when the folder has none)
  std::vector<EpochMetrics> history;  // metrics.csv
  // From the checkpoint (model spec and training options), in a fixed order; empty when
  // the folder has no checkpoint.
  std::vector<std::pair<std::string, std::string>> settings;
  std::string label;  // set by label_runs
};

// Reads a run folder: metrics.csv (required), loss.csv and checkpoint.safetensors (when
// present). Throws an Error naming the file and the problem.
RunRecord read_run(const std::string& dir);

// Names each run by the settings that differ between the runs ("optimizer adam, lr 0.001");
// returns the settings all runs share ("model multi_layer_net, batch 100").
std::string label_runs(std::vector<RunRecord>& runs);

void draw_run_comparison(const std::string& png, const std::vector<RunRecord>& runs,
                         const std::string& shared_settings);

}  // namespace nnzero::plot
