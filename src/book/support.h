// What the book's figures share: where files go, MNIST, and training a network while
// recording the loss of every step and the metrics of every epoch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nnzero/book/figures.h"
#include "nnzero/data/mnist.h"
#include "nnzero/model/sequential.h"
#include "nnzero/plot/page.h"
#include "nnzero/train/trainer.h"

namespace nnzero::book {

// DIR/file, DIR created if missing.
std::string out_path(const FigureOptions& o, const std::string& file);

// The option if given (> 0), else the book's value.
int64_t or_book(int64_t option, int64_t book_value);

// MNIST from o.data_dir (default $NNZERO_DATA/mnist), the training set cut to
// train_samples (when > 0) and the test set to test_samples (when > 0).
Mnist load_mnist_for_figure(const FigureOptions& o, int64_t train_samples, int64_t test_samples);

struct TrainSettings {
  std::string optimizer = "sgd";
  float lr = 0.0f;  // 0: the optimizer's default
  float weight_decay = 0.0f;
  int64_t batch = 100;
  int64_t epochs = 1;
  int64_t max_steps = 0;
  uint64_t seed = 0;
  int64_t train_eval_samples = 10000;
  bool log = false;  // a line per epoch on stderr (the long trainings of ch7 and ch8)
};

struct TrainRecord {
  std::vector<double> losses;  // every step
  std::vector<EpochMetrics> history;
};

// Trains `model` (the Trainer of nnzero train), keeping every step's loss.
TrainRecord train_recorded(Sequential& model, const Dataset& train, const Dataset* test,
                           const TrainSettings& s);

// The loss of each of `steps` steps of mini-batches of `batch`, with no evaluation on the
// way (the book's optimizer_compare_mnist.py and weight_init_compare.py).
std::vector<double> step_losses(Sequential& net, const Dataset& train, const std::string& optimizer,
                                float lr, int64_t batch, int64_t steps, uint64_t seed);
// The mean of the last tenth of v (of its last value at least).
double mean_of_last_tenth(const std::vector<double>& v);
// Series colour k: the losses smoothed as the book smooths them, a marker every steps / 20.
plot::Line smoothed_loss_line(const std::vector<double>& losses, size_t k, plot::Marker marker,
                              const std::string& label);

// A trained network for the ch7/ch8 pictures: the model file o.model_file, or else the
// built-in `name` trained with its book settings (its spec's optimizer and learning rate,
// mini-batches of 100) for o.epochs epochs (default book_epochs) or o.iterations steps.
std::unique_ptr<Sequential> trained_model(const FigureOptions& o, const std::string& name,
                                          const Mnist& mnist, int64_t book_epochs);

// The steps of `epochs` epochs over n samples in batches of `batch`.
int64_t steps_per_epoch(int64_t n, int64_t batch);

}  // namespace nnzero::book
