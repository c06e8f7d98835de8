#include "nnzero/layers/leaky_relu.h"

#include "nnzero/layers/elementwise_impl.h"

namespace nnzero {
template class Elementwise<LeakyReluMath>;
}  // namespace nnzero
