// Chapter 3's activation functions (Figures 3-6 to 3-9, the book's step_function.py,
// sigmoid.py, sig_step_compare.py and relu.py): x from -5 to 5 in steps of 0.1 through
// nnzero's step_function, sigmoid and relu.
#include "chapters.h"
#include "nnzero/functions/activation.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/plot/page.h"
#include "support.h"

namespace nnzero::book {

using plot::Axes;
using plot::Line;

namespace {
std::vector<double> values(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t[i];
  return v;
}
}  // namespace

FigureOutput activations(const FigureOptions& o) {
  std::vector<float> xs;
  for (int i = 0; i < 100; ++i)
    xs.push_back(static_cast<float>(-5.0 + 0.1 * i));  // arange(-5, 5, 0.1)
  const Tensor x(Shape{static_cast<int64_t>(xs.size())}, xs);
  const std::vector<double> xd = values(x), step = values(step_function(x)),
                            sig = values(sigmoid(x)), rel = values(relu(x));

  plot::Page page(900, 700);
  page.title("Activation functions (Figures 3-6 to 3-9)");
  const plot::Box area{0.09, 0.97, 0.09, 0.88};
  auto panel = [&](int k, const std::string& title, double ymin, double ymax) {
    page.axes(plot::grid_cell(area, 2, 2, k, 0.1, 0.14), Axes{.title = title,
                                                              .xlabel = "x",
                                                              .ylabel = "h(x)",
                                                              .xmin = -6,
                                                              .xmax = 6,
                                                              .ymin = ymin,
                                                              .ymax = ymax});
  };
  const Line step_line{
      .x = xd, .y = step, .color = plot::series_color(0), .width = 2, .label = "step function"};
  const Line sig_line{
      .x = xd, .y = sig, .color = plot::series_color(0), .width = 2, .label = "sigmoid"};
  panel(0, "step function (Figure 3-6)", -0.1, 1.1);
  page.line(step_line);
  panel(1, "sigmoid (Figure 3-7)", -0.1, 1.1);
  page.line(sig_line);
  panel(2, "sigmoid and step function (Figure 3-8)", -0.1, 1.1);
  page.line(sig_line);
  Line dashed = step_line;
  dashed.dashed = true;
  dashed.color = plot::kBlack;
  page.line(dashed);
  page.legend({sig_line, dashed}, plot::Corner::bottom_right);
  panel(3, "ReLU (Figure 3-9)", -1, 5.5);
  page.line({.x = xd, .y = rel, .color = plot::series_color(0), .width = 2});

  FigureOutput out;
  out.files = {out_path(o, "activations.png"), out_path(o, "activations.csv")};
  page.save(out.files[0]);
  CsvWriter csv({"x", "step", "sigmoid", "relu"});
  for (size_t i = 0; i < xd.size(); ++i) csv.add_numbers({xd[i], step[i], sig[i], rel[i]});
  csv.save(out.files[1]);
  out.summary = {{"points", xd.size()}, {"sigmoid_at_0", sig[50]}};
  return out;
}

}  // namespace nnzero::book
