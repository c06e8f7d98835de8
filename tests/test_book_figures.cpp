// nnzero book: every figure on small settings writes a PNG of its size that decodes, and a
// CSV whose numbers show what the book's figure shows (the SGD path zig-zags, std 1 sigmoid
// activations pile up at 0 and 1, BatchNorm beats the plain network at most scales...).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "nnzero/data/mnist.h"
#include "nnzero/io/csv.h"
#include "nnzero/io/file.h"
#include "nnzero/io/image.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/trainer.h"
#include "test_data_dir.h"
#include "test_support.h"

using nnzero_test::CliResult;
using nnzero_test::png_size;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;

namespace {
// Runs `nnzero book NAME --out DIR ARGS` and checks what every figure must do: exit 0, name
// its PNG first, give it the expected size.
nlohmann::json make_figure(const ScratchDir& dir, const std::string& name, int64_t width,
                           int64_t height, const std::string& args = "") {
  const CliResult r = run_cli("book " + name + " --out figs " + args, dir);
  EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["figure"], name) << r.out;
  const std::string png = dir / ("figs/" + name + ".png");
  EXPECT_EQ(j["files"][0], "figs/" + name + ".png");
  EXPECT_EQ(png_size(png), (std::pair<int64_t, int64_t>{width, height})) << name;
  EXPECT_TRUE(std::filesystem::exists(dir / ("figs/" + name + ".csv"))) << name;
  return j;
}

nnzero::CsvTable figure_csv(const ScratchDir& dir, const std::string& name) {
  return nnzero::read_csv(dir / ("figs/" + name + ".csv"));
}

double number(const std::string& field) {
  return field.empty() ? NAN : std::stod(field);
}

std::string data_flag(const std::string& mnist) {
  return " --data '" + mnist + "'";
}
}  // namespace

TEST(BookFigures, ListNamesEveryFigureOnALine) {
  ScratchDir dir;
  const CliResult r = run_cli("book --list", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json figures = r.json()["figures"];
  EXPECT_EQ(figures.size(), 19u);
  for (const auto& f : figures) {
    EXPECT_HAS(r.out, f["name"].get<std::string>() + " ");
    EXPECT_FALSE(f["figures"].get<std::string>().empty());
  }
  EXPECT_HAS(r.out, "optimizer-paths");
  EXPECT_HAS(r.out, "6-3, 6-5, 6-6, 6-8");
}

TEST(BookFigures, BadUsageExits2WithAMessage) {
  ScratchDir dir;
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"book", "give a FIGURE name, or --list"},
           {"book no-such-figure", "unknown figure \"no-such-figure\" (known: activations,"},
           {"book activations --epochs 3", "--epochs does not apply to the figure activations"},
           {"book overfitting --epochs 0", "--epochs must be at least 1, got 0"},
           {"book overfitting --data no/such/dir --epochs 1", "no/such/dir/train-images"}}) {
    const CliResult r = run_cli(args, dir);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_HAS(r.err, message) << args;
  }
}

// A missing font or plot driver stops the command with the package to install, before any
// work and without a half-written picture.
TEST(BookFigures, AMissingFontOrDriverIsAClearError) {
  ScratchDir dir;
  nnzero_test::spit(dir / "no-fonts.conf",
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n"
                    "<fontconfig><cachedir>" +
                        (dir / "cache") + "</cachedir></fontconfig>\n");
  std::filesystem::create_directories(dir / "no-drivers");
  CliResult r = run_cli("book activations --out figs", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;  // the same command with the font and the driver
  std::filesystem::remove_all(dir / "figs");
  r = nnzero_test::run_program("env",
                               "FONTCONFIG_FILE='" + (dir / "no-fonts.conf") + "' '" +
                                   std::string(NNZERO_BINARY_DIR) +
                                   "/nnzero' book activations --out figs",
                               dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "error: plot: fontconfig finds no sans-serif font");
  EXPECT_HAS(r.err, "fonts-dejavu-core");
  EXPECT_FALSE(std::filesystem::exists(dir / "figs/activations.png"));
  r = nnzero_test::run_program("env",
                               "PLPLOT_DRV_DIR=no-drivers '" + std::string(NNZERO_BINARY_DIR) +
                                   "/nnzero' book activations --out figs",
                               dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "no-drivers/cairo.driver_info is missing");
  EXPECT_HAS(r.err, "plplot-driver-cairo");
  EXPECT_FALSE(std::filesystem::exists(dir / "figs/activations.png"));
}

TEST(BookFigures, Chapter3Activations) {
  ScratchDir dir;
  make_figure(dir, "activations", 900, 700);
  const nnzero::CsvTable t = figure_csv(dir, "activations");
  ASSERT_EQ(t.num_rows(), 100);
  double last_sigmoid = -1;
  for (const auto& row : t.rows) {
    const double x = number(row[0]), step = number(row[1]), sig = number(row[2]),
                 relu = number(row[3]);
    EXPECT_EQ(step, x > 0 ? 1.0 : 0.0) << x;
    EXPECT_GT(sig, last_sigmoid);
    EXPECT_NEAR(sig, 1.0 / (1.0 + std::exp(-x)), 1e-6);
    EXPECT_EQ(relu, std::max(0.0, x));
    last_sigmoid = sig;
  }
}

TEST(BookFigures, Chapter4Gradients) {
  ScratchDir dir;
  const nlohmann::json d = make_figure(dir, "numerical-diff", 800, 520);
  EXPECT_NEAR(d["summary"]["slope_at_5"].get<double>(), 0.2, 1e-3);  // the book: 0.1999999999990898
  EXPECT_NEAR(d["summary"]["slope_at_10"].get<double>(), 0.3, 1e-3);  // and 0.2999999999986347
  const nnzero::CsvTable diff = figure_csv(dir, "numerical-diff");
  for (const auto& row : diff.rows) {  // the tangent touches f at 5 and stays below it
    const double x = number(row[0]), f = number(row[1]), tangent = number(row[2]);
    EXPECT_LE(tangent, f + 1e-3) << x;
    if (std::abs(x - 5) < 1e-6) {
      EXPECT_NEAR(tangent, f, 1e-6);
    }
  }

  make_figure(dir, "gradient-field", 700, 680);
  const nnzero::CsvTable field = figure_csv(dir, "gradient-field");
  ASSERT_EQ(field.num_rows(), 18 * 18);
  for (const auto& row : field.rows) {  // -grad f = -2x: every arrow points at the origin
    const double x0 = number(row[0]), x1 = number(row[1]);
    EXPECT_NEAR(number(row[2]), -2 * x0, 1e-2);
    EXPECT_NEAR(number(row[3]), -2 * x1, 1e-2);
  }

  make_figure(dir, "gradient-descent", 700, 680);
  const nnzero::CsvTable path = figure_csv(dir, "gradient-descent");
  ASSERT_EQ(path.num_rows(), 21);
  for (int64_t s = 1; s < path.num_rows(); ++s) {  // x <- 0.8 x: straight to the origin
    EXPECT_NEAR(number(path.rows[s][1]), 0.8 * number(path.rows[s - 1][1]), 1e-3);
    EXPECT_NEAR(number(path.rows[s][2]), 0.8 * number(path.rows[s - 1][2]), 1e-3);
  }
}

TEST(BookFigures, Chapter5TwoLayerNetLearns) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const nlohmann::json j =
      make_figure(dir, "two-layer-net", 1000, 420,
                  "--iterations 300 --train-samples 10000 --test-samples 2000" + data_flag(mnist));
  const nnzero::CsvTable loss = figure_csv(dir, "two-layer-net");
  ASSERT_EQ(loss.num_rows(), 300);
  double first = 0, last = 0;
  for (int i = 0; i < 30; ++i)
    first += number(loss.rows[i][1]), last += number(loss.rows[270 + i][1]);
  EXPECT_LT(last, 0.5 * first);
  const nnzero::CsvTable acc = nnzero::read_csv(dir / "figs/two-layer-net-accuracy.csv");
  ASSERT_EQ(acc.num_rows(), 3);  // 300 steps of 100 over 10,000 images: three epochs
  EXPECT_GT(number(acc.rows[2][2]), 0.8);
}

TEST(BookFigures, Chapter6OptimizerPaths) {
  ScratchDir dir;
  const nlohmann::json j = make_figure(dir, "optimizer-paths", 1000, 840, "--iterations 100");
  std::map<std::string, std::vector<std::pair<double, double>>> paths;
  for (const auto& row : figure_csv(dir, "optimizer-paths").rows) {
    paths[row[0]].emplace_back(number(row[3]), number(row[4]));
  }
  ASSERT_EQ(paths.size(), 4u);
  auto y_turns = [&](const std::string& name, size_t steps) {
    int turns = 0;
    const auto& p = paths[name];
    for (size_t s = 2; s <= steps; ++s) {
      turns += (p[s].second - p[s - 1].second > 0) != (p[s - 1].second - p[s - 2].second > 0);
    }
    return turns;
  };
  // Figure 6-3: SGD's y-steps change sign every time (the zig-zag across the valley) ...
  EXPECT_EQ(y_turns("sgd", 30), 29);
  // ... Momentum and Adam curve in, turning a few times; AdaGrad's y-steps never turn.
  EXPECT_LE(y_turns("momentum", 30), 6);
  EXPECT_LE(y_turns("adam", 30), 3);
  EXPECT_EQ(y_turns("adagrad", 30), 0);
  // Every method gets within 0.1 of the minimum; AdaGrad first (the book's Figure 6-8).
  const auto& s = j["summary"];
  for (const char* name : {"sgd", "momentum", "adagrad", "adam"}) {
    ASSERT_FALSE(s[name]["steps_to_within_0.1"].is_null()) << name;
  }
  EXPECT_LT(s["adagrad"]["steps_to_within_0.1"].get<int>(),
            s["sgd"]["steps_to_within_0.1"].get<int>());
}

TEST(BookFigures, Chapter6OptimizersOnMnist) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const nlohmann::json j =
      make_figure(dir, "optimizers-mnist", 900, 600, "--iterations 200" + data_flag(mnist));
  EXPECT_EQ(figure_csv(dir, "optimizers-mnist").num_rows(), 200);
  const auto& s = j["summary"];
  const double sgd = s["sgd"]["mean_loss_last_10pct"];
  for (const char* name : {"momentum", "adagrad", "adam"}) {  // Figure 6-9: SGD is the slowest
    EXPECT_LT(s[name]["mean_loss_last_10pct"].get<double>(), sgd) << name;
  }
}

namespace {
// Per init and layer: near_ends, the share of the activations within 0.1 of 0 or 1; mean,
// the mean of the activations in (1/30, 1] (ReLU's zeros and near-zeros all land in the
// first bin, which the book's Figure 6-14 cuts off).
struct Histograms {
  std::map<std::string, std::vector<double>> near_ends, mean;
};

Histograms read_histograms(const nnzero::CsvTable& t) {
  std::map<std::string, std::vector<double>> total, ends, above, weighted;
  for (const auto& row : t.rows) {
    const std::string init = row[0];
    const auto layer = static_cast<size_t>(std::stoi(row[2]) - 1);
    const double lo = number(row[3]), hi = number(row[4]), count = number(row[5]);
    for (auto* m : {&total, &ends, &above, &weighted}) (*m)[init].resize(5, 0.0);
    total[init][layer] += count;
    if (hi <= 0.1 + 1e-9 || lo >= 0.9 - 1e-9) ends[init][layer] += count;
    if (lo > 0) {
      above[init][layer] += count;
      weighted[init][layer] += count * (lo + hi) / 2;
    }
  }
  Histograms h;
  for (auto& [init, t_layers] : total) {
    for (size_t l = 0; l < 5; ++l) {
      h.near_ends[init].push_back(ends[init][l] / t_layers[l]);
      h.mean[init].push_back(above[init][l] > 0 ? weighted[init][l] / above[init][l] : 0.0);
    }
  }
  return h;
}
}  // namespace

TEST(BookFigures, Chapter6InitHistograms) {
  ScratchDir dir;
  make_figure(dir, "init-histograms-sigmoid", 1000, 660);
  const Histograms sig = read_histograms(figure_csv(dir, "init-histograms-sigmoid"));
  for (size_t l = 0; l < 5; ++l) {
    // Figure 6-10: with N(0, 1) weights the activations pile up at 0 and 1.
    EXPECT_GT(sig.near_ends.at("std:1")[l], 0.5) << l;
    // Figures 6-11 and 6-13: N(0, 0.01^2) and Xavier keep them away from the ends.
    EXPECT_LT(sig.near_ends.at("std:0.01")[l], 0.01) << l;
    EXPECT_LT(sig.near_ends.at("xavier")[l], 0.1) << l;
  }

  make_figure(dir, "init-histograms-relu", 1000, 660);
  const Histograms relu = read_histograms(figure_csv(dir, "init-histograms-relu"));
  // Figure 6-14: with N(0, 0.01^2) the activations shrink to zero within the first layers,
  // with Xavier they drift towards zero layer by layer, He keeps them alike in every layer.
  EXPECT_EQ(relu.mean.at("std:0.01")[2], 0.0);
  EXPECT_LT(relu.mean.at("xavier")[4], 0.7 * relu.mean.at("xavier")[0]);
  for (size_t l = 1; l < 5; ++l) {
    EXPECT_GT(relu.mean.at("he")[l], 0.8 * relu.mean.at("he")[0]) << l;
    EXPECT_LT(relu.mean.at("he")[l], 1.25 * relu.mean.at("he")[0]) << l;
  }
}

TEST(BookFigures, Chapter6InitOnMnist) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const nlohmann::json j =
      make_figure(dir, "init-mnist", 900, 600, "--iterations 200" + data_flag(mnist));
  const auto& s = j["summary"];
  // Figure 6-15: std 0.01 does not learn (the loss stays at ln 10), He learns fastest.
  EXPECT_GT(s["std:0.01"]["mean_loss_last_10pct"].get<double>(), 2.2);
  EXPECT_LT(s["he"]["mean_loss_last_10pct"].get<double>(),
            s["xavier"]["mean_loss_last_10pct"].get<double>());
}

TEST(BookFigures, Chapter6BatchNormBeatsThePlainNetwork) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  make_figure(dir, "batchnorm", 1000, 900, "--epochs 5" + data_flag(mnist));
  std::map<double, std::pair<double, double>> final;  // scale -> (batchnorm, plain)
  for (const auto& row : figure_csv(dir, "batchnorm").rows) {
    if (row[1] == "5") final[number(row[0])] = {number(row[2]), number(row[3])};
  }
  ASSERT_EQ(final.size(), 16u);
  int better = 0;
  for (const auto& [scale, acc] : final) {
    better += acc.first > (std::isnan(acc.second) ? 0.0 : acc.second);
  }
  EXPECT_GE(better, 9);  // Figure 6-19: on most of the 16 scales
}

TEST(BookFigures, Chapter6OverfittingAndItsRemedies) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const std::string small = " --epochs 60 --test-samples 1000" + data_flag(mnist);
  const double gap = make_figure(dir, "overfitting", 800, 560, small)["summary"]["gap"];
  const double decay = make_figure(dir, "weight-decay", 800, 560, small)["summary"]["gap"];
  const double drop = make_figure(dir, "dropout", 800, 560, small)["summary"]["gap"];
  EXPECT_GT(gap, 0.15);   // Figure 6-20: train accuracy runs away from test accuracy
  EXPECT_LT(decay, gap);  // Figure 6-21
  EXPECT_LT(drop, gap);   // Figure 6-23
  const nnzero::CsvTable t = figure_csv(dir, "overfitting");
  ASSERT_EQ(t.num_rows(), 60);
  EXPECT_GT(number(t.rows[59][1]), number(t.rows[59][2]) + 0.15);
}

TEST(BookFigures, Chapter6HyperparameterSearch) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  make_figure(dir, "hyperparameter-search", 1100, 2 * 190 + 90,
              "--trials 10 --epochs 15" + data_flag(mnist));
  std::map<int, std::pair<double, double>> trials;  // rank -> (log10 lr, final val acc)
  for (const auto& row : figure_csv(dir, "hyperparameter-search").rows) {
    if (row[4] == "15") trials[std::stoi(row[0])] = {std::log10(number(row[2])), number(row[5])};
  }
  ASSERT_EQ(trials.size(), 10u);
  double top = 0, bottom = 0;
  for (int r = 1; r <= 5; ++r) top += trials[r].first, bottom += trials[r + 5].first;
  // Section 6.5.3: the learning rates that work are the larger ones of the range.
  EXPECT_GT(top / 5, bottom / 5);
  for (int r = 1; r < 10; ++r) EXPECT_GE(trials[r].second, trials[r + 1].second);  // ranked
}

TEST(BookFigures, Chapter7FiltersAndFeatureMaps) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const std::string small =
      " --iterations 300 --train-samples 10000 --test-samples 500" + data_flag(mnist);
  const auto s = make_figure(dir, "conv-filters", 1000, 560, small)["summary"];
  // Figure 7-24: random noise (neighbouring weights unrelated) becomes smooth strokes.
  EXPECT_LT(std::abs(s["neighbour_correlation_before"].get<double>()), 0.2);
  EXPECT_GT(s["neighbour_correlation_after"].get<double>(), 0.3);
  EXPECT_GT(s["std_after"].get<double>(), 2 * s["std_before"].get<double>());
  EXPECT_EQ(figure_csv(dir, "conv-filters").num_rows(), 2 * 30 * 25);

  const auto m = make_figure(dir, "feature-maps", 1100, 520, small)["summary"];
  EXPECT_EQ(m["maps"], 30);
  EXPECT_EQ(m["label"], 7);
  const nnzero::CsvTable maps = figure_csv(dir, "feature-maps");
  ASSERT_EQ(maps.num_rows(), 30 * 24 * 24);
  for (const auto& row : maps.rows) ASSERT_GE(number(row[3]), 0.0);  // after the ReLU
}

TEST(BookFigures, Chapter8MistakesAndHalfPrecision) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  {  // a deep_convnet trained briefly, shared by both figures through --model
    const nnzero::Mnist data = nnzero::load_mnist(mnist);
    nnzero::Rng rng(0);
    nnzero::Sequential model(nnzero::builtin_spec("deep_convnet"), rng);
    nnzero::TrainOptions o;
    o.optimizer = "adam";
    o.max_steps = 25;
    o.train_eval_samples = 100;
    o.log_epochs = false;
    nnzero::Trainer(model, data.train, nullptr, o).run();
    nnzero::save_model(model, dir / "deep.safetensors");
  }
  const std::string small = " --model deep.safetensors --test-samples 500" + data_flag(mnist);
  const CliResult r = run_cli("book misclassified --out figs" + small, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = r.json()["summary"];
  const int64_t wrong = s["misclassified"];
  const nnzero::CsvTable t = figure_csv(dir, "misclassified");
  EXPECT_EQ(t.num_rows(), wrong);
  for (const auto& row : t.rows) EXPECT_NE(row[1], row[2]);
  const int64_t rows = (std::min<int64_t>(wrong, 20) + 9) / 10;
  EXPECT_EQ(png_size(dir / "figs/misclassified.png"),
            (std::pair<int64_t, int64_t>{900, 90 + std::max<int64_t>(rows, 1) * 100}));
  EXPECT_NEAR(s["accuracy"].get<double>(), 1.0 - static_cast<double>(wrong) / 500, 1e-12);

  const auto h = make_figure(dir, "half-precision", 1100, 520, small)["summary"];
  // The float32 pass is the model's own: the same accuracy.
  EXPECT_NEAR(h["float32"].get<double>(), s["accuracy"].get<double>(), 1e-12);
  // Section 8.3.4: float16 (and bfloat16) lose (almost) nothing.
  for (const char* key : {"float16_weights", "float16_weights_and_activations", "bfloat16_weights",
                          "bfloat16_weights_and_activations"}) {
    EXPECT_NEAR(h[key].get<double>(), h["float32"].get<double>(), 0.01) << key;
  }
  EXPECT_EQ(figure_csv(dir, "half-precision").num_rows(), 5);
}
