#include "nnzero/workspace.h"

namespace nnzero {

float* Workspace::floats(Slot slot, int64_t count) {
  Tensor& t = slots_[static_cast<size_t>(slot)];
  t.resize(Shape{std::max<int64_t>(count, 1)});
  return t.data();
}

Tensor Workspace::gradient(int k, int64_t count) {
  Tensor& t = gradients_.at(static_cast<size_t>(k));
  if (t.numel() < count) t = Tensor(Shape{count});
  return t;
}

int64_t Workspace::stride(int64_t per_thread) {
  constexpr int64_t kLine = 16;  // floats in a 64-byte line
  return (per_thread + kLine - 1) / kLine * kLine;
}

float* Workspace::per_thread(Slot slot, int64_t per_thread, int threads) {
  return floats(slot, stride(per_thread) * threads);
}

const int64_t* Workspace::row_offsets(int64_t count, int64_t step) {
  if (step != offsets_step_) {
    offsets_.clear();
    offsets_step_ = step;
  }
  for (auto k = static_cast<int64_t>(offsets_.size()); k < count; ++k) offsets_.push_back(k * step);
  return offsets_.data();
}

}  // namespace nnzero
