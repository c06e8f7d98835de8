#include "nnzero/train/thread_governor.h"

#include <algorithm>

#include "nnzero/parallel.h"

namespace nnzero {

ThreadGovernor::ThreadGovernor(int max_threads, bool enabled)
    : max_threads_(max_threads),
      settled_(max_threads),
      current_(max_threads),
      enabled_(enabled && max_threads > 1) {}

void ThreadGovernor::use(int threads) {
  current_ = threads;
  set_num_threads(threads);
}

// The cycle: period_ seconds at the settled count, its throughput measured (the first kSettle
// steps after a change left out); then a trial at the other count; the trial's count is kept
// when its throughput beats the settled one by 5 %. Throughput is samples over seconds of a
// whole phase: under load, single steps' times jump with the scheduler's time slices.
void ThreadGovernor::step_done(double seconds, int64_t samples) {
  if (!enabled_ || seconds <= 0.0) return;
  if (++steps_ > kSettle) {
    samples_ += static_cast<double>(samples);
    seconds_ += seconds;
  }
  if (!trying_) {
    if (seconds_ < period_) return;
    settled_rate_ = samples_ / seconds_;
    trying_ = true;
    use(alternative());
  } else {
    if (steps_ < kSettle + kTrialSteps || seconds_ < kTrialSeconds) return;
    trying_ = false;
    if (samples_ / seconds_ > 1.05 * settled_rate_) {
      settled_ = current_;
      period_ = kPeriod;
      ++switches_;
    } else {
      use(settled_);
      period_ = std::min(std::max(period_, kPeriod) * 2, kMaxPeriod);
    }
  }
  steps_ = 0;
  samples_ = seconds_ = 0.0;
}

}  // namespace nnzero
