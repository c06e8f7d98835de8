// int8 post-training quantization (model/quantize.h, fast/int8_*.h): the int8 layers compute
// exactly the quantized arithmetic of fast/int8_quantize.h, an int8 model file round-trips,
// and every damaged scale is refused by name.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "nnzero/fast/int8_conv2d.h"
#include "nnzero/fast/int8_linear.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/precision.h"
#include "nnzero/model/quantize.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;

namespace quantize_test {

const char* kSpec = R"({"name": "q", "input": [2, 6, 6],
  "layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1},
             {"type": "relu"}, {"type": "maxpool2d", "kernel": 2, "stride": 2},
             {"type": "conv2d", "out_channels": 3, "kernel": 2, "stride": 1},
             {"type": "flatten"}, {"type": "linear", "out_features": 5}]})";

Tensor random_tensor(const Shape& shape, Rng& rng, float lo, float hi) {
  Tensor t(shape);
  for (float& v : t.span()) v = lo + (hi - lo) * static_cast<float>(rng.uniform());
  return t;
}

// The quantized input code q_x of x (fast/int8_quantize.h), as a float.
float code(float x, float scale) {
  return std::fmin(std::fmax(std::nearbyint(x / scale), -127.0f), 127.0f);
}

}  // namespace quantize_test

using quantize_test::random_tensor;

// y = s_x s_w[o] sum_k q_w q_x + b, from a float Conv2d whose weights are the codes and whose
// input is the codes (integer sums far below 2^24: exact in float).
TEST(Quantize, Int8ConvolutionComputesTheQuantizedSum) {
  Rng rng(1);
  const Shape in{3, 7, 5};
  for (int64_t stride : {1, 2}) {
    for (int64_t pad : {0, 1}) {
      Int8Conv2d q(in, 5, 3, 2, stride, pad, true);
      Conv2d reference(in, 5, 3, 2, stride, pad, true);
      for (float& w : q.weight().value.span())
        w = std::nearbyint(-127.0f + 254.0f * static_cast<float>(rng.uniform()));
      reference.weight().value.copy_from(q.weight().value);
      reference.bias().value.fill(0.0f);
      q.bias().value = random_tensor(Shape{5}, rng, -1, 1);
      q.weight_scale() = random_tensor(Shape{5}, rng, 0.001f, 0.01f);
      q.input_scale()[0] = 0.02f;
      const Tensor x = random_tensor(in.with_batch(3), rng, -3, 3);  // some codes clamp at 127
      Tensor codes = x.clone();
      for (float& v : codes.span()) v = quantize_test::code(v, 0.02f);
      const Tensor& sums = reference.forward(codes, false);
      const Tensor& y = q.forward(x, false);
      ASSERT_EQ(y.shape(), sums.shape());
      const int64_t P = y.numel() / (3 * 5);
      for (int64_t i = 0; i < y.numel(); ++i) {
        const int64_t o = (i / P) % 5;
        const float want = 0.02f * q.weight_scale()[o] * sums[i] + q.bias().value[o];
        ASSERT_NEAR(y[i], want, 1e-5f * std::max(1.0f, std::fabs(want))) << i;
      }
      EXPECT_THROW(q.forward(x, true), Error);  // evaluation only
      EXPECT_THROW(q.backward(y), Error);
    }
  }
}

TEST(Quantize, Int8LinearComputesTheQuantizedSumAndFusesTheRelu) {
  Rng rng(2);
  Int8Linear q(Shape{37}, 19, true);
  for (float& w : q.weight().value.span())
    w = std::nearbyint(-127.0f + 254.0f * static_cast<float>(rng.uniform()));
  q.bias().value = random_tensor(Shape{19}, rng, -1, 1);
  q.weight_scale() = random_tensor(Shape{19}, rng, 0.001f, 0.01f);
  q.input_scale()[0] = 0.01f;
  const Tensor x = random_tensor(Shape{4, 37}, rng, -1, 1);
  const Tensor y = q.forward(x, false).clone();
  for (int64_t n = 0; n < 4; ++n) {
    for (int64_t o = 0; o < 19; ++o) {
      double sum = 0;
      for (int64_t k = 0; k < 37; ++k)
        sum += quantize_test::code(x[n * 37 + k], 0.01f) * q.weight().value[o * 37 + k];
      const double want = 0.01 * q.weight_scale()[o] * sum + q.bias().value[o];
      ASSERT_NEAR(y[n * 19 + o], want, 1e-5 * std::max(1.0, std::fabs(want)));
    }
  }
  q.fuse_relu();
  const Tensor& r = q.forward(x, false);
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(r[i], std::max(y[i], 0.0f));
}

TEST(Quantize, AQuantizedModelFollowsTheFloatOneAndRoundTripsItsFile) {
  ScratchDir dir;
  Rng rng(3);
  Sequential model(ModelSpec::parse(quantize_test::kSpec), rng);
  const std::vector<Tensor> batches = {random_tensor(Shape{20, 2, 6, 6}, rng, 0, 1),
                                       random_tensor(Shape{20, 2, 6, 6}, rng, 0, 1)};
  const std::unique_ptr<Sequential> q = quantize(model, batches);
  // 8 bits: each output within a few per cent of the float network's range.
  const Tensor& want = model.forward(batches[0], false);
  const Tensor& got = q->forward(batches[0], false);
  float range = 0;
  for (float v : want.span()) range = std::max(range, std::fabs(v));
  for (int64_t i = 0; i < want.numel(); ++i) EXPECT_NEAR(got[i], want[i], 0.03f * range) << i;
  // The first layer's input scale is the calibration's largest |x| / 127.
  float largest = 0;
  for (const Tensor& b : batches)
    for (float v : b.span()) largest = std::max(largest, v);
  EXPECT_FLOAT_EQ(static_cast<Int8Conv2d&>(q->layer(0)).input_scale()[0], largest / 127.0f);

  save_model(*q, dir / "q.safetensors", {{kQuantizationKey, quantization_metadata(40)}});
  const SafetensorsFile f = SafetensorsFile::read(dir / "q.safetensors");
  EXPECT_EQ(f.find("0.weight")->dtype, "I8");
  EXPECT_EQ(f.find("0.weight_scale")->dtype, "F32");
  EXPECT_EQ(f.find("5.input_scale")->dtype, "F32");
  LoadedModel loaded = load_model(dir / "q.safetensors");
  EXPECT_EQ(loaded.dtype, "I8");
  nnzero_test::expect_close(loaded.model->forward(batches[1], false), q->forward(batches[1], false),
                            "int8 file");
  EXPECT_EQ(use_precision(loaded, Precision::fp32, "q"), Precision::int8);
  EXPECT_NE(error_of([&] {
              use_precision(loaded, Precision::fp16, "q.safetensors");
            }).find("q.safetensors: an int8 model (nnzero quantize) runs in int8, not fp16"),
            std::string::npos);
}

// One or two convolutions and the max pooling after them run as one step
// (fast/int8_conv_chain.h): the first convolution's outputs handed to the second as
// channels-last codes, the pooling done on the int32 sums. The layers run one by one agree.
TEST(Quantize, ConvolutionsAndTheirPoolingRunAsOneChainedStep) {
  Rng rng(6);
  // The first of a pair has 16 channels (one vector) or 5; poolings with and without padding.
  Sequential model(ModelSpec::parse(R"({"name": "chains", "input": [3, 12, 12],
    "layers": [{"type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1},
               {"type": "relu"}, {"type": "conv2d", "out_channels": 5, "kernel": 2},
               {"type": "maxpool2d", "kernel": 2, "stride": 2},
               {"type": "conv2d", "out_channels": 16, "kernel": 3, "stride": 2, "padding": 1},
               {"type": "relu"}, {"type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1},
               {"type": "relu"}, {"type": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1},
               {"type": "conv2d", "out_channels": 6, "kernel": 1}, {"type": "relu"},
               {"type": "maxpool2d", "kernel": 2, "stride": 2},
               {"type": "flatten"}, {"type": "linear", "out_features": 4}]})"),
                   rng);
  const Tensor x = random_tensor(Shape{6, 3, 12, 12}, rng, -1, 1);
  const std::unique_ptr<Sequential> q = quantize(model, {x});
  ASSERT_EQ(q->steps().size(), 5u);
  EXPECT_EQ(std::string(q->steps()[0]->type()), "conv2d+conv2d+maxpool2d (int8)");
  EXPECT_EQ(std::string(q->steps()[1]->type()), "conv2d+conv2d+maxpool2d (int8)");
  EXPECT_EQ(std::string(q->steps()[2]->type()), "conv2d+maxpool2d (int8)");
  const Tensor got = q->forward(x, false).clone();
  const Tensor* h = &x;
  for (size_t i = 0; i < q->size(); ++i) h = &q->layer(i).forward(*h, false);
  // The same arithmetic; float contraction may round a code the other way now and then.
  ASSERT_EQ(got.numel(), h->numel());
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got[i], (*h)[i], 0.02f * std::max(1.0f, std::fabs((*h)[i]))) << i;
  EXPECT_THROW(q->steps()[0]->backward(got), Error);
}

TEST(Quantize, DamagedScalesAndCodesAreRefusedByName) {
  ScratchDir dir;
  Rng rng(4);
  Sequential model(ModelSpec::parse(quantize_test::kSpec), rng);
  const std::unique_ptr<Sequential> q =
      quantize(model, {random_tensor(Shape{8, 2, 6, 6}, rng, 0, 1)});
  const std::map<std::string, std::string> meta = {{kQuantizationKey, quantization_metadata(8)}};
  save_model(*q, dir / "good.safetensors", meta);
  const SafetensorsFile good = SafetensorsFile::read(dir / "good.safetensors");
  // Rewrites the good file with `name` replaced by `value` (or left out when null).
  const auto rewrite = [&](const std::string& name, const Tensor* value) {
    std::vector<Tensor> kept;
    kept.reserve(good.entries().size());
    std::vector<std::pair<std::string, const Tensor*>> tensors;
    TensorDtypes dtypes;
    for (const SafetensorsEntry& e : good.entries()) {
      if (e.name == name && value == nullptr) continue;
      kept.push_back(e.name == name ? value->clone() : good.tensor(e.name));
      tensors.emplace_back(e.name, &kept.back());
      if (e.dtype == "I8") dtypes[e.name] = TensorDtype::I8;
    }
    write_safetensors(dir / "bad.safetensors", tensors, good.metadata(), TensorDtype::F32, dtypes);
    return error_of([&] { load_model(dir / "bad.safetensors"); });
  };
  Tensor scales = good.tensor("3.weight_scale");
  scales[1] = 0.0f;
  EXPECT_NE(rewrite("3.weight_scale", &scales)
                .find("tensor \"3.weight_scale\" holds 0.000000 at element 1 (an int8 scale must "
                      "be finite and positive)"),
            std::string::npos);
  scales[1] = std::nanf("");
  EXPECT_NE(rewrite("3.weight_scale", &scales).find("(an int8 scale must be finite and positive)"),
            std::string::npos);
  Tensor input_scale({1});
  input_scale[0] = -0.5f;
  EXPECT_NE(rewrite("0.input_scale", &input_scale).find("\"0.input_scale\" holds -0.5"),
            std::string::npos);
  EXPECT_NE(rewrite("5.input_scale", nullptr).find("missing tensor \"5.input_scale\""),
            std::string::npos);
  const Tensor short_scales({2});
  EXPECT_NE(rewrite("0.weight_scale", &short_scales)
                .find("tensor \"0.weight_scale\" has shape (2) but the spec needs (4)"),
            std::string::npos);
  Tensor codes = good.tensor("5.weight");
  codes[0] = -128.0f;
  EXPECT_NE(
      rewrite("5.weight", &codes)
          .find("\"5.weight\" holds the code -128 (int8 weight codes are symmetric: -127..127)"),
      std::string::npos);
  EXPECT_NO_THROW(load_model(dir / "good.safetensors"));
}

TEST(Quantize, TheCommandLineRefusesWhatItCannotQuantize) {
  ScratchDir dir;
  Rng rng(5);
  Sequential model(ModelSpec::parse(quantize_test::kSpec), rng);
  save_model(model, dir / "float.safetensors");
  const auto r = run_cli("eval float.safetensors --precision int8", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--precision int8 needs an int8 model file: quantize it first"),
            std::string::npos)
      << r.err;
  const auto q = quantize(model, {random_tensor(Shape{4, 2, 6, 6}, rng, 0, 1)});
  save_model(*q, dir / "int8.safetensors", {{kQuantizationKey, quantization_metadata(4)}});
  const auto again = run_cli("quantize int8.safetensors --data . --out x.safetensors", dir);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("int8.safetensors: is an int8 model already"), std::string::npos)
      << again.err;
  // Its weights are integer codes: no training run starts from them.
  Sequential fresh(ModelSpec::parse(quantize_test::kSpec), rng);
  EXPECT_NE(error_of([&] {
              load_weights(fresh, dir / "int8.safetensors");
            }).find("an int8 model (nnzero quantize) cannot start a training run"),
            std::string::npos);
  const auto samples = run_cli("quantize float.safetensors --samples 0 --out x.safetensors", dir);
  EXPECT_EQ(samples.exit_code, 2);
  EXPECT_NE(samples.err.find("--samples must be at least 1"), std::string::npos) << samples.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors"));
}
