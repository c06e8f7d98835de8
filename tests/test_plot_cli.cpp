// The pictures of the command line: curves.png and loss.csv in every training run folder (a
// resumed run continues them), nnzero plot over several runs, eval --figures, and training
// that goes on, with a warning, when pictures cannot be drawn.
#include <gtest/gtest.h>

#include <filesystem>

#include "nnzero/io/csv.h"
#include "nnzero/io/image.h"
#include "test_data_dir.h"
#include "test_support.h"

using nnzero_test::CliResult;
using nnzero_test::png_size;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;

namespace {
std::string data_flag(const std::string& mnist) {
  return " --data '" + mnist + "'";
}
}  // namespace

TEST(PlotCli, TrainDrawsCurvesAndAResumedRunContinuesThem) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const std::string common = " --quiet --train-samples 2000 --out run" + data_flag(mnist);
  CliResult r = run_cli("train --model two_layer_net --max-steps 30" + common, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(png_size(dir / "run/curves.png"), (std::pair<int64_t, int64_t>{1000, 420}));
  nnzero::CsvTable loss = nnzero::read_csv(dir / "run/loss.csv");
  ASSERT_EQ(loss.num_rows(), 30);
  EXPECT_EQ(loss.header, (std::vector<std::string>{"step", "loss"}));
  const std::string step_12 = loss.rows[11][1];

  r = run_cli("train --resume run --max-steps 50 --quiet" + data_flag(mnist), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  loss = nnzero::read_csv(dir / "run/loss.csv");
  ASSERT_EQ(loss.num_rows(), 50);
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(loss.rows[i][0], std::to_string(i + 1));
  EXPECT_EQ(loss.rows[11][1], step_12);  // the steps before the checkpoint are kept

  // Resuming a run with no step left redraws its picture from the checkpoint.
  std::filesystem::remove(dir / "run/curves.png");
  r = run_cli("train --resume run --max-steps 50 --quiet" + data_flag(mnist), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(png_size(dir / "run/curves.png"), (std::pair<int64_t, int64_t>{1000, 420}));
  EXPECT_EQ(nnzero::read_csv(dir / "run/loss.csv").num_rows(), 50);
}

TEST(PlotCli, PlotComparesRunsByTheirDifferingSettings) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const std::string common = " --quiet --epochs 2 --train-samples 1000" + data_flag(mnist);
  ASSERT_EQ(run_cli("train --model multi_layer_net --out sgd" + common, dir).exit_code, 0);
  ASSERT_EQ(
      run_cli("train --model multi_layer_net --optimizer adam --out adam" + common, dir).exit_code,
      0);
  const CliResult r = run_cli("plot sgd adam --out both.png", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["runs"][0]["label"], "optimizer sgd, lr 0.01");
  EXPECT_EQ(j["runs"][1]["label"], "optimizer adam, lr 0.001");
  EXPECT_EQ(j["runs"][1]["epochs"], 2);
  EXPECT_EQ(j["runs"][1]["steps"], 20);
  EXPECT_HAS(j["shared"].get<std::string>(), "model multi_layer_net");
  EXPECT_EQ(png_size(dir / "both.png"), (std::pair<int64_t, int64_t>{1100, 500}));

  const CliResult bad = run_cli("plot sgd nowhere", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_HAS(bad.err, "nowhere: not a folder");
  EXPECT_FALSE(std::filesystem::exists(dir / "runs.png"));
}

TEST(PlotCli, EvalFiguresShowTheConfusionMatrixAndTheMistakes) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  ASSERT_EQ(run_cli("train --model two_layer_net --max-steps 100 --quiet --train-samples 5000 "
                    "--out run" +
                        data_flag(mnist),
                    dir)
                .exit_code,
            0);
  const CliResult r = run_cli("eval run/model.safetensors --figures figs" + data_flag(mnist), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["figures"].size(), 4u);
  EXPECT_EQ(png_size(dir / "figs/confusion.png"), (std::pair<int64_t, int64_t>{720, 680}));
  EXPECT_EQ(png_size(dir / "figs/misclassified.png"), (std::pair<int64_t, int64_t>{900, 490}));
  const nnzero::CsvTable confusion = nnzero::read_csv(dir / "figs/confusion.csv");
  ASSERT_EQ(confusion.num_rows(), 10);
  int64_t correct = 0;
  for (int t = 0; t < 10; ++t) {
    for (int p = 0; p < 10; ++p) {
      const int64_t count = std::stoll(confusion.rows[t][p + 1]);
      EXPECT_EQ(count, j["confusion"][t][p].get<int64_t>());  // the JSON's matrix
      if (t == p) correct += count;
    }
  }
  EXPECT_NEAR(static_cast<double>(correct) / 10000, j["accuracy"].get<double>(), 1e-12);
  const nnzero::CsvTable mistakes = nnzero::read_csv(dir / "figs/misclassified.csv");
  EXPECT_EQ(mistakes.num_rows(), 10000 - correct);
  for (const auto& row : mistakes.rows) EXPECT_NE(row[1], row[2]);
}

TEST(PlotCli, TrainingGoesOnWithoutThePlotDriver) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  std::filesystem::create_directories(dir / "no-drivers");
  const CliResult r = nnzero_test::run_program(
      "env",
      "PLPLOT_DRV_DIR=no-drivers '" + std::string(NNZERO_BINARY_DIR) +
          "/nnzero' train --model two_layer_net --max-steps 5 --quiet --train-samples 500 "
          "--out run" +
          data_flag(mnist),
      dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "warning: no curves.png for this run: plot: no-drivers/cairo.driver_info");
  EXPECT_TRUE(std::filesystem::exists(dir / "run/model.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/loss.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "run/curves.png"));
  const CliResult eval = nnzero_test::run_program(
      "env",
      "PLPLOT_DRV_DIR=no-drivers '" + std::string(NNZERO_BINARY_DIR) +
          "/nnzero' eval run/model.safetensors --figures figs" + data_flag(mnist),
      dir);
  EXPECT_EQ(eval.exit_code, 2);
  EXPECT_HAS(eval.err, "plplot-driver-cairo");
}
