// The picture module: the book's smoothing, float16 rounding, pages that become PNG files of
// the requested size, clear errors when the plot library's driver is missing, the labels
// that tell runs apart, and a run's curves as training records them and a resumed run
// continues them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "nnzero/io/csv.h"
#include "nnzero/io/file.h"
#include "nnzero/io/image.h"
#include "nnzero/plot/compare_runs.h"
#include "nnzero/plot/eval_figures.h"
#include "nnzero/plot/learning_curves.h"
#include "nnzero/plot/page.h"
#include "nnzero/plot/run_curves.h"
#include "nnzero/plot/smooth.h"
#include "test_support.h"

using nnzero::Error;
using nnzero_test::error_of;
using nnzero_test::png_size;
using nnzero_test::ScratchDir;
namespace plot = nnzero::plot;

namespace {
// The share of pixels darker than mid-grey.
double dark_share(const std::string& path) {
  const nnzero::GrayImage image = nnzero::load_image(path);
  double dark = 0;
  for (float p : image.pixels) dark += p < 0.5f;
  return dark / static_cast<double>(image.pixels.size());
}
}  // namespace

TEST(SmoothCurve, KeepsConstantsLengthAndStraightLines) {
  const std::vector<double> flat(40, 2.5);
  for (double v : plot::smooth_curve(flat)) EXPECT_NEAR(v, 2.5, 1e-12);
  std::vector<double> ramp;
  for (int i = 0; i < 50; ++i) ramp.push_back(0.5 * i);
  const std::vector<double> s = plot::smooth_curve(ramp);
  ASSERT_EQ(s.size(), ramp.size());
  // A symmetric window keeps a straight line away from the mirrored ends.
  for (size_t i = 5; i + 5 < ramp.size(); ++i) EXPECT_NEAR(s[i], ramp[i], 1e-9) << i;
  EXPECT_EQ(plot::smooth_curve(ramp, 1), ramp);
  EXPECT_THROW(plot::smooth_curve(ramp, 4), Error);
}

TEST(SmoothCurve, ReducesNoise) {
  nnzero::Rng rng(3);
  std::vector<double> noisy;
  for (int i = 0; i < 500; ++i) noisy.push_back(rng.normal());
  auto variance = [](const std::vector<double>& v) {
    double m = 0, q = 0;
    for (double x : v) m += x;
    m /= static_cast<double>(v.size());
    for (double x : v) q += (x - m) * (x - m);
    return q / static_cast<double>(v.size());
  };
  EXPECT_LT(variance(plot::smooth_curve(noisy)), 0.3 * variance(noisy));
  EXPECT_EQ(plot::smoothing_window(100), 11);
  EXPECT_EQ(plot::smoothing_window(10000), 201);
}

TEST(Page, WritesAPngOfItsSizeWithWhatWasDrawn) {
  ScratchDir dir;
  {
    plot::Page blank(320, 200);
    blank.save(dir / "blank.png");
  }
  EXPECT_EQ(png_size(dir / "blank.png"), (std::pair<int64_t, int64_t>{320, 200}));
  EXPECT_EQ(dark_share(dir / "blank.png"), 0.0);
  {
    plot::Page page(640, 480);
    page.title("a title");
    page.axes({0.1, 0.95, 0.1, 0.9}, {.title = "panel", .xlabel = "x", .ylabel = "y"});
    page.line({.x = {0, 1}, .y = {0, 1}, .width = 4, .label = "diagonal"});
    page.legend({{.label = "diagonal"}}, plot::Corner::top_left);
    page.save(dir / "drawn.png");
  }
  EXPECT_EQ(png_size(dir / "drawn.png"), (std::pair<int64_t, int64_t>{640, 480}));
  EXPECT_GT(dark_share(dir / "drawn.png"), 0.005);
  EXPECT_HAS(error_of([] { plot::Page p(5, 5000); }), "5 x 5000 pixels is out of range");
}

TEST(Page, SavingIntoAMissingFolderNamesIt) {
  ScratchDir dir;
  plot::Page page(100, 100);
  EXPECT_HAS(error_of([&] { page.save(dir / "no/such/folder/x.png"); }), "no/such/folder");
}

TEST(Page, AMissingCairoDriverIsAClearError) {
  ScratchDir dir;
  const char* old = std::getenv("PLPLOT_DRV_DIR");
  const std::string saved = old != nullptr ? old : "";
  setenv("PLPLOT_DRV_DIR", dir.path().c_str(), 1);
  const std::string message = error_of([] { plot::Page p(100, 100); });
  nnzero_test::spit(dir / "cairo.driver_info", "pngcairo:Cairo PNG Driver:0:cairo:105:pngcairo\n");
  const std::string no_memcairo = error_of([] { plot::check_plotting_available(); });
  if (old != nullptr) {
    setenv("PLPLOT_DRV_DIR", saved.c_str(), 1);
  } else {
    unsetenv("PLPLOT_DRV_DIR");
  }
  EXPECT_HAS(message, "cairo.driver_info is missing");
  EXPECT_HAS(message, "plplot-driver-cairo");
  EXPECT_HAS(no_memcairo, "lists no memcairo device");
  EXPECT_NO_THROW(plot::check_plotting_available());
}

TEST(Page, GridCellsTileTheArea) {
  const plot::Box area{0.1, 0.9, 0.2, 0.8};
  const plot::Box first = plot::grid_cell(area, 2, 3, 0, 0.05, 0.1);
  const plot::Box last = plot::grid_cell(area, 2, 3, 5, 0.05, 0.1);
  EXPECT_DOUBLE_EQ(first.left, 0.1);
  EXPECT_DOUBLE_EQ(first.top, 0.8);
  EXPECT_NEAR(last.right, 0.9, 1e-12);
  EXPECT_NEAR(last.bottom, 0.2, 1e-12);
  EXPECT_NEAR(first.right - first.left, (0.8 - 2 * 0.05) / 3, 1e-12);
  EXPECT_NEAR(first.top - first.bottom, (0.6 - 0.1) / 2, 1e-12);
}

TEST(CompareRuns, LabelsRunsByTheSettingsTheyDifferIn) {
  std::vector<plot::RunRecord> runs(3);
  const std::vector<std::pair<std::string, std::string>> base = {
      {"model", "multi_layer_net"}, {"optimizer", "sgd"}, {"lr", "0.01"}, {"batch", "100"}};
  for (size_t i = 0; i < runs.size(); ++i) {
    runs[i].dir = "runs/r" + std::to_string(i);
    runs[i].settings = base;
  }
  runs[1].settings[1].second = "adam";
  runs[1].settings[2].second = "0.001";
  runs[2].settings[1].second = "momentum";
  const std::string shared = plot::label_runs(runs);
  EXPECT_EQ(runs[0].label, "optimizer sgd, lr 0.01");
  EXPECT_EQ(runs[1].label, "optimizer adam, lr 0.001");
  EXPECT_EQ(runs[2].label, "optimizer momentum, lr 0.01");
  EXPECT_EQ(shared, "model multi_layer_net, batch 100");

  std::vector<plot::RunRecord> same(2);
  same[0].dir = "runs/first/";
  same[1].dir = "runs/second";
  plot::label_runs(same);
  EXPECT_EQ(same[0].label, "first");
  EXPECT_EQ(same[1].label, "second");
}

TEST(CompareRuns, ReadRunNamesWhatIsMissingOrBroken) {
  ScratchDir dir;
  EXPECT_HAS(error_of([&] { plot::read_run(dir / "nothing"); }), "not a folder");
  EXPECT_HAS(error_of([&] { plot::read_run(dir.path().string()); }), "metrics.csv: missing");
  nnzero_test::spit(dir / "metrics.csv",
                    "epoch,train_loss,train_acc,test_loss,test_acc,seconds\n1,0.5,0.8,0.6,x7,1\n");
  EXPECT_HAS(error_of([&] { plot::read_run(dir.path().string()); }), "\"x7\" is not a number");
  nnzero_test::spit(dir / "metrics.csv", "epoch,loss\n1,0.5\n");
  EXPECT_HAS(error_of([&] { plot::read_run(dir.path().string()); }), "no column \"train_loss\"");
}

TEST(RunCurves, RecordsStepsDrawsAndResumesFromTheCheckpointStep) {
  ScratchDir dir;
  std::vector<nnzero::EpochMetrics> history = {{1, 1.0, 0.7, 1.1, 0.68, 2.0}};
  {
    plot::RunCurves curves(dir.path().string(), "test run", 10);
    for (int step = 1; step <= 10; ++step) curves.record(step, 2.0 / step);
    curves.update(history);
  }
  EXPECT_EQ(png_size(dir / "curves.png"),
            (std::pair<int64_t, int64_t>{plot::kCurvesWidth, plot::kCurvesHeight}));
  nnzero::CsvTable t = nnzero::read_csv(dir / "loss.csv");
  ASSERT_EQ(t.num_rows(), 10);
  EXPECT_EQ(t.rows[3][0], "4");
  EXPECT_NEAR(std::stod(t.rows[3][1]), 0.5, 1e-6);

  // A run resumed from a checkpoint at step 6 repeats steps 7 on: they replace the old ones.
  plot::RunCurves resumed(dir.path().string(), "test run", 10);
  EXPECT_EQ(resumed.losses().size(), 10u);
  resumed.record(7, 9.0);
  resumed.record(8, 8.0);
  ASSERT_EQ(resumed.losses().size(), 8u);
  EXPECT_FLOAT_EQ(resumed.losses()[5], 2.0f / 6);
  EXPECT_FLOAT_EQ(resumed.losses()[6], 9.0f);
  resumed.update(history);
  t = nnzero::read_csv(dir / "loss.csv");
  EXPECT_EQ(t.num_rows(), 8);
}

TEST(RunCurves, AttachesToTrainOptionsAndKeepsTheirOwnHook) {
  ScratchDir dir;
  plot::RunCurves curves(dir.path().string(), "hooked");
  nnzero::TrainOptions options;
  int64_t seen = 0;
  options.on_step = [&seen](int64_t step, double) { seen = step; };
  curves.attach(options);
  options.on_step(1, 3.0);
  options.on_step(2, 2.0);
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(curves.losses(), (std::vector<float>{3.0f, 2.0f}));
  options.on_epoch({});
  EXPECT_TRUE(std::filesystem::exists(dir / "curves.png"));
}

TEST(EvalFigures, ConfusionAndMistakesCountThePredictions) {
  plot::Predictions p;
  p.classes = 3;
  p.labels = {0, 1, 2, 2, 1, 0};
  p.predicted = {0, 2, 2, 1, 1, 0};
  p.probability = {0.9f, 0.6f, 0.8f, 0.5f, 0.7f, 0.99f};
  EXPECT_EQ(p.correct(), 4);
  EXPECT_EQ(p.confusion(), (std::vector<int64_t>{2, 0, 0, 0, 1, 1, 0, 1, 1}));
  ScratchDir dir;
  plot::write_misclassified_csv(dir / "m.csv", p);
  const nnzero::CsvTable t = nnzero::read_csv(dir / "m.csv");
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"1", "1", "2", "0.600000024"}));
  EXPECT_EQ(t.rows[1][0], "3");
  plot::draw_confusion(dir / "c.png", p, "three classes");
  EXPECT_EQ(png_size(dir / "c.png"),
            (std::pair<int64_t, int64_t>{plot::kConfusionWidth, plot::kConfusionHeight}));
}

// Colour samples (an image folder's, normalised by its channel statistics) are drawn in their
// own colours, the normalisation undone, and the captions name the classes.
TEST(EvalFigures, ColourMistakesAreDrawnInTheirColours) {
  nnzero::Dataset data;
  data.sample_shape = nnzero::Shape{3, 8, 8};
  data.pixels = nnzero::PackedImages(3 * 8 * 8);
  data.num_classes = 2;
  data.labels = {0, 1};
  for (int colour = 0; colour < 2; ++colour) {  // red, then green
    std::vector<uint8_t> planes(3 * 64, 0);
    std::fill_n(planes.begin() + colour * 64, 64, uint8_t{255});
    data.pixels.append(planes);
  }
  data.norm.mean = {0.5f, 0.4f, 0.3f};
  data.norm.std = {0.25f, 0.2f, 0.1f};
  plot::Predictions p;
  p.classes = 2;
  p.labels = {0, 1};
  p.predicted = {1, 0};
  p.probability = {0.6f, 0.7f};
  p.class_names = {"red", "green"};
  EXPECT_EQ(p.name_of(1), "green");
  ScratchDir dir;
  const int height = plot::draw_misclassified(dir / "m.png", data, p, 40, 10, "colours");
  const std::vector<uint8_t> bytes = nnzero::read_file(dir / "m.png");
  const nnzero::ImagePlanes png = nnzero::decode_image_planes(bytes, "m.png", 3);
  ASSERT_EQ(png.width, plot::kMistakesWidth);
  ASSERT_EQ(png.height, height);
  int64_t red = 0, green = 0;
  const int64_t n = png.width * png.height;
  for (int64_t i = 0; i < n; ++i) {
    const float r = png.values[i], g = png.values[n + i], b = png.values[2 * n + i];
    red += r == 255 && g == 0 && b == 0;
    green += r == 0 && g == 255 && b == 0;
  }
  EXPECT_GT(red, 1000);  // a panel of about 60 x 60 pixels each
  EXPECT_GT(green, 1000);
}
