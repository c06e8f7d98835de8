// Target: what a network should have output for a batch, as a loss takes it: class indices
// (classification) or values (regression, or one-hot rows), whichever the loss needs.
#pragma once

#include <cstdint>
#include <span>

#include "nnzero/tensor.h"

namespace nnzero {

struct Target {
  std::span<const int32_t> labels;
  const Tensor* values = nullptr;
};

}  // namespace nnzero
