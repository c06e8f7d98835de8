#include "nnzero/plot/eval_figures.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "nnzero/error.h"
#include "nnzero/functions/activation.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/io/file.h"
#include "nnzero/plot/page.h"
#include "nnzero/train/evaluate.h"

namespace nnzero::plot {

namespace fs = std::filesystem;

std::string Predictions::name_of(int32_t k) const {
  return k >= 0 && static_cast<size_t>(k) < class_names.size() ? class_names[static_cast<size_t>(k)]
                                                               : std::to_string(k);
}

int64_t Predictions::correct() const {
  int64_t n = 0;
  for (size_t i = 0; i < labels.size(); ++i) n += labels[i] == predicted[i];
  return n;
}

std::vector<int64_t> Predictions::confusion() const {
  std::vector<int64_t> m(static_cast<size_t>(classes) * static_cast<size_t>(classes), 0);
  for (size_t i = 0; i < labels.size(); ++i) {
    ++m[static_cast<size_t>(labels[i]) * static_cast<size_t>(classes) +
        static_cast<size_t>(predicted[i])];
  }
  return m;
}

Predictions predict_all(Model& model, const Dataset& data, int64_t batch, int64_t limit) {
  if (data.is_regression()) throw Error("figures: the data is a regression set, not classes");
  const int64_t n = limit > 0 ? std::min(limit, data.size()) : data.size();
  const int64_t outputs = model.output_shape()[0];
  Predictions p;
  p.classes = static_cast<int32_t>(outputs);
  std::vector<int32_t> indices, labels, argmax;
  std::vector<float> prob(static_cast<size_t>(outputs));
  Tensor x;
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t count = std::min(batch, n - begin);
    indices.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      indices[static_cast<size_t>(i)] = static_cast<int32_t>(begin + i);
    gather_images(data, indices, model.input_shape(), x);
    gather_labels(data, indices, labels);
    const Tensor& scores = model.forward(x, false);
    argmax_rows(scores, argmax);
    for (int64_t i = 0; i < count; ++i) {
      softmax_row(scores.data() + i * outputs, prob.data(), outputs);
      const int32_t k = argmax[static_cast<size_t>(i)];
      p.labels.push_back(labels[static_cast<size_t>(i)]);
      p.predicted.push_back(k);
      p.probability.push_back(prob[static_cast<size_t>(k)]);
    }
  }
  for (int32_t label : p.labels) {
    if (label < 0 || label >= p.classes) {
      throw Error("figures: a label " + std::to_string(label) + " is beyond the model's " +
                  std::to_string(p.classes) + " outputs");
    }
  }
  return p;
}

namespace {
// The blues ramp of Page's heat maps, for cells drawn as rectangles.
Rgb blue_shade(double t) {
  t = std::clamp(t, 0.0, 1.0);
  t = std::round(t * 24.0) / 24.0;  // 25 shades: a few palette entries, not one per cell
  auto mix = [](double a, double b, double u) {
    return static_cast<uint8_t>(std::lround(255.0 * (a + (b - a) * u)));
  };
  if (t < 0.5) {
    const double u = t / 0.5;
    return {mix(1, 0.42, u), mix(1, 0.68, u), mix(1, 0.84, u)};
  }
  const double u = (t - 0.5) / 0.5;
  return {mix(0.42, 0.03, u), mix(0.68, 0.19, u), mix(0.84, 0.42, u)};
}

// (height, width) of one sample drawn as a grey image.
std::pair<int64_t, int64_t> image_size(const Shape& s) {
  if (s.rank() == 3) return {s[1], s[2]};
  if (s.rank() == 2) return {s[0], s[1]};
  const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(s.numel()))));
  if (side * side != s.numel()) {
    throw Error("figures: samples of shape " + s.str() + " are not square images");
  }
  return {side, side};
}

// One sample as the image it was, channels x h x w values in [0, 1]: the batch values with
// the data set's normalisation undone (an image folder's mean and standard deviation).
Tensor sample_values(const Dataset& data, int32_t index, int64_t h, int64_t w) {
  Tensor x;
  const int32_t one[1] = {index};
  gather_images(data, one, data.sample_shape, x);
  const int64_t channels = x.numel() / (h * w);
  for (int64_t c = 0; c < channels && !data.norm.empty(); ++c) {
    const auto k = static_cast<size_t>(c);
    for (int64_t i = 0; i < h * w; ++i) {
      x[c * h * w + i] = x[c * h * w + i] * data.norm.std[k] + data.norm.mean[k];
    }
  }
  return x;
}

// One sample's pixels, averaged over its channels, rows from the top.
std::vector<float> sample_pixels(const Dataset& data, int32_t index, int64_t h, int64_t w) {
  const Tensor x = sample_values(data, index, h, w);
  const int64_t channels = x.numel() / (h * w);
  std::vector<float> pixels(static_cast<size_t>(h * w), 0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t i = 0; i < h * w; ++i) {
      pixels[static_cast<size_t>(i)] += x[c * h * w + i] / static_cast<float>(channels);
    }
  }
  return pixels;
}

// A 3-channel sample as interleaved R, G, B bytes, rows from the top.
std::vector<uint8_t> sample_rgb(const Dataset& data, int32_t index, int64_t h, int64_t w) {
  const Tensor x = sample_values(data, index, h, w);
  std::vector<uint8_t> rgb(static_cast<size_t>(h * w * 3));
  for (int64_t i = 0; i < h * w; ++i) {
    for (int64_t c = 0; c < 3; ++c) {
      const float v = std::clamp(x[c * h * w + i], 0.0f, 1.0f);
      rgb[static_cast<size_t>(i * 3 + c)] = static_cast<uint8_t>(std::lround(v * 255.0f));
    }
  }
  return rgb;
}
}  // namespace

void draw_confusion(const std::string& png, const Predictions& p, const std::string& title) {
  const int32_t k = p.classes;
  const std::vector<int64_t> m = p.confusion();
  Page page(kConfusionWidth, kConfusionHeight);
  page.title(title);
  const Box where{0.12, 0.95, 0.1, 0.86};
  const Axes frame{.xmin = 0,
                   .xmax = static_cast<double>(k),
                   .ymin = 0,
                   .ymax = static_cast<double>(k),
                   .x_numbers = false,
                   .y_numbers = false,
                   .grid = false};
  page.axes(where, frame);
  page.set_text_scale(k > 12 ? 0.5 : 0.8);
  for (int32_t t = 0; t < k; ++t) {
    int64_t row = 0;
    for (int32_t c = 0; c < k; ++c) row += m[static_cast<size_t>(t * k + c)];
    for (int32_t c = 0; c < k; ++c) {
      const int64_t count = m[static_cast<size_t>(t * k + c)];
      // Shaded by the square root of the row's share, so that 2 % of a row still shows.
      const double share =
          row > 0 ? std::sqrt(static_cast<double>(count) / static_cast<double>(row)) : 0.0;
      const double y = k - 1 - t;  // true class 0 at the top, as the matrix is printed
      page.rectangle(c, y, c + 1, y + 1, blue_shade(share));
      page.text(c + 0.5, y + 0.38, std::to_string(count), 0.5,
                share > 0.55 ? Rgb{255, 255, 255} : kBlack);
    }
    page.edge_text("b", 1.2, (t + 0.5) / k, std::to_string(t));
    const std::string row_name =
        p.class_names.empty() ? std::to_string(t) : p.name_of(t) + " " + std::to_string(t);
    page.edge_text("lv", 1.0, (k - t - 0.5) / k, row_name, 1.0);
  }
  page.set_text_scale(1.0);
  page.axes(where, frame);  // the frame again, over the cells
  page.edge_text(
      "b", 2.8, 0.5,
      p.class_names.empty() ? "predicted class" : "predicted class (numbered as the rows)");
  page.edge_text("l", 2.6, 0.5, "true class");
  page.save(png);
}

int draw_misclassified(const std::string& png, const Dataset& data, const Predictions& p,
                       int max_images, int columns, const std::string& title) {
  std::vector<int32_t> wrong;
  for (size_t i = 0; i < p.labels.size(); ++i) {
    if (p.labels[i] != p.predicted[i]) wrong.push_back(static_cast<int32_t>(i));
  }
  const int shown = std::min<int>(max_images, static_cast<int>(wrong.size()));
  const int rows = std::max(1, (shown + columns - 1) / columns);
  const int cell = kMistakesWidth / columns;
  const int height = 90 + rows * (cell + 10);
  Page page(kMistakesWidth, height);
  page.title(title);
  const auto [h, w] = image_size(data.sample_shape);
  const bool colour = data.sample_shape.rank() == 3 && data.sample_shape[0] == 3;
  const double caption_scale = p.class_names.empty() ? 1.0 : 0.7;
  const double top = 1.0 - 70.0 / height;
  const Box area{0.02, 0.98, 10.0 / height, top};
  for (int i = 0; i < shown; ++i) {
    const int32_t index = wrong[static_cast<size_t>(i)];
    const Box b = page.square_within(grid_cell(area, rows, columns, i, 0.02, 30.0 / height));
    const std::string caption = p.name_of(p.labels[static_cast<size_t>(index)]) + " → " +
                                p.name_of(p.predicted[static_cast<size_t>(index)]);
    if (colour) {
      page.colour_image(b, sample_rgb(data, index, h, w), w, h, caption, caption_scale);
    } else {  // MNIST's digits dark on white, as the book draws them; a grey photo as it is
      page.image(b, sample_pixels(data, index, h, w), w, h, 0.0, 1.0,
                 p.class_names.empty() ? ColorMap::grey_reversed : ColorMap::grey, caption,
                 caption_scale);
    }
  }
  if (shown == 0) page.page_text(0.5, 0.5, "no misclassified images");
  page.save(png);
  return height;
}

void write_confusion_csv(const std::string& path, const Predictions& p) {
  std::vector<std::string> header = {"true"};
  for (int32_t c = 0; c < p.classes; ++c) header.push_back("predicted_" + std::to_string(c));
  CsvWriter csv(header);
  const std::vector<int64_t> m = p.confusion();
  for (int32_t t = 0; t < p.classes; ++t) {
    std::vector<double> row = {static_cast<double>(t)};
    for (int32_t c = 0; c < p.classes; ++c)
      row.push_back(static_cast<double>(m[static_cast<size_t>(t * p.classes + c)]));
    csv.add_numbers(row);
  }
  csv.save(path);
}

void write_misclassified_csv(const std::string& path, const Predictions& p) {
  CsvWriter csv({"index", "label", "predicted", "probability"});
  for (size_t i = 0; i < p.labels.size(); ++i) {
    if (p.labels[i] == p.predicted[i]) continue;
    csv.add_numbers({static_cast<double>(i), static_cast<double>(p.labels[i]),
                     static_cast<double>(p.predicted[i]), p.probability[i]});
  }
  csv.save(path);
}

FigureFiles write_eval_figures(const std::string& dir, const Dataset& data, const Predictions& p,
                               const std::string& model_name) {
  make_directories(dir);
  const fs::path d(dir);
  const auto n = static_cast<int64_t>(p.labels.size());
  char accuracy[64];
  std::snprintf(
      accuracy, sizeof accuracy, "%.2f %%",
      100.0 * static_cast<double>(p.correct()) / static_cast<double>(std::max<int64_t>(n, 1)));
  FigureFiles f;
  f.files = {(d / "confusion.png").string(), (d / "confusion.csv").string(),
             (d / "misclassified.png").string(), (d / "misclassified.csv").string()};
  draw_confusion(
      f.files[0], p,
      model_name + " on " + std::to_string(n) + " test images: " + accuracy + " correct");
  write_confusion_csv(f.files[1], p);
  draw_misclassified(f.files[2], data, p, 40, 10,
                     model_name + ": misclassified test images, true → predicted (" +
                         std::to_string(n - p.correct()) + " in all)");
  write_misclassified_csv(f.files[3], p);
  return f;
}

}  // namespace nnzero::plot
