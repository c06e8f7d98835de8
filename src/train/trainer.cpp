#include "nnzero/train/trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "nnzero/data/batch_loader.h"
#include "nnzero/io/file.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/model_file.h"
#include "nnzero/parallel.h"
#include "nnzero/train/evaluate.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/progress.h"

namespace nnzero {

using nlohmann::json;

namespace {
std::atomic<bool> g_stop{false};

// Shuffling gets its own stream, distinct from the initial weights drawn with the same seed.
constexpr uint64_t kShuffleStream = 0x53485546464c4531ULL;

std::string rng_to_json(const Rng::State& s) {
  json j = json::array();
  for (uint64_t w : s) j.push_back(std::to_string(w));  // as strings: JSON numbers are doubles
  return j.dump();
}

Rng::State rng_from_json(const json& j) {
  Rng::State s{};
  if (!j.is_array() || j.size() != 4) throw Error("checkpoint: bad random generator state");
  for (size_t i = 0; i < 4; ++i) s[i] = std::stoull(j[i].get<std::string>());
  return s;
}

// JSON has no NaN (a metric without a test set): it travels as null.
json number(double v) {
  return std::isnan(v) ? json(nullptr) : json(v);
}
double number(const json& j) {
  return j.is_null() ? std::nan("") : j.get<double>();
}

json metrics_to_json(const std::vector<EpochMetrics>& history) {
  json rows = json::array();
  for (const auto& m : history) {
    rows.push_back({m.epoch, number(m.train_loss), number(m.train_acc), number(m.test_loss),
                    number(m.test_acc), m.seconds});
  }
  return rows;
}
}  // namespace

void request_stop() {
  g_stop.store(true);
}
bool stop_requested() {
  return g_stop.load();
}
void clear_stop_request() {
  g_stop.store(false);
}

Trainer::Trainer(Sequential& model, const Dataset& train, const Dataset* test, TrainOptions options)
    : model_(model),
      train_(train),
      test_(test),
      opt_(std::move(options)),
      shuffle_rng_(opt_.seed ^ kShuffleStream) {
  if (opt_.epochs < 1)
    throw Error("train: epochs must be at least 1, got " + std::to_string(opt_.epochs));
  if (opt_.batch < 1)
    throw Error("train: batch must be at least 1, got " + std::to_string(opt_.batch));
  if (opt_.max_steps < 0) throw Error("train: max-steps must be non-negative");
  if (!(opt_.weight_decay >= 0.0f)) throw Error("train: weight decay must be non-negative");
  if (train.size() == 0) throw Error("train: the training set is empty");
  check_lr_schedule(opt_.lr_schedule);
  if (!(train.sample_shape.numel() == model.input_shape().numel())) {
    throw Error("train: the data's samples have shape " + train.sample_shape.str() +
                " but the model's input is " + model.input_shape().str());
  }
  const int64_t outputs = model.output_shape()[0];
  if (!train.is_regression() && train.num_classes > outputs) {
    throw Error("train: the data has " + std::to_string(train.num_classes) +
                " classes but the model outputs " + std::to_string(outputs));
  }
  if (train.is_regression() && train.target_size != outputs) {
    throw Error("train: the data has " + std::to_string(train.target_size) +
                " targets per sample but the model outputs " + std::to_string(outputs));
  }
  std::vector<Param*> params;
  for (const NamedParam& np : model.named_params()) params.push_back(np.param);
  optimizer_ = make_optimizer(opt_.optimizer, params, opt_.lr);
  base_lr_ = optimizer_->lr();
  model_.set_weight_decay(opt_.weight_decay);
  epoch_rng_state_ = shuffle_rng_.state();
}

// The steps the whole run will take, over which a schedule decays.
int64_t Trainer::total_steps() const {
  const int64_t per_epoch = (train_.size() + opt_.batch - 1) / opt_.batch;
  const int64_t all = opt_.epochs * per_epoch;
  return opt_.max_steps > 0 ? std::min(all, opt_.max_steps) : all;
}

EpochMetrics Trainer::end_epoch(double epoch_seconds) {
  EpochMetrics m;
  m.epoch = epoch_;
  const EvalResult tr = evaluate(model_, train_, opt_.batch, opt_.train_eval_samples);
  m.train_loss = tr.loss;
  m.train_acc = tr.accuracy;
  if (test_ != nullptr && test_->size() > 0) {
    const EvalResult te = evaluate(model_, *test_, opt_.batch);
    m.test_loss = te.loss;
    m.test_acc = te.accuracy;
  } else {
    m.test_loss = m.test_acc = std::nan("");
  }
  m.seconds = epoch_seconds;
  return m;
}

void Trainer::log_epoch(const EpochMetrics& m) {
  char line[256];
  std::snprintf(line, sizeof line,
                "epoch %lld/%lld  train loss %.4f acc %.4f  test loss %.4f acc %.4f  %.1fs",
                static_cast<long long>(m.epoch), static_cast<long long>(opt_.epochs), m.train_loss,
                m.train_acc, m.test_loss, m.test_acc, m.seconds);
  if (opt_.log_epochs || opt_.live_progress) Progress(opt_.live_progress).line(line);
}

// The samples of batch b of an epoch's order (the last batch may be short).
std::span<const int32_t> Trainer::batch_of(const std::vector<int32_t>& order, int64_t b) const {
  const auto begin = static_cast<size_t>(b * opt_.batch);
  return std::span<const int32_t>(order).subspan(
      begin, std::min(static_cast<size_t>(opt_.batch), order.size() - begin));
}

TrainResult Trainer::run() {
  const int64_t n = train_.size();
  const int64_t batches_per_epoch = (n + opt_.batch - 1) / opt_.batch;
  std::vector<int32_t> order(static_cast<size_t>(n));
  // With two or more threads, a model whose first layer prepares its input (two_layer_net)
  // gets the next batch gathered and prepared during each step.
  BatchLoader loader(train_, model_.input_shape(),
                     num_threads() > 1 && model_.prepares_input(opt_.batch), &model_);
  Progress progress(opt_.live_progress);
  const auto run_start = std::chrono::steady_clock::now();
  int64_t samples_seen = 0;
  double train_seconds = 0.0;  // time in training steps only, for samples/s
  bool interrupted = false;
  bool steps_exhausted = opt_.max_steps > 0 && step_ >= opt_.max_steps;
  if (!opt_.out_dir.empty()) make_directories(opt_.out_dir);  // a bad --out fails now, not later

  while (epoch_ < opt_.epochs && !steps_exhausted && !interrupted) {
    // The permutation of this epoch comes from the generator's state at its start, so a
    // resumed run regenerates it exactly.
    shuffle_rng_.set_state(epoch_rng_state_);
    if (opt_.shuffle) {
      shuffle_rng_.permutation(order);
    } else {
      for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = static_cast<int32_t>(i);
    }
    progress.start_epoch(epoch_ + 1, opt_.epochs, n);
    const auto epoch_start = std::chrono::steady_clock::now();
    for (; batch_in_epoch_ < batches_per_epoch; ++batch_in_epoch_) {
      if (opt_.max_steps > 0 && step_ >= opt_.max_steps) {
        steps_exhausted = true;
        break;
      }
      if (stop_requested()) {
        interrupted = true;
        break;
      }
      const int64_t begin = batch_in_epoch_ * opt_.batch;
      const int64_t count = std::min(opt_.batch, n - begin);
      const auto step_start = std::chrono::steady_clock::now();
      const Batch& batch = loader.take(batch_of(order, batch_in_epoch_));
      if (batch_in_epoch_ + 1 < batches_per_epoch) {
        loader.prefetch(batch_of(order, batch_in_epoch_ + 1));
      }
      model_.zero_grad();
      const double loss = model_.loss(batch.x, batch.target(), true, batch.prepared_input());
      if (!std::isfinite(loss)) {
        throw Error("training diverged: the loss is " +
                    std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
                    std::to_string(step_ + 1) + " (epoch " + std::to_string(epoch_ + 1) +
                    "); try a smaller learning rate");
      }
      model_.backward();
      optimizer_->set_lr(
          static_cast<float>(base_lr_ * lr_factor(opt_.lr_schedule, step_, total_steps())));
      optimizer_->step();
      ++step_;
      samples_seen += count;
      train_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
      progress.update(begin + count, loss);
      if (opt_.on_step) opt_.on_step(step_, loss);
    }
    if (interrupted) break;
    const double epoch_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    ++epoch_;
    batch_in_epoch_ = 0;
    epoch_rng_state_ = shuffle_rng_.state();
    history_.push_back(end_epoch(epoch_seconds));
    log_epoch(history_.back());
    write_outputs(false);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  if (interrupted) {
    write_outputs(false);
    progress.line(
        "interrupted at step " + std::to_string(step_) + " (epoch " + std::to_string(epoch_ + 1) +
        ")" +
        (opt_.out_dir.empty() ? "" : "; continue with: nnzero train --resume " + opt_.out_dir));
  }
  TrainResult r;
  r.epochs = epoch_;
  r.steps = step_;
  r.interrupted = interrupted;
  r.history = history_;
  r.seconds = seconds_before_ + seconds;
  seconds_before_ += seconds;
  r.samples_per_s = train_seconds > 0 ? static_cast<double>(samples_seen) / train_seconds : 0.0;
  if (!history_.empty()) {
    r.train_acc = history_.back().train_acc;
    r.train_loss = history_.back().train_loss;
    r.test_acc = history_.back().test_acc;
    r.test_loss = history_.back().test_loss;
  }
  return r;
}

void Trainer::write_outputs(bool /*finished*/) {
  if (opt_.on_epoch) opt_.on_epoch(history_);
  if (opt_.out_dir.empty()) return;
  make_directories(opt_.out_dir);
  std::string csv = "epoch,train_loss,train_acc,test_loss,test_acc,seconds\n";
  for (const auto& m : history_) {
    char row[256];
    std::snprintf(row, sizeof row, "%lld,%.6f,%.6f,%.6f,%.6f,%.3f\n",
                  static_cast<long long>(m.epoch), m.train_loss, m.train_acc, m.test_loss,
                  m.test_acc, m.seconds);
    csv += row;
  }
  write_file_atomic((std::filesystem::path(opt_.out_dir) / "metrics.csv").string(), csv);
  save_model(model_, (std::filesystem::path(opt_.out_dir) / "model.safetensors").string());
  save_checkpoint(checkpoint_path(opt_.out_dir));
}

std::string Trainer::checkpoint_path(const std::string& run_dir) {
  return (std::filesystem::path(run_dir) / "checkpoint.safetensors").string();
}

void Trainer::save_checkpoint(const std::string& path) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (const NamedTensor& nt : model_.state()) tensors.emplace_back("model." + nt.name, nt.tensor);
  const std::vector<Tensor*> slots = optimizer_->state();
  for (size_t i = 0; i < slots.size(); ++i) {
    tensors.emplace_back("optimizer." + std::to_string(i), slots[i]);
  }
  json dropout = json::array();
  for (size_t i = 0; i < model_.size(); ++i) {
    if (Rng* r = model_.layer(i).rng()) dropout.push_back(json::parse(rng_to_json(r->state())));
  }
  const json state = {{"epoch", epoch_},
                      {"batch_in_epoch", batch_in_epoch_},
                      {"step", step_},
                      {"seconds", seconds_before_},
                      {"optimizer", opt_.optimizer},
                      {"lr", base_lr_},
                      {"lr_schedule", opt_.lr_schedule},
                      {"iterations", optimizer_->iterations()},
                      {"weight_decay", opt_.weight_decay},
                      {"epochs", opt_.epochs},
                      {"batch", opt_.batch},
                      {"max_steps", opt_.max_steps},
                      {"shuffle", opt_.shuffle},
                      {"seed", std::to_string(opt_.seed)},
                      {"train_eval_samples", opt_.train_eval_samples},
                      {"data", opt_.data_dir},
                      {"train_samples", opt_.train_samples},
                      {"epoch_rng", json::parse(rng_to_json(epoch_rng_state_))},
                      {"dropout_rngs", dropout},
                      {"history", metrics_to_json(history_)}};
  write_safetensors(path, tensors,
                    {{"nnzero.spec", model_.spec().to_json()},
                     {"nnzero.version", NNZERO_VERSION},
                     {"nnzero.checkpoint", state.dump()}});
}

namespace {
json read_checkpoint_state(const SafetensorsFile& f) {
  const auto it = f.metadata().find("nnzero.checkpoint");
  if (it == f.metadata().end()) throw Error(f.name() + ": not an nnzero checkpoint");
  try {
    return json::parse(it->second);
  } catch (const json::exception& e) {
    throw Error(f.name() + ": corrupt checkpoint state (" + e.what() + ")");
  }
}
}  // namespace

void Trainer::load_checkpoint(const std::string& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  const json s = read_checkpoint_state(f);
  try {
    for (const NamedTensor& nt : model_.state()) {
      const Tensor t = f.tensor("model." + nt.name);
      check_same_shape(t.shape(), nt.tensor->shape(), ("checkpoint tensor " + nt.name).c_str());
      nt.tensor->copy_from(t);
    }
    if (s.at("optimizer").get<std::string>() != optimizer_->name()) {
      throw Error("the checkpoint was made with optimizer " + s.at("optimizer").get<std::string>());
    }
    const std::string schedule = s.value("lr_schedule", std::string("constant"));
    if (schedule != opt_.lr_schedule) {
      throw Error("the checkpoint was made with learning-rate schedule " + schedule);
    }
    const std::vector<Tensor*> slots = optimizer_->state();
    for (size_t i = 0; i < slots.size(); ++i) {
      const Tensor t = f.tensor("optimizer." + std::to_string(i));
      check_same_shape(t.shape(), slots[i]->shape(), "checkpoint optimizer state");
      slots[i]->copy_from(t);
    }
    base_lr_ = s.at("lr").get<float>();
    optimizer_->set_lr(base_lr_);
    optimizer_->set_iterations(s.at("iterations").get<int64_t>());
    size_t d = 0;
    const json& dropout = s.at("dropout_rngs");
    for (size_t i = 0; i < model_.size(); ++i) {
      if (Rng* r = model_.layer(i).rng()) r->set_state(rng_from_json(dropout.at(d++)));
    }
    epoch_ = s.at("epoch").get<int64_t>();
    batch_in_epoch_ = s.at("batch_in_epoch").get<int64_t>();
    step_ = s.at("step").get<int64_t>();
    seconds_before_ = s.at("seconds").get<double>();
    epoch_rng_state_ = rng_from_json(s.at("epoch_rng"));
    history_.clear();
    for (const json& row : s.at("history")) {
      history_.push_back({row.at(0).get<int64_t>(), number(row.at(1)), number(row.at(2)),
                          number(row.at(3)), number(row.at(4)), row.at(5).get<double>()});
    }
  } catch (const json::exception& e) {
    throw Error(path + ": corrupt checkpoint state (" + e.what() + ")");
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
}

TrainOptions Trainer::checkpoint_options(const std::string& run_dir) {
  const SafetensorsFile f = SafetensorsFile::read(checkpoint_path(run_dir));
  const json s = read_checkpoint_state(f);
  TrainOptions o;
  try {
    o.epochs = s.at("epochs").get<int64_t>();
    o.batch = s.at("batch").get<int64_t>();
    o.max_steps = s.at("max_steps").get<int64_t>();
    o.shuffle = s.at("shuffle").get<bool>();
    o.seed = std::stoull(s.at("seed").get<std::string>());
    o.optimizer = s.at("optimizer").get<std::string>();
    o.lr = s.at("lr").get<float>();
    o.lr_schedule = s.value("lr_schedule", std::string("constant"));  // older checkpoints: none
    check_lr_schedule(o.lr_schedule);
    o.weight_decay = s.at("weight_decay").get<float>();
    o.train_eval_samples = s.at("train_eval_samples").get<int64_t>();
    o.data_dir = s.at("data").get<std::string>();
    o.train_samples = s.at("train_samples").get<int64_t>();
  } catch (const std::exception& e) {
    throw Error(f.name() + ": corrupt checkpoint state (" + e.what() + ")");
  }
  o.out_dir = run_dir;
  return o;
}

ModelSpec Trainer::checkpoint_spec(const std::string& run_dir) {
  const SafetensorsFile f = SafetensorsFile::read(checkpoint_path(run_dir));
  const auto it = f.metadata().find("nnzero.spec");
  if (it == f.metadata().end()) throw Error(f.name() + ": no model spec");
  return ModelSpec::parse(it->second, f.name() + ": nnzero.spec");
}

}  // namespace nnzero
