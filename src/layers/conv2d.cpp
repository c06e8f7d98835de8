#include "nnzero/layers/conv2d.h"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "nnzero/kernels/gemm.h"
#include "nnzero/kernels/implicit_gemm.h"

namespace nnzero {

namespace {
ConvGeometry checked_geometry(const Shape& in, int64_t out_channels, int64_t kh, int64_t kw,
                              int64_t stride, int64_t pad) {
  if (in.rank() != 3) {
    throw Error("conv2d: needs samples of shape (C, H, W), got " + in.str());
  }
  if (out_channels < 1) throw Error("conv2d: out_channels must be at least 1");
  if (kh < 1 || kw < 1) throw Error("conv2d: kernel must be at least 1");
  if (stride < 1) throw Error("conv2d: stride must be at least 1, got " + std::to_string(stride));
  if (pad < 0) throw Error("conv2d: padding must be non-negative");
  if (kh > in[1] + 2 * pad || kw > in[2] + 2 * pad) {
    throw Error("conv2d: kernel " + std::to_string(kh) + "x" + std::to_string(kw) +
                " is larger than the padded input " + std::to_string(in[1] + 2 * pad) + "x" +
                std::to_string(in[2] + 2 * pad) + " (input " + in.str() + ", padding " +
                std::to_string(pad) + ")");
  }
  return ConvGeometry::make(in[0], in[1], in[2], kh, kw, stride, pad);
}

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

Conv2d::Conv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
               int64_t stride, int64_t padding, bool bias)
    : Layer(in_shape, Shape{}),
      g_(checked_geometry(in_shape, out_channels, kernel_h, kernel_w, stride, padding)),
      wide_(stride == 1),
      cols_(wide_ ? wide_cols(g_) : g_.col_cols()),
      out_channels_(out_channels),
      has_bias_(bias) {
  out_shape_ = Shape{out_channels, g_.OH, g_.OW};
  const Shape w{out_channels, g_.C, g_.KH, g_.KW};
  weight_ = Param{"weight", Tensor(w), Tensor(w), g_.col_rows(), true};
  if (has_bias_) {
    bias_ = Param{"bias", Tensor(Shape{out_channels}), Tensor(Shape{out_channels}), 0, false};
  }
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
  // implicit_gemm_col_b when K*8 ~ OH*Wp (measured on deep_convnet's layers): the
  // one-channel first layers (K = 9 or 25 on 28x28) take the former, the rest the latter.
  if (g_.col_rows() * 8 > cols_) {
    oc_pad_ =
        (out_channels_ + implicit_gemm_lanes() - 1) / implicit_gemm_lanes() * implicit_gemm_lanes();
    offset_.resize(static_cast<size_t>(round_up_to_rows(g_.col_rows())), 0);  // read, unused
  }
}

// Per thread: xpad (with the kernel's overrun), col (stride > 1) or the masked dout and dT
// (wide), the grid, dx's grid (wide).
int64_t Conv2d::col_size() const {
  if (!wide_) return g_.col_rows() * cols_;
  return out_channels_ * g_.col_cols() + cols_ * oc_pad_;
}

int64_t Conv2d::grid_size() const {
  return out_channels_ * (wide_ ? std::max(ld_, dld_) : cols_);
}

namespace {
// Work space of every Conv2d that runs on the calling thread: layers run one after another
// and nothing in it outlives a forward or backward call, so the largest layer's serves
// them all instead of one per layer (deep_convnet: 1.9 MB less at two threads).
Tensor& work_space() {
  thread_local Tensor t;
  return t;
}
Tensor& partial_sums() {
  thread_local Tensor t;
  return t;
}
}  // namespace

void Conv2d::resize_scratch() {
  const int64_t per_thread =
      padded_size(g_) + implicit_gemm_block() + col_size() + grid_size() + g_.C * dxld_;
  Tensor& space = work_space();  // the calling thread's, looked up before any parallel region
  space.resize(Shape{omp_get_max_threads(), per_thread});
  scratch_ = space.data();
  scratch_stride_ = per_thread;
}

Conv2d::Scratch Conv2d::scratch(int thread) const {
  float* xpad = scratch_ + thread * scratch_stride_;
  float* col = xpad + padded_size(g_) + implicit_gemm_block();
  float* grid = col + col_size();
  return {xpad, col, grid, grid + grid_size()};
}

// One image, stride 1: x into the padded buffer that the implicit GEMM reads.
void Conv2d::pad_wide(const float* x, Scratch s) const {
  pad_image(x, g_, s.xpad);
  const int64_t end = padded_size(g_);
  std::fill(s.xpad + end, s.xpad + end + implicit_gemm_block(), 0.0f);  // read past the plane
}

// One image, stride 1, output channels [o0, o1), from the padded image in s.xpad:
// W xpad + b on the wide grid (ld_ per channel, Wp per row; the last Wp - OW columns of each
// row are not outputs), then compacted into out (max(0, .) when a ReLU is fused), unless
// out is null (a fused pooling reads the grid).
void Conv2d::forward_channels(float* out, int64_t o0, int64_t o1, Scratch s) const {
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
// written to buffer; dout itself when no ReLU is fused.
const float* Conv2d::relu_masked(const float* out, const float* dout, float* buffer) const {
  if (!relu_ || relu_mask_downstream_) return dout;
  const int64_t n = out_shape_.numel();  // hoisted: a call per element otherwise
  for (int64_t i = 0; i < n; ++i) buffer[i] = out[i] > 0.0f ? dout[i] : 0.0f;
  return buffer;
}

// One image, stride 1: d = dout (masked by out > 0 when a ReLU is fused) on the zeroed wide
// grid (zero margins and dropped columns), s.grid + o * dld_ + front_ for channel o, Wp per
// row; db += row sums of d.
void Conv2d::dout_to_grid(const float* out, const float* dout, float* db, Scratch s) const {
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
void Conv2d::grid_row_sums(float* db, Scratch s) const {
  const int64_t span = g_.OH * (g_.W + 2 * g_.pad);
  for (int64_t o = 0; o < out_channels_ && has_bias_; ++o) {
    db[o] += row_sum(s.grid + o * dld_ + front_, span);
  }
}

// The same from the gradient of the max pooling fused after this layer: routed by the
// pooling through its argmax (where the window's maximum was > 0: the ReLU's mask).
void Conv2d::pooled_dout_to_grid(const MaxPool2d& pool, const float* dpool, int64_t n, float* db,
                                 Scratch s) const {
  const int64_t OC = out_channels_, Wp = g_.W + 2 * g_.pad;
  std::fill(s.grid, s.grid + OC * dld_, 0.0f);
  pool.route_relu_image(dpool, n, s.grid + front_, Wp, dld_);
  grid_row_sums(db, s);
}

// One image, stride 1, dout on the grid (dout_to_grid): dW += d col^T, dx = W' d (see the
// header).
void Conv2d::backward_wide(const float* x, float* dx, float* dw, float* dwt, Scratch s) const {
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
void Conv2d::forward_image(const float* x, float* out, Scratch s) const {
  const int64_t K = g_.col_rows(), OC = out_channels_, P = g_.col_cols();
  im2col(x, g_, s.col);
  for (int64_t o = 0; o < OC && has_bias_; ++o) {
    std::fill(out + o * P, out + (o + 1) * P, bias_.value[o]);
  }
  gemm(Trans::No, Trans::No, gemm_int(OC), gemm_int(P), gemm_int(K), 1.0f, weight_.value.data(),
       gemm_int(K), s.col, gemm_int(P), has_bias_ ? 1.0f : 0.0f, out, gemm_int(P));
  for (int64_t i = 0; i < OC * P && relu_; ++i) out[i] = std::max(out[i], 0.0f);
}

// One image, stride > 1: dW += d col^T, db += row sums of d, dx = col2im(W^T d), where d is
// dout, masked by out > 0 when a ReLU is fused.
void Conv2d::backward_image(const float* x, const float* out, const float* dout, float* dx,
                            float* dw, float* db, Scratch s) const {
  const int64_t K = g_.col_rows(), OC = out_channels_, P = g_.col_cols();
  const float* d = relu_masked(out, dout, s.grid);
  im2col(x, g_, s.col);
  gemm(Trans::No, Trans::Yes, gemm_int(OC), gemm_int(K), gemm_int(P), 1.0f, d, gemm_int(P), s.col,
       gemm_int(P), 1.0f, dw, gemm_int(K));
  for (int64_t o = 0; o < OC && has_bias_; ++o) db[o] += row_sum(d + o * P, P);
  if (dx == nullptr) return;
  // dcol (K, P) = W^T d, reusing the col buffer.
  gemm(Trans::Yes, Trans::No, gemm_int(K), gemm_int(P), gemm_int(OC), 1.0f, weight_.value.data(),
       gemm_int(K), d, gemm_int(P), 0.0f, s.col, gemm_int(P));
  std::fill(dx, dx + in_shape_.numel(), 0.0f);
  col2im(s.col, g_, dx);
}

const Tensor& Conv2d::forward(const Tensor& x, bool /*train*/) {
  return forward_images(x, nullptr);
}

const Tensor& Conv2d::forward_pooled(const Tensor& x, MaxPool2d& pool) {
  return forward_images(x, &pool);
}

// Image n's output, left in the work space (s.grid), pooled by `pool` from there.
void Conv2d::pool_work_space(MaxPool2d& pool, int64_t n, Scratch s) const {
  if (wide_) {
    pool.pool_relu_image(s.grid, g_.W + 2 * g_.pad, ld_, n);
  } else {
    pool.pool_relu_image(s.grid, g_.OW, g_.col_cols(), n);
  }
}

// forward and forward_pooled: each image convolved into out_, or (pool) left in the work
// space and pooled from there.
const Tensor& Conv2d::forward_images(const Tensor& x, MaxPool2d* pool) {
  check_input(x);
  x_ = x;
  const int64_t N = x.dim(0), OC = out_channels_;
  const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
  if (pool != nullptr) {
    pool->resize_for(N);
  } else {
    out_.resize(out_shape_.with_batch(N));
  }
  // Image n's place in out_; none when pooled (forward_channels then leaves it on the grid).
  const auto out_of = [&](int64_t n) { return pool ? nullptr : out_.data() + n * out_size; };
  resize_scratch();
  const int threads = omp_get_max_threads();
  if (wide_ && N < threads && OC >= 32 * threads) {
    // Fewer images than threads (single-image inference) and at least four blocks of 8
    // output channels (whole register blocks of the kernel) per thread: the threads share each
    // image, split over the blocks. With fewer channels the next layer's reads of what the other
    // core wrote cost more than the split saves (deep_convnet's 16- and 32-channel layers
    // were slower split; its 64-channel ones 20-25 % faster).
    const Scratch s = scratch(0);
    const int64_t blocks = (OC + 7) / 8;
    for (int64_t n = 0; n < N; ++n) {
      float* outn = out_of(n);
      pad_wide(x.data() + n * in_size, s);
#pragma omp parallel for schedule(static)
      for (int64_t b = 0; b < blocks; ++b)
        forward_channels(outn, 8 * b, std::min(OC, 8 * b + 8), s);
      if (pool != nullptr) pool_work_space(*pool, n, s);
    }
    return pool ? pool->output() : out_;
  }
#pragma omp parallel if (N > 1)
  {
    const Scratch s = scratch(omp_get_thread_num());
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const float* xn = x.data() + n * in_size;
      float* outn = out_of(n);
      if (wide_) {
        pad_wide(xn, s);
        forward_channels(outn, 0, OC, s);
      } else {
        forward_image(xn, outn ? outn : s.grid, s);
      }
      if (pool != nullptr) pool_work_space(*pool, n, s);
    }
  }
  return pool ? pool->output() : out_;
}

const Tensor& Conv2d::backward(const Tensor& dout) {
  check_dout(dout, x_.dim(0));
  return backward_images(dout, nullptr);
}

const Tensor& Conv2d::backward_pooled(const Tensor& dpool, const MaxPool2d& pool) {
  if (!(dpool.shape() == pool.out_shape().with_batch(x_.dim(0)))) {
    throw Error("conv2d + maxpool2d backward: gradient of shape " + dpool.shape().str() +
                ", expected " + pool.out_shape().with_batch(x_.dim(0)).str());
  }
  return backward_images(dpool, &pool);
}

const Tensor& Conv2d::backward_images(const Tensor& dout, const MaxPool2d* pool) {
  const int64_t N = x_.dim(0);
  const int64_t K = g_.col_rows(), OC = out_channels_;
  const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
  const int threads = omp_get_max_threads();
  resize_scratch();
  if (wide_ && needs_input_grad_) {
    // W' (C, OC*KH*KW): W[o, c, i, j] at row c, column (o, i, j).
    const int64_t C = g_.C, KK = g_.KH * g_.KW;
    wt_.resize(Shape{C, OC * KK});
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t ij = 0; ij < KK; ++ij)
          wt_[c * OC * KK + o * KK + ij] = weight_.value[(o * C + c) * KK + ij];
  }
  // dW, db, then dW^T (rows rounded up, oc_pad_ wide) for implicit_gemm_col_b.
  const int64_t dwt_offset = OC * K + OC;
  const int64_t partial_size = dwt_offset + round_up_to_rows(K) * oc_pad_;
  Tensor& partial = partial_sums();
  partial.resize(Shape{threads, partial_size});
  partial.zero();
  if (needs_input_grad_) dx_.resize(x_.shape());
#pragma omp parallel if (N > 1)
  {
    const int t = omp_get_thread_num();
    const Scratch s = scratch(t);
    float* dw = partial.data() + t * partial_size;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const float* xn = x_.data() + n * in_size;
      // The output is read only for the ReLU's mask (not kept when the pooling applies it).
      const float* outn = relu_ && !relu_mask_downstream_ ? out_.data() + n * out_size : nullptr;
      const float* doutn = dout.data() + n * (pool ? pool->out_shape().numel() : out_size);
      float* dxn = needs_input_grad_ ? dx_.data() + n * in_size : nullptr;
      float* db = dw + OC * K;
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
          pool->route_relu_image(doutn, n, s.grid, g_.OW, g_.col_cols());
          doutn = s.grid;
        }
        backward_image(xn, outn, doutn, dxn, dw, db, s);
      }
    }
  }
  // Sum the threads' partial gradients in a fixed order: same result on every run.
  for (int t = 0; t < threads; ++t) {
    const float* dw = partial.data() + t * partial_size;
    for (int64_t i = 0; i < OC * K; ++i) weight_.grad[i] += dw[i];
    const float* dwt = dw + dwt_offset;
    for (int64_t o = 0; o < OC && oc_pad_ > 0; ++o) {
      for (int64_t k = 0; k < K; ++k) weight_.grad[o * K + k] += dwt[k * oc_pad_ + o];
    }
    for (int64_t o = 0; o < OC && has_bias_; ++o) bias_.grad[o] += dw[OC * K + o];
  }
  return dx_;
}

std::vector<Param*> Conv2d::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

double Conv2d::flops() const {
  return 2.0 * static_cast<double>(out_channels_ * g_.col_rows() * g_.col_cols());
}

}  // namespace nnzero
