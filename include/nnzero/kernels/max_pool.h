// Max pooling of one plane (section 7.3): each output is the largest value of its window
// (padding counts as -infinity), and the index of that value is kept for backward, which
// routes each output's gradient to it. The common 2x2 window with stride 2 and no padding
// (every built-in CNN) has a vectorized path; max_pool_plane_reference is the plain loop
// over every window that the tests hold it to.
#pragma once

#include <cstdint>

#include "nnzero/kernels/pool_geometry.h"

namespace nnzero {

// One plane: out[oh, ow] = max(window maximum, floor) and arg[oh, ow] the maximum's index in
// the plane as H x W (ties: the first in row-major order). Row h of the input starts at
// in + h * row_stride. floor = -infinity is plain max pooling; floor = 0 applies a ReLU to
// every output (a ReLU before the pooling gives the same outputs: max and ReLU commute).
void max_pool_plane(const float* in, int64_t row_stride, float floor, float* out, int32_t* arg,
                    const PoolGeometry& g);
void max_pool_plane_reference(const float* in, int64_t row_stride, float floor, float* out,
                              int32_t* arg, const PoolGeometry& g);

// The gradient of max_pool_plane with floor 0: dout[i] added into dst at arg[i] (dst laid out
// as the input, row_stride per row) where out[i] > 0, the ReLU's mask; where the window's
// maximum was <= 0 nothing is routed. dst must be zero where windows route to it (with the
// 2x2 window, whole windows are written).
void route_relu_plane(const float* dout, const float* out, const int32_t* arg, float* dst,
                      int64_t row_stride, const PoolGeometry& g);

}  // namespace nnzero
