#include "nnzero/train/table_network.h"

#include "nnzero/error.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"

namespace nnzero {

namespace {

std::string feature_summary(const TableEncoding& e) {
  int64_t numeric = 0, categorical = 0;
  for (const FeatureColumn& f : e.features) (f.categorical ? categorical : numeric) += 1;
  return std::to_string(numeric) + " numeric and " + std::to_string(categorical) +
         " categorical columns";
}

ModelSpec table_mlp(const TableTrainOptions& options, const TableEncoding& e,
                    const std::string& name, int64_t outputs) {
  ModelSpec spec = builtin_spec("multi_layer_net", options.mlp);
  spec.name = name;
  spec.input = Shape{e.num_inputs()};
  spec.layers.back().fields["out_features"] = outputs;
  spec.loss = default_table_loss(e.task);
  spec.train = {.optimizer = TableDefaults::optimizer,
                .lr_schedule = {},
                .lr = TableDefaults::lr,
                .weight_decay = TableDefaults::weight_decay,
                .batch = TableDefaults::batch,
                .epochs = TableDefaults::epochs,
                .max_steps = {},
                .crop_padding = {},
                .horizontal_flip = {}};
  return spec;
}

bool loss_fits(const std::string& loss, TableTask task) {
  return loss == "mse" || (task == TableTask::classify && loss == "softmax_cross_entropy");
}

}  // namespace

const char* default_table_loss(TableTask task) {
  return task == TableTask::classify ? "softmax_cross_entropy" : "mse";
}

ModelSpec table_network(const TableTrainOptions& options, const TableEncoding& e,
                        const std::string& name) {
  const int64_t inputs = e.num_inputs();
  const bool classify = e.task == TableTask::classify;
  const int64_t outputs = classify ? static_cast<int64_t>(e.classes.size()) : 1;
  const std::string spec_name = options.spec_name.empty() ? "the spec" : options.spec_name;
  ModelSpec spec;
  if (options.spec) {
    spec = *options.spec;
    if (spec.input.numel() != inputs) {
      throw Error(spec_name + ": the spec's input is " + spec.input.str() + " but " + options.data +
                  " encodes to " + std::to_string(inputs) + " features (" + feature_summary(e) +
                  ")");
    }
  } else {
    spec = table_mlp(options, e, name, outputs);
  }
  if (!options.init.empty()) {
    check_init(options.init, "--init");
    spec.init = options.init;
  }
  Rng rng(0);
  const Sequential check(spec, rng);
  const Shape& out = check.output_shape();
  if (out.rank() != 1 || out[0] != outputs || !loss_fits(spec.loss, e.task)) {
    throw Error((options.spec ? spec_name : std::string("the table MLP")) +
                ": the network outputs " + out.str() + " with loss " + spec.loss + ", but --task " +
                task_name(e.task) + " on " + options.data + " needs (" + std::to_string(outputs) +
                ") with loss " + default_table_loss(e.task) + (classify ? " or mse" : ""));
  }
  return spec;
}

TrainOptions table_train_options(const TableTrainOptions& options, const ModelSpec& spec) {
  const TrainDefaults& flags = options.train;
  const TrainDefaults& s = spec.train;
  TrainOptions o;
  o.epochs = flags.epochs.value_or(s.epochs.value_or(TableDefaults::epochs));
  o.batch = flags.batch.value_or(s.batch.value_or(TableDefaults::batch));
  o.max_steps = flags.max_steps.value_or(s.max_steps.value_or(0));
  const std::string spec_optimizer = s.optimizer.value_or(TableDefaults::optimizer);
  o.optimizer = flags.optimizer.value_or(spec_optimizer);
  // As for MNIST: the spec's learning rate goes with its optimizer; another optimizer without
  // a learning rate gets its own book default (0 means that, see make_optimizer).
  const double spec_lr = o.optimizer == spec_optimizer ? s.lr.value_or(TableDefaults::lr) : 0.0;
  o.lr = static_cast<float>(flags.lr.value_or(spec_lr));
  o.lr_schedule = flags.lr_schedule.value_or(s.lr_schedule.value_or("constant"));
  o.weight_decay = static_cast<float>(
      flags.weight_decay.value_or(s.weight_decay.value_or(TableDefaults::weight_decay)));
  o.seed = options.seed;
  o.shuffle = options.shuffle;
  o.log_epochs = false;  // hundreds of short epochs: one summary line per model instead
  o.live_progress = options.live_progress;
  return o;
}

}  // namespace nnzero
