#include "nnzero/plot/run_curves.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "nnzero/error.h"
#include "nnzero/io/csv.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/plot/learning_curves.h"
#include "nnzero/plot/page.h"

namespace nnzero::plot {

namespace {
constexpr auto kRedrawEvery = std::chrono::seconds(30);
}

RunCurves::RunCurves(std::string run_dir, std::string title, int64_t expected_steps)
    : dir_(std::move(run_dir)),
      title_(std::move(title)),
      last_draw_(std::chrono::steady_clock::now()) {
  read_earlier_losses();
  try {  // say so now, not after the first epoch
    check_plotting_available();
  } catch (const std::exception& e) {
    drawing_failed_ = true;
    warn_once("no curves.png for this run", e);
  }
  losses_.reserve(static_cast<size_t>(std::max<int64_t>(expected_steps, 0)) + losses_.size());
}

std::string RunCurves::curves_path() const {
  return (std::filesystem::path(dir_) / "curves.png").string();
}

std::string RunCurves::losses_path() const {
  return (std::filesystem::path(dir_) / "loss.csv").string();
}

// A resumed run: its loss.csv, if readable, holds the steps before the checkpoint (and
// perhaps some after it, which record() drops when the run repeats them).
void RunCurves::read_earlier_losses() {
  if (!std::filesystem::exists(losses_path())) return;
  try {
    const CsvTable t = read_csv(losses_path());
    for (const auto& row : t.rows) {
      if (row.size() < 2) break;
      const int64_t step = std::stoll(row[0]);
      if (step != static_cast<int64_t>(losses_.size()) + 1) break;
      losses_.push_back(row[1].empty() ? NAN : std::stof(row[1]));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: %s: %s (the curves start again from here)\n",
                 losses_path().c_str(), e.what());
  }
}

void RunCurves::record(int64_t step, double loss) {
  const auto index = static_cast<size_t>(step - 1);
  if (index != losses_.size()) losses_.resize(index, NAN);
  losses_.push_back(static_cast<float>(loss));
  if (std::chrono::steady_clock::now() - last_draw_ > kRedrawEvery) update(history_);
}

void RunCurves::update(const std::vector<EpochMetrics>& history) {
  if (&history != &history_) history_ = history;
  last_draw_ = std::chrono::steady_clock::now();
  try {
    CsvWriter csv({"step", "loss"});
    for (size_t i = 0; i < losses_.size(); ++i) {
      csv.add_numbers({static_cast<double>(i + 1), losses_[i]});
    }
    csv.save(losses_path());
  } catch (const std::exception& e) {
    warn_once("no loss.csv for this run", e);
  }
  if (drawing_failed_) return;
  try {
    draw_learning_curves(curves_path(), losses_, history_, title_);
  } catch (const std::exception& e) {
    drawing_failed_ = true;
    warn_once("no curves.png for this run", e);
  }
}

void RunCurves::warn_once(const char* what, const std::exception& e) {
  if (warned_) return;
  warned_ = true;
  std::fprintf(stderr, "warning: %s: %s\n", what, e.what());
}

void RunCurves::attach(TrainOptions& options) {
  auto earlier = std::move(options.on_step);
  options.on_step = [this, earlier](int64_t step, double loss) {
    record(step, loss);
    if (earlier) earlier(step, loss);
  };
  options.on_epoch = [this](const std::vector<EpochMetrics>& history) { update(history); };
}

}  // namespace nnzero::plot
