// Chapter 7's pictures of a trained SimpleConvNet (conv 30x5x5 - ReLU - pool - 100 - 10):
//   conv-filters  the first layer's 30 filters before and after training (visualize_filter.py,
//                 Figure 7-24): random noise becomes edge and blob detectors
//   feature-maps  what those filters (with the ReLU after them) make of one test digit
#include <algorithm>
#include <cmath>

#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/model/builtin.h"
#include "nnzero/plot/page.h"
#include "support.h"

namespace nnzero::book {

namespace {
// The first layer's weights (F, 1, K, K), checked to be a convolution of one channel.
const Tensor& first_filters(Sequential& model) {
  Layer& first = model.layer(0);
  if (std::string(first.type()) != "conv2d" || first.in_shape()[0] != 1) {
    throw Error("the figure needs a model whose first layer is a conv2d on one channel (" +
                model.spec().name + "'s is " + first.type() + ")");
  }
  return first.params().front()->value;
}

std::vector<float> filter_pixels(const Tensor& w, int64_t f) {
  const int64_t k2 = w.shape()[2] * w.shape()[3];
  return std::vector<float>(w.data() + f * k2, w.data() + (f + 1) * k2);
}

double std_dev(const Tensor& w) {
  double mean = 0.0, sq = 0.0;
  for (float v : w.span()) mean += v;
  mean /= static_cast<double>(w.numel());
  for (float v : w.span()) sq += (v - mean) * (v - mean);
  return std::sqrt(sq / static_cast<double>(w.numel()));
}

// The correlation of horizontally adjacent weights within a filter, averaged over the
// filters: about 0 for random noise, clearly positive for smooth strokes and edges.
double neighbour_correlation(const Tensor& w) {
  const int64_t filters = w.shape()[0], k = w.shape()[3], rows = w.shape()[2];
  double sum = 0.0;
  for (int64_t f = 0; f < filters; ++f) {
    std::vector<double> a, b;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c + 1 < k; ++c) {
        a.push_back(w[(f * rows + r) * k + c]);
        b.push_back(w[(f * rows + r) * k + c + 1]);
      }
    }
    double ma = 0, mb = 0;
    for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
    ma /= static_cast<double>(a.size());
    mb /= static_cast<double>(b.size());
    double cov = 0, va = 0, vb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      cov += (a[i] - ma) * (b[i] - mb);
      va += (a[i] - ma) * (a[i] - ma);
      vb += (b[i] - mb) * (b[i] - mb);
    }
    sum += va > 0 && vb > 0 ? cov / std::sqrt(va * vb) : 0.0;
  }
  return sum / static_cast<double>(filters);
}

// 30 filters in 3 rows of 10 within `area`, each scaled to its own range (as imshow does).
void draw_filters(plot::Page& page, const plot::Box& area, const Tensor& w,
                  const std::string& label) {
  const int64_t filters = w.shape()[0], k = w.shape()[2];
  const int columns = 10, rows = static_cast<int>((filters + columns - 1) / columns);
  page.page_text(0.5, area.top + 0.035, label);
  for (int64_t f = 0; f < filters; ++f) {
    const std::vector<float> px = filter_pixels(w, f);
    const auto [lo, hi] = std::minmax_element(px.begin(), px.end());
    const plot::Box b =
        page.square_within(plot::grid_cell(area, rows, columns, static_cast<int>(f), 0.012, 0.02));
    page.image(b, px, k, k, *lo, *hi, plot::ColorMap::grey_reversed);
  }
}

void add_filters(CsvWriter& csv, const std::string& stage, const Tensor& w) {
  const int64_t filters = w.shape()[0], k = w.shape()[3], rows = w.shape()[2];
  for (int64_t f = 0; f < filters; ++f) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < k; ++c) {
        csv.add({stage, std::to_string(f), std::to_string(r), std::to_string(c),
                 CsvWriter::number(w[(f * rows + r) * k + c])});
      }
    }
  }
}
}  // namespace

FigureOutput conv_filters(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, o.test_samples);
  Rng rng(o.seed);
  Sequential fresh(builtin_spec("simple_convnet"), rng);  // the initial weights, std 0.01
  const Tensor before = first_filters(fresh).clone();
  const std::unique_ptr<Sequential> trained = trained_model(o, "simple_convnet", mnist, 20);
  const Tensor& after = first_filters(*trained);

  plot::Page page(1000, 560);
  page.title("The first convolution layer's 30 filters (Figure 7-24)");
  draw_filters(page, {0.03, 0.97, 0.5, 0.85}, before, "before training (random, std 0.01)");
  draw_filters(page, {0.03, 0.97, 0.04, 0.39}, after,
               o.model_file.empty() ? "after training" : "after training (" + o.model_file + ")");
  CsvWriter csv({"stage", "filter", "row", "col", "weight"});
  add_filters(csv, "before", before);
  add_filters(csv, "after", after);

  FigureOutput out;
  out.files = {out_path(o, "conv-filters.png"), out_path(o, "conv-filters.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = {{"std_before", std_dev(before)},
                 {"std_after", std_dev(after)},
                 {"neighbour_correlation_before", neighbour_correlation(before)},
                 {"neighbour_correlation_after", neighbour_correlation(after)}};
  return out;
}

FigureOutput feature_maps(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, o.test_samples);
  const std::unique_ptr<Sequential> model = trained_model(o, "simple_convnet", mnist, 20);
  (void)first_filters(*model);
  Tensor x;
  const int32_t first[1] = {0};  // the test set's first digit, a 7
  gather_images(mnist.test, first, model->input_shape(), x);
  const Tensor& conv = model->layer(0).forward(x, false);
  const Tensor& maps = model->layer(1).forward(conv, false);  // ReLU (or a pass-through
                                                              // when the conv applied it)
  const int64_t n_maps = maps.shape()[1], h = maps.shape()[2], w = maps.shape()[3];

  plot::Page page(1100, 520);
  page.title("One test digit through the first convolution layer and its ReLU: 30 feature maps");
  std::vector<float> digit(x.data(), x.data() + x.numel());
  const int64_t side = model->input_shape()[1];
  page.image({0.02, 0.02 + 200.0 / 1100, 0.3, 0.3 + 200.0 / 520}, digit, side, side, 0, 1,
             plot::ColorMap::grey_reversed, "input", 1.0);
  CsvWriter csv({"map", "row", "col", "value"});
  int responsive = 0;
  const plot::Box area{0.23, 0.99, 0.05, 0.86};
  for (int64_t m = 0; m < n_maps; ++m) {
    const std::vector<float> px(maps.data() + m * h * w, maps.data() + (m + 1) * h * w);
    // Each map shaded from 0 (white) to its own largest response (black): on one shared
    // scale the strongest map would leave the others barely visible; a dead map stays white.
    const float top = *std::max_element(px.begin(), px.end());
    responsive += top > 0.0f;
    const plot::Box b = page.square_within(plot::grid_cell(
        area, static_cast<int>((n_maps + 9) / 10), 10, static_cast<int>(m), 0.008, 0.06));
    page.image(b, px, w, h, 0, top, plot::ColorMap::grey_reversed, std::to_string(m + 1), 0.8);
    for (int64_t r = 0; r < h; ++r) {
      for (int64_t c = 0; c < w; ++c) {
        csv.add_numbers({static_cast<double>(m + 1), static_cast<double>(r), static_cast<double>(c),
                         px[static_cast<size_t>(r * w + c)]});
      }
    }
  }
  FigureOutput out;
  out.files = {out_path(o, "feature-maps.png"), out_path(o, "feature-maps.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = {
      {"maps", n_maps}, {"maps_with_a_response", responsive}, {"label", mnist.test.labels[0]}};
  return out;
}

}  // namespace nnzero::book
