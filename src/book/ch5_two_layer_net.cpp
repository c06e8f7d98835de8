// Chapter 5's two-layer net trained by backpropagation (ch05/train_neuralnet.py): 784-50-10,
// SGD with learning rate 0.1, mini-batches of 100, 10,000 steps; the loss of every step and
// the accuracy on the training and the test data after each epoch, drawn as the book's
// Figures 4-11 and 4-12 (which chapter 4 trains with numerical gradients, far slower).
#include <algorithm>

#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/model/builtin.h"
#include "nnzero/plot/learning_curves.h"
#include "support.h"

namespace nnzero::book {

FigureOutput two_layer_net_curves(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, o.test_samples);
  const int64_t steps = or_book(o.iterations, 10000);
  Rng rng(o.seed);
  Sequential net(builtin_spec("two_layer_net"), rng);
  TrainSettings s;
  s.lr = 0.1f;
  s.batch = 100;
  s.max_steps = steps;
  const int64_t per_epoch = steps_per_epoch(mnist.train.size(), s.batch);
  s.epochs = (steps + per_epoch - 1) / per_epoch;
  s.seed = o.seed;
  s.train_eval_samples = mnist.train.size();  // the book measures the whole training set
  const TrainRecord r = train_recorded(net, mnist.train, &mnist.test, s);

  FigureOutput out;
  out.files = {out_path(o, "two-layer-net.png"), out_path(o, "two-layer-net.csv"),
               out_path(o, "two-layer-net-accuracy.csv")};
  const std::vector<float> losses(r.losses.begin(), r.losses.end());
  plot::draw_learning_curves(out.files[0], losses, r.history,
                             "two_layer_net trained with backpropagation (chapter 5)");
  CsvWriter loss_csv({"step", "loss"});
  for (size_t i = 0; i < r.losses.size(); ++i) {
    loss_csv.add_numbers({static_cast<double>(i + 1), r.losses[i]});
  }
  loss_csv.save(out.files[1]);
  CsvWriter acc_csv({"epoch", "train_acc", "test_acc"});
  for (const EpochMetrics& m : r.history) {
    acc_csv.add_numbers({static_cast<double>(m.epoch), m.train_acc, m.test_acc});
  }
  acc_csv.save(out.files[2]);
  out.summary = {{"steps", r.losses.size()},
                 {"epochs", r.history.size()},
                 {"train_acc", r.history.empty() ? 0.0 : r.history.back().train_acc},
                 {"test_acc", r.history.empty() ? 0.0 : r.history.back().test_acc}};
  return out;
}

}  // namespace nnzero::book
