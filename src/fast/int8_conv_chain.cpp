#include "nnzero/fast/int8_conv_chain.h"

#include <algorithm>
#include <limits>

#include "nnzero/error.h"
#include "nnzero/fast/channels_last_unfold.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
const Layer& last_of(const Int8Conv2d& first, const Int8Conv2d* second, const MaxPool2d* pool) {
  if (pool != nullptr) return *pool;
  return second != nullptr ? static_cast<const Layer&>(*second) : first;
}
}  // namespace

Int8ConvChain::Int8ConvChain(Int8Conv2d& first, Int8Conv2d* second, const MaxPool2d* pool)
    : Layer(first.in_shape(), last_of(first, second, pool).out_shape()),
      first_(first),
      second_(second),
      pool_(pool),
      type_(std::string("conv2d") + (second ? "+conv2d" : "") + (pool ? "+maxpool2d" : "") +
            " (int8)") {
  const Layer& conv = second ? static_cast<const Layer&>(*second) : first;
  if ((second && !(second->in_shape() == first.out_shape())) ||
      (pool && !(pool->in_shape() == conv.out_shape()))) {
    throw Error("int8 " + type_ + ": the layers' shapes do not follow each other");
  }
}

void Int8ConvChain::requantize(const Dequantize& dq, float inverse, const Int8Conv2d::Scratch& from,
                               Int8Conv2d::Scratch& to) const {
  const ConvGeometry& a = first_.geometry();
  const ConvGeometry& b = second_->geometry();
  const int64_t C = b.C, pad = b.pad, Wp = b.W + 2 * b.pad;
  to.padded.resize(static_cast<size_t>(padded_channels_last_size(b, kUnfoldSlack<uint8_t>)));
  std::fill(to.padded.begin(), to.padded.end(), static_cast<uint8_t>(kInt8ZeroPoint));
  // Row p = (y, x) of the sums is pixel (y, x) of the second layer's image, its C channels.
  for (int64_t y = 0; y < a.OH; ++y) {
    for (int64_t x = 0; x < a.OW; ++x) {
      dq.requantize_row(from.sums.data() + (y * a.OW + x) * C, inverse,
                        to.padded.data() + ((y + pad) * Wp + pad + x) * C);
    }
  }
}

void Int8ConvChain::pool_sums(const Int8Conv2d& conv, const int32_t* sums,
                              std::vector<int32_t>& pooled) const {
  const ConvGeometry& g = conv.geometry();
  const PoolGeometry& p = pool_->geometry();
  const int64_t OC = conv.out_channels();
  pooled.resize(static_cast<size_t>(p.OH * p.OW * OC));
  for (int64_t py = 0; py < p.OH; ++py) {
    for (int64_t px = 0; px < p.OW; ++px) {
      int32_t* m = pooled.data() + (py * p.OW + px) * OC;
      std::fill(m, m + OC, std::numeric_limits<int32_t>::min());  // padding never wins
      const int64_t y0 = py * p.stride - p.pad, x0 = px * p.stride - p.pad;
      for (int64_t y = std::max<int64_t>(y0, 0); y < std::min(y0 + p.K, g.OH); ++y) {
        for (int64_t x = std::max<int64_t>(x0, 0); x < std::min(x0 + p.K, g.OW); ++x) {
          const int32_t* row = sums + (y * g.OW + x) * OC;  // a row of channels: vectorizes
          for (int64_t o = 0; o < OC; ++o) m[o] = std::max(m[o], row[o]);
        }
      }
    }
  }
}

const Tensor& Int8ConvChain::forward(const Tensor& x, bool train) {
  if (train) throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
  check_input(x);
  first_.prepare();
  if (second_) second_->prepare();
  Int8Conv2d& last = second_ ? *second_ : first_;
  const ConvGeometry& a = first_.geometry();
  const int64_t N = x.dim(0), image = a.C * a.H * a.W;
  const int64_t out_size = out_shape_.numel(), OC = last.out_channels();
  out_.resize(out_shape_.with_batch(N));
  const auto threads = static_cast<size_t>(num_threads());
  first_scratch_.resize(threads);
  second_scratch_.resize(threads);
  pooled_.resize(threads);
  const Dequantize first_dq = first_.dequantize(), last_dq = last.dequantize();
  const float inverse = second_ ? 1.0f / second_->input_scale()[0] : 0.0f;
  parallel_pieces(
      N,
      [&](int t, int64_t begin, int64_t end) {
        Int8Conv2d::Scratch& s1 = first_scratch_[static_cast<size_t>(t)];
        Int8Conv2d::Scratch& s2 = second_scratch_[static_cast<size_t>(t)];
        for (int64_t n = begin; n < end; ++n) {
          first_.quantize_image(x.data() + n * image, s1);
          first_.image_sums(s1);
          if (second_) {
            requantize(first_dq, inverse, s1, s2);
            second_->image_sums(s2);
          }
          const std::vector<int32_t>& sums = second_ ? s2.sums : s1.sums;
          float* y = out_.data() + n * out_size;
          if (pool_) {
            std::vector<int32_t>& pooled = pooled_[static_cast<size_t>(t)];
            pool_sums(last, sums.data(), pooled);
            last_dq.columns(pooled.data(), out_size / OC, y);
          } else {
            last_dq.columns(sums.data(), out_size / OC, y);
          }
        }
      },
      1);
  return out_;
}

const Tensor& Int8ConvChain::backward(const Tensor& /*dout*/) {
  throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
}

}  // namespace nnzero
