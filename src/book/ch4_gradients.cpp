// Chapter 4's pictures of gradients, each computed with nnzero's numerical_gradient:
//   numerical-diff     f(x) = 0.01 x^2 + 0.1 x and its tangent at x = 5 (gradient_1d.py)
//   gradient-field     -grad f of f(x0, x1) = x0^2 + x1^2 on a grid (gradient_2d.py)
//   gradient-descent   20 steps of x <- x - 0.1 grad f from (-3, 4) (gradient_method.py)
#include <cmath>

#include "chapters.h"
#include "nnzero/functions/numerical_gradient.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/plot/page.h"
#include "support.h"

namespace nnzero::book {

using plot::Axes;
using plot::Line;

namespace {
double function_1(const Tensor& x) {
  const double v = x[0];
  return 0.01 * v * v + 0.1 * v;
}

double function_2(const Tensor& x) {
  return static_cast<double>(x[0]) * x[0] + static_cast<double>(x[1]) * x[1];
}

// The book's numerical_diff(f, x): the central difference at one point.
double slope_at(double x) {
  Tensor t(Shape{1}, {static_cast<float>(x)});
  return numerical_gradient(function_1, t)[0];
}

std::vector<float> arange(double from, double to, double step) {
  std::vector<float> v;
  for (int i = 0; from + step * i < to - 1e-9; ++i)
    v.push_back(static_cast<float>(from + step * i));
  return v;
}
}  // namespace

FigureOutput numerical_diff(const FigureOptions& o) {
  const double at = 5.0, slope = slope_at(at), f_at = 0.01 * at * at + 0.1 * at;
  Line f{.color = plot::series_color(0), .width = 2, .label = "f(x) = 0.01x² + 0.1x"};
  Line tangent{.color = plot::series_color(1),
               .width = 1.5,
               .dashed = true,
               .label = "tangent at x = 5 (numerical slope)"};
  for (float x : arange(0.0, 20.0, 0.1)) {
    f.x.push_back(x);
    f.y.push_back(0.01 * x * x + 0.1 * x);
    tangent.x.push_back(x);
    tangent.y.push_back(slope * (x - at) + f_at);
  }
  plot::Page page(800, 520);
  page.title("Numerical differentiation (Figure 4-2)");
  page.axes({0.1, 0.96, 0.12, 0.86},
            Axes{.xlabel = "x", .ylabel = "f(x)", .xmin = 0, .xmax = 20, .ymin = -1, .ymax = 6});
  page.line(f);
  page.line(tangent);
  page.line({.x = {at},
             .y = {f_at},
             .color = plot::kBlack,
             .draw_line = false,
             .marker = plot::Marker::circle});
  page.legend({f, tangent}, plot::Corner::top_left);

  FigureOutput out;
  out.files = {out_path(o, "numerical-diff.png"), out_path(o, "numerical-diff.csv")};
  page.save(out.files[0]);
  CsvWriter csv({"x", "f", "tangent"});
  for (size_t i = 0; i < f.x.size(); ++i) csv.add_numbers({f.x[i], f.y[i], tangent.y[i]});
  csv.save(out.files[1]);
  out.summary = {{"slope_at_5", slope}, {"slope_at_10", slope_at(10.0)}};
  return out;
}

FigureOutput gradient_field(const FigureOptions& o) {
  plot::VectorField field;
  for (float v : arange(-2.0, 2.5, 0.25)) {
    field.x.push_back(v);
    field.y.push_back(v);
  }
  CsvWriter csv({"x0", "x1", "minus_grad_x0", "minus_grad_x1"});
  for (double x0 : field.x) {
    for (double x1 : field.y) {
      Tensor x(Shape{2}, {static_cast<float>(x0), static_cast<float>(x1)});
      const Tensor g = numerical_gradient(function_2, x);
      field.u.push_back(-g[0]);
      field.v.push_back(-g[1]);
      csv.add_numbers({x0, x1, -g[0], -g[1]});
    }
  }
  plot::Page page(700, 680);
  page.title("The gradient of f(x0, x1) = x0² + x1², negated (Figure 4-9)");
  page.axes({0.12, 0.95, 0.1, 0.88},
            Axes{.xlabel = "x0", .ylabel = "x1", .xmin = -2, .xmax = 2, .ymin = -2, .ymax = 2});
  page.arrows(field, 0.45, {102, 102, 102});

  FigureOutput out;
  out.files = {out_path(o, "gradient-field.png"), out_path(o, "gradient-field.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = {{"points", field.u.size()}};
  return out;
}

FigureOutput gradient_descent_path(const FigureOptions& o) {
  const int64_t steps = or_book(o.iterations, 20);
  const float lr = 0.1f;
  Tensor x(Shape{2}, {-3.0f, 4.0f});
  Line path{.color = plot::series_color(0),
            .width = 1,
            .draw_line = false,
            .marker = plot::Marker::circle,
            .label = "x after each step (lr 0.1)"};
  CsvWriter csv({"step", "x0", "x1"});
  for (int64_t s = 0; s <= steps; ++s) {
    path.x.push_back(x[0]);
    path.y.push_back(x[1]);
    csv.add_numbers({static_cast<double>(s), x[0], x[1]});
    const Tensor g = numerical_gradient(function_2, x);  // x <- x - lr grad f(x)
    x[0] -= lr * g[0];
    x[1] -= lr * g[1];
  }
  plot::Page page(700, 680);
  page.title("Gradient descent on f(x0, x1) = x0² + x1² (Figure 4-10)");
  page.axes(
      {0.12, 0.95, 0.1, 0.88},
      Axes{.xlabel = "x0", .ylabel = "x1", .xmin = -3.5, .xmax = 3.5, .ymin = -4.5, .ymax = 4.5});
  page.line({.x = {-5, 5}, .y = {0, 0}, .color = plot::kGrey, .width = 1, .dashed = true});
  page.line({.x = {0, 0}, .y = {-5, 5}, .color = plot::kGrey, .width = 1, .dashed = true});
  page.line(path);
  page.legend({path}, plot::Corner::top_right);

  FigureOutput out;
  out.files = {out_path(o, "gradient-descent.png"), out_path(o, "gradient-descent.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = {{"steps", steps}, {"final", {path.x.back(), path.y.back()}}};
  return out;
}

}  // namespace nnzero::book
