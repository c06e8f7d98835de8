// Chapter 6.4's overfitting and its remedies: a 784-100x6-10 ReLU network (He) trained on
// only 300 MNIST images, SGD 0.01, mini-batches of 100; the accuracy on those 300 images
// and on the test set after each epoch:
//   overfitting   201 epochs, nothing against it (overfit_weight_decay.py, lambda = 0; Figure 6-20)
//   weight-decay  201 epochs with weight decay lambda = 0.1 (lambda = 0.1; Figure 6-21)
//   dropout       301 epochs with dropout 0.2 after each hidden layer (overfit_dropout.py; Figure
//   6-23)
#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/model/builtin.h"
#include "nnzero/plot/page.h"
#include "support.h"

namespace nnzero::book {

namespace {
struct Remedy {
  const char* name;
  const char* title;
  float weight_decay;
  float dropout;
  int64_t book_epochs;
};

FigureOutput train_and_test(const FigureOptions& o, const Remedy& r) {
  const Mnist mnist = load_mnist_for_figure(o, or_book(o.train_samples, 300), o.test_samples);
  MultiLayerOptions m;
  m.hidden = {100, 100, 100, 100, 100, 100};
  m.dropout = r.dropout;
  Rng rng(o.seed);
  Sequential net(builtin_spec("multi_layer_net", m), rng);
  TrainSettings s;
  s.lr = 0.01f;
  s.weight_decay = r.weight_decay;
  s.batch = 100;
  s.epochs = or_book(o.epochs, r.book_epochs);
  s.seed = o.seed;
  s.train_eval_samples = mnist.train.size();
  const TrainRecord rec = train_recorded(net, mnist.train, &mnist.test, s);

  plot::Line train{.color = plot::series_color(0),
                   .width = 1.8,
                   .marker = plot::Marker::circle,
                   .marker_every = std::max<int64_t>(1, s.epochs / 20),
                   .label = "train"};
  plot::Line test{.color = plot::series_color(1),
                  .width = 1.8,
                  .marker = plot::Marker::square,
                  .marker_every = std::max<int64_t>(1, s.epochs / 20),
                  .label = "test"};
  CsvWriter csv({"epoch", "train_acc", "test_acc"});
  for (const EpochMetrics& e : rec.history) {
    train.x.push_back(static_cast<double>(e.epoch));
    train.y.push_back(e.train_acc);
    test.x.push_back(static_cast<double>(e.epoch));
    test.y.push_back(e.test_acc);
    csv.add_numbers({static_cast<double>(e.epoch), e.train_acc, e.test_acc});
  }
  plot::Page page(800, 560);
  page.title(r.title);
  page.axes({0.1, 0.96, 0.11, 0.87}, plot::Axes{.xlabel = "epochs",
                                                .ylabel = "accuracy",
                                                .xmin = 0,
                                                .xmax = static_cast<double>(s.epochs),
                                                .ymin = 0,
                                                .ymax = 1});
  page.line(train);
  page.line(test);
  page.legend({train, test}, plot::Corner::bottom_right);

  FigureOutput out;
  out.files = {out_path(o, std::string(r.name) + ".png"),
               out_path(o, std::string(r.name) + ".csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  const double tr = train.y.back(), te = test.y.back();
  out.summary = {{"train_acc", tr}, {"test_acc", te}, {"gap", tr - te}};
  return out;
}
}  // namespace

FigureOutput overfitting(const FigureOptions& o) {
  return train_and_test(
      o,
      {"overfitting", "Overfitting: 300 training images, 7 layers (Figure 6-20)", 0.0f, 0.0f, 201});
}

FigureOutput weight_decay(const FigureOptions& o) {
  return train_and_test(
      o, {"weight-decay", "The same with weight decay λ = 0.1 (Figure 6-21)", 0.1f, 0.0f, 201});
}

FigureOutput dropout(const FigureOptions& o) {
  return train_and_test(o, {"dropout", "The same with dropout 0.2 (Figure 6-23)", 0.0f, 0.2f, 301});
}

}  // namespace nnzero::book
