#include "nnzero/plot/run_curves.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "nnzero/error.h"
#include "nnzero/io/csv.h"
#include "nnzero/io/file.h"
#include "nnzero/plot/learning_curves.h"
#include "nnzero/plot/page.h"

namespace nnzero::plot {

namespace {
using Clock = std::chrono::steady_clock;
constexpr auto kRedrawWithinEpoch = std::chrono::seconds(30);

// loss.csv: "step,loss" rows, the loss in its shortest exact form ("" when it was NaN).
std::string losses_csv(const std::vector<float>& losses) {
  std::string text = "step,loss\n";
  text.reserve(text.size() + losses.size() * 20);
  char field[64];
  for (size_t i = 0; i < losses.size(); ++i) {
    char* end = std::to_chars(field, field + 24, i + 1).ptr;
    *end++ = ',';
    if (!std::isnan(losses[i])) end = std::to_chars(end, field + sizeof field, losses[i]).ptr;
    *end++ = '\n';
    text.append(field, end);
  }
  return text;
}
}  // namespace

RunCurves::RunCurves(std::string run_dir, std::string title, int64_t expected_steps,
                     RightPanel right)
    : dir_(std::move(run_dir)), title_(std::move(title)), right_(right), last_write_(Clock::now()) {
  read_earlier_losses();
  try {  // say so now, not after the first epoch
    check_plotting_available();
  } catch (const std::exception& e) {
    drawing_failed_ = true;
    warn_once("no curves.png for this run", e);
  }
  losses_.reserve(static_cast<size_t>(std::max<int64_t>(expected_steps, 0)) + losses_.size());
}

RunCurves::~RunCurves() {
  flush();
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

bool RunCurves::due(Clock::duration at_least) const {
  return !written_ || Clock::now() - last_write_ >= std::max(at_least, min_interval_);
}

void RunCurves::record(int64_t step, double loss) {
  const auto index = static_cast<size_t>(step - 1);
  if (index != losses_.size()) losses_.resize(index, NAN);
  losses_.push_back(static_cast<float>(loss));
  pending_ = true;
  if (Clock::now() - last_write_ > kRedrawWithinEpoch && due(kRedrawWithinEpoch)) write_files();
}

void RunCurves::update(const std::vector<EpochMetrics>& history) {
  if (written_ && history.size() == history_.size()) return;  // nothing new to draw
  history_ = history;
  pending_ = true;
  if (due(Clock::duration::zero())) write_files();
}

void RunCurves::flush() {
  if (pending_) write_files();
}

void RunCurves::write_files() {
  const auto start = Clock::now();
  pending_ = false;
  try {
    write_file_atomic(losses_path(), losses_csv(losses_));
  } catch (const std::exception& e) {
    warn_once("no loss.csv for this run", e);
  }
  if (!drawing_failed_) {
    try {
      draw_learning_curves(curves_path(), losses_, history_, title_, right_);
    } catch (const std::exception& e) {
      drawing_failed_ = true;
      warn_once("no curves.png for this run", e);
    }
  }
  last_write_ = Clock::now();
  min_interval_ = 20 * (last_write_ - start);
  written_ = true;
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
