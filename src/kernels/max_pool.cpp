#include "nnzero/kernels/max_pool.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace nnzero {

namespace {
// Any window: the maximum over the part of the window inside the image (padding is -inf),
// then max(., floor). Row h of the plane starts at in + h * row_stride; arg indexes the plane
// as H x W (where backward writes).
void pool_plane_any(const float* in, int64_t row_stride, float floor, float* out, int32_t* arg,
                    const PoolGeometry& g) {
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int64_t h0 = std::max<int64_t>(oh * g.stride - g.pad, 0);
    const int64_t h1 = std::min(oh * g.stride - g.pad + g.K, g.H);
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      const int64_t w0 = std::max<int64_t>(ow * g.stride - g.pad, 0);
      const int64_t w1 = std::min(ow * g.stride - g.pad + g.K, g.W);
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_i = h0 * g.W + w0;
      for (int64_t h = h0; h < h1; ++h) {
        for (int64_t w = w0; w < w1; ++w) {
          const float v = in[h * row_stride + w];
          best_i = v > best ? h * g.W + w : best_i;  // branch-free: compiles to cmov
          best = v > best ? v : best;
        }
      }
      out[oh * g.OW + ow] = std::max(best, floor);
      arg[oh * g.OW + ow] = static_cast<int32_t>(best_i);
    }
  }
}

// The common 2x2 window with stride 2 and no padding (every built-in CNN): the maximum of
// each row pair, then of the two rows; ties go to the first in row-major order, as above.
// Written without branches so that the compiler vectorizes it.
// N outputs of a row pair at once (GCC vector extensions: AVX or SSE): the 2N floats of
// each row split into even and odd columns, then the same selects as the scalar loop.
using V8f = float __attribute__((vector_size(32)));
using V8i = int32_t __attribute__((vector_size(32)));
using V4f = float __attribute__((vector_size(16)));
using V4i = int32_t __attribute__((vector_size(16)));
// Even and odd elements of a:b, and a and b interleaved (first and second halves), one
// overload per width (__builtin_shufflevector takes constant indices; GCC and clang).
V8f evens(V8f a, V8f b) {
  return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
}
V8f odds(V8f a, V8f b) {
  return __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
}
V8f interleave_lo(V8f a, V8f b) {
  return __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
}
V8f interleave_hi(V8f a, V8f b) {
  return __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
}
V4f evens(V4f a, V4f b) {
  return __builtin_shufflevector(a, b, 0, 2, 4, 6);
}
V4f odds(V4f a, V4f b) {
  return __builtin_shufflevector(a, b, 1, 3, 5, 7);
}
V4f interleave_lo(V4f a, V4f b) {
  return __builtin_shufflevector(a, b, 0, 4, 1, 5);
}
V4f interleave_hi(V4f a, V4f b) {
  return __builtin_shufflevector(a, b, 2, 6, 3, 7);
}
template <int N>
struct Lanes;
template <>
struct Lanes<8> {
  using F = V8f;
  using I = V8i;
};
template <>
struct Lanes<4> {
  using F = V4f;
  using I = V4i;
};
template <int N>
using Vf = typename Lanes<N>::F;
template <int N>
using Vi = typename Lanes<N>::I;

template <class V>
V load(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <int N>
Vi<N> iota(int32_t step, int32_t first = 0) {
  Vi<N> v;
  for (int k = 0; k < N; ++k) v[k] = first + step * k;
  return v;
}

template <int N>
void pool_n(const float* r0, const float* r1, float floor, int32_t base, int32_t W, int32_t c0,
            float* o, int32_t* a) {
  const Vi<N> even = iota<N>(2);
  const auto a0 = load<Vf<N>>(r0), b0 = load<Vf<N>>(r0 + N);
  const auto a1 = load<Vf<N>>(r1), b1 = load<Vf<N>>(r1 + N);
  const Vf<N> l0 = evens(a0, b0), rr0 = odds(a0, b0);
  const Vf<N> l1 = evens(a1, b1), rr1 = odds(a1, b1);
  const Vi<N> right0 = rr0 > l0, right1 = rr1 > l1;  // -1 where true
  const Vf<N> top = right0 ? rr0 : l0, bottom = right1 ? rr1 : l1;
  const Vi<N> down = bottom > top;
  const Vf<N> best = down ? bottom : top;
  const Vf<N> out = best < floor ? Vf<N>{} + floor : best;
  const Vi<N> c = c0 + even;  // the window's first column, 2 * ow
  const Vi<N> idx = down ? base + W + c - right1 : base + c - right0;
  std::memcpy(o, &out, sizeof out);
  std::memcpy(a, &idx, sizeof idx);
}

void pool_plane_2x2(const float* in, int64_t row_stride, float floor, float* out, int32_t* arg,
                    const PoolGeometry& g) {
  const auto W = static_cast<int32_t>(g.W);
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const float* r0 = in + 2 * oh * row_stride;
    const float* r1 = r0 + row_stride;
    const auto base = static_cast<int32_t>(2 * oh * g.W);
    float* o = out + oh * g.OW;
    int32_t* a = arg + oh * g.OW;
    int64_t ow = 0;
    for (; ow + 8 <= g.OW; ow += 8) {
      pool_n<8>(r0 + 2 * ow, r1 + 2 * ow, floor, base, W, static_cast<int32_t>(2 * ow), o + ow,
                a + ow);
    }
    if (ow + 4 <= g.OW) {
      pool_n<4>(r0 + 2 * ow, r1 + 2 * ow, floor, base, W, static_cast<int32_t>(2 * ow), o + ow,
                a + ow);
      ow += 4;
    }
    for (; ow < g.OW; ++ow) {
      const auto c = static_cast<int32_t>(2 * ow);
      const int32_t right0 = r0[2 * ow + 1] > r0[2 * ow], right1 = r1[2 * ow + 1] > r1[2 * ow];
      const float top = right0 ? r0[2 * ow + 1] : r0[2 * ow];
      const float bottom = right1 ? r1[2 * ow + 1] : r1[2 * ow];
      const int32_t down = bottom > top;
      o[ow] = std::max(down ? bottom : top, floor);
      a[ow] = down ? base + W + c + right1 : base + c + right0;
    }
  }
}
// N outputs' gradients into their 2x2 windows, written whole (the windows do not overlap
// and dst is zero): each window gets g at its argmax and 0 elsewhere, the two rows
// interleaved from per-corner vectors.
template <int N>
void route_n(const float* d, const float* o, const int32_t* arg, int32_t corner0, int32_t W,
             float* top, int64_t row_stride) {
  const Vf<N> zero{};
  const Vf<N> g = load<Vf<N>>(o) > 0.0f ? load<Vf<N>>(d) : zero;
  const Vi<N> rel = load<Vi<N>>(arg) - (corner0 + iota<N>(2));  // 0, 1, W or W + 1
  const Vi<N> down = rel >= W, right = (rel - (down & W)) != 0;
  const Vf<N> tl = (~down & ~right) ? g : zero, tr = (~down & right) ? g : zero;
  const Vf<N> bl = (down & ~right) ? g : zero, br = (down & right) ? g : zero;
  const Vf<N> rows[4] = {interleave_lo(tl, tr), interleave_hi(tl, tr), interleave_lo(bl, br),
                         interleave_hi(bl, br)};
  std::memcpy(top, &rows[0], sizeof rows[0]);
  std::memcpy(top + N, &rows[1], sizeof rows[1]);
  std::memcpy(top + row_stride, &rows[2], sizeof rows[2]);
  std::memcpy(top + row_stride + N, &rows[3], sizeof rows[3]);
}
bool two_by_two(const PoolGeometry& g) {
  return g.K == 2 && g.stride == 2 && g.pad == 0;
}
}  // namespace

void max_pool_plane(const float* in, int64_t row_stride, float floor, float* out, int32_t* arg,
                    const PoolGeometry& g) {
  if (two_by_two(g)) {
    pool_plane_2x2(in, row_stride, floor, out, arg, g);
  } else {
    pool_plane_any(in, row_stride, floor, out, arg, g);
  }
}

void max_pool_plane_reference(const float* in, int64_t row_stride, float floor, float* out,
                              int32_t* arg, const PoolGeometry& g) {
  pool_plane_any(in, row_stride, floor, out, arg, g);
}

void route_relu_plane(const float* d, const float* o, const int32_t* arg, float* plane,
                      int64_t row_stride, const PoolGeometry& g) {
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const int64_t i0 = oh * g.OW;
    int64_t ow = 0;
    if (two_by_two(g)) {  // 8 and 4 windows at a time, then the general loop for the rest
      const auto corner = [&](int64_t at) { return static_cast<int32_t>(2 * (oh * g.W + at)); };
      for (; ow + 8 <= g.OW; ow += 8) {
        route_n<8>(d + i0 + ow, o + i0 + ow, arg + i0 + ow, corner(ow), static_cast<int32_t>(g.W),
                   plane + 2 * oh * row_stride + 2 * ow, row_stride);
      }
      if (ow + 4 <= g.OW) {
        route_n<4>(d + i0 + ow, o + i0 + ow, arg + i0 + ow, corner(ow), static_cast<int32_t>(g.W),
                   plane + 2 * oh * row_stride + 2 * ow, row_stride);
        ow += 4;
      }
    }
    // The argmax's row: within the window, which starts at row h0 (no division).
    const int64_t h0 = std::max<int64_t>(oh * g.stride - g.pad, 0);
    for (; ow < g.OW; ++ow) {
      const int64_t i = i0 + ow;
      if (!(o[i] > 0.0f)) continue;
      int64_t h = h0;
      while (arg[i] >= (h + 1) * g.W) ++h;
      plane[h * row_stride + (arg[i] - h * g.W)] += d[i];
    }
  }
}

}  // namespace nnzero
