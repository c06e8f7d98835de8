#include "nnzero/layers/relu.h"

#include "nnzero/layers/elementwise_impl.h"

namespace nnzero {
template class Elementwise<ReluMath>;
}  // namespace nnzero
