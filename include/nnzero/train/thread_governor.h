// ThreadGovernor: how many threads the next training step runs on, as the machine's load
// changes. A user's machine is never idle: when another program keeps a core busy, threads
// that meet at every barrier of a step wait for each other's turn on the cores left, and a
// step on two threads can take longer than on one. So the trainer treats --threads as a
// maximum: it times its steps, now and then tries the other count (one thread, or back to the
// maximum) for a few steps, and keeps whichever ran faster. Trials that change nothing come
// less and less often, so on a quiet machine they cost a small share of the steps
// (docs/benchmarks.md, "under load").
//
// With one thread it never changes anything: one thread is nnzero's deterministic setting
// (the thread count changes the order of some sums).
#pragma once

#include <cstdint>
#include <vector>

namespace nnzero {

class ThreadGovernor {
 public:
  // max_threads: the most the steps may use (the thread count when training starts).
  explicit ThreadGovernor(int max_threads, bool enabled = true);

  // The thread count the steps run on now (set with set_num_threads).
  int threads() const { return current_; }
  // After each step: how long it took for how many samples. May change the thread count.
  void step_done(double seconds, int64_t samples);
  // How many times it settled on another count.
  int64_t switches() const { return switches_; }

  // Steps before the first trial; between trials (doubled after each trial that changed
  // nothing, up to kMaxPeriod); of a trial, the first kSettle of them untimed (caches and
  // the thread pool warm up).
  static constexpr int64_t kFirst = 30, kPeriod = 300, kMaxPeriod = 2400, kSettle = 2, kTrial = 8;

 private:
  void use(int threads);
  int alternative() const { return settled_ == max_threads_ ? 1 : max_threads_; }

  int max_threads_, settled_, current_;
  bool enabled_;
  int64_t steps_ = 0;  // since the last trial ended
  int64_t period_ = kFirst;
  int64_t switches_ = 0;
  bool trying_ = false;
  std::vector<double> settled_rates_, trial_rates_;  // samples/s of the steps last timed
  double settled_rate_ = 0.0;
};

}  // namespace nnzero
