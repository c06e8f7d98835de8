// Chapter 6.1's optimizers, through nnzero's own Optimizer classes:
//   optimizer-paths   SGD (lr 0.95), Momentum (0.1), AdaGrad (1.5) and Adam (0.3) for 30
//                     steps on f(x, y) = x^2 / 20 + y^2 from (-7, 2) (optimizer_compare_naive.py)
//   optimizers-mnist  the four on MNIST: a 784-100x4-10 ReLU network (He), mini-batches of
//                     128, 2,000 steps, the loss smoothed (optimizer_compare_mnist.py)
#include <algorithm>
#include <cmath>

#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/model/builtin.h"
#include "nnzero/plot/page.h"
#include "nnzero/train/optimizer.h"
#include "support.h"

namespace nnzero::book {

using plot::Axes;
using plot::Line;

namespace {
struct Method {
  const char* name;  // nnzero's optimizer name
  const char* label;
  float lr;  // the book's, for this picture
};
constexpr Method kNaive[] = {{"sgd", "SGD", 0.95f},
                             {"momentum", "Momentum", 0.1f},
                             {"adagrad", "AdaGrad", 1.5f},
                             {"adam", "Adam", 0.3f}};

// df/dx, df/dy of f = x^2 / 20 + y^2.
void gradient(const Tensor& p, Tensor& g) {
  g[0] = p[0] / 10.0f;
  g[1] = 2.0f * p[1];
}

struct Path {
  std::vector<double> x, y;
  int64_t steps_to_origin = -1;  // first step with |x| < 0.1 and |y| < 0.1
};

Path follow(const Method& m, int64_t steps) {
  Param p{.name = "xy", .value = Tensor(Shape{2}, {-7.0f, 2.0f}), .grad = Tensor(Shape{2})};
  std::unique_ptr<Optimizer> opt = make_optimizer(m.name, {&p}, m.lr);
  Path path;
  for (int64_t s = 0; s < steps; ++s) {
    path.x.push_back(p.value[0]);
    path.y.push_back(p.value[1]);
    if (path.steps_to_origin < 0 && std::abs(p.value[0]) < 0.1f && std::abs(p.value[1]) < 0.1f) {
      path.steps_to_origin = s;
    }
    gradient(p.value, p.grad);
    opt->step();
  }
  return path;
}

plot::Grid ellipses() {
  plot::Grid g;
  for (int i = 0; i <= 200; ++i) g.x.push_back(-10.0 + 0.1 * i);
  for (int j = 0; j <= 100; ++j) g.y.push_back(-5.0 + 0.1 * j);
  for (double x : g.x) {
    for (double y : g.y) g.z.push_back(x * x / 20.0 + y * y);
  }
  return g;
}
}  // namespace

FigureOutput optimizer_paths(const FigureOptions& o) {
  const int64_t steps = or_book(o.iterations, 30);
  plot::Page page(1000, 840);
  page.title("Four optimizers on f(x, y) = x²/20 + y² from (-7, 2) (Figures 6-3, 6-5, 6-6, 6-8)");
  const plot::Box area{0.07, 0.97, 0.07, 0.9};
  const plot::Grid f = ellipses();
  CsvWriter csv({"optimizer", "lr", "step", "x", "y"});
  nlohmann::json summary = nlohmann::json::object();
  for (int k = 0; k < 4; ++k) {
    const Method& m = kNaive[k];
    const Path path = follow(m, steps);
    char title[64];
    std::snprintf(title, sizeof title, "%s (lr %g)", m.label, m.lr);
    page.axes(plot::grid_cell(area, 2, 2, k, 0.07, 0.1), Axes{.title = title,
                                                              .xlabel = "x",
                                                              .ylabel = "y",
                                                              .xmin = -10,
                                                              .xmax = 10,
                                                              .ymin = -10,
                                                              .ymax = 10});
    page.contour(f, {0.25, 1, 2, 3, 4, 5, 6, 7}, {120, 160, 200});
    page.line({.x = path.x,
               .y = path.y,
               .color = {214, 39, 40},
               .width = 1.5,
               .marker = plot::Marker::circle});
    page.line({.x = {0},
               .y = {0},
               .color = plot::kBlack,
               .draw_line = false,
               .marker = plot::Marker::cross});
    for (size_t s = 0; s < path.x.size(); ++s) {
      csv.add({m.name, CsvWriter::number(m.lr), std::to_string(s), CsvWriter::number(path.x[s]),
               CsvWriter::number(path.y[s])});
    }
    summary[m.name] = {
        {"steps_to_within_0.1",
         path.steps_to_origin < 0 ? nlohmann::json(nullptr) : nlohmann::json(path.steps_to_origin)},
        {"final", {path.x.back(), path.y.back()}}};
  }
  FigureOutput out;
  out.files = {out_path(o, "optimizer-paths.png"), out_path(o, "optimizer-paths.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = summary;
  return out;
}

namespace {
constexpr Method kMnist[] = {{"sgd", "SGD", 0.0f},
                             {"momentum", "Momentum", 0.0f},
                             {"adagrad", "AdaGrad", 0.0f},
                             {"adam", "Adam", 0.0f}};  // lr 0: the book's defaults
}

FigureOutput optimizers_mnist(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, 1);
  const int64_t steps = or_book(o.iterations, 2000);
  const plot::Marker markers[] = {plot::Marker::circle, plot::Marker::cross, plot::Marker::square,
                                  plot::Marker::diamond};
  std::vector<std::vector<double>> losses;
  std::vector<Line> lines;
  nlohmann::json summary = nlohmann::json::object();
  for (int k = 0; k < 4; ++k) {
    Rng rng(o.seed);
    Sequential net(builtin_spec("multi_layer_net"), rng);  // 784-100x4-10, ReLU, He
    losses.push_back(step_losses(net, mnist.train, kMnist[k].name, 0.0f, 128, steps, o.seed));
    lines.push_back(
        smoothed_loss_line(losses.back(), static_cast<size_t>(k), markers[k], kMnist[k].label));
    summary[kMnist[k].name] = {{"mean_loss_last_10pct", mean_of_last_tenth(losses.back())}};
  }
  plot::Page page(900, 600);
  page.title("Optimizers on MNIST: 784-100x4-10 ReLU, batch 128 (Figure 6-9)");
  page.axes({0.1, 0.96, 0.1, 0.88}, Axes{.xlabel = "iterations",
                                         .ylabel = "loss (smoothed)",
                                         .xmin = 0,
                                         .xmax = static_cast<double>(steps),
                                         .ymin = 0,
                                         .ymax = 1});
  for (const Line& l : lines) page.line(l);
  page.legend(lines, plot::Corner::top_right);

  FigureOutput out;
  out.files = {out_path(o, "optimizers-mnist.png"), out_path(o, "optimizers-mnist.csv")};
  page.save(out.files[0]);
  CsvWriter csv({"iteration", "sgd", "momentum", "adagrad", "adam"});
  for (size_t i = 0; i < losses[0].size(); ++i) {
    csv.add_numbers(
        {static_cast<double>(i), losses[0][i], losses[1][i], losses[2][i], losses[3][i]});
  }
  csv.save(out.files[1]);
  out.summary = summary;
  return out;
}

}  // namespace nnzero::book
