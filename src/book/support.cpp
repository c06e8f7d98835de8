#include "support.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/model_file.h"
#include "nnzero/plot/smooth.h"

namespace nnzero::book {

std::string out_path(const FigureOptions& o, const std::string& file) {
  make_directories(o.out_dir);
  return (std::filesystem::path(o.out_dir) / file).string();
}

int64_t or_book(int64_t option, int64_t book_value) {
  return option > 0 ? option : book_value;
}

namespace {
Dataset first(const Dataset& d, int64_t n) {
  if (n <= 0 || n >= d.size()) return d;
  std::vector<int32_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  return subset(d, idx);
}
}  // namespace

Mnist load_mnist_for_figure(const FigureOptions& o, int64_t train_samples, int64_t test_samples) {
  Mnist m = load_mnist(o.data_dir.empty() ? default_mnist_dir() : o.data_dir);
  m.train = first(m.train, train_samples);
  m.test = first(m.test, test_samples);
  return m;
}

int64_t steps_per_epoch(int64_t n, int64_t batch) {
  return (n + batch - 1) / batch;
}

TrainRecord train_recorded(Sequential& model, const Dataset& train, const Dataset* test,
                           const TrainSettings& s) {
  TrainRecord r;
  TrainOptions o;
  o.optimizer = s.optimizer;
  o.lr = s.lr;
  o.weight_decay = s.weight_decay;
  o.batch = s.batch;
  o.epochs = s.epochs;
  o.max_steps = s.max_steps;
  o.seed = s.seed;
  o.train_eval_samples = s.train_eval_samples;
  o.log_epochs = s.log;
  r.losses.reserve(static_cast<size_t>(s.epochs * steps_per_epoch(train.size(), s.batch)));
  o.on_step = [&r](int64_t, double loss) { r.losses.push_back(loss); };
  Trainer trainer(model, train, test, o);
  r.history = trainer.run().history;
  return r;
}

std::vector<double> step_losses(Sequential& net, const Dataset& train, const std::string& optimizer,
                                float lr, int64_t batch, int64_t steps, uint64_t seed) {
  TrainSettings s;
  s.optimizer = optimizer;
  s.lr = lr;
  s.batch = batch;
  s.max_steps = steps;
  const int64_t per_epoch = steps_per_epoch(train.size(), batch);
  s.epochs = (steps + per_epoch - 1) / per_epoch;
  s.seed = seed;
  s.train_eval_samples = 1;  // the Trainer's end-of-epoch measurement, kept minimal
  return train_recorded(net, train, nullptr, s).losses;
}

double mean_of_last_tenth(const std::vector<double>& v) {
  const size_t tail = std::max<size_t>(1, v.size() / 10);
  double sum = 0.0;
  for (size_t i = v.size() - std::min(tail, v.size()); i < v.size(); ++i) sum += v[i];
  return sum / static_cast<double>(tail);
}

plot::Line smoothed_loss_line(const std::vector<double>& losses, size_t k, plot::Marker marker,
                              const std::string& label) {
  plot::Line l{.y = plot::smooth_curve(losses),
               .color = plot::series_color(k),
               .width = 1.8,
               .marker = marker,
               .marker_every = std::max<int64_t>(1, static_cast<int64_t>(losses.size()) / 20),
               .label = label};
  for (size_t i = 0; i < l.y.size(); ++i) l.x.push_back(static_cast<double>(i));
  return l;
}

std::unique_ptr<Sequential> trained_model(const FigureOptions& o, const std::string& name,
                                          const Mnist& mnist, int64_t book_epochs) {
  if (!o.model_file.empty()) {
    std::unique_ptr<Model> loaded = std::move(load_model(o.model_file).model);
    if (dynamic_cast<Sequential*>(loaded.get()) == nullptr) {
      throw Error(o.model_file + ": not a sequential model (the figures draw its layers in order)");
    }
    return std::unique_ptr<Sequential>(static_cast<Sequential*>(loaded.release()));
  }
  const ModelSpec spec = builtin_spec(name);
  Rng rng(o.seed);
  auto model = std::make_unique<Sequential>(spec, rng);
  TrainSettings s;
  s.optimizer = spec.train.optimizer.value_or("sgd");
  s.lr = static_cast<float>(spec.train.lr.value_or(0.0));
  s.batch = 100;
  s.seed = o.seed;
  s.log = true;
  if (o.iterations > 0) {
    s.max_steps = o.iterations;
    const int64_t per_epoch = steps_per_epoch(mnist.train.size(), s.batch);
    s.epochs = (o.iterations + per_epoch - 1) / per_epoch;
  } else {
    s.epochs = or_book(o.epochs, book_epochs);
  }
  std::fprintf(stderr, "training %s for %s to draw it (--model FILE uses a trained one)\n",
               name.c_str(),
               (o.iterations > 0 ? std::to_string(o.iterations) + " steps"
                                 : std::to_string(s.epochs) + " epochs")
                   .c_str());
  train_recorded(*model, mnist.train, &mnist.test, s);
  return model;
}

}  // namespace nnzero::book
