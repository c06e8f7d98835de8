#include "nnzero/layers/tanh.h"

#include "nnzero/layers/elementwise_impl.h"

namespace nnzero {
template class Elementwise<TanhMath>;
}  // namespace nnzero
