// Batching across connections: every connection's request waits here, and one thread per
// model takes all the requests waiting when it is free and runs them through the network as
// one batch. A request that arrives while the network is idle runs at once, alone (no timer
// holds it back); under load the batches grow by themselves, and one forward pass over N
// samples costs far less than N passes over one (one GEMM instead of N matrix-vector
// products). The thread also owns the model, whose forward pass keeps per-call state and is
// not shared between threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <span>
#include <thread>
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
  // Runs what is queued, then stops the thread.
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Classifies one sample (sample_size floats); blocks until its batch has run. Throws a
  // RequestError 503 when the queue is full.
  Classification classify(std::vector<float> input);

  struct Stats {
    int64_t batches = 0, samples = 0, largest_batch = 0;
  };
  Stats stats() const;
  // Requests waiting for a batch now.
  int64_t waiting() const;

 private:
  struct Waiting {
    std::vector<float> input;
    std::promise<Classification> result;
  };
  void run_batches();
  void run_one_batch(std::vector<Waiting>& batch);

  int64_t sample_size_, max_batch_, max_waiting_;
  int threads_;
  RunBatch run_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Waiting> waiting_;
  bool stopping_ = false;
  Stats stats_;
  std::vector<float> inputs_;  // the batch, contiguous
  std::thread thread_;
};

}  // namespace nnzero::serve
