// The batching of `nnzero serve` (src/serve/batch_queue.h): requests that wait while a batch
// runs go together into the next one; a full queue refuses with 503; errors reach every
// request of the batch.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "batch_queue.h"
#include "request_error.h"

namespace {

using nnzero::Classification;
using nnzero::serve::BatchQueue;
using nnzero::serve::RequestError;

// A network of one "class": the label is the sample's first value, the batch size is
// recorded; the first batch waits until `release` is set.
struct FakeNetwork {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<size_t> batch_sizes;
  std::mutex mutex;

  std::vector<Classification> run(std::span<const float> inputs, int64_t sample_size) {
    released.wait();
    const size_t n = inputs.size() / static_cast<size_t>(sample_size);
    {
      std::lock_guard lock(mutex);
      batch_sizes.push_back(n);
    }
    std::vector<Classification> out(n);
    for (size_t i = 0; i < n; ++i) out[i].label = static_cast<int32_t>(inputs[i * 2]);
    return out;
  }
};

void wait_for_waiting(const BatchQueue& q, int64_t n) {
  while (q.waiting() < n) std::this_thread::yield();
}

TEST(ServeBatchQueue, RequestsThatWaitWhileABatchRunsShareTheNextBatch) {
  FakeNetwork net;
  BatchQueue q(2, 64, 100, 1, [&](std::span<const float> x) { return net.run(x, 2); });
  // The first request starts a batch of one, which blocks; five more wait meanwhile.
  auto first = std::async(std::launch::async, [&] { return q.classify({7, 0}); });
  while (q.stats().batches < 1) std::this_thread::yield();
  std::vector<std::future<Classification>> rest;
  for (int k = 0; k < 5; ++k) {
    rest.push_back(std::async(std::launch::async, [&q, k] {
      return q.classify({static_cast<float>(k), 0});
    }));
  }
  wait_for_waiting(q, 5);
  net.release.set_value();
  EXPECT_EQ(first.get().label, 7);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(rest[static_cast<size_t>(k)].get().label, k);
  EXPECT_EQ(net.batch_sizes, (std::vector<size_t>{1, 5}));
  EXPECT_EQ(q.stats().samples, 6);
  EXPECT_EQ(q.stats().largest_batch, 5);
}

TEST(ServeBatchQueue, ABatchHoldsAtMostMaxBatchRequests) {
  FakeNetwork net;
  BatchQueue q(2, 2, 100, 1, [&](std::span<const float> x) { return net.run(x, 2); });
  auto first = std::async(std::launch::async, [&] { return q.classify({0, 0}); });
  while (q.stats().batches < 1) std::this_thread::yield();
  std::vector<std::future<Classification>> rest;
  for (int k = 0; k < 5; ++k) {
    rest.push_back(std::async(std::launch::async, [&q] { return q.classify({1, 0}); }));
  }
  wait_for_waiting(q, 5);
  net.release.set_value();
  for (auto& r : rest) EXPECT_EQ(r.get().label, 1);
  first.get();
  EXPECT_EQ(net.batch_sizes, (std::vector<size_t>{1, 2, 2, 1}));
}

TEST(ServeBatchQueue, AFullQueueRefusesWith503) {
  FakeNetwork net;
  BatchQueue q(2, 64, 2, 1, [&](std::span<const float> x) { return net.run(x, 2); });
  auto first = std::async(std::launch::async, [&] { return q.classify({0, 0}); });
  while (q.stats().batches < 1) std::this_thread::yield();
  auto a = std::async(std::launch::async, [&] { return q.classify({1, 0}); });
  auto b = std::async(std::launch::async, [&] { return q.classify({2, 0}); });
  wait_for_waiting(q, 2);
  try {
    q.classify({3, 0});
    ADD_FAILURE() << "a full queue took a request";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.status(), 503);
  }
  net.release.set_value();
  EXPECT_EQ(a.get().label, 1);
  EXPECT_EQ(b.get().label, 2);
  first.get();
}

TEST(ServeBatchQueue, AFailedBatchFailsEachOfItsRequests) {
  BatchQueue q(1, 64, 100, 1, [](std::span<const float>) -> std::vector<Classification> {
    throw std::runtime_error("forward failed");
  });
  EXPECT_THROW(q.classify({0}), std::runtime_error);
  EXPECT_THROW(q.classify({1}), std::runtime_error);  // and the queue still runs
}

}  // namespace
