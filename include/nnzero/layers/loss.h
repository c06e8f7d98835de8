// Loss: the last layer of a network during training. forward(score, target) returns the
// mean loss over the batch; backward() returns dL/d(score).
#pragma once

#include "nnzero/target.h"
#include "nnzero/tensor.h"

namespace nnzero {

class Loss {
 public:
  virtual ~Loss() = default;
  virtual const char* type() const = 0;
  virtual double forward(const Tensor& score, const Target& target) = 0;
  virtual const Tensor& backward() = 0;
  // The network's prediction for the last forward: probabilities (softmax) or values.
  virtual const Tensor& prediction() const = 0;
};

}  // namespace nnzero
