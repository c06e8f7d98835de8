// Reduced precision: model files stored as F16 or BF16 (nnzero convert) and evaluation in
// fp16 or bf16 (--precision, model/precision.h), the book's section 8.3.4.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "nnzero/fast/bf16_conv2d.h"
#include "nnzero/fast/bf16_linear.h"
#include "nnzero/half_types.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/precision.h"
#include "nnzero/model/sequential.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::CliResult;
using nnzero_test::error_of;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;

namespace precision_test {

const char* kSmallConvSpec = R"({"name": "small_conv", "input": [1, 8, 8],
  "layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1},
             {"type": "batchnorm2d"}, {"type": "relu"}, {"type": "maxpool2d", "kernel": 2, "stride": 2},
             {"type": "flatten"}, {"type": "linear", "out_features": 5}]})";

std::unique_ptr<Sequential> small_conv(uint64_t seed) {
  Rng rng(seed);
  return std::make_unique<Sequential>(ModelSpec::parse(kSmallConvSpec), rng);
}

Tensor random_batch(const Sequential& model, int64_t n, uint64_t seed) {
  Rng rng(seed);
  Tensor x(model.input_shape().with_batch(n));
  for (float& v : x.span()) v = static_cast<float>(rng.uniform());
  return x;
}

// The book's half_float_network.py: the layers one by one, the input and each output rounded.
Tensor forward_rounding_by_hand(Sequential& model, const Tensor& x, Precision p) {
  Tensor h = x.clone();
  round_values(h.span(), p);
  for (size_t i = 0; i < model.size(); ++i) {
    h = model.layer(i).forward(h, false).clone();
    round_values(h.span(), p);
  }
  return h;
}

void expect_equal(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.numel(), want.numel());
  for (int64_t i = 0; i < want.numel(); ++i) ASSERT_EQ(got[i], want[i]) << "element " << i;
}

}  // namespace precision_test

using precision_test::small_conv;

TEST(Precision, SixteenBitFilesHoldTheRoundedTensorsInHalfTheBytes) {
  ScratchDir dir;
  Rng rng(3);
  Tensor t({3, 5});
  for (float& v : t.span()) v = static_cast<float>(rng.normal());
  t[0] = 1.0f + std::ldexp(1.0f, -9);  // exact in float16, rounds to 1 in bfloat16
  for (TensorDtype d : {TensorDtype::F16, TensorDtype::BF16}) {
    const std::vector<uint8_t> bytes = serialize_safetensors({{"t", &t}}, {}, d);
    const SafetensorsFile f = SafetensorsFile::parse(bytes, "t.safetensors");
    EXPECT_EQ(f.find("t")->dtype, dtype_name(d));
    EXPECT_EQ(f.find("t")->end - f.find("t")->begin, 30u);  // 2 bytes a value
    const Tensor back = f.tensor("t");
    for (int64_t i = 0; i < t.numel(); ++i) {
      EXPECT_EQ(back[i], d == TensorDtype::F16 ? round_to_f16(t[i]) : round_to_bf16(t[i])) << i;
    }
    EXPECT_EQ(back[0], d == TensorDtype::F16 ? t[0] : 1.0f);
  }
}

TEST(Precision, ValuesAFormatCannotHoldAreRefusedWritingAndReading) {
  ScratchDir dir;
  Tensor t({4});
  t.fill(1.0f);
  t[2] = 70000.0f;  // beyond float16's 65504, fine in bfloat16
  EXPECT_NE(error_of([&] {
              write_safetensors(dir / "big.safetensors", {{"w", &t}}, {}, TensorDtype::F16);
            }).find("tensor \"w\": the value 70000 at element 2 does not fit in F16"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "big.safetensors"));  // nothing half-written
  EXPECT_NO_THROW(write_safetensors(dir / "b.safetensors", {{"w", &t}}, {}, TensorDtype::BF16));
  t[2] = std::nanf("");
  EXPECT_THROW(serialize_safetensors({{"w", &t}}, {}, TensorDtype::BF16), Error);

  // A file whose F16 tensor holds infinity (0x7c00) or NaN (0x7e00) is refused by name.
  for (uint16_t bad : {uint16_t{0x7c00}, uint16_t{0x7e00}}) {
    t.fill(1.0f);
    std::vector<uint8_t> bytes = serialize_safetensors({{"w", &t}}, {}, TensorDtype::F16);
    std::memcpy(bytes.data() + bytes.size() - 2, &bad, 2);  // the last element
    const SafetensorsFile f = SafetensorsFile::parse(bytes, "m.safetensors");
    const std::string e = error_of([&] { f.tensor("w"); });
    EXPECT_NE(e.find("m.safetensors: tensor \"w\" (F16) holds"), std::string::npos) << e;
    EXPECT_NE(e.find(bad == 0x7c00 ? "infinity at element 3" : "NaN at element 3"),
              std::string::npos)
        << e;
  }
  EXPECT_EQ(parse_float_dtype("BF16", "x"), TensorDtype::BF16);
  EXPECT_NE(error_of([] {
              parse_float_dtype("f8", "--dtype");
            }).find("--dtype: unknown dtype \"f8\" (f32, f16 or bf16)"),
            std::string::npos);
}

TEST(Precision, AModelSavedIn16BitsLoadsWithTheRoundedWeights) {
  ScratchDir dir;
  auto model = small_conv(5);
  const Tensor x = precision_test::random_batch(*model, 3, 6);
  for (TensorDtype d : {TensorDtype::F16, TensorDtype::BF16}) {
    const std::string path = dir / (std::string(dtype_name(d)) + ".safetensors");
    save_model(*model, path, {{"nnzero.note", "kept"}}, d);
    LoadedModel loaded = load_model(path);
    EXPECT_EQ(loaded.dtype, dtype_name(d));
    EXPECT_EQ(loaded.metadata.at("nnzero.note"), "kept");
    auto rounded = small_conv(5);
    round_state(*rounded, d == TensorDtype::F16 ? Precision::fp16 : Precision::bf16);
    const std::vector<NamedTensor> want = rounded->state(), got = loaded.model->state();
    ASSERT_EQ(want.size(), got.size());
    for (size_t i = 0; i < want.size(); ++i) {
      for (int64_t k = 0; k < want[i].tensor->numel(); ++k)
        ASSERT_EQ((*got[i].tensor)[k], (*want[i].tensor)[k]) << want[i].name;
    }
    precision_test::expect_equal(loaded.model->forward(x, false), rounded->forward(x, false));
  }
  save_model(*model, dir / "f32.safetensors");
  EXPECT_EQ(load_model(dir / "f32.safetensors").dtype, "F32");
}

TEST(Precision, EvaluationRoundsTheInputAndEveryLayersOutput) {
  for (Precision p : {Precision::fp16, Precision::bf16}) {
    auto model = small_conv(7);
    round_state(*model, p);
    const Tensor x = precision_test::random_batch(*model, 4, 8);
    const Tensor want = precision_test::forward_rounding_by_hand(*model, x, p);
    model->set_activation_precision(p);
    const Tensor got = model->forward(x, false).clone();
    precision_test::expect_equal(got, want);
    for (float v : got.span())
      EXPECT_EQ(v, p == Precision::fp16 ? round_to_f16(v) : round_to_bf16(v));
    // Training steps stay in float32: the output of a step is not rounded.
    const Tensor& trained = model->forward(x, true);
    int64_t unrounded = 0;
    for (float v : trained.span()) unrounded += v != round_to_bf16(v);
    EXPECT_GT(unrounded, 0);
  }
  LoadedModel text_model{small_conv(1), {{"nnzero.vocab", "[]"}}};
  EXPECT_NE(error_of([&] {
              use_precision(text_model, Precision::bf16, "lm.safetensors");
            }).find("lm.safetensors: --precision bf16 works with image and table models"),
            std::string::npos);
  EXPECT_EQ(parse_precision("bf16", "x"), Precision::bf16);
  EXPECT_EQ(parse_precision("fp16", "x"), Precision::fp16);
  EXPECT_NE(error_of([] {
              parse_precision("int4", "--precision");
            }).find("--precision: unknown precision \"int4\""),
            std::string::npos);
}

TEST(Precision, ConvertAndEvalOnTheCommandLine) {
  ScratchDir dir;
  auto model = small_conv(9);
  save_model(*model, dir / "m.safetensors");
  const CliResult c = run_cli("convert m.safetensors --dtype bf16 --out m16.safetensors", dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(c.json()["dtype"], "BF16");
  EXPECT_EQ(c.json()["from_dtype"], "F32");
  EXPECT_LT(c.json()["largest_relative_change"].get<double>(), 1.0 / 256);
  EXPECT_GT(c.json()["largest_relative_change"].get<double>(), 0.0);
  const CliResult info = run_cli("info m16.safetensors", dir);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(info.json()["dtype"], "BF16");
  // Back to F32: the bfloat16 values, exactly.
  ASSERT_EQ(run_cli("convert m16.safetensors --dtype f32 --out back.safetensors", dir).exit_code,
            0);
  EXPECT_EQ(load_model(dir / "back.safetensors").dtype, "F32");

  // A weight beyond float16's range: refused by name, nothing written.
  model->state()[0].tensor->data()[0] = 1e5f;
  save_model(*model, dir / "big.safetensors");
  const CliResult big = run_cli("convert big.safetensors --dtype f16 --out big16.safetensors", dir);
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_NE(big.err.find("tensor \"0.weight\": the value 100000 at element 0 does not fit in F16"),
            std::string::npos)
      << big.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "big16.safetensors"));
  const CliResult bad = run_cli("convert m.safetensors --dtype int8 --out x.safetensors", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown dtype \"int8\""), std::string::npos) << bad.err;
  const CliResult missing = run_cli("convert m.safetensors --dtype f16", dir);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("--out"), std::string::npos) << missing.err;
}

// Engine::bf16's layers round both operands to bfloat16 and sum the (exact) products in
// float32: a float32 layer given the rounded weights and input computes the same sums, in
// another order.
TEST(Precision, Bf16LayersMultiplyBfloat16OperandsAndSumInFloat32) {
  Rng rng(3);
  const auto random = [&rng](Tensor& t) {
    for (float& v : t.span()) v = static_cast<float>(2 * rng.uniform() - 1);
  };
  const auto expect_close = [](const Tensor& got, const Tensor& want) {
    ASSERT_EQ(got.shape(), want.shape());
    for (int64_t i = 0; i < want.numel(); ++i)
      ASSERT_NEAR(got[i], want[i], 1e-5f * std::max(1.0f, std::fabs(want[i]))) << i;
  };
  const Shape in{3, 9, 7};
  for (int64_t stride : {1, 2}) {
    for (int64_t pad : {0, 1}) {
      Bf16Conv2d bf16(in, 5, 3, 2, stride, pad, true);
      Conv2d reference(in, 5, 3, 2, stride, pad, true);
      random(bf16.weight().value);
      random(bf16.bias().value);
      reference.weight().value.copy_from(bf16.weight().value);
      round_values(reference.weight().value.span(), Precision::bf16);
      reference.bias().value.copy_from(bf16.bias().value);
      Tensor x(in.with_batch(3));
      random(x);
      Tensor rounded = x.clone();
      round_values(rounded.span(), Precision::bf16);
      const Tensor y = bf16.forward(x, false).clone();
      expect_close(y, reference.forward(rounded, false));
      precision_test::expect_equal(bf16.forward(rounded, false), y);  // x rounded as it is read
      EXPECT_THROW(bf16.forward(x, true), Error);                     // evaluation only
      EXPECT_THROW(bf16.backward(y), Error);
    }
  }
  Bf16Linear bf16(Shape{37}, 19, true);
  Linear reference(Shape{37}, 19, true);
  random(bf16.weight().value);
  random(bf16.bias().value);
  reference.weight().value.copy_from(bf16.weight().value);
  round_values(reference.weight().value.span(), Precision::bf16);
  reference.bias().value.copy_from(bf16.bias().value);
  Tensor x(Shape{4, 37});
  random(x);
  const Tensor y = bf16.forward(x, false).clone();
  Tensor rounded = x.clone();
  round_values(rounded.span(), Precision::bf16);
  expect_close(y, reference.forward(rounded, false));
  bf16.fuse_relu();
  const Tensor& r = bf16.forward(x, false);
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(r[i], std::max(y[i], 0.0f));
}

// --precision bf16 evaluates a copy built with Engine::bf16; fp16 keeps the model's engine.
TEST(Precision, Bf16EvaluationRunsTheBf16Engine) {
  auto model = small_conv(11);
  const Tensor x = precision_test::random_batch(*model, 4, 12);
  const auto bf16 = copy_in_precision(*model, Precision::bf16);
  const auto fp16 = copy_in_precision(*model, Precision::fp16);
  EXPECT_EQ(bf16->engine(), Engine::bf16);
  EXPECT_EQ(fp16->engine(), model->engine());
  round_state(*model, Precision::bf16);
  const Tensor want = precision_test::forward_rounding_by_hand(*model, x, Precision::bf16);
  const Tensor got = bf16->forward(x, false).clone();
  ASSERT_EQ(got.numel(), want.numel());
  // Summed in another order, an output may round to the neighbouring bfloat16 value.
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_NEAR(got[i], want[i], std::ldexp(std::max(1.0f, std::fabs(want[i])), -7)) << i;
  EXPECT_THROW(copy_in_precision(*model, Precision::int8), Error);
}

// train --precision bf16: the step sees bfloat16 weights, input, outputs and dL/dx (what a
// hand-run of the same layers with those roundings computes, exactly), and the optimizer
// gets float32 weights back.
TEST(Precision, Bf16TrainingRoundsEveryOperandAndKeepsFloat32MasterWeights) {
  const ModelSpec spec = ModelSpec::parse(R"({"name": "mlp", "input": [6],
    "layers": [{"type": "linear", "out_features": 5}, {"type": "relu"},
               {"type": "linear", "out_features": 3}]})");
  Rng rng_a(4), rng_b(4), rng_c(4);
  Sequential model(spec, rng_a, Engine::book), by_hand(spec, rng_b, Engine::book),
      fp32(spec, rng_c, Engine::book);
  model.set_training_precision(Precision::bf16);
  Tensor x(Shape{4, 6});
  Rng rng(5);
  for (float& v : x.span()) v = static_cast<float>(rng.uniform());
  const std::vector<int32_t> labels = {0, 2, 1, 2};
  const Target t{.labels = labels, .values = nullptr};
  const std::vector<Tensor> before = [&] {
    std::vector<Tensor> values;
    for (const NamedParam& np : model.named_params()) values.push_back(np.param->value.clone());
    return values;
  }();
  for (Sequential* m : {&model, &fp32}) {
    m->zero_grad();
    m->loss(x, t, true);
    m->backward();
  }
  // By hand: weights (rank 2) rounded, and each tensor passed between the layers.
  const auto round16 = [](const Tensor& v) {
    round_values(const_cast<Tensor&>(v).span(), Precision::bf16);
    return &v;
  };
  by_hand.zero_grad();
  for (const NamedParam& np : by_hand.named_params())
    if (np.param->value.rank() == 2) round16(np.param->value);
  Tensor xr = x.clone();
  const Tensor* h = round16(xr);
  for (size_t i = 0; i < by_hand.size(); ++i) h = round16(by_hand.layer(i).forward(*h, true));
  by_hand.loss_layer().forward(*h, t);
  const Tensor* d = round16(by_hand.loss_layer().backward());
  for (size_t i = by_hand.size(); i-- > 0;) d = round16(by_hand.layer(i).backward(*d));

  const std::vector<NamedParam> got = model.named_params(), want = by_hand.named_params(),
                                plain = fp32.named_params();
  int64_t rounded_away = 0, differ_from_fp32 = 0;
  for (size_t p = 0; p < got.size(); ++p) {
    precision_test::expect_equal(got[p].param->grad, want[p].param->grad);
    precision_test::expect_equal(got[p].param->value, before[p]);  // the float32 masters
    for (int64_t i = 0; i < before[p].numel(); ++i) {
      rounded_away += before[p][i] != round_to_bf16(before[p][i]);
      differ_from_fp32 += got[p].param->grad[i] != plain[p].param->grad[i];
    }
  }
  EXPECT_GT(rounded_away, 0);  // the test would see a missing rounding
  EXPECT_GT(differ_from_fp32, 0);
  EXPECT_NE(error_of([&] {
              model.set_training_precision(Precision::fp16);
            }).find("training in fp16 is not offered"),
            std::string::npos);
}

// The book's claim on real data: a trained network keeps its accuracy in 16 bits.
TEST(Precision, ATrainedConvNetKeepsItsAccuracyInFp16Bf16AndInt8) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  ScratchDir dir;
  const CliResult t = run_cli(
      "train --model simple_convnet --epochs 1 "
      "--quiet --out run --data '" +
          data + "'",
      dir);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_FALSE(t.json().contains("precision"));  // named only when not fp32
  // The same run in bf16 mixed precision: about the same accuracy after one epoch.
  const CliResult t16 = run_cli(
      "train --model simple_convnet --epochs 1 --precision bf16 --quiet --out run16 --data '" +
          data + "'",
      dir);
  ASSERT_EQ(t16.exit_code, 0) << t16.err;
  EXPECT_EQ(t16.json()["precision"], "bf16");
  EXPECT_NEAR(t16.json()["test_acc"].get<double>(), t.json()["test_acc"].get<double>(), 0.01);
  const CliResult resumed = run_cli("train --resume run16 --epochs 2 --quiet", dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.json()["precision"], "bf16");  // kept in the checkpoint
  const CliResult changed = run_cli("train --resume run16 --epochs 3 --precision fp32", dir);
  EXPECT_EQ(changed.exit_code, 2);
  EXPECT_NE(changed.err.find("--precision cannot be changed when resuming"), std::string::npos);
  const CliResult fp16 = run_cli(
      "train --model simple_convnet --precision fp16 --max-steps 1 "
      "--out run_fp16 --data '" +
          data + "'",
      dir);
  EXPECT_EQ(fp16.exit_code, 2);
  EXPECT_NE(fp16.err.find("training in fp16 is not offered"), std::string::npos) << fp16.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "run_fp16"));

  std::map<std::string, double> accuracy;
  for (const std::string p : {"fp32", "fp16", "bf16"}) {
    const CliResult e =
        run_cli("eval run/model.safetensors --precision " + p + " --data '" + data + "'", dir);
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.json()["precision"], p);
    accuracy[p] = e.json()["accuracy"].get<double>();
  }
  EXPECT_GT(accuracy["fp32"], 0.95);
  // 10,000 test images: 0.1 points is 10 images.
  EXPECT_NEAR(accuracy["fp16"], accuracy["fp32"], 0.001);
  EXPECT_NEAR(accuracy["bf16"], accuracy["fp32"], 0.001);
  // A float16 file evaluates as --precision fp16 rounds the weights.
  ASSERT_EQ(
      run_cli("convert run/model.safetensors --dtype f16 --out m16.safetensors", dir).exit_code, 0);
  const CliResult e16 = run_cli("eval m16.safetensors --precision fp16 --data '" + data + "'", dir);
  EXPECT_EQ(e16.json()["accuracy"].get<double>(), accuracy["fp16"]);
  // Half the bytes, within the header's few hundred.
  const auto f32_bytes = std::filesystem::file_size(dir / "run/model.safetensors");
  EXPECT_LT(std::filesystem::file_size(dir / "m16.safetensors"), f32_bytes / 2 + 2000);

  // int8 (nnzero quantize, 300 calibration images): within 0.2 points, a quarter of the bytes
  // (plus the float32 biases and scales).
  const CliResult q = run_cli(
      "quantize run/model.safetensors --samples 300 --out q.safetensors "
      "--data '" +
          data + "'",
      dir);
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(q.json()["calibration_samples"], 300);
  EXPECT_LT(std::filesystem::file_size(dir / "q.safetensors"), f32_bytes / 4 + 4000);
  const CliResult e8 = run_cli("eval q.safetensors --data '" + data + "'", dir);
  ASSERT_EQ(e8.exit_code, 0) << e8.err;
  EXPECT_EQ(e8.json()["precision"], "int8");
  EXPECT_NEAR(e8.json()["accuracy"].get<double>(), accuracy["fp32"], 0.002);
  const CliResult info = run_cli("info q.safetensors", dir);
  EXPECT_EQ(info.json()["dtype"], "I8");

  // nnzero bench times inference in each precision (int8 calibrated on training images).
  for (const std::string p : {"bf16", "int8"}) {
    const CliResult b = run_cli(
        "bench --model simple_convnet --steps 2 --precision " + p + " --data '" + data + "'", dir);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(b.json()["precision"], p);
    EXPECT_GT(b.json()["infer_samples_per_s_b1000"].get<double>(), 0.0);
  }
  const CliResult bad = run_cli("bench --model simple_convnet --precision int4", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--precision: unknown precision \"int4\""), std::string::npos) << bad.err;
}
