// Batching across connections: every connection's request waits here, and whichever request
// finds the network idle runs it, for itself and for every request waiting at that moment, as
// one batch (a "combining" queue: no thread of its own, no hand-over to one). A request that
// arrives while the network is idle runs at once, alone, on its own thread (no timer holds it
// back, no thread switch); under load the batches grow by themselves, and one forward pass
// over N samples costs far less than N passes over one (one GEMM instead of N matrix-vector
// products). One batch runs at a time: a model's forward pass keeps per-call state.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <semaphore>
#include <span>
#include <vector>

#include "nnzero/model/classifier.h"

namespace nnzero::serve {

class BatchQueue {
 public:
  // Runs a batch: `inputs` holds n samples of `sample_size` floats, one after the other.
  using RunBatch = std::function<std::vector<Classification>(std::span<const float> inputs)>;

  // At most `max_batch` samples a forward pass; at most `max_waiting` requests queued (more
  // are refused with 503 rather than piling up memory and latency); `threads` for each
  // forward pass (0: OpenMP's default).
  BatchQueue(int64_t sample_size, int64_t max_batch, int64_t max_waiting, int threads,
             RunBatch run);
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Classifies one sample (sample_size floats); returns when its batch has run. Throws a
  // RequestError 503 when the queue is full, or what the batch threw.
  Classification classify(std::vector<float> input);

  struct Stats {
    int64_t batches = 0, samples = 0, largest_batch = 0;
  };
  Stats stats() const;
  // Requests waiting for a batch now.
  int64_t waiting() const;

 private:
  struct Request {
    std::vector<float> input;
    Classification result;
    std::exception_ptr error;
    bool done = false;      // answered
    bool promoted = false;  // to run the next batch
    std::binary_semaphore wake{0};
  };
  // Takes up to max_batch waiting requests, runs them with the lock released, wakes their
  // threads, and hands the network to the first request still waiting, if any. Called with
  // the lock held, by the thread that found the network idle or was handed it.
  void run_next_batch(std::unique_lock<std::mutex>& lock);

  int64_t sample_size_, max_batch_, max_waiting_;
  int threads_;
  RunBatch run_;
  mutable std::mutex mutex_;
  std::deque<Request*> waiting_;
  bool running_ = false;
  Stats stats_;
  std::vector<float> inputs_;  // the batch, contiguous (used by the running thread only)
};

}  // namespace nnzero::serve
