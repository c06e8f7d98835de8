// Training batches gathered one step ahead (PyTorch's DataLoader with one worker, as a thread).
//
// Unpacking a batch of MNIST images into floats and preparing it for the first layer
// (Layer::prepare_input, e.g. transposing it for a sparse first layer) is a large share of a
// small network's step, which is too small to split over two cores (docs/benchmarks.md, "the
// batch loader"). So with two or more threads, a second thread prepares batch k+1 while the
// step computes on batch k; the batches are the same ones, bit for bit, as prepared inline.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <span>
#include <thread>
#include <vector>

#include "nnzero/data/augment.h"
#include "nnzero/data/dataset.h"
#include "nnzero/target.h"

namespace nnzero {

// A counter one thread advances and one other thread waits on. The waiter spins for a while
// before it sleeps: waking a sleeping thread (a futex call) costs microseconds, a noticeable
// share of a small network's step.
class Signal {
 public:
  uint32_t value() const { return value_.load(std::memory_order_acquire); }
  void advance();
  // Waits until the value is no longer `seen` (spinning up to `spin` first); returns it.
  uint32_t wait_past(uint32_t seen, std::chrono::nanoseconds spin);

 private:
  std::atomic<uint32_t> value_{0};
  std::atomic<bool> sleeping_{false};
};

struct Batch {
  Tensor x;                     // (n, sample...)
  std::vector<int32_t> labels;  // classification
  Tensor targets;               // regression: (n, target_size)
  Tensor xt;                    // x prepared for the model (Model::prepare_input)
  bool prepared = false;

  Target target() const;  // what Model::loss takes
  const Tensor* prepared_input() const { return prepared ? &xt : nullptr; }
};

// Prepares a batch's input for the model (Model::prepare_input): writes `prepared` and
// returns whether it did.
using PrepareInput = std::function<bool(const Tensor& x, Tensor& prepared)>;

class BatchLoader {
 public:
  // ahead: gather on a second thread (for prefetch()); otherwise take() gathers inline.
  // prepare: applied to each batch's input, or empty.
  BatchLoader(const Dataset& data, const Shape& sample_shape, bool ahead,
              PrepareInput prepare = {});
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Starts gathering the samples `indices` (they must stay valid until take()); does nothing
  // unless gathering ahead.
  void prefetch(std::span<const int32_t> indices);
  // Turns gathering ahead on or off (on only when the loader was made with `ahead`), between a
  // take() and the next prefetch(): the trainer turns it off while it trains on one thread, so
  // that the loader's thread does not take a core the step needs.
  void set_gather_ahead(bool on);
  // The batch of the samples `indices`: the prefetched one when it was for these, otherwise
  // gathered now. Valid until the next take().
  const Batch& take(std::span<const int32_t> indices);
  // Augments every batch gathered from now on (data/augment.h) with randomness from `seed`.
  void set_augmentation(const Augmentation& a, uint64_t seed) {
    augmentation_ = a;
    augmentation_seed_ = seed;
  }
  // The epoch of the batches gathered next (their augmentation depends on it). Call it when
  // no prefetch is in flight: at an epoch's start.
  void set_epoch(int64_t epoch) { epoch_ = epoch; }

 private:
  void gather(std::span<const int32_t> indices, Batch& b) const;
  void work();
  void wait_for_prefetch();

  const Dataset& data_;
  Shape sample_shape_;
  PrepareInput prepare_;
  Augmentation augmentation_;
  uint64_t augmentation_seed_ = 0;
  int64_t epoch_ = 0;
  const bool worker_started_;  // worker_ exists
  bool ahead_;                 // gathering on worker_ now
  // Taken in turn when gathering ahead: the one take() returned last, and the next one,
  // being gathered, last read by the step kBatches - 1 steps ago. With 2, the loader's
  // thread wrote lines that the step had just read into its own core's cache (each one
  // fetched back and invalidated there), and the step waited for it twice as often as with
  // 4. Gathering inline, one.
  static constexpr int kBatches = 4;
  Batch batches_[kBatches];
  int current_ = 0;
  int next() const { return ahead_ ? (current_ + 1) % kBatches : current_; }
  std::span<const int32_t> pending_;  // the samples of the prefetch in flight, if any
  bool in_flight_ = false;
  std::exception_ptr error_;  // from the worker's gather, rethrown by take()
  // The worker gathers when requests_ moves on, then advances done_; stop_ ends it.
  Signal requests_, done_;
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

}  // namespace nnzero
