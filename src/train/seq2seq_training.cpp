#include "nnzero/train/seq2seq_training.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <span>
#include <sstream>

#include "nnzero/io/csv_writer.h"
#include "nnzero/io/file.h"
#include "nnzero/model/model_file.h"
#include "nnzero/process_stats.h"
#include "nnzero/train/language_model.h"
#include "nnzero/train/progress.h"

namespace nnzero {

namespace {

using Clock = std::chrono::steady_clock;

// Rows [first, first + count) of ids (N, cols).
Tensor rows_of(const Tensor& ids, int64_t first, int64_t count) {
  const int64_t cols = ids.dim(1);
  Tensor out(Shape{count, cols});
  std::copy(ids.data() + first * cols, ids.data() + (first + count) * cols, out.data());
  return out;
}

// x: [question; answer without its last character] of each row; labels: the answer without
// its start character (what the decoder predicts at each step).
void teacher_forced_batch(const Tensor& questions, const Tensor& answers,
                          std::span<const int64_t> rows, Tensor& x, std::vector<int32_t>& labels) {
  const int64_t tq = questions.dim(1), ta = answers.dim(1), b = static_cast<int64_t>(rows.size());
  x.resize(Shape{b, tq + ta - 1});
  labels.resize(static_cast<size_t>(b * (ta - 1)));
  for (int64_t i = 0; i < b; ++i) {
    const int64_t row = rows[static_cast<size_t>(i)];
    const float* q = questions.data() + row * tq;
    const float* a = answers.data() + row * ta;
    std::copy(q, q + tq, x.data() + i * (tq + ta - 1));
    std::copy(a, a + ta - 1, x.data() + i * (tq + ta - 1) + tq);
    for (int64_t j = 1; j < ta; ++j) {
      labels[static_cast<size_t>(i * (ta - 1) + j - 1)] = static_cast<int32_t>(a[j]);
    }
  }
}

}  // namespace

double exact_match(Seq2seq& model, const Tensor& questions, const Tensor& answers, int64_t batch) {
  const int64_t n = questions.dim(0), ta = answers.dim(1);
  if (n == 0) return kNoMetric;
  int64_t correct = 0;
  for (int64_t first = 0; first < n; first += batch) {
    const int64_t count = std::min(batch, n - first);
    const Tensor q = rows_of(questions, first, count);
    // Every answer starts with the same start token (book 2's '_'): the first column.
    const Tensor& guess = model.generate(q, static_cast<int32_t>(answers[first * ta]), ta - 1);
    for (int64_t i = 0; i < count; ++i) {
      const float* truth = answers.data() + (first + i) * ta + 1;
      correct += std::equal(truth, truth + ta - 1, guess.data() + i * (ta - 1)) ? 1 : 0;
    }
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

double teacher_forced_loss(Seq2seq& model, const Tensor& questions, const Tensor& answers,
                           int64_t batch) {
  const int64_t n = questions.dim(0);
  if (n == 0) return kNoMetric;
  Tensor x;
  std::vector<int32_t> labels;
  std::vector<int64_t> rows;
  double sum = 0.0;
  for (int64_t first = 0; first < n; first += batch) {
    rows.clear();
    for (int64_t r = first; r < std::min(n, first + batch); ++r) rows.push_back(r);
    teacher_forced_batch(questions, answers, rows, x, labels);
    Target target;
    target.labels = labels;
    sum += model.loss(x, target, false) * static_cast<double>(rows.size());
  }
  return sum / static_cast<double>(n);
}

Seq2seqTrainer::Seq2seqTrainer(Seq2seq& model, const SequencePairs& data, Seq2seqOptions options)
    : model_(model), data_(data), opt_(std::move(options)) {
  const Seq2seqSpec& s = model.shape();
  if (s.question != data.question_length || s.answer != data.answer_length ||
      s.vocab != data.vocab.size()) {
    throw Error("model \"" + model.spec().name + "\" reads questions of " +
                std::to_string(s.question) + " and answers of " + std::to_string(s.answer) +
                " characters from a vocabulary of " + std::to_string(s.vocab) + ", but " +
                data.name + " has " + std::to_string(data.question_length) + ", " +
                std::to_string(data.answer_length) + " and " + std::to_string(data.vocab.size()));
  }
  if (opt_.batch > data.train_questions.dim(0)) {
    throw Error("--batch " + std::to_string(opt_.batch) + " is larger than the " +
                std::to_string(data.train_questions.dim(0)) + " training pairs of " + data.name);
  }
  for (const NamedParam& p : model.named_params()) params_.push_back(p.param);
  optimizer_ = make_optimizer(opt_.optimizer, params_, opt_.lr);
}

// The pairs order[first ...] of one step.
void Seq2seqTrainer::fill_batch(const std::vector<int32_t>& order, int64_t first) {
  rows_.assign(order.begin() + first, order.begin() + first + opt_.batch);
  teacher_forced_batch(data_.train_questions, data_.train_answers, rows_, x_, targets_);
}

TrainResult Seq2seqTrainer::run() {
  TrainResult r;
  const auto pairs = static_cast<int32_t>(data_.train_questions.dim(0));
  const int64_t per_epoch = pairs / opt_.batch;
  Rng order_rng(opt_.seed);
  Progress progress(opt_.live_progress);
  const Clock::time_point start = Clock::now();
  double train_seconds = 0.0;
  for (int64_t epoch = 1; epoch <= opt_.epochs && !r.interrupted; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    const std::vector<int32_t> order = order_rng.permutation(pairs);
    progress.start_epoch(epoch, opt_.epochs, per_epoch * opt_.batch);
    double loss_sum = 0.0;
    int64_t steps = 0;
    for (int64_t s = 0; s < per_epoch; ++s) {
      if (stop_requested() || (opt_.max_steps > 0 && r.steps >= opt_.max_steps)) {
        r.interrupted = stop_requested();
        break;
      }
      fill_batch(order, s * opt_.batch);
      Target target;
      target.labels = targets_;
      model_.zero_grad();
      const double loss = model_.loss(x_, target, true);
      if (!std::isfinite(loss)) {
        throw Error("the loss became " + std::to_string(loss) + " at step " +
                    std::to_string(r.steps + 1) + " (try a lower --lr or --clip)");
      }
      model_.backward();
      clip_gradients(params_, opt_.clip);
      optimizer_->step();
      loss_sum += loss;
      ++steps;
      ++r.steps;
      progress.update(steps * opt_.batch, loss);
      if (opt_.on_step) opt_.on_step(r.steps, loss);
    }
    train_seconds += seconds_since(epoch_start);
    if (steps == 0) break;
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = loss_sum / static_cast<double>(steps);
    m.train_acc = kNoMetric;
    m.test_loss = teacher_forced_loss(model_, data_.test_questions, data_.test_answers);
    m.test_acc = exact_match(model_, data_.test_questions, data_.test_answers);
    m.seconds = seconds_since(start);
    r.history.push_back(m);
    r.epochs = epoch;
    if (opt_.log_epochs) {
      std::ostringstream line;
      line.precision(4);
      line << "epoch " << epoch << "/" << opt_.epochs << "  train loss " << m.train_loss
           << "  test loss " << m.test_loss << "  test exact match " << 100.0 * m.test_acc << " %  "
           << format_duration(m.seconds);
      progress.line(line.str());
    }
    write_outputs(r);
    if (opt_.on_epoch) opt_.on_epoch(r.history);
  }
  if (!r.history.empty()) {
    r.train_loss = r.history.back().train_loss;
    r.test_loss = r.history.back().test_loss;
    r.test_acc = r.history.back().test_acc;
  }
  r.seconds = seconds_since(start);
  r.samples_per_s =
      train_seconds > 0 ? static_cast<double>(r.steps * opt_.batch) / train_seconds : 0.0;
  write_outputs(r);
  return r;
}

void Seq2seqTrainer::write_outputs(const TrainResult& r) const {
  if (opt_.out_dir.empty()) return;
  std::filesystem::create_directories(opt_.out_dir);
  // The columns of an image run's metrics.csv, so that `nnzero plot` compares both kinds.
  CsvWriter csv({"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds"});
  for (const EpochMetrics& m : r.history) {
    csv.add_numbers({static_cast<double>(m.epoch), m.train_loss, m.train_acc, m.test_loss,
                     m.test_acc, m.seconds});
  }
  write_file_atomic(opt_.out_dir + "/metrics.csv", csv.text());
  std::map<std::string, std::string> metadata = opt_.metadata;
  metadata["nnzero.vocab"] = data_.vocab.to_json();
  save_model(model_, opt_.out_dir + "/model.safetensors", metadata);
}

}  // namespace nnzero
