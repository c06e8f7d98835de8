#include "nnzero/plot/compare_runs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "nnzero/error.h"
#include "nnzero/io/csv.h"
#include "nnzero/plot/page.h"
#include "nnzero/plot/smooth.h"
#include "nnzero/strings.h"

namespace nnzero::plot {

namespace fs = std::filesystem;

namespace {
std::string compact(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

double field(const CsvTable& t, size_t row, size_t col) {
  const std::string& text = t.rows[row].at(col);
  if (text.empty() || text == "nan") return NAN;
  size_t used = 0;
  double v = 0.0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size()) {
    throw Error(t.where(static_cast<int64_t>(row)) + ": \"" + text + "\" is not a number");
  }
  return v;
}

size_t column(const CsvTable& t, const std::string& name) {
  const auto it = std::find(t.header.begin(), t.header.end(), name);
  if (it == t.header.end()) throw Error(t.name + ": no column \"" + name + "\"");
  return static_cast<size_t>(it - t.header.begin());
}

std::vector<EpochMetrics> read_metrics(const std::string& path) {
  if (!fs::exists(path)) throw Error(path + ": missing (is this a run folder of nnzero train?)");
  const CsvTable t = read_csv(path);
  check_rectangular(t);
  const size_t epoch = column(t, "epoch"), train_loss = column(t, "train_loss"),
               train_acc = column(t, "train_acc"), test_loss = column(t, "test_loss"),
               test_acc = column(t, "test_acc");
  std::vector<EpochMetrics> history;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    EpochMetrics m;
    m.epoch = static_cast<int64_t>(field(t, r, epoch));
    m.train_loss = field(t, r, train_loss);
    m.train_acc = field(t, r, train_acc);
    m.test_loss = field(t, r, test_loss);
    m.test_acc = field(t, r, test_acc);
    history.push_back(m);
  }
  return history;
}

std::vector<float> read_losses(const std::string& path) {
  std::vector<float> losses;
  if (!fs::exists(path)) return losses;
  const CsvTable t = read_csv(path);
  check_rectangular(t);
  const size_t loss = column(t, "loss");
  for (size_t r = 0; r < t.rows.size(); ++r)
    losses.push_back(static_cast<float>(field(t, r, loss)));
  return losses;
}

// The layer sizes and kinds of a spec, for telling runs apart.
void add_spec_settings(const ModelSpec& spec,
                       std::vector<std::pair<std::string, std::string>>& out) {
  std::vector<std::string> sizes;
  std::string activation = "none", dropout = "none";
  bool batchnorm = false;
  for (const LayerSpec& l : spec.layers) {
    if (l.type == "linear") sizes.push_back(std::to_string(l.integer("out_features")));
    if (l.type == "conv2d") sizes.push_back("conv" + std::to_string(l.integer("out_channels")));
    if (activation == "none" &&
        (l.type == "relu" || l.type == "sigmoid" || l.type == "tanh" || l.type == "leaky_relu")) {
      activation = l.type;
    }
    if (l.type == "dropout") dropout = compact(l.number("p"));
    batchnorm |= l.type == "batchnorm1d" || l.type == "batchnorm2d";
  }
  out.emplace_back("model", spec.name);
  out.emplace_back("layers", join(sizes, "-"));
  out.emplace_back("activation", activation);
  out.emplace_back("init", spec.init);
  out.emplace_back("batchnorm", batchnorm ? "yes" : "no");
  out.emplace_back("dropout", dropout);
}

std::vector<std::pair<std::string, std::string>> read_settings(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> s;
  if (!fs::exists(Trainer::checkpoint_path(dir))) return s;
  add_spec_settings(Trainer::checkpoint_spec(dir), s);
  const TrainOptions o = Trainer::checkpoint_options(dir);
  s.emplace_back("optimizer", o.optimizer);
  s.emplace_back("lr", compact(o.lr));
  s.emplace_back("lr schedule", o.lr_schedule);
  s.emplace_back("weight decay", compact(o.weight_decay));
  s.emplace_back("batch", std::to_string(o.batch));
  s.emplace_back("epochs", std::to_string(o.epochs));
  s.emplace_back("seed", std::to_string(o.seed));
  s.emplace_back("train samples", o.train_samples > 0 ? std::to_string(o.train_samples) : "all");
  return s;
}

std::string folder_name(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

// Splits text at ", " into lines of at most about `width` characters.
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines(1);
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find(", ", begin);
    end = end == std::string::npos ? text.size() : end + 2;
    if (!lines.back().empty() && lines.back().size() + (end - begin) > width) lines.emplace_back();
    lines.back() += text.substr(begin, end - begin);
    begin = end;
  }
  return lines;
}

std::string setting(const RunRecord& r, const std::string& key) {
  for (const auto& [k, v] : r.settings) {
    if (k == key) return v;
  }
  return "?";
}
}  // namespace

RunRecord read_run(const std::string& dir) {
  if (!fs::is_directory(dir)) throw Error(dir + ": not a folder (give run folders)");
  RunRecord r;
  r.dir = dir;
  r.history = read_metrics((fs::path(dir) / "metrics.csv").string());
  r.losses = read_losses((fs::path(dir) / "loss.csv").string());
  r.settings = read_settings(dir);
  return r;
}

std::string label_runs(std::vector<RunRecord>& runs) {
  std::vector<std::string> keys;
  for (const RunRecord& r : runs) {
    for (const auto& [k, v] : r.settings) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  std::vector<std::string> differing, shared;
  for (const std::string& k : keys) {
    bool same = true;
    for (const RunRecord& r : runs) same &= setting(r, k) == setting(runs.front(), k);
    if (same) {
      shared.push_back(k + " " + setting(runs.front(), k));
    } else {
      differing.push_back(k);
    }
  }
  std::map<std::string, int> seen;
  for (RunRecord& r : runs) {
    std::vector<std::string> parts;
    for (const std::string& k : differing) parts.push_back(k + " " + setting(r, k));
    r.label = parts.empty() ? folder_name(r.dir) : join(parts, ", ");
    ++seen[r.label];
  }
  for (RunRecord& r : runs) {  // identical settings: the folders tell them apart
    if (seen[r.label] > 1) r.label = folder_name(r.dir) + (differing.empty() ? "" : ": " + r.label);
  }
  return join(shared, ", ");
}

namespace {
void draw_losses(Page& page, const Box& where, const std::vector<RunRecord>& runs) {
  std::vector<Line> lines;
  double steps = 1.0, top = 0.0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::vector<double> raw(runs[i].losses.begin(), runs[i].losses.end());
    const Thinned smooth = thin_out(smooth_curve(raw, smoothing_window(raw.size())));
    Line l{.x = smooth.x,
           .y = smooth.y,
           .color = series_color(i),
           .width = 1.8,
           .label = runs[i].label};
    for (double v : l.y) {
      if (std::isfinite(v)) top = std::max(top, v);
    }
    steps = std::max(steps, static_cast<double>(raw.size()));
    lines.push_back(std::move(l));
  }
  page.axes(where, {.title = "training loss (smoothed)",
                    .xlabel = "step (mini-batch)",
                    .ylabel = "loss",
                    .xmin = 0,
                    .xmax = steps,
                    .ymin = 0,
                    .ymax = top > 0 ? top * 1.1 : 1.0});
  for (const Line& l : lines) page.line(l);
  if (top == 0.0) page.text(steps / 2, 0.5, "(no loss.csv in these folders)");
}

void draw_accuracies(Page& page, const Box& where, const std::vector<RunRecord>& runs) {
  double epochs = 1.0;
  for (const RunRecord& r : runs) {
    if (!r.history.empty()) epochs = std::max(epochs, static_cast<double>(r.history.back().epoch));
  }
  page.axes(where, {.title = "accuracy: test (solid), train (dashed)",
                    .xlabel = "epoch",
                    .ylabel = "accuracy",
                    .xmin = 0,
                    .xmax = epochs,
                    .ymin = 0,
                    .ymax = 1});
  std::vector<Line> legend;
  for (size_t i = 0; i < runs.size(); ++i) {
    Line test{.color = series_color(i),
              .width = 2.0,
              .marker = Marker::circle,
              .marker_every = std::max<int64_t>(1, static_cast<int64_t>(epochs) / 20),
              .label = runs[i].label};
    Line train{.color = series_color(i), .width = 1.2, .dashed = true};
    for (const EpochMetrics& m : runs[i].history) {
      test.x.push_back(static_cast<double>(m.epoch));
      test.y.push_back(m.test_acc);
      train.x.push_back(static_cast<double>(m.epoch));
      train.y.push_back(m.train_acc);
    }
    page.line(train);
    page.line(test);
    legend.push_back(test);
  }
  page.legend(legend, Corner::bottom_right, runs.size() > 6 ? 0.6 : 0.75);
}
}  // namespace

void draw_run_comparison(const std::string& png, const std::vector<RunRecord>& runs,
                         const std::string& shared_settings) {
  if (runs.empty()) throw Error("plot: no runs to draw");
  Page page(kCompareWidth, kCompareHeight);
  page.title(std::to_string(runs.size()) + (runs.size() == 1 ? " run" : " runs"));
  page.set_text_scale(0.75);
  const std::vector<std::string> lines = wrap("shared: " + shared_settings, 150);
  for (size_t i = 0; i < lines.size() && i < 2 && !shared_settings.empty(); ++i) {
    page.page_text(0.5, 0.915 - 0.035 * static_cast<double>(i), lines[i]);
  }
  page.set_text_scale(1.0);
  draw_losses(page, {0.07, 0.47, 0.12, 0.8}, runs);
  draw_accuracies(page, {0.56, 0.97, 0.12, 0.8}, runs);
  page.save(png);
}

}  // namespace nnzero::plot
