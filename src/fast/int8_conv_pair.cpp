#include "nnzero/fast/int8_conv_pair.h"

#include <algorithm>

#include "nnzero/error.h"
#include "nnzero/fast/channels_last_unfold.h"
#include "nnzero/parallel.h"

namespace nnzero {

Int8ConvPair::Int8ConvPair(Int8Conv2d& first, Int8Conv2d& second)
    : Layer(first.in_shape(), second.out_shape()), first_(first), second_(second) {
  if (!(second.in_shape() == first.out_shape())) {
    throw Error("int8 conv2d pair: the second layer reads " + second.in_shape().str() +
                " but the first writes " + first.out_shape().str());
  }
}

void Int8ConvPair::requantize(const Dequantize& dq, float inverse, const Int8Conv2d::Scratch& from,
                              Int8Conv2d::Scratch& to) const {
  const ConvGeometry& a = first_.geometry();
  const ConvGeometry& b = second_.geometry();
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

const Tensor& Int8ConvPair::forward(const Tensor& x, bool train) {
  if (train) throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
  check_input(x);
  first_.prepare();
  second_.prepare();
  const ConvGeometry& a = first_.geometry();
  const int64_t N = x.dim(0), image = a.C * a.H * a.W;
  const int64_t P = second_.geometry().col_cols(), OC = second_.out_channels();
  out_.resize(out_shape_.with_batch(N));
  first_scratch_.resize(static_cast<size_t>(num_threads()));
  second_scratch_.resize(static_cast<size_t>(num_threads()));
  const Dequantize first_dq = first_.dequantize(), second_dq = second_.dequantize();
  const float inverse = 1.0f / second_.input_scale()[0];
  parallel_pieces(
      N,
      [&](int t, int64_t begin, int64_t end) {
        Int8Conv2d::Scratch& s1 = first_scratch_[static_cast<size_t>(t)];
        Int8Conv2d::Scratch& s2 = second_scratch_[static_cast<size_t>(t)];
        for (int64_t n = begin; n < end; ++n) {
          first_.quantize_image(x.data() + n * image, s1);
          first_.image_sums(s1);
          requantize(first_dq, inverse, s1, s2);
          second_.image_sums(s2);
          second_dq.columns(s2.sums.data(), P, out_.data() + n * OC * P);
        }
      },
      1);
  return out_;
}

const Tensor& Int8ConvPair::backward(const Tensor& /*dout*/) {
  throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
}

}  // namespace nnzero
