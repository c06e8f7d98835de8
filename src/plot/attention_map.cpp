#include "nnzero/plot/attention_map.h"

#include <algorithm>
#include <cmath>

#include "nnzero/error.h"
#include "nnzero/plot/page.h"

namespace nnzero::plot {

namespace {

// A space is drawn as a middle dot so that padding shows.
std::string shown(const std::string& c) {
  return c == " " ? "·" : c;
}

}  // namespace

void draw_attention(const std::string& png, const std::vector<float>& weights,
                    const std::vector<std::string>& answer,
                    const std::vector<std::string>& question, const std::string& title) {
  const auto rows = static_cast<int>(answer.size()), cols = static_cast<int>(question.size());
  if (rows == 0 || cols == 0 || weights.size() != answer.size() * question.size()) {
    throw Error("attention picture: expected " + std::to_string(rows) + " x " +
                std::to_string(cols) + " weights, got " + std::to_string(weights.size()));
  }
  // Square cells: the page grows with the question and the answer.
  const int cell = std::clamp(720 / std::max(cols, rows), 16, 40);
  const int width = 140 + cols * cell, height = 170 + rows * cell;
  Page page(width, height);
  page.title(title);
  const Box where{100.0 / width, 1.0 - 40.0 / width, 80.0 / height, 1.0 - 90.0 / height};
  const Axes frame{.xmin = 0,
                   .xmax = static_cast<double>(cols),
                   .ymin = 0,
                   .ymax = static_cast<double>(rows),
                   .x_numbers = false,
                   .y_numbers = false,
                   .grid = false};
  page.axes(where, frame);
  for (int r = 0; r < rows; ++r) {
    const double y = rows - 1 - r;  // the answer's first character at the top
    for (int c = 0; c < cols; ++c) {
      const double w =
          std::clamp(static_cast<double>(weights[static_cast<size_t>(r * cols + c)]), 0.0, 1.0);
      const auto v = static_cast<uint8_t>(std::lround(255.0 * std::round(w * 24.0) / 24.0));
      page.rectangle(c, y, c + 1, y + 1, Rgb{v, v, v});
    }
    page.edge_text("lv", 1.0, (rows - r - 0.5) / rows, shown(answer[static_cast<size_t>(r)]), 1.0);
  }
  for (int c = 0; c < cols; ++c) {
    page.edge_text("b", 1.2, (c + 0.5) / cols, shown(question[static_cast<size_t>(c)]));
  }
  page.axes(where, frame);  // the frame again, over the cells
  page.edge_text("b", 2.8, 0.5, "question");
  page.edge_text("l", 2.6, 0.5, "answer");
  page.save(png);
}

}  // namespace nnzero::plot
