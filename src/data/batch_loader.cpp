#include "nnzero/data/batch_loader.h"

#include <utility>

#include "nnzero/parallel.h"

namespace nnzero {

namespace {
using Clock = std::chrono::steady_clock;

// How long a thread spins before it sleeps: the worker, when requests came this close
// together (else it sleeps at once and leaves the core to the step's threads); take(), always.
constexpr std::chrono::microseconds kSpin{300};
}  // namespace

void Signal::advance() {
  value_.fetch_add(1, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst)) value_.notify_one();
}

uint32_t Signal::wait_past(uint32_t seen, std::chrono::nanoseconds spin) {
  const auto until = Clock::now() + spin;
  for (int i = 1;; ++i) {
    if (const uint32_t v = value(); v != seen) return v;
    if (i % 64 == 0 && Clock::now() >= until) break;
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
  // Either advance() sees sleeping_ and wakes this thread, or this load sees its new value.
  sleeping_.store(true, std::memory_order_seq_cst);
  uint32_t v;
  while ((v = value_.load(std::memory_order_seq_cst)) == seen) value_.wait(seen);
  sleeping_.store(false, std::memory_order_relaxed);
  return v;
}

Target Batch::target() const {
  Target t;
  if (targets.numel() > 0) {
    t.values = &targets;
  } else {
    t.labels = labels;
  }
  return t;
}

BatchLoader::BatchLoader(const Dataset& data, const Shape& sample_shape, bool ahead,
                         PrepareInput prepare)
    : data_(data),
      sample_shape_(sample_shape),
      prepare_(std::move(prepare)),
      worker_started_(ahead),
      ahead_(ahead) {
  if (worker_started_) worker_ = std::thread([this] { work(); });
}

BatchLoader::~BatchLoader() {
  if (!worker_started_) return;
  stop_.store(true);
  requests_.advance();
  worker_.join();
}

void BatchLoader::gather(std::span<const int32_t> indices, Batch& b) const {
  gather_images(data_, indices, sample_shape_, b.x);
  augment_batch(augmentation_, augmentation_seed_, epoch_, indices, b.x);
  b.prepared = prepare_ && prepare_(b.x, b.xt);
  if (data_.is_regression()) {
    gather_targets(data_, indices, b.targets);
  } else {
    gather_labels(data_, indices, b.labels);
  }
}

// The worker: waits for a request, gathers into the batch take() did not return last.
void BatchLoader::work() {
  run_loops_serially_on_this_thread();  // gather_images' own loop stays on this thread
  uint32_t seen = 0;
  auto last = Clock::now();
  Clock::duration interval{};  // between the last two requests
  for (;;) {
    seen = requests_.wait_past(seen, interval <= kSpin ? kSpin : Clock::duration{});
    if (stop_.load()) return;
    const auto now = Clock::now();
    interval = now - std::exchange(last, now);
    try {
      gather(pending_, batches_[next()]);
    } catch (...) {
      error_ = std::current_exception();
    }
    done_.advance();
  }
}

void BatchLoader::prefetch(std::span<const int32_t> indices) {
  if (!ahead_) return;
  wait_for_prefetch();
  pending_ = indices;
  in_flight_ = true;
  requests_.advance();
}

void BatchLoader::set_gather_ahead(bool on) {
  wait_for_prefetch();
  ahead_ = on && worker_started_;
}

void BatchLoader::wait_for_prefetch() {
  if (!in_flight_) return;
  if (done_.value() != requests_.value()) done_.wait_past(requests_.value() - 1, kSpin);
  in_flight_ = false;
}

const Batch& BatchLoader::take(std::span<const int32_t> indices) {
  const bool prefetched =
      in_flight_ && pending_.data() == indices.data() && pending_.size() == indices.size();
  wait_for_prefetch();
  // A failed prefetch of other samples is forgotten: gathered here, they would fail again.
  if (std::exception_ptr e = std::exchange(error_, nullptr); e && prefetched) {
    std::rethrow_exception(e);
  }
  current_ = next();
  if (!prefetched) gather(indices, batches_[current_]);
  return batches_[current_];
}

}  // namespace nnzero
