#include "nnzero/train/thread_governor.h"

#include <algorithm>

#include "nnzero/parallel.h"

namespace nnzero {

namespace {
double median(std::vector<double>& v) {
  std::nth_element(v.begin(), v.begin() + static_cast<int64_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}
}  // namespace

ThreadGovernor::ThreadGovernor(int max_threads, bool enabled)
    : max_threads_(max_threads),
      settled_(max_threads),
      current_(max_threads),
      enabled_(enabled && max_threads > 1) {}

void ThreadGovernor::use(int threads) {
  current_ = threads;
  set_num_threads(threads);
}

// The cycle: period_ steps at the settled count, the last kTrial of them timed; then a trial
// of kSettle + kTrial steps at the other count; the trial's count is kept when its median
// rate beats the settled one by 5 %.
void ThreadGovernor::step_done(double seconds, int64_t samples) {
  if (!enabled_ || seconds <= 0.0) return;
  const double rate = static_cast<double>(samples) / seconds;
  ++steps_;
  if (!trying_) {
    if (steps_ > period_ - kTrial) settled_rates_.push_back(rate);
    if (steps_ < period_) return;
    settled_rate_ = median(settled_rates_);
    settled_rates_.clear();
    trying_ = true;
    steps_ = 0;
    use(alternative());
    return;
  }
  if (steps_ > kSettle) trial_rates_.push_back(rate);
  if (steps_ < kSettle + kTrial) return;
  const bool faster = median(trial_rates_) > 1.05 * settled_rate_;
  trial_rates_.clear();
  trying_ = false;
  steps_ = 0;
  if (faster) {
    settled_ = current_;
    period_ = kPeriod;
    ++switches_;
  } else {
    use(settled_);
    period_ = std::min(std::max(period_, kPeriod) * 2, kMaxPeriod);
  }
}

}  // namespace nnzero
