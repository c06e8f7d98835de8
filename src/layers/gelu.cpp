#include "nnzero/layers/gelu.h"

#include "nnzero/layers/elementwise_impl.h"

namespace nnzero {
template class Elementwise<GeluMath>;
}  // namespace nnzero
