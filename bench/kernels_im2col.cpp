// im2col / col2im benchmarks (kernels/im2col.h), one image at a time as Conv2d calls them
// for strides > 1, in the geometry of every conv layer of simple_convnet and deep_convnet
// (all stride 1, where Conv2d reads the padded image directly instead: these show what the
// book's layout costs there), reporting GB/s:
//   im2col/MODEL/LAYER/plain    im2col: x (C, H, W) -> col (C*KH*KW, OH*OW)
//   col2im/MODEL/LAYER/plain    col2im: x += the adjoint of im2col
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
  Tensor xpad(Shape{padded_size(g)});
  for (auto _ : state) {
    im2col(x.data(), g, xpad.data(), col.data());
    benchmark::DoNotOptimize(col.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, image_bytes(g) + 4.0 * static_cast<double>(col.numel()));
  state.SetLabel(describe(g));
}

void col2im_plain(benchmark::State& state, const ConvGeometry& g) {
  const Tensor col = random_tensor(Shape{g.col_rows(), g.col_cols()});
  Tensor x(Shape{g.C, g.H, g.W});
  Tensor xpad(Shape{padded_size(g)});
  for (auto _ : state) {
    col2im(col.data(), g, xpad.data(), x.data());
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
      benchmark::RegisterBenchmark(("col2im/" + c.name + "/plain").c_str(),
                                   [g](benchmark::State& s) { col2im_plain(s, g); })
          ->UseRealTime();
    }
  }
}

}  // namespace nnzero::bench
