// im2col / col2im benchmarks (kernels/im2col.h), one image at a time as Conv2d calls them,
// in the geometry of every conv layer of simple_convnet and deep_convnet, reporting GB/s:
//   im2col/MODEL/LAYER/plain    im2col: x (C, H, W) -> col (C*KH*KW, OH*OW)
//   im2col/MODEL/LAYER/wide     pad_image + im2col_wide, Conv2d's forward for stride 1
//   col2im/MODEL/LAYER/plain    col2im: x += the adjoint of im2col
//   col2im/MODEL/LAYER/wide     zero the padded image, col2im_wide, unpad_image (Conv2d's
//                               backward for stride 1)
// Bytes counted: the image read (or written) once and the unfolded matrix written (or read)
// once; the padded copy and col2im's read-modify-write are extra traffic not counted.
#include <string>
#include <vector>

#include "kernels_support.h"
#include "nnzero/kernels/im2col.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"

namespace nnzero::bench {

namespace {

struct ConvCase {
  std::string name;  // "deep_convnet/2.conv2d"
  ConvGeometry g;
};

std::vector<ConvCase> conv_cases(const std::string& model_name) {
  Rng rng(0);
  Sequential model(builtin_spec(model_name), rng);
  std::vector<ConvCase> out;
  for (size_t i = 0; i < model.size(); ++i) {
    if (auto* conv = dynamic_cast<Conv2d*>(&model.layer(i))) {
      out.push_back({model_name + "/" + std::to_string(i) + ".conv2d", conv->geometry()});
    }
  }
  return out;
}

std::string describe(const ConvGeometry& g) {
  return "C=" + std::to_string(g.C) + " " + std::to_string(g.H) + "x" + std::to_string(g.W) +
         " k=" + std::to_string(g.KH) + " pad=" + std::to_string(g.pad) +
         " stride=" + std::to_string(g.stride);
}

double image_bytes(const ConvGeometry& g) {
  return 4.0 * static_cast<double>(g.C * g.H * g.W);
}

void im2col_plain(benchmark::State& state, const ConvGeometry& g) {
  const Tensor x = random_tensor(Shape{g.C, g.H, g.W});
  Tensor col(Shape{g.col_rows(), g.col_cols()});
  for (auto _ : state) {
    im2col(x.data(), g, col.data());
    benchmark::DoNotOptimize(col.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, image_bytes(g) + 4.0 * static_cast<double>(col.numel()));
  state.SetLabel(describe(g));
}

void im2col_wide_pass(benchmark::State& state, const ConvGeometry& g) {
  const Tensor x = random_tensor(Shape{g.C, g.H, g.W});
  Tensor xpad(Shape{padded_size(g)});
  Tensor col(Shape{g.col_rows(), wide_cols(g)});
  for (auto _ : state) {
    pad_image(x.data(), g, xpad.data());
    im2col_wide(xpad.data(), g, col.data());
    benchmark::DoNotOptimize(col.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, image_bytes(g) + 4.0 * static_cast<double>(col.numel()));
  state.SetLabel(describe(g));
}

void col2im_plain(benchmark::State& state, const ConvGeometry& g) {
  const Tensor col = random_tensor(Shape{g.col_rows(), g.col_cols()});
  Tensor x(Shape{g.C, g.H, g.W});
  for (auto _ : state) {
    col2im(col.data(), g, x.data());
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, image_bytes(g) + 4.0 * static_cast<double>(col.numel()));
  state.SetLabel(describe(g));
}

void col2im_wide_pass(benchmark::State& state, const ConvGeometry& g) {
  // The dropped columns of the wide grid must be zero, as Conv2d guarantees.
  Tensor col = random_tensor(Shape{g.col_rows(), g.OH, g.W + 2 * g.pad});
  for (int64_t r = 0; r < g.col_rows() * g.OH; ++r) {
    for (int64_t q = g.OW; q < g.W + 2 * g.pad; ++q) col[r * (g.W + 2 * g.pad) + q] = 0.0f;
  }
  Tensor xpad(Shape{padded_size(g)});
  Tensor x(Shape{g.C, g.H, g.W});
  for (auto _ : state) {
    xpad.zero();
    col2im_wide(col.data(), g, xpad.data());
    unpad_image(xpad.data(), g, x.data());
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, image_bytes(g) + 4.0 * static_cast<double>(col.numel()));
  state.SetLabel(describe(g));
}

}  // namespace

void register_im2col_benchmarks() {
  for (const char* model : {"simple_convnet", "deep_convnet"}) {
    for (const ConvCase& c : conv_cases(model)) {
      const ConvGeometry g = c.g;
      benchmark::RegisterBenchmark(("im2col/" + c.name + "/plain").c_str(),
                                   [g](benchmark::State& s) { im2col_plain(s, g); })
          ->UseRealTime();
      if (g.stride == 1) {
        benchmark::RegisterBenchmark(("im2col/" + c.name + "/wide").c_str(),
                                     [g](benchmark::State& s) { im2col_wide_pass(s, g); })
            ->UseRealTime();
      }
      benchmark::RegisterBenchmark(("col2im/" + c.name + "/plain").c_str(),
                                   [g](benchmark::State& s) { col2im_plain(s, g); })
          ->UseRealTime();
      if (g.stride == 1) {
        benchmark::RegisterBenchmark(("col2im/" + c.name + "/wide").c_str(),
                                     [g](benchmark::State& s) { col2im_wide_pass(s, g); })
            ->UseRealTime();
      }
    }
  }
}

}  // namespace nnzero::bench
