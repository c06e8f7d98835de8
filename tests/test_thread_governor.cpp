// ThreadGovernor on step times as a loaded and a quiet machine give them: with a core taken it
// settles on one thread within its first trial, stays there while the load lasts, and goes
// back to two threads once the load is gone; on a quiet machine it never leaves two threads
// and its trials take a small share of the steps.
#include <gtest/gtest.h>

#include "nnzero/parallel.h"
#include "nnzero/train/thread_governor.h"

using namespace nnzero;

namespace {
// Seconds per step of 100 samples: two threads twice as slow as one when a core is taken
// (they wait for each other's turn), 1.6x faster on a quiet machine.
double step_seconds(int threads, bool loaded) {
  if (loaded) return threads == 2 ? 2.0e-3 : 1.0e-3;
  return threads == 2 ? 1.0e-3 : 1.6e-3;
}
}  // namespace

TEST(ThreadGovernor, FollowsTheLoad) {
  const int threads = num_threads();
  set_num_threads(2);
  ThreadGovernor g(2);
  int64_t steps = 0;
  while (g.threads() == 2 && steps < 1000) {
    g.step_done(step_seconds(g.threads(), true), 100);
    ++steps;
  }
  EXPECT_LE(steps, ThreadGovernor::kFirst);  // the first trial starts after kFirst steps
  for (int i = 0; i < ThreadGovernor::kSettle + ThreadGovernor::kTrial; ++i) {
    g.step_done(step_seconds(g.threads(), true), 100);
  }
  EXPECT_EQ(g.switches(), 1);
  EXPECT_EQ(g.threads(), 1);
  EXPECT_EQ(num_threads(), 1);
  int64_t on_one = 0;
  for (int i = 0; i < 3000; ++i) {  // the load lasts: trials of two threads lose
    on_one += g.threads() == 1;
    g.step_done(step_seconds(g.threads(), true), 100);
  }
  EXPECT_EQ(g.switches(), 1);
  EXPECT_GT(on_one, 2900);
  for (int i = 0; i < 2 * ThreadGovernor::kMaxPeriod && g.switches() == 1; ++i) {
    g.step_done(step_seconds(g.threads(), false), 100);  // the load is gone
  }
  EXPECT_EQ(g.switches(), 2);
  EXPECT_EQ(g.threads(), 2);
  set_num_threads(threads);
}

TEST(ThreadGovernor, OnAQuietMachineStaysAndCostsLittle) {
  const int threads = num_threads();
  set_num_threads(2);
  ThreadGovernor g(2);
  double seconds = 0.0, best = 0.0;
  for (int i = 0; i < 20000; ++i) {
    seconds += step_seconds(g.threads(), false);
    best += step_seconds(2, false);
    g.step_done(step_seconds(g.threads(), false), 100);
  }
  EXPECT_EQ(g.switches(), 0);
  EXPECT_EQ(g.threads(), 2);
  EXPECT_LT(seconds / best, 1.01);  // trials cost under 1 %
  // One thread, or turned off: nothing changes.
  ThreadGovernor off(2, false), one(1);
  for (int i = 0; i < 1000; ++i) {
    off.step_done(step_seconds(2, true), 100);
    one.step_done(step_seconds(1, true), 100);
  }
  EXPECT_EQ(off.threads(), 2);
  EXPECT_EQ(one.threads(), 1);
  EXPECT_EQ(off.switches() + one.switches(), 0);
  set_num_threads(threads);
}
