// DESIGN.md decision 4, "no allocation in the steady state": once shapes repeat, a training
// step (gather the batch, zero_grad, forward + loss, backward, learning-rate schedule and
// optimizer update) and an
// inference forward pass allocate nothing. The global operator new (every overload) is
// replaced by a counting one, and Tensor storage, which comes from aligned_alloc, is counted
// by tensor_allocations(). Counting is on only inside the measured window, on one thread (so
// OpenMP and OpenBLAS stay out of it). Built as its own binary (tests/CMakeLists.txt):
// replacing operator new is a whole-program choice. The replacements call malloc /
// aligned_alloc and free, so the sanitizers still see every allocation.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "nnzero/data/batch_loader.h"
#include "nnzero/data/dataset.h"
#include "nnzero/fast/sparse_input_linear.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/optimizer.h"

// --- counting operator new / delete ---

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_new_calls{0};

void* counted_new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_new_calls.fetch_add(1);
  return std::malloc(size == 0 ? 1 : size);
}

void* counted_new_aligned(std::size_t size, std::align_val_t align) {
  if (g_counting.load(std::memory_order_relaxed)) g_new_calls.fetch_add(1);
  const auto a = static_cast<std::size_t>(align);
  const std::size_t bytes = (size + a - 1) / a * a;  // aligned_alloc wants a multiple of a
  return std::aligned_alloc(a, bytes == 0 ? a : bytes);
}

void* throw_if_null(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

// Not inlined: GCC would otherwise see free() applied to what operator new returned at call
// sites and warn (-Wmismatched-new-delete), not knowing that our operator new is malloc.
[[gnu::noinline]] void release(void* p) noexcept {
  std::free(p);
}
}  // namespace

void* operator new(std::size_t size) {
  return throw_if_null(counted_new(size));
}
void* operator new[](std::size_t size) {
  return throw_if_null(counted_new(size));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_new(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_new(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
  return throw_if_null(counted_new_aligned(size, align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return throw_if_null(counted_new_aligned(size, align));
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_new_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return counted_new_aligned(size, align);
}

void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  release(p);
}

namespace nnzero {
namespace {

// Allocations made while f ran: operator new calls and Tensor storage allocations.
struct Allocations {
  int64_t news = 0, tensors = 0;
  int64_t total() const { return news + tensors; }
};

template <class F>
Allocations count_allocations(F&& f) {
  const int64_t tensors_before = tensor_allocations();
  g_new_calls.store(0);
  g_counting.store(true);
  f();
  g_counting.store(false);
  return {g_new_calls.load(), tensor_allocations() - tensors_before};
}

std::string describe(const char* phase, const Allocations& a) {
  return std::string(phase) + ": " + std::to_string(a.news) + " operator new, " +
         std::to_string(a.tensors) + " tensor allocations";
}

// A dataset of random pixels and labels, as MNIST is held (bytes, converted per batch), one
// pixel in `lit_in` lit.
Dataset random_dataset(const Shape& sample, int64_t n, int32_t classes, uint64_t lit_in) {
  Rng rng(7);
  Dataset d;
  d.name = "random";
  d.sample_shape = sample;
  d.num_classes = classes;
  // Half the pixels zero: some images pack into runs, the others stay raw (both unpack
  // paths). A fifth lit, as in MNIST: a first linear layer takes its sparse path.
  std::vector<uint8_t> pixels(static_cast<size_t>(n * sample.numel()));
  for (uint8_t& p : pixels) p = rng.below(lit_in) != 0 ? 0 : static_cast<uint8_t>(rng.below(256));
  d.pixels = pack_images(pixels, sample.numel());
  d.labels.resize(static_cast<size_t>(n));
  for (int32_t& y : d.labels) y = static_cast<int32_t>(rng.below(static_cast<uint64_t>(classes)));
  return d;
}

// Warms up, then counts the allocations of each phase of several training steps as the
// trainer runs them (gather the batch, zero_grad, loss, backward, update), each step on the
// next batch of a small random dataset, and of inference passes.
void expect_no_steady_state_allocations(const ModelSpec& spec, const std::string& optimizer,
                                        float lr, int64_t batch, float weight_decay = 0.0f,
                                        uint64_t lit_in = 2) {
  SCOPED_TRACE(spec.name + " with " + optimizer);
  set_num_threads(1);
  Rng rng(0);
  Sequential model(spec, rng);
  model.set_weight_decay(weight_decay);
  std::vector<Param*> params;
  for (const NamedParam& np : model.named_params()) params.push_back(np.param);
  auto opt = make_optimizer(optimizer, params, lr);
  constexpr int64_t kBatches = 4;
  const Dataset data = random_dataset(model.input_shape(), kBatches * batch,
                                      static_cast<int32_t>(model.output_shape()[0]), lit_in);
  std::vector<int32_t> order(static_cast<size_t>(kBatches * batch));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(order.size() - 1 - i);

  // As the trainer gathers (on one thread here: the loader's own thread is not counted),
  // the first layer's input prepared by the loader.
  BatchLoader loader(data, model.input_shape(), false,
                     [&model](const Tensor& x, Tensor& p) { return model.prepare_input(x, p); });
  const Batch* b = nullptr;
  double loss = 0.0;
  auto gather = [&](int64_t step) {
    b = &loader.take(std::span<const int32_t>(order.data() + (step % kBatches) * batch,
                                              static_cast<size_t>(batch)));
  };
  auto train_step = [&] {
    model.zero_grad();
    model.use_prepared(b->prepared_input());
    loss = model.loss(b->x, b->target(), true);
    model.backward();
    opt->step();
  };
  for (int64_t step = 0; step < 3; ++step) {  // warm-up: the buffers take their sizes
    gather(step);
    train_step();
    model.forward(b->x, false);
  }
  Allocations gathering, zero_grad, forward, backward, update, inference;
  const std::string schedule = "cosine";  // the update sets the rate first, as Trainer does
  auto add = [](Allocations& sum, const Allocations& a) {
    sum.news += a.news;
    sum.tensors += a.tensors;
  };
  for (int64_t step = 3; step < 8; ++step) {
    add(gathering, count_allocations([&] { gather(step); }));
    add(zero_grad, count_allocations([&] { model.zero_grad(); }));
    add(forward, count_allocations([&] {
          model.use_prepared(b->prepared_input());
          loss = model.loss(b->x, b->target(), true);
        }));
    add(backward, count_allocations([&] { model.backward(); }));
    add(update, count_allocations([&] {
          opt->set_lr(static_cast<float>(lr * lr_factor(schedule, step, 100)));
          opt->step();
        }));
    add(inference, count_allocations([&] { model.forward(b->x, false); }));
  }
  EXPECT_TRUE(std::isfinite(loss));
  if (model.spec().layers[0].type == "linear" && lit_in >= 5) {
    EXPECT_TRUE(static_cast<SparseInputLinear&>(model.layer(0)).last_input_sparse());
  }
  EXPECT_EQ(gathering.total(), 0) << describe("gather batch", gathering);
  EXPECT_EQ(zero_grad.total(), 0) << describe("zero_grad", zero_grad);
  EXPECT_EQ(forward.total(), 0) << describe("forward + loss", forward);
  EXPECT_EQ(backward.total(), 0) << describe("backward", backward);
  EXPECT_EQ(update.total(), 0) << describe("optimizer step", update);
  EXPECT_EQ(inference.total(), 0) << describe("inference forward", inference);
}

void* volatile g_sink;  // keeps the compiler from eliding the allocations below

TEST(Allocations, CountingSeesEveryAllocation) {
  // The harness itself: a window that allocates must be counted, or the tests prove nothing.
  const Allocations news = count_allocations([] {
    g_sink = ::operator new(24);
    ::operator delete(g_sink);
    g_sink = ::operator new[](24, std::nothrow);
    ::operator delete[](g_sink);
    g_sink = ::operator new (256, std::align_val_t{64});
    ::operator delete (g_sink, std::align_val_t{64});
  });
  EXPECT_EQ(news.news, 3);
  EXPECT_EQ(news.tensors, 0);
  const Allocations tensors = count_allocations([] {
    Tensor t(Shape{10});
    t.resize(Shape{5});  // fits: no new storage
    g_sink = t.data();
  });
  EXPECT_EQ(tensors.tensors, 1);
  EXPECT_EQ(count_allocations([] {}).total(), 0);
}

TEST(Allocations, TwoLayerNetEveryOptimizer) {
  for (const std::string& name : optimizer_names()) {
    expect_no_steady_state_allocations(builtin_spec("two_layer_net"), name, 0.0f, 100, 0.0f, 2);
    expect_no_steady_state_allocations(builtin_spec("two_layer_net"), name, 0.0f, 100, 0.0f, 5);
  }
}

TEST(Allocations, MultiLayerNetBatchNormDropoutWeightDecay) {
  MultiLayerOptions o;
  o.batchnorm = true;
  o.dropout = 0.2f;
  expect_no_steady_state_allocations(builtin_spec("multi_layer_net", o), "sgd", 0.01f, 100,
                                     /*weight_decay=*/0.01f);
}

TEST(Allocations, SimpleConvnet) {
  expect_no_steady_state_allocations(builtin_spec("simple_convnet"), "adam", 0.001f, 20);
}

TEST(Allocations, DeepConvnet) {
  expect_no_steady_state_allocations(builtin_spec("deep_convnet"), "adam", 0.001f, 20);
}

TEST(Allocations, ResnetCifar) {
  expect_no_steady_state_allocations(builtin_spec("resnet_cifar"), "nesterov", 0.05f, 8,
                                     /*weight_decay=*/5e-4f);
}

}  // namespace
}  // namespace nnzero
