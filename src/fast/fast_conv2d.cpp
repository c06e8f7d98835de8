#include "nnzero/fast/fast_conv2d.h"

#include <algorithm>
#include <limits>

#include "nnzero/fast/conv_relu_pool.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/kernels/implicit_gemm.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
int gemm_int(int64_t v) {
  return static_cast<int>(v);
}

// sum of p[0 .. n): 16 running sums, which the compiler keeps in one vector (a single running
// sum would be a chain of n dependent additions).
float row_sum(const float* p, int64_t n) {
  constexpr int64_t kWays = 16;
  float part[kWays] = {};
  int64_t i = 0;
  for (; i + kWays <= n; i += kWays) {
    for (int64_t l = 0; l < kWays; ++l) part[l] += p[i + l];
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += p[i];
  for (float v : part) sum += v;
  return sum;
}
}  // namespace

FastConv2d::FastConv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h,
                       int64_t kernel_w, int64_t stride, int64_t padding, bool bias)
    : Conv2d(in_shape, out_channels, kernel_h, kernel_w, stride, padding, bias),
      wide_(stride == 1),
      cols_(wide_ ? wide_cols(g_) : g_.col_cols()) {
  if (!wide_) return;
  const int64_t Hp = g_.H + 2 * g_.pad, Wp = g_.W + 2 * g_.pad;
  ld_ = round_up_to_block(cols_);
  // dx is computed on a grid of H rows x Wp columns (the interior rows of the padded plane;
  // the interior columns are pad .. pad + W - 1): grid[c, h*Wp + w'] reads
  // d[o, (h + pad - i)*Wp + w' - j] for every (o, i, j), d being dout on the wide grid
  // (row stride Wp, columns OW .. Wp - 1 zero). Reads left of column 0 wrap onto the
  // previous row's columns >= OW and reads right of OW - 1 stay below Wp, both zero; reads
  // above row 0 land in the zero margin of front_ floats, below row OH - 1 in the zero tail
  // (dld_ covers the last read, front_ + pad*Wp + dxld_).
  dxld_ = round_up_to_block(g_.H * Wp);
  front_ = std::max<int64_t>(0, (g_.KH - 1 - g_.pad) * Wp + g_.KW - 1);
  dld_ = front_ + std::max(cols_, g_.pad * Wp + dxld_);
  for (int64_t c = 0; c < g_.C; ++c)
    for (int64_t i = 0; i < g_.KH; ++i)
      for (int64_t j = 0; j < g_.KW; ++j) offset_.push_back(c * Hp * Wp + i * Wp + j);
  for (int64_t o = 0; o < out_channels_; ++o)
    for (int64_t i = 0; i < g_.KH; ++i)
      for (int64_t j = 0; j < g_.KW; ++j)
        dx_offset_.push_back(o * dld_ + front_ + (g_.pad - i) * Wp - j);
  // dW: the lane sums of implicit_gemm_d_colt cost about as much as transposing dout for
  // implicit_gemm_col_b when K*8 ~ OH*Wp (docs/benchmarks.md, "convolution kernels"): the
  // one-channel first layers (K = 9 or 25 on 28x28) take the former, the rest the latter.
  if (g_.col_rows() * 8 > cols_) {
    oc_pad_ =
        (out_channels_ + implicit_gemm_lanes() - 1) / implicit_gemm_lanes() * implicit_gemm_lanes();
    offset_.resize(static_cast<size_t>(round_up_to_rows(g_.col_rows())), 0);  // read, unused
  }
}

// Per thread: xpad (with the kernel's overrun), col (stride > 1) or the masked dout and dT
// (wide), the grid, dx's grid (wide).
int64_t FastConv2d::col_size() const {
  if (!wide_) return g_.col_rows() * cols_;
  return out_channels_ * g_.col_cols() + cols_ * oc_pad_;
}

int64_t FastConv2d::grid_size() const {
  return out_channels_ * (wide_ ? std::max(ld_, dld_) : cols_);
}

int64_t FastConv2d::scratch_size() const {
  return padded_size(g_) + implicit_gemm_block() + col_size() + grid_size() + g_.C * dxld_;
}

// The work space of `threads` threads for this call (the model's, shared by its layers:
// workspace.h).
float* FastConv2d::scratch_base(int threads) {
  scratch_ = workspace().per_thread(Workspace::kScratch, scratch_size(), threads);
  return scratch_;
}

FastConv2d::Scratch FastConv2d::scratch(float* base, int thread) const {
  float* xpad = base + thread * Workspace::stride(scratch_size());
  float* col = xpad + padded_size(g_) + implicit_gemm_block();
  float* grid = col + col_size();
  return {xpad, col, grid, grid + grid_size()};
}

// One image, stride 1: x into the padded buffer that the implicit GEMM reads.
void FastConv2d::pad_wide(const float* x, Scratch s) const {
  pad_image(x, g_, s.xpad);
  const int64_t end = padded_size(g_);
  std::fill(s.xpad + end, s.xpad + end + implicit_gemm_block(), 0.0f);  // read past the plane
}

// One image, stride 1, output channels [o0, o1), from the padded image in s.xpad:
// W xpad + b on the wide grid (ld_ per channel, Wp per row; the last Wp - OW columns of each
// row are not outputs), then compacted into out (max(0, .) when a ReLU is fused), unless
// out is null (a fused pooling reads the grid).
void FastConv2d::forward_channels(float* out, int64_t o0, int64_t o1, Scratch s) const {
  const int64_t K = g_.col_rows(), P = g_.col_cols(), Wp = g_.W + 2 * g_.pad;
  implicit_gemm(o1 - o0, K, cols_, weight_.value.data() + o0 * K, K, offset_.data(), s.xpad,
                has_bias_ ? bias_.value.data() + o0 : nullptr, s.grid + o0 * ld_, ld_);
  if (out == nullptr) return;
  // Compacted with max(., floor): a loop the compiler keeps inline and vectorizes (a plain
  // copy becomes a memmove call per row of 7-28 floats).
  const float floor = relu_ ? 0.0f : -std::numeric_limits<float>::infinity();
  for (int64_t o = o0; o < o1; ++o) {
    for (int64_t oh = 0; oh < g_.OH; ++oh) {
      const float* src = s.grid + o * ld_ + oh * Wp;
      float* dst = out + o * P + oh * g_.OW;
      for (int64_t ow = 0; ow < g_.OW; ++ow) dst[ow] = std::max(src[ow], floor);
    }
  }
}

// One image: dout where the fused ReLU let the output through (out > 0) and 0 elsewhere,
// written to buffer; dout itself when there is no mask to apply (out null).
const float* FastConv2d::relu_masked(const float* out, const float* dout, float* buffer) const {
  if (out == nullptr) return dout;
  const int64_t n = out_shape_.numel();  // hoisted: a call per element otherwise
  for (int64_t i = 0; i < n; ++i) buffer[i] = out[i] > 0.0f ? dout[i] : 0.0f;
  return buffer;
}

// One image, stride 1: d = dout (masked by out > 0 when a ReLU is fused) on the zeroed wide
// grid (zero margins and dropped columns), s.grid + o * dld_ + front_ for channel o, Wp per
// row; db += row sums of d.
void FastConv2d::dout_to_grid(const float* out, const float* dout, float* db, Scratch s) const {
  const int64_t OC = out_channels_, P = g_.col_cols(), Wp = g_.W + 2 * g_.pad;
  const float* masked = relu_masked(out, dout, s.col);
  std::fill(s.grid, s.grid + OC * dld_, 0.0f);
  for (int64_t o = 0; o < OC; ++o) {
    float* row = s.grid + o * dld_ + front_;
    for (int64_t oh = 0; oh < g_.OH; ++oh) {
      const float* src = masked + o * P + oh * g_.OW;
      std::copy(src, src + g_.OW, row + oh * Wp);
    }
  }
  grid_row_sums(db, s);
}

// db += each channel's sum of d on the grid, zeros between the outputs included: the same
// sums in the same order whichever way d got there (fused pooling or not).
void FastConv2d::grid_row_sums(float* db, Scratch s) const {
  const int64_t span = g_.OH * (g_.W + 2 * g_.pad);
  for (int64_t o = 0; o < out_channels_ && has_bias_; ++o) {
    db[o] += row_sum(s.grid + o * dld_ + front_, span);
  }
}

// The same from the gradient of the max pooling fused after this layer: routed by the
// pooling through its argmax (where the window's maximum was > 0: the ReLU's mask).
void FastConv2d::pooled_dout_to_grid(const ConvReluPool& pool, const float* dpool, int64_t n,
                                     float* db, Scratch s) const {
  const int64_t OC = out_channels_, Wp = g_.W + 2 * g_.pad;
  std::fill(s.grid, s.grid + OC * dld_, 0.0f);
  pool.route_image(dpool, n, s.grid + front_, Wp, dld_);
  grid_row_sums(db, s);
}

// One image, stride 1, dout on the grid (dout_to_grid): dW += d col^T, dx = W' d (see the
// header).
void FastConv2d::backward_wide(const float* x, float* dx, float* dw, float* dwt, Scratch s) const {
  const int64_t OC = out_channels_, P = g_.col_cols(), Wp = g_.W + 2 * g_.pad;
  const float* d = s.grid + front_;
  pad_wide(x, s);  // with the zeroed tail: the work space holds other layers' data
  if (dwt == nullptr) {
    implicit_gemm_d_colt(OC, g_.col_rows(), cols_, d, dld_, offset_.data(), s.xpad, dw,
                         g_.col_rows());
  } else {
    // dT (positions x channels, oc_pad_ wide), transposed in blocks of 16 positions so the
    // written lines stay in L1.
    float* dT = s.col + OC * P;
    for (int64_t q0 = 0; q0 < cols_; q0 += 16) {
      const int64_t q1 = std::min(cols_, q0 + 16);
      for (int64_t o = 0; o < OC; ++o) {
        for (int64_t q = q0; q < q1; ++q) dT[q * oc_pad_ + o] = d[o * dld_ + q];
      }
    }
    // The padding channels' lanes give sums nobody reads; zero, not stale floats (which
    // could be denormals, slow in every multiply-add).
    for (int64_t q = 0; q < cols_ && oc_pad_ > OC; ++q) {
      std::fill(dT + q * oc_pad_ + OC, dT + (q + 1) * oc_pad_, 0.0f);
    }
    implicit_gemm_col_b(g_.col_rows(), oc_pad_, cols_, offset_.data(), s.xpad, dT, oc_pad_, dwt,
                        oc_pad_);
  }
  if (dx == nullptr) return;
  const int64_t KO = OC * g_.KH * g_.KW;
  implicit_gemm(g_.C, KO, g_.H * Wp, wt_.data(), KO, dx_offset_.data(), s.grid, nullptr, s.dx,
                dxld_);
  for (int64_t c = 0; c < g_.C; ++c) {
    for (int64_t h = 0; h < g_.H; ++h) {
      const float* src = s.dx + c * dxld_ + h * Wp + g_.pad;
      std::copy(src, src + g_.W, dx + (c * g_.H + h) * g_.W);
    }
  }
}

// One image, stride > 1: out (OC, OH, OW) = W im2col(x) + b (then max(0, .) when a ReLU is
// fused).
void FastConv2d::forward_image(const float* x, float* out, Scratch s) const {
  const int64_t K = g_.col_rows(), OC = out_channels_, P = g_.col_cols();
  im2col(x, g_, s.xpad, s.col);
  for (int64_t o = 0; o < OC && has_bias_; ++o) {
    std::fill(out + o * P, out + (o + 1) * P, bias_.value[o]);
  }
  gemm(Trans::No, Trans::No, gemm_int(OC), gemm_int(P), gemm_int(K), 1.0f, weight_.value.data(),
       gemm_int(K), s.col, gemm_int(P), has_bias_ ? 1.0f : 0.0f, out, gemm_int(P));
  for (int64_t i = 0; i < OC * P && relu_; ++i) out[i] = std::max(out[i], 0.0f);
}

// One image, stride > 1: dW += d col^T, db += row sums of d, dx = col2im(W^T d), where d is
// dout, masked by out > 0 when a ReLU is fused.
void FastConv2d::backward_image(const float* x, const float* out, const float* dout, float* dx,
                                float* dw, float* db, Scratch s) const {
  const int64_t K = g_.col_rows(), OC = out_channels_, P = g_.col_cols();
  const float* d = relu_masked(out, dout, s.grid);
  im2col(x, g_, s.xpad, s.col);
  gemm(Trans::No, Trans::Yes, gemm_int(OC), gemm_int(K), gemm_int(P), 1.0f, d, gemm_int(P), s.col,
       gemm_int(P), 1.0f, dw, gemm_int(K));
  for (int64_t o = 0; o < OC && has_bias_; ++o) db[o] += row_sum(d + o * P, P);
  if (dx == nullptr) return;
  // dcol (K, P) = W^T d, reusing the col buffer.
  gemm(Trans::Yes, Trans::No, gemm_int(K), gemm_int(P), gemm_int(OC), 1.0f, weight_.value.data(),
       gemm_int(K), d, gemm_int(P), 0.0f, s.col, gemm_int(P));
  std::fill(dx, dx + in_shape_.numel(), 0.0f);
  col2im(s.col, g_, s.xpad, dx);
}

const Tensor& FastConv2d::forward(const Tensor& x, bool /*train*/) {
  relu_ = false;
  return forward_images(x, nullptr);
}

const Tensor& FastConv2d::forward_relu(const Tensor& x) {
  relu_ = true;
  return forward_images(x, nullptr);
}

const Tensor& FastConv2d::forward_pooled(const Tensor& x, ConvReluPool& pool) {
  relu_ = true;
  return forward_images(x, &pool);
}

// Image n's output, left in the work space (s.grid), pooled by `pool` from there.
void FastConv2d::pool_work_space(ConvReluPool& pool, int64_t n, Scratch s) const {
  if (wide_) {
    pool.pool_image(s.grid, g_.W + 2 * g_.pad, ld_, n);
  } else {
    pool.pool_image(s.grid, g_.OW, g_.col_cols(), n);
  }
}

// forward, forward_relu and forward_pooled: each image convolved into out_, or (pool) left
// in the work space and pooled from there.
const Tensor& FastConv2d::forward_images(const Tensor& x, ConvReluPool* pool) {
  check_input(x);
  x_ = x;
  const int64_t N = x.dim(0), OC = out_channels_, threads = num_threads();
  if (pool != nullptr) {
    pool->resize_for(N);
  } else {
    out_.resize(out_shape_.with_batch(N));
  }
  if (wide_ && N < threads && OC >= 32 * threads) {
    forward_one_image_split(x, pool);
  } else {
    float* base = scratch_base(static_cast<int>(threads));
    const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
    parallel_pieces(
        N,
        [&](int t, int64_t n0, int64_t n1) {
          const Scratch s = scratch(base, t);
          for (int64_t n = n0; n < n1; ++n) {
            const float* xn = x.data() + n * in_size;
            float* outn = pool ? nullptr : out_.data() + n * out_size;
            if (wide_) {
              pad_wide(xn, s);
              forward_channels(outn, 0, OC, s);
            } else {
              forward_image(xn, outn ? outn : s.grid, s);
            }
            if (pool != nullptr) pool_work_space(*pool, n, s);
          }
        },
        2);
  }
  return pool ? pool->output() : out_;
}

// Fewer images than threads (single-image inference) and at least four blocks of 8 output
// channels (whole register blocks of the kernel) per thread: the threads share each image,
// split over the blocks. With fewer channels the next layer's reads of what the other core
// wrote cost more than the split saves (docs/benchmarks.md, "single-image latency").
void FastConv2d::forward_one_image_split(const Tensor& x, ConvReluPool* pool) {
  const int64_t OC = out_channels_, blocks = (OC + 7) / 8;
  const Scratch s = scratch(scratch_base(1), 0);
  for (int64_t n = 0; n < x.dim(0); ++n) {
    float* outn = pool ? nullptr : out_.data() + n * out_shape_.numel();
    pad_wide(x.data() + n * in_shape_.numel(), s);
    parallel_for(
        blocks,
        [&](int64_t b0, int64_t b1) {
          for (int64_t b = b0; b < b1; ++b)
            forward_channels(outn, 8 * b, std::min(OC, 8 * b + 8), s);
        },
        1);
    if (pool != nullptr) pool_work_space(*pool, n, s);
  }
}

const Tensor& FastConv2d::backward(const Tensor& dout) {
  check_dout(dout, x_.dim(0));
  return backward_images(dout, nullptr);
}

const Tensor& FastConv2d::backward_relu(const Tensor& dout) {
  check_dout(dout, x_.dim(0));
  return backward_images(dout, nullptr);
}

const Tensor& FastConv2d::backward_pooled(const Tensor& dpool, const ConvReluPool& pool) {
  const Shape want = pool.out_shape().with_batch(x_.dim(0));
  if (!(dpool.shape() == want)) {
    throw Error("conv2d + relu + maxpool2d backward: gradient of shape " + dpool.shape().str() +
                ", expected " + want.str());
  }
  return backward_images(dpool, &pool);
}

// W' (C, OC*KH*KW): W[o, c, i, j] at row c, column (o, i, j).
void FastConv2d::regroup_weights() {
  const int64_t C = g_.C, OC = out_channels_, KK = g_.KH * g_.KW;
  wt_.resize(Shape{C, OC * KK});
  for (int64_t o = 0; o < OC; ++o)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ij = 0; ij < KK; ++ij)
        wt_[c * OC * KK + o * KK + ij] = weight_.value[(o * C + c) * KK + ij];
}

const Tensor& FastConv2d::backward_images(const Tensor& dout, const ConvReluPool* pool) {
  const int64_t N = x_.dim(0), K = g_.col_rows(), OC = out_channels_;
  const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
  const int threads = num_threads();
  if (wide_ && needs_input_grad_) regroup_weights();
  // Per thread: dW, db, then dW^T (rows rounded up, oc_pad_ wide) for implicit_gemm_col_b.
  const int64_t dwt_offset = OC * K + OC;
  const int64_t partial_size = dwt_offset + round_up_to_rows(K) * oc_pad_;
  float* partial = workspace().per_thread(Workspace::kPartialSums, partial_size, threads);
  const int64_t partial_stride = Workspace::stride(partial_size);
  std::fill(partial, partial + partial_stride * threads, 0.0f);
  float* base = scratch_base(threads);
  if (needs_input_grad_) dx_.resize(x_.shape());
  parallel_pieces(
      N,
      [&](int t, int64_t n0, int64_t n1) {
        const Scratch s = scratch(base, t);
        float* dw = partial + t * partial_stride;
        float* db = dw + OC * K;
        for (int64_t n = n0; n < n1; ++n) {
          const float* xn = x_.data() + n * in_size;
          // The output is read only for the ReLU's mask (not kept when the pooling applies it).
          const float* outn = relu_ && pool == nullptr ? out_.data() + n * out_size : nullptr;
          const float* doutn = dout.data() + n * (pool ? pool->out_shape().numel() : out_size);
          float* dxn = needs_input_grad_ ? dx_.data() + n * in_size : nullptr;
          if (wide_) {
            if (pool != nullptr) {
              pooled_dout_to_grid(*pool, doutn, n, db, s);
            } else {
              dout_to_grid(outn, doutn, db, s);
            }
            backward_wide(xn, dxn, dw, oc_pad_ > 0 ? dw + dwt_offset : nullptr, s);
          } else {
            if (pool != nullptr) {  // routed into a compact (OC, OH, OW) buffer
              std::fill(s.grid, s.grid + out_size, 0.0f);
              pool->route_image(doutn, n, s.grid, g_.OW, g_.col_cols());
              doutn = s.grid;
            }
            backward_image(xn, outn, doutn, dxn, dw, db, s);
          }
        }
      },
      2);
  sum_partials(partial, partial_stride, threads);
  return dx_;
}

// The threads' partial gradients summed in a fixed order: the same result on every run.
void FastConv2d::sum_partials(const float* partial, int64_t partial_stride, int threads) {
  const int64_t K = g_.col_rows(), OC = out_channels_, dwt_offset = OC * K + OC;
  for (int t = 0; t < threads; ++t) {
    const float* dw = partial + t * partial_stride;
    for (int64_t i = 0; i < OC * K; ++i) weight_.grad[i] += dw[i];
    const float* dwt = dw + dwt_offset;
    for (int64_t o = 0; o < OC && oc_pad_ > 0; ++o) {
      for (int64_t k = 0; k < K; ++k) weight_.grad[o * K + k] += dwt[k * oc_pad_ + o];
    }
    for (int64_t o = 0; o < OC && has_bias_; ++o) bias_.grad[o] += dw[OC * K + o];
  }
}

}  // namespace nnzero
