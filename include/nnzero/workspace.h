// Workspace: scratch memory that layers and kernels borrow for the length of one forward or
// backward call. Nothing in it outlives the call, so the layers of one model, which run one
// after another, share one (the largest layer's need serves them all); the model owns it and
// hands it to its layers, a layer used on its own makes its own. It only grows: once the
// shapes repeat, a training step allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "nnzero/tensor.h"

namespace nnzero {

class Workspace {
 public:
  // Independent regions: a call that needs two buffers at once takes two slots.
  enum Slot { kScratch, kPartialSums, kTransposed, kSlots };

  // `count` floats in `slot`, 64-byte aligned; the contents are left from earlier calls.
  float* floats(Slot slot, int64_t count);
  // `per_thread` floats for each of `threads` threads in `slot`: thread t's block starts at
  // result + t * stride(per_thread), each block 64-byte aligned.
  float* per_thread(Slot slot, int64_t per_thread, int threads);
  static int64_t stride(int64_t per_thread);
  // offsets[k] = k * step for k < count: where a product reads row k of a row-major matrix
  // with `step` floats per row (kernels/implicit_gemm.h takes its rows by offset).
  const int64_t* row_offsets(int64_t count, int64_t step);

  // Gradient tensors that outlive one layer's call but not one block's backward pass: the
  // residual blocks of a model run backward one after another, and each hands its inner
  // layers these as their dL/dx buffers (layers/residual_block.h), instead of every block
  // keeping its own. Tensor k (0 <= k < kGradients) of at least `count` floats: a handle to
  // its storage, which grows and is then kept.
  static constexpr int kGradients = 3;
  Tensor gradient(int k, int64_t count);

 private:
  std::array<Tensor, kSlots> slots_;
  std::array<Tensor, kGradients> gradients_;
  std::vector<int64_t> offsets_;
  int64_t offsets_step_ = 0;
};

}  // namespace nnzero
