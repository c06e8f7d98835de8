#include "nnzero/fast/channels_last_unfold.h"

namespace nnzero {

std::vector<float> weights_channels_last(const float* w, int64_t out_channels,
                                         const ConvGeometry& g) {
  const int64_t K = g.col_rows();
  std::vector<float> out(static_cast<size_t>(out_channels * K));
  for (int64_t o = 0; o < out_channels; ++o) {
    for (int64_t c = 0; c < g.C; ++c) {
      for (int64_t ky = 0; ky < g.KH; ++ky) {
        for (int64_t kx = 0; kx < g.KW; ++kx) {
          out[static_cast<size_t>(o * K + (ky * g.KW + kx) * g.C + c)] =
              w[((o * g.C + c) * g.KH + ky) * g.KW + kx];
        }
      }
    }
  }
  return out;
}

}  // namespace nnzero
