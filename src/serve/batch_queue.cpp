#include "batch_queue.h"

#include <algorithm>

#include "nnzero/parallel.h"
#include "request_error.h"

namespace nnzero::serve {

BatchQueue::BatchQueue(int64_t sample_size, int64_t max_batch, int64_t max_waiting, int threads,
                       RunBatch run)
    : sample_size_(sample_size),
      max_batch_(std::max<int64_t>(1, max_batch)),
      max_waiting_(std::max<int64_t>(1, max_waiting)),
      threads_(threads),
      run_(std::move(run)) {}

Classification BatchQueue::classify(std::vector<float> input) {
  Request request;
  request.input = std::move(input);
  std::unique_lock lock(mutex_);
  if (static_cast<int64_t>(waiting_.size()) >= max_waiting_) {
    throw RequestError(503, "the server is busy: try again");
  }
  waiting_.push_back(&request);
  if (!running_) run_next_batch(lock);  // idle: run it here, now
  while (!request.done) {
    lock.unlock();
    request.wake.acquire();  // answered, or handed the network
    lock.lock();
    if (request.promoted) {
      request.promoted = false;
      run_next_batch(lock);  // ours is in it unless more than max_batch were ahead of it
    }
  }
  if (request.error) std::rethrow_exception(request.error);
  return std::move(request.result);
}

void BatchQueue::run_next_batch(std::unique_lock<std::mutex>& lock) {
  running_ = true;
  const auto n = std::min<int64_t>(max_batch_, static_cast<int64_t>(waiting_.size()));
  std::vector<Request*> batch(waiting_.begin(), waiting_.begin() + n);
  waiting_.erase(waiting_.begin(), waiting_.begin() + n);
  stats_.batches += 1;
  stats_.samples += n;
  stats_.largest_batch = std::max(stats_.largest_batch, n);
  lock.unlock();

  // OpenMP's thread count is a setting of each thread, and any request's thread may run.
  thread_local int threads_set = -1;
  if (threads_ > 0 && threads_set != threads_) {
    set_num_threads(threads_);
    threads_set = threads_;
  }
  inputs_.resize(static_cast<size_t>(n * sample_size_));
  for (size_t i = 0; i < batch.size(); ++i) {
    std::copy(batch[i]->input.begin(), batch[i]->input.end(),
              inputs_.begin() + static_cast<std::ptrdiff_t>(i * static_cast<size_t>(sample_size_)));
  }
  try {
    std::vector<Classification> out = run_(inputs_);
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(out[i]);
  } catch (...) {
    for (Request* r : batch) r->error = std::current_exception();
  }

  lock.lock();
  for (Request* r : batch) {
    r->done = true;
    r->wake.release();
  }
  running_ = !waiting_.empty();
  if (running_) {
    waiting_.front()->promoted = true;
    waiting_.front()->wake.release();
  }
}

BatchQueue::Stats BatchQueue::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

int64_t BatchQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(waiting_.size());
}

}  // namespace nnzero::serve
