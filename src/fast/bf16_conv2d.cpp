#include "nnzero/fast/bf16_conv2d.h"

#include <algorithm>
#include <limits>

#include "nnzero/error.h"
#include "nnzero/fast/channels_last_unfold.h"
#include "nnzero/parallel.h"

namespace nnzero {

// sums (P, OC) written as out (OC, P), with the fused ReLU; in blocks of 64 rows of sums,
// which stay in L1 while each column is read down them.
void Bf16Conv2d::transpose_sums(const float* sums, int64_t P, int64_t OC, float* out) const {
  constexpr int64_t kBlock = 64;
  const float floor = relu_ ? 0.0f : -std::numeric_limits<float>::infinity();
  for (int64_t p0 = 0; p0 < P; p0 += kBlock) {
    const int64_t p1 = std::min(P, p0 + kBlock);
    for (int64_t o = 0; o < OC; ++o) {
      for (int64_t p = p0; p < p1; ++p) out[o * P + p] = std::max(sums[p * OC + o], floor);
    }
  }
}

const Tensor& Bf16Conv2d::forward(const Tensor& x, bool train) {
  if (train) throw Error("conv2d (bf16): --precision bf16 evaluates only; train in fp32");
  check_input(x);
  const ConvGeometry& g = g_;
  const int64_t N = x.dim(0), K = g.col_rows(), P = g.col_cols(), OC = out_channels_;
  if (!packed_ready_) {
    const std::vector<float> w = weights_channels_last(weight_.value.data(), OC, g);
    packed_ = pack_bf16(w.data(), static_cast<int>(OC), static_cast<int>(K), static_cast<int>(K));
    packed_ready_ = true;
  }
  out_.resize(out_shape_.with_batch(N));
  const int threads = num_threads();
  padded_.resize(static_cast<size_t>(threads));
  rows_.resize(static_cast<size_t>(threads));
  sums_.resize(static_cast<size_t>(threads));
  const int64_t image = g.C * g.H * g.W;
  const float* bias = has_bias_ ? bias_.value.data() : nullptr;
  // One image per thread at a time; with one image, the product itself splits.
  parallel_pieces(
      N,
      [&](int t, int64_t begin, int64_t end) {
        auto& padded = padded_[static_cast<size_t>(t)];
        auto& rows = rows_[static_cast<size_t>(t)];
        auto& sums = sums_[static_cast<size_t>(t)];
        padded.resize(
            static_cast<size_t>(g.C * (g.H + 2 * g.pad) * (g.W + 2 * g.pad) + kUnfoldSlack<float>));
        rows.resize(static_cast<size_t>(P * K + kUnfoldSlack<float>));
        sums.resize(static_cast<size_t>(P * OC));
        for (int64_t n = begin; n < end; ++n) {
          unfold_channels_last(
              g, x.data() + n * image, 0.0f, [](float v) { return v; }, padded.data(), rows.data());
          gemm_bf16(rows.data(), static_cast<int>(P), static_cast<int>(K), packed_, bias,
                    sums.data(), static_cast<int>(OC));
          transpose_sums(sums.data(), P, OC, out_.data() + n * OC * P);
        }
      },
      1);
  return out_;
}

const Tensor& Bf16Conv2d::backward(const Tensor& /*dout*/) {
  throw Error("conv2d (bf16): --precision bf16 evaluates only; train in fp32");
}

}  // namespace nnzero
