#include "nnzero/layers/sigmoid.h"

#include "nnzero/layers/elementwise_impl.h"

namespace nnzero {
template class Elementwise<SigmoidMath>;
}  // namespace nnzero
