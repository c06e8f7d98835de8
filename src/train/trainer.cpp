#include "nnzero/train/trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "nnzero/data/batch_loader.h"
#include "nnzero/io/file.h"
#include "nnzero/io/folder_lock.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/train/checkpoint.h"
#include "nnzero/train/data_parallel.h"
#include "nnzero/train/evaluate.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/progress.h"

namespace nnzero {

using nlohmann::json;

namespace {
std::atomic<bool> g_stop{false};

// Shuffling gets its own stream, distinct from the initial weights drawn with the same seed.
constexpr uint64_t kShuffleStream = 0x53485546464c4531ULL;

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

Trainer::Trainer(Model& model, const Dataset& train, const Dataset* test, TrainOptions options)
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
  check_augmentation(opt_.augmentation, model_.input_shape());
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
  if (std::all_of(params.begin(), params.end(), [](const Param* p) { return p->frozen; })) {
    throw Error(
        "train: every layer with parameters is frozen (\"trainable\": false or "
        "--freeze): nothing would train");
  }
  // AdamW's weight decay is its own, decoupled from the gradient; the others' the book's L2.
  const bool adamw = opt_.optimizer == "adamw";
  optimizer_ = adamw ? make_adamw(params, opt_.lr > 0.0f ? opt_.lr : default_lr("adamw"),
                                  {.weight_decay = opt_.weight_decay})
                     : make_optimizer(opt_.optimizer, params, opt_.lr);
  base_lr_ = optimizer_->lr();
  model_.set_weight_decay(adamw ? 0.0f : opt_.weight_decay);
  if (opt_.precision != Precision::fp32) {
    auto* layers = dynamic_cast<Sequential*>(&model_);
    if (layers == nullptr) {
      throw Error(std::string("train: --precision ") + precision_name(opt_.precision) +
                  " trains image and table models (stacks of layers); use fp32");
    }
    layers->set_training_precision(opt_.precision);
  }
  epoch_rng_state_ = shuffle_rng_.state();
}

Trainer::~Trainer() = default;

bool Trainer::distributed() const {
  return opt_.comm != nullptr && opt_.comm->size() > 1;
}

// With peers, every rank stops at the same step: a request seen by any rank travels with the
// gradients (reduce_across_ranks), so no rank is left waiting in an all-reduce.
bool Trainer::stop_now() const {
  return distributed() ? ranks_stop_ : stop_requested();
}

// The steps the whole run will take, over which a schedule decays.
int64_t Trainer::total_steps() const {
  const int64_t all = opt_.epochs * batches_per_epoch();
  return opt_.max_steps > 0 ? std::min(all, opt_.max_steps) : all;
}

EpochMetrics Trainer::end_epoch(double epoch_seconds) {
  EpochMetrics m;
  m.epoch = epoch_;
  m.seconds = epoch_seconds;
  if (distributed()) {
    // Rank 0's weights everywhere (MPI does not promise bit-identical sums on every rank; this
    // keeps the ranks from drifting apart), and its running statistics, which it saves.
    broadcast_training_state(*opt_.comm, model_, *optimizer_);
    if (opt_.comm->rank() != 0) {  // rank 0 evaluates and reports
      m.train_loss = m.train_acc = m.test_loss = m.test_acc = kNoMetric;
      return m;
    }
  }
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

// This rank's contiguous part of a batch (all of it without peers).
std::span<const int32_t> Trainer::my_part(std::span<const int32_t> batch) const {
  if (!distributed()) return batch;
  const RankSlice r =
      rank_slice(static_cast<int64_t>(batch.size()), opt_.comm->rank(), opt_.comm->size());
  return batch.subspan(static_cast<size_t>(r.begin), static_cast<size_t>(r.size()));
}

int64_t Trainer::batches_per_epoch() const {
  return (train_.size() + opt_.batch - 1) / opt_.batch;
}

bool Trainer::steps_done() const {
  return opt_.max_steps > 0 && step_ >= opt_.max_steps;
}

// One step on the samples of `batch` (null: this rank's part of the batch is empty):
// forward, loss, backward, the sum across ranks, update. Returns the loss over the batch.
double Trainer::train_step(const Batch* batch, int64_t count) {
  model_.zero_grad();
  double loss = 0.0;
  if (batch != nullptr) {
    model_.use_prepared(batch->prepared_input());
    loss = model_.loss(batch->x, batch->target(), true);
    if (std::isfinite(loss)) model_.backward();
  }
  if (distributed()) loss = reduce_across_ranks(loss, batch ? batch->x.shape()[0] : 0, count);
  if (!std::isfinite(loss)) {
    throw Error("training diverged: the loss is " +
                std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
                std::to_string(step_ + 1) + " (epoch " + std::to_string(epoch_ + 1) +
                "); try a smaller learning rate");
  }
  optimizer_->set_lr(
      static_cast<float>(base_lr_ * lr_factor(opt_.lr_schedule, step_, total_steps())));
  optimizer_->step();
  ++step_;
  return loss;
}

// This rank's gradient and loss are means over its `rows` of the batch's `count` samples:
// weighted by rows/count and summed over the ranks they become the means over the batch
// (train/data_parallel.h). Returns the batch's loss.
double Trainer::reduce_across_ranks(double loss, int64_t rows, int64_t count) {
  const float weight = static_cast<float>(rows) / static_cast<float>(count);
  float extras[2] = {static_cast<float>(loss) * weight, stop_requested() ? 1.0f : 0.0f};
  allreduce_->reduce(weight, extras);
  ranks_stop_ = extras[1] > 0.0f;
  return extras[0];
}

// The batches of the current epoch from batch_in_epoch_ on, until the epoch ends, the step
// budget is spent (false) or a stop is requested (false, `interrupted` set).
bool Trainer::run_epoch(const std::vector<int32_t>& order, BatchLoader& loader, Progress& progress,
                        RunStats& stats) {
  const int64_t n = train_.size(), batches = batches_per_epoch();
  for (; batch_in_epoch_ < batches; ++batch_in_epoch_) {
    if (steps_done()) return false;
    if (stop_now()) {
      stats.interrupted = true;
      return false;
    }
    const int64_t begin = batch_in_epoch_ * opt_.batch;
    const int64_t count = std::min(opt_.batch, n - begin);
    const auto step_start = std::chrono::steady_clock::now();
    const std::span<const int32_t> mine = my_part(batch_of(order, batch_in_epoch_));
    const Batch* batch = mine.empty() ? nullptr : &loader.take(mine);
    loader.set_gather_ahead(stats.threads->threads() > 1);
    if (batch_in_epoch_ + 1 < batches) {
      const std::span<const int32_t> next = my_part(batch_of(order, batch_in_epoch_ + 1));
      if (!next.empty()) loader.prefetch(next);
    }
    const double loss = train_step(batch, count);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
    stats.samples += count;
    stats.train_seconds += seconds;
    stats.threads->step_done(seconds, count);
    progress.update(begin + count, loss);
    if (opt_.on_step) opt_.on_step(step_, loss);
  }
  return true;
}

// The order of the current epoch's samples, from the shuffling generator's state at the
// epoch's start: a resumed run regenerates it exactly.
void Trainer::epoch_order(std::vector<int32_t>& order) {
  shuffle_rng_.set_state(epoch_rng_state_);
  if (opt_.shuffle) {
    shuffle_rng_.permutation(order);
  } else {
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  }
}

TrainResult Trainer::run() {
  std::vector<int32_t> order(static_cast<size_t>(train_.size()));
  // With two or more threads, a model whose first layer prepares its input (two_layer_net)
  // gets the next batch gathered and prepared during each step.
  BatchLoader loader(
      train_, model_.input_shape(), num_threads() > 1 && model_.prepares_input(opt_.batch),
      [this](const Tensor& x, Tensor& prepared) { return model_.prepare_input(x, prepared); });
  loader.set_augmentation(opt_.augmentation, opt_.seed);
  Progress progress(opt_.live_progress);
  const auto run_start = std::chrono::steady_clock::now();
  // The caller's thread count again when training ends, however it ends.
  struct RestoreThreads {
    int n = num_threads();
    ~RestoreThreads() { set_num_threads(n); }
  } restore;
  ThreadGovernor governor(restore.n, opt_.adapt_threads);
  RunStats stats;
  stats.threads = &governor;
  // A bad --out, or one another run is writing to, fails now, not after an epoch.
  std::optional<FolderLock> lock;
  if (!opt_.out_dir.empty()) lock.emplace(opt_.out_dir);
  if (distributed()) {
    // Rank 0's start (fresh weights, --init-from or --resume) on every rank.
    broadcast_training_state(*opt_.comm, model_, *optimizer_);
    allreduce_ = std::make_unique<GradientAllreduce>(*opt_.comm, model_);
    ranks_stop_ = false;
  }

  // An epoch cut short by --max-steps counts as an epoch: it trained.
  while (epoch_ < opt_.epochs && !steps_done() && !stats.interrupted) {
    epoch_order(order);
    loader.set_epoch(epoch_);
    progress.start_epoch(epoch_ + 1, opt_.epochs, train_.size());
    const auto epoch_start = std::chrono::steady_clock::now();
    run_epoch(order, loader, progress, stats);
    if (stats.interrupted) break;
    ++epoch_;
    batch_in_epoch_ = 0;
    epoch_rng_state_ = shuffle_rng_.state();
    history_.push_back(end_epoch(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count()));
    log_epoch(history_.back());
    write_outputs();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
  if (stats.interrupted) {
    write_outputs();
    if (!distributed() || opt_.comm->rank() == 0)
      progress.line(
          "interrupted at step " + std::to_string(step_) + " (epoch " + std::to_string(epoch_ + 1) +
          ")" +
          (opt_.out_dir.empty() ? "" : "; continue with: nnzero train --resume " + opt_.out_dir));
  }
  seconds_before_ += seconds;
  return result(stats);
}

// What run() returns; the metrics of the last epoch, NaN when none has ended.
TrainResult Trainer::result(const RunStats& stats) const {
  TrainResult r;
  r.epochs = epoch_;
  r.steps = step_;
  r.interrupted = stats.interrupted;
  r.history = history_;
  r.seconds = seconds_before_;
  r.samples_per_s =
      stats.train_seconds > 0 ? static_cast<double>(stats.samples) / stats.train_seconds : 0.0;
  if (distributed()) {
    r.ranks = opt_.comm->size();
    r.allreduce_seconds = allreduce_->seconds();
  }
  if (!history_.empty()) {
    r.train_acc = history_.back().train_acc;
    r.train_loss = history_.back().train_loss;
    r.test_acc = history_.back().test_acc;
    r.test_loss = history_.back().test_loss;
  }
  return r;
}

// The model file's metadata: the options' (e.g. "nnzero.classes") and "nnzero.metrics", the
// last epoch's figures, for the cards of `nnzero serve` and anyone reading the file later.
std::map<std::string, std::string> Trainer::model_metadata() const {
  std::map<std::string, std::string> metadata = opt_.metadata;
  if (history_.empty()) return metadata;
  const EpochMetrics& m = history_.back();
  nlohmann::json j = {{"epochs", m.epoch}, {"steps", step_}};
  const auto put = [&j](const char* key, double v) {
    if (std::isfinite(v)) j[key] = v;
  };
  put("train_acc", m.train_acc);
  put("train_loss", m.train_loss);
  put("test_acc", m.test_acc);
  put("test_loss", m.test_loss);
  metadata["nnzero.metrics"] = j.dump();
  return metadata;
}

void Trainer::write_outputs() {
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
  save_model(model_, (std::filesystem::path(opt_.out_dir) / "model.safetensors").string(),
             model_metadata());
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
  CheckpointState state;
  state.epoch = epoch_;
  state.batch_in_epoch = batch_in_epoch_;
  state.step = step_;
  state.seconds = seconds_before_;
  state.iterations = optimizer_->iterations();
  state.options = opt_;
  state.options.lr = base_lr_;
  state.epoch_rng = epoch_rng_state_;
  for (Rng* r : model_.rngs()) state.dropout_rngs.push_back(r->state());
  state.history = history_;
  write_safetensors(path, tensors,
                    {{"nnzero.spec", model_.spec().to_json()},
                     {"nnzero.version", NNZERO_VERSION},
                     {"nnzero.checkpoint", state.to_json()}});
}

namespace {
CheckpointState read_checkpoint_state(const SafetensorsFile& f) {
  const auto it = f.metadata().find("nnzero.checkpoint");
  if (it == f.metadata().end()) throw Error(f.name() + ": not an nnzero checkpoint");
  return CheckpointState::parse(it->second, f.name());
}
}  // namespace

void Trainer::load_checkpoint(const std::string& path) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  const CheckpointState s = read_checkpoint_state(f);
  try {
    if (s.options.optimizer != optimizer_->name()) {
      throw Error("the checkpoint was made with optimizer " + s.options.optimizer);
    }
    if (s.options.lr_schedule != opt_.lr_schedule) {
      throw Error("the checkpoint was made with learning-rate schedule " + s.options.lr_schedule);
    }
    const std::vector<Rng*> rngs = model_.rngs();
    if (s.dropout_rngs.size() != rngs.size()) {
      throw Error("the checkpoint holds " + std::to_string(s.dropout_rngs.size()) +
                  " dropout generators, the model has " + std::to_string(rngs.size()));
    }
    if (s.batch_in_epoch >= batches_per_epoch()) {
      throw Error("the checkpoint stopped at batch " + std::to_string(s.batch_in_epoch) +
                  " of an epoch of " + std::to_string(batches_per_epoch()) +
                  " batches: made with other data or another batch size?");
    }
    for (const NamedTensor& nt : model_.state()) {
      const Tensor t = f.tensor("model." + nt.name);
      check_same_shape(t.shape(), nt.tensor->shape(), ("checkpoint tensor " + nt.name).c_str());
      nt.tensor->copy_from(t);
    }
    const std::vector<Tensor*> slots = optimizer_->state();
    for (size_t i = 0; i < slots.size(); ++i) {
      const Tensor t = f.tensor("optimizer." + std::to_string(i));
      check_same_shape(t.shape(), slots[i]->shape(), "checkpoint optimizer state");
      slots[i]->copy_from(t);
    }
    for (size_t i = 0; i < rngs.size(); ++i) rngs[i]->set_state(s.dropout_rngs[i]);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  base_lr_ = s.options.lr;
  optimizer_->set_lr(base_lr_);
  optimizer_->set_iterations(s.iterations);
  epoch_ = s.epoch;
  batch_in_epoch_ = s.batch_in_epoch;
  step_ = s.step;
  seconds_before_ = s.seconds;
  epoch_rng_state_ = s.epoch_rng;
  history_ = s.history;
}

TrainOptions Trainer::checkpoint_options(const std::string& run_dir) {
  const SafetensorsFile f = SafetensorsFile::read(checkpoint_path(run_dir));
  TrainOptions o = read_checkpoint_state(f).options;
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
