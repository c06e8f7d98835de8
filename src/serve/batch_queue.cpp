#include "batch_queue.h"

#include <algorithm>
#include <exception>

#include "nnzero/parallel.h"
#include "request_error.h"

namespace nnzero::serve {

BatchQueue::BatchQueue(int64_t sample_size, int64_t max_batch, int64_t max_waiting, int threads,
                       RunBatch run)
    : sample_size_(sample_size),
      max_batch_(std::max<int64_t>(1, max_batch)),
      max_waiting_(std::max<int64_t>(1, max_waiting)),
      threads_(threads),
      run_(std::move(run)),
      thread_([this] { run_batches(); }) {}

BatchQueue::~BatchQueue() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

Classification BatchQueue::classify(std::vector<float> input) {
  std::future<Classification> result;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || static_cast<int64_t>(waiting_.size()) >= max_waiting_) {
      throw RequestError(503, "the server is busy: try again");
    }
    waiting_.push_back({std::move(input), {}});
    result = waiting_.back().result.get_future();
  }
  wake_.notify_one();
  return result.get();
}

BatchQueue::Stats BatchQueue::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

int64_t BatchQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(waiting_.size());
}

// The model's thread: sleeps until requests wait, takes up to max_batch of them, runs them.
void BatchQueue::run_batches() {
  // OpenMP's thread count is a per-thread setting: a new thread starts from the default.
  if (threads_ > 0) set_num_threads(threads_);
  std::vector<Waiting> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and nothing left to answer
      const auto n = std::min<int64_t>(max_batch_, static_cast<int64_t>(waiting_.size()));
      for (int64_t i = 0; i < n; ++i) {
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
      stats_.batches += 1;
      stats_.samples += n;
      stats_.largest_batch = std::max(stats_.largest_batch, n);
    }
    run_one_batch(batch);
    batch.clear();
  }
}

void BatchQueue::run_one_batch(std::vector<Waiting>& batch) {
  inputs_.resize(batch.size() * static_cast<size_t>(sample_size_));
  for (size_t i = 0; i < batch.size(); ++i) {
    std::copy(batch[i].input.begin(), batch[i].input.end(),
              inputs_.begin() + static_cast<std::ptrdiff_t>(i * static_cast<size_t>(sample_size_)));
  }
  try {
    std::vector<Classification> out = run_(inputs_);
    for (size_t i = 0; i < batch.size(); ++i) batch[i].result.set_value(std::move(out[i]));
  } catch (...) {
    for (Waiting& w : batch) w.result.set_exception(std::current_exception());
  }
}

}  // namespace nnzero::serve
