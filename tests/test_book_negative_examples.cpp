// The book's examples of what not to do, runnable as the book shows them: all-zero initial
// weights (section 6.2.1, `--init std:0`) and the sum-of-squares error on one-hot class
// labels (section 4.2.1, `"loss": "mse"` with a classification dataset).
#include <gtest/gtest.h>

#include "nnzero/data/dataset.h"
#include "nnzero/layers/mse.h"
#include "nnzero/model/sequential.h"
#include "nnzero/model/spec.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;

TEST(BookNegativeExamples, InitStdZeroGivesAllZeroWeights) {
  check_init("std:0", "--init");
  check_init("std:0.0", "--init");
  EXPECT_HAS(error_of([] { check_init("std:-1", "--init"); }), "unknown init \"std:-1\"");
  EXPECT_HAS(error_of([] { check_init("std:1e-50", "--init"); }), "unknown init");
  ModelSpec spec = ModelSpec::parse(
      R"({"input": [4], "init": "std:0", "layers": [{"type": "linear", "out_features": 3},
          {"type": "relu"}, {"type": "linear", "out_features": 2}]})");
  Rng rng(1);
  Sequential model(spec, rng);
  for (const NamedParam& p : model.named_params()) {
    for (int64_t i = 0; i < p.param->value.numel(); ++i) {
      ASSERT_EQ(p.param->value[i], 0.0f) << p.name;
    }
  }
}

TEST(BookNegativeExamples, MseTakesClassLabelsAsOneHotRows) {
  const Tensor y(Shape{3, 4}, {0.1f, 0.6f, 0.2f, 0.1f,    //
                               0.9f, 0.0f, 0.05f, 0.05f,  //
                               0.3f, 0.3f, 0.3f, 0.1f});
  const std::vector<int32_t> labels = {1, 0, 3};
  MeanSquaredError by_label, by_value;
  const double loss = by_label.forward(y, Target{.labels = labels, .values = nullptr});
  const Tensor t = one_hot(labels, 4);
  EXPECT_EQ(loss, by_value.forward(y, Target{.labels = {}, .values = &t}));
  // The book's numbers: 1/2 sum (y - t)^2 for the first row is 0.5 * (0.01 + 0.16 + 0.04 +
  // 0.01) = 0.11; the loss is the mean of the three rows.
  const double row0 = 0.5 * (0.01 + 0.16 + 0.04 + 0.01);
  const double row1 = 0.5 * (0.01 + 0.0 + 0.0025 + 0.0025);
  const double row2 = 0.5 * (0.09 + 0.09 + 0.09 + 0.81);
  EXPECT_NEAR(loss, (row0 + row1 + row2) / 3.0, 1e-6);
  const Tensor& dx = by_label.backward();
  const Tensor& dx_values = by_value.backward();
  for (int64_t i = 0; i < dx.numel(); ++i) EXPECT_EQ(dx[i], dx_values[i]) << i;
  EXPECT_FLOAT_EQ(dx[1], (0.6f - 1.0f) / 3.0f);

  const std::vector<int32_t> bad = {1, 4, 0};
  EXPECT_HAS(error_of([&] { by_label.forward(y, Target{.labels = bad, .values = nullptr}); }),
             "mse: label 4 is not one of the 4 outputs");
  const std::vector<int32_t> short_labels = {1};
  EXPECT_HAS(
      error_of([&] { by_label.forward(y, Target{.labels = short_labels, .values = nullptr}); }),
      "mse: 1 labels for 3 samples");
}

TEST(BookNegativeExamples, MnistTrainsWithTheSumOfSquaresError) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  nnzero_test::ScratchDir dir;
  nnzero_test::spit(dir / "mse.json", R"({"name": "mse_net", "input": [784], "loss": "mse",
    "layers": [{"type": "linear", "out_features": 50}, {"type": "relu"},
               {"type": "linear", "out_features": 10}]})");
  const auto r = nnzero_test::run_cli("train --spec mse.json --data " + mnist +
                                          " --train-samples 6000 --epochs 2 --optimizer adam "
                                          "--out run --threads 1 --quiet",
                                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = r.json();
  EXPECT_GT(j["test_acc"].get<double>(), 0.75);  // accuracy, as for any classifier (0.83)
  EXPECT_GT(j["test_loss"].get<double>(), 0.0);
}
