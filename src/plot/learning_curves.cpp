#include "nnzero/plot/learning_curves.h"

#include <algorithm>
#include <cmath>

#include "nnzero/plot/page.h"
#include "nnzero/plot/smooth.h"

namespace nnzero::plot {

namespace {
// The loss axis: from 0 to a little above the largest smoothed loss, so that the first
// steps' spikes (2.3 for ten classes) do not squash the rest of the curve.
double loss_axis_top(const std::vector<double>& raw, const std::vector<double>& smooth) {
  double top = 0.0;
  for (double v : smooth) {
    if (std::isfinite(v)) top = std::max(top, v);
  }
  if (top == 0.0) {
    for (double v : raw) {
      if (std::isfinite(v)) top = std::max(top, v);
    }
  }
  return top > 0.0 ? top * 1.1 : 1.0;
}

void draw_loss(Page& page, const Box& where, const std::vector<float>& step_losses,
               const char* title) {
  const std::vector<double> losses(step_losses.begin(), step_losses.end());
  const Thinned each = thin_out(losses);
  const Thinned smooth = thin_out(smooth_curve(losses, smoothing_window(losses.size())));
  const Line raw{
      .x = each.x, .y = each.y, .color = {174, 199, 232}, .width = 0.8, .label = "each mini-batch"};
  const Line trend{
      .x = smooth.x, .y = smooth.y, .color = series_color(0), .width = 2.0, .label = "smoothed"};
  const double steps = std::max<double>(1.0, static_cast<double>(step_losses.size()));
  page.axes(where, {.title = title,
                    .xlabel = "step (mini-batch)",
                    .ylabel = "loss",
                    .xmin = 0,
                    .xmax = steps,
                    .ymin = 0,
                    .ymax = loss_axis_top(raw.y, trend.y)});
  page.line(raw);
  page.line(trend);
  page.legend({raw, trend}, Corner::top_right);
}

void draw_accuracy(Page& page, const Box& where, const std::vector<EpochMetrics>& history) {
  Line train{.color = series_color(0), .width = 2.0, .marker = Marker::circle, .label = "train"};
  Line test{.color = series_color(1),
            .width = 2.0,
            .dashed = true,
            .marker = Marker::square,
            .label = "test"};
  for (const EpochMetrics& m : history) {
    train.x.push_back(static_cast<double>(m.epoch));
    train.y.push_back(m.train_acc);
    test.x.push_back(static_cast<double>(m.epoch));
    test.y.push_back(m.test_acc);
  }
  const double epochs = history.empty() ? 1.0 : static_cast<double>(history.back().epoch);
  page.axes(where, {.title = "accuracy (Figure 4-12)",
                    .xlabel = "epoch",
                    .ylabel = "accuracy",
                    .xmin = 0,
                    .xmax = std::max(1.0, epochs),
                    .ymin = 0,
                    .ymax = 1});
  page.line(train);
  page.line(test);
  page.legend({train, test}, Corner::bottom_right);
}
// Perplexity exp(loss) on the training and the validation text after each epoch, the measure
// book 2 plots for its language models (chapter 5).
void draw_perplexity(Page& page, const Box& where, const std::vector<EpochMetrics>& history) {
  Line train{.color = series_color(0), .width = 2.0, .marker = Marker::circle, .label = "train"};
  Line val{.color = series_color(1),
           .width = 2.0,
           .dashed = true,
           .marker = Marker::square,
           .label = "validation"};
  double top = 1.0;
  for (const EpochMetrics& m : history) {
    for (auto [line, loss] : {std::pair{&train, m.train_loss}, {&val, m.test_loss}}) {
      if (!std::isfinite(loss)) continue;
      line->x.push_back(static_cast<double>(m.epoch));
      line->y.push_back(std::exp(loss));
      top = std::max(top, std::exp(loss));
    }
  }
  const double epochs = history.empty() ? 1.0 : static_cast<double>(history.back().epoch);
  page.axes(where, {.title = "perplexity",
                    .xlabel = "epoch",
                    .ylabel = "perplexity",
                    .xmin = 0,
                    .xmax = std::max(1.0, epochs),
                    .ymin = 0,
                    .ymax = top * 1.1});
  page.line(train);
  page.line(val);
  page.legend({train, val}, Corner::top_right);
}
}  // namespace

void draw_learning_curves(const std::string& png, const std::vector<float>& step_losses,
                          const std::vector<EpochMetrics>& history, const std::string& title,
                          RightPanel right) {
  Page page(kCurvesWidth, kCurvesHeight);
  page.title(title);
  if (right == RightPanel::perplexity) {
    draw_loss(page, {0.07, 0.47, 0.14, 0.84}, step_losses,
              "training loss (cross-entropy per token)");
    draw_perplexity(page, {0.57, 0.97, 0.14, 0.84}, history);
  } else {
    draw_loss(page, {0.07, 0.47, 0.14, 0.84}, step_losses, "training loss (Figure 4-11)");
    draw_accuracy(page, {0.57, 0.97, 0.14, 0.84}, history);
  }
  page.save(png);
}

}  // namespace nnzero::plot
