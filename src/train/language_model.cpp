#include "nnzero/train/language_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "nnzero/io/csv_writer.h"
#include "nnzero/io/file.h"
#include "nnzero/model/model_file.h"
#include "nnzero/process_stats.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/progress.h"
#include "nnzero/train/trainer.h"

namespace nnzero {

namespace {

using Clock = std::chrono::steady_clock;

void set_carry(Model& model, bool carry) {
  for (const NamedLayer& l : model.named_layers()) l.layer->set_carry_state(carry);
}

int64_t time_steps(const Model& model) {
  const Shape& in = model.input_shape();
  if (in.rank() != 1) {
    throw Error("a language model reads token ids (T) per sample; \"" + model.spec().name +
                "\" takes " + in.str());
  }
  return in[0];
}

// Next-token accuracy of one batch: the scores' argmax against the targets.
int64_t correct_predictions(const Tensor& scores, std::span<const int32_t> targets) {
  const int64_t k = scores.dim(scores.rank() - 1);
  int64_t right = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    const float* s = scores.data() + static_cast<int64_t>(i) * k;
    right += std::max_element(s, s + k) - s == targets[i];
  }
  return right;
}

}  // namespace

double clip_gradients(std::vector<Param*> params, double max_norm) {
  double sum = 0.0;
  for (const Param* p : params) {
    if (p->frozen) continue;
    for (float g : p->grad.span()) sum += static_cast<double>(g) * g;
  }
  const double norm = std::sqrt(sum);
  if (max_norm > 0.0 && norm > max_norm) {
    // book 2's clip_grads: rate = max_norm / (total_norm + 1e-6)
    const auto rate = static_cast<float>(max_norm / (norm + 1e-6));
    for (Param* p : params) {
      if (p->frozen) continue;
      for (float& g : p->grad.span()) g *= rate;
    }
  }
  return norm;
}

Perplexity measure_perplexity(Model& model, std::span<const int32_t> tokens, int64_t streams) {
  const int64_t T = time_steps(model);
  const auto size = static_cast<int64_t>(tokens.size());
  const int64_t jump = (size - 1) / std::max<int64_t>(1, streams);
  const int64_t batches = jump / T;
  if (streams < 1 || batches < 1) {
    throw Error("perplexity: " + std::to_string(size) + " tokens are too few for " +
                std::to_string(streams) + " streams of " + std::to_string(T) + " steps");
  }
  set_carry(model, true);
  Tensor x(Shape{streams, T});
  std::vector<int32_t> next(static_cast<size_t>(streams * T));
  Perplexity p;
  double loss_sum = 0.0;
  int64_t right = 0;
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t i = 0; i < streams; ++i) {
      for (int64_t t = 0; t < T; ++t) {
        const int64_t at = i * jump + b * T + t;
        x[i * T + t] = static_cast<float>(tokens[static_cast<size_t>(at)]);
        next[static_cast<size_t>(i * T + t)] = tokens[static_cast<size_t>(at + 1)];
      }
    }
    Target target;
    target.labels = next;
    loss_sum += model.loss(x, target, false);
    right += correct_predictions(model.prediction(), next);
  }
  set_carry(model, false);
  p.tokens = batches * streams * T;
  p.loss = loss_sum / static_cast<double>(batches);
  p.perplexity = std::exp(p.loss);
  p.accuracy = static_cast<double>(right) / static_cast<double>(p.tokens);
  return p;
}

LanguageModelTrainer::LanguageModelTrainer(Model& model, const TextCorpus& corpus,
                                           LanguageModelOptions options)
    : model_(model),
      corpus_(corpus),
      opt_(std::move(options)),
      T_(time_steps(model)),
      rng_(opt_.seed) {
  if (opt_.epochs < 1 || opt_.batch < 1) throw Error("epochs and batch must be at least 1");
  if (opt_.warmup_steps < 0 || opt_.steps_per_epoch < 0) {
    throw Error("the warm-up steps and steps per epoch must be at least 0");
  }
  if (!(opt_.min_lr_ratio >= 0.0 && opt_.min_lr_ratio <= 1.0)) {
    throw Error("the learning rate's floor must be a share of it in [0, 1]");
  }
  for (const NamedParam& p : model_.named_params()) params_.push_back(p.param);
  optimizer_ = opt_.optimizer == "adamw" ? make_adamw(params_, opt_.lr, opt_.adamw)
                                         : make_optimizer(opt_.optimizer, params_, opt_.lr);
  // (Random windows start anywhere in [0, size - T): at least one place.)
  if (static_cast<int64_t>(corpus_.train.size()) - 1 <
      opt_.batch * T_ + (opt_.random_windows ? 1 : 0)) {
    throw Error(corpus_.name + ": " + std::to_string(corpus_.train.size()) +
                " training tokens are too few for a batch of " + std::to_string(opt_.batch) +
                " x " + std::to_string(T_) + " steps");
  }
  // The validation and test texts must fill one batch of eval_batch streams: found out now,
  // not after the first epoch's training.
  for (const auto& [text, what] :
       {std::pair{&corpus_.valid, "validation"}, {&corpus_.test, "test"}}) {
    const auto n = static_cast<int64_t>(text->size());
    if ((text != &corpus_.test || n > 0) && (n - 1) / opt_.eval_batch < T_) {
      throw Error(corpus_.name + ": the " + what + " text has " + std::to_string(n) +
                  " tokens, too few to measure perplexity over " + std::to_string(opt_.eval_batch) +
                  " streams of " + std::to_string(T_) + " steps (at least " +
                  std::to_string(opt_.eval_batch * T_ + 1) + ")");
    }
  }
  x_.resize(Shape{opt_.batch, T_});
  targets_.resize(static_cast<size_t>(opt_.batch * T_));
}

// Book 2's RnnlmTrainer.get_batch: stream i reads from offset i * jump, `position` tokens on.
// Random windows (nanoGPT's get_batch): row i from an offset drawn in [0, size - T).
void LanguageModelTrainer::fill_batch(int64_t position) {
  const std::vector<int32_t>& text = corpus_.train;
  const auto size = static_cast<int64_t>(text.size()) - 1;  // x: text[:-1], t: text[1:]
  const int64_t jump = size / opt_.batch;
  for (int64_t i = 0; i < opt_.batch; ++i) {
    const int64_t start = opt_.random_windows
                              ? static_cast<int64_t>(rng_.below(static_cast<uint64_t>(size - T_)))
                              : i * jump + position;
    for (int64_t t = 0; t < T_; ++t) {
      const int64_t at = (start + t) % size;
      x_[i * T_ + t] = static_cast<float>(text[static_cast<size_t>(at)]);
      targets_[static_cast<size_t>(i * T_ + t)] = text[static_cast<size_t>(at + 1)];
    }
  }
}

int64_t LanguageModelTrainer::steps_per_epoch() const {
  const auto size = static_cast<int64_t>(corpus_.train.size()) - 1;
  return opt_.steps_per_epoch > 0 ? opt_.steps_per_epoch : size / (opt_.batch * T_);
}

int64_t LanguageModelTrainer::total_steps() const {
  const int64_t all = opt_.epochs * steps_per_epoch();
  return opt_.max_steps > 0 ? std::min(all, opt_.max_steps) : all;
}

LanguageModelResult LanguageModelTrainer::run() {
  LanguageModelResult r;
  const int64_t per_epoch = steps_per_epoch(), total = total_steps();
  float base_lr = opt_.lr;  // the schedule scales it; a plateau divides it
  Progress progress(opt_.live_progress);
  const Clock::time_point start = Clock::now();
  double train_seconds = 0.0, best_val = INFINITY;
  int64_t position = 0;
  for (int64_t epoch = 1; epoch <= opt_.epochs && !r.interrupted; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    set_carry(model_, true);
    progress.start_epoch(epoch, opt_.epochs, per_epoch * opt_.batch * T_);
    double loss_sum = 0.0;
    int64_t steps = 0;
    for (int64_t s = 0; s < per_epoch; ++s) {
      if (stop_requested() || (opt_.max_steps > 0 && r.steps >= opt_.max_steps)) {
        r.interrupted = stop_requested();
        break;
      }
      fill_batch(position);
      position += T_;
      Target target;
      target.labels = targets_;
      model_.zero_grad();
      const double loss = model_.loss(x_, target, true);
      if (!std::isfinite(loss)) {
        throw Error("the loss became " + std::to_string(loss) + " at step " +
                    std::to_string(r.steps + 1) + " (learning rate " +
                    std::to_string(optimizer_->lr()) + " too high? try a lower --lr or --clip)");
      }
      model_.backward();
      clip_gradients(params_, opt_.clip);
      optimizer_->set_lr(base_lr *
                         static_cast<float>(lr_factor(opt_.lr_schedule, r.steps, total,
                                                      opt_.warmup_steps, opt_.min_lr_ratio)));
      optimizer_->step();
      loss_sum += loss;
      ++steps;
      ++r.steps;
      progress.update(steps * opt_.batch * T_, loss);
      if (opt_.on_step) opt_.on_step(r.steps, loss);
    }
    set_carry(model_, false);
    train_seconds += seconds_since(epoch_start);
    if (steps == 0) break;
    LanguageModelEpoch m;
    m.epoch = epoch;
    m.train_perplexity = std::exp(loss_sum / static_cast<double>(steps));
    m.lr = optimizer_->lr();
    const Perplexity val = measure_perplexity(model_, corpus_.valid, opt_.eval_batch);
    m.val_perplexity = val.perplexity;
    m.val_loss = val.loss;
    m.val_accuracy = val.accuracy;
    m.seconds = seconds_since(start);
    r.history.push_back(m);
    r.epochs = epoch;
    if (opt_.log_epochs) {
      std::ostringstream line;
      line.precision(4);
      line << "epoch " << epoch << "/" << opt_.epochs << "  train perplexity " << m.train_perplexity
           << "  val perplexity " << m.val_perplexity << "  lr " << m.lr << "  "
           << format_duration(m.seconds);
      progress.line(line.str());
    }
    if (val.perplexity >= best_val && opt_.lr_decay > 1.0f) base_lr /= opt_.lr_decay;
    best_val = std::min(best_val, val.perplexity);
    write_outputs(r);
    if (opt_.on_epoch) opt_.on_epoch(r.history);
  }
  if (!r.history.empty()) {
    r.train_perplexity = r.history.back().train_perplexity;
    r.val_perplexity = r.history.back().val_perplexity;
  }
  if (!corpus_.test.empty() && r.steps > 0) {
    const Perplexity test = measure_perplexity(model_, corpus_.test, opt_.eval_batch);
    r.test_perplexity = test.perplexity;
    r.test_accuracy = test.accuracy;
    r.test_loss = test.loss;
  } else {
    r.test_perplexity = r.test_accuracy = r.test_loss = kNoMetric;
  }
  r.seconds = seconds_since(start);
  r.tokens_per_s =
      train_seconds > 0 ? static_cast<double>(r.steps * opt_.batch * T_) / train_seconds : 0.0;
  write_outputs(r);
  return r;
}

void LanguageModelTrainer::write_outputs(const LanguageModelResult& r) const {
  if (opt_.out_dir.empty()) return;
  std::filesystem::create_directories(opt_.out_dir);
  CsvWriter csv({"epoch", "train_perplexity", "val_perplexity", "val_accuracy", "lr", "seconds"});
  for (const LanguageModelEpoch& m : r.history) {
    csv.add_numbers({static_cast<double>(m.epoch), m.train_perplexity, m.val_perplexity,
                     m.val_accuracy, m.lr, m.seconds});
  }
  write_file_atomic(opt_.out_dir + "/metrics.csv", csv.text());
  std::map<std::string, std::string> metadata = opt_.metadata;
  metadata["nnzero.vocab"] = corpus_.vocab.to_json();
  save_model(model_, opt_.out_dir + "/model.safetensors", metadata);
}

}  // namespace nnzero
