// nnzero train: trains a built-in model or a spec on MNIST-format data, writing a run folder
// (metrics.csv, model.safetensors, checkpoint.safetensors, loss.csv, curves.png) and the
// result as JSON.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "common.h"
#include "mpi/ranks.h"
#include "nnzero/data/image_folder.h"
#include "nnzero/io/file.h"
#include "nnzero/model/model_file.h"
#include "nnzero/parallel.h"
#include "nnzero/plot/run_curves.h"
#include "nnzero/strings.h"
#include "nnzero/train/checkpoint.h"
#include "nnzero/train/data_parallel.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/progress.h"
#include "nnzero/train/trainer.h"
#include "seq2seq.h"
#include "table.h"
#include "text.h"

namespace nnzero::cli {

namespace {

struct TrainArgs {
  ModelChoice choice;
  std::string data, optimizer, lr_schedule, init_from, freeze, resume, out, precision = "fp32";
  int64_t epochs = 0, batch = 0, max_steps = 0, train_samples = 0, crop_padding = 0;
  double lr = 0.0, weight_decay = 0.0;
  uint64_t seed = 0;
  int threads = 0;
  bool no_shuffle = false, quiet = false, force = false, flip = false;
  CLI::App* cmd = nullptr;
  bool given(const char* flag) const { return cli::given(*cmd, flag); }
};

// Flag, else the spec's training default, else the library default.
TrainOptions options_from(const TrainArgs& a, const ModelSpec& spec) {
  TrainOptions o;
  o.epochs = a.given("--epochs") ? a.epochs : spec.train.epochs.value_or(10);
  o.batch = a.given("--batch") ? a.batch : spec.train.batch.value_or(100);
  o.max_steps = a.given("--max-steps") ? a.max_steps : spec.train.max_steps.value_or(0);
  o.optimizer = a.given("--optimizer") ? a.optimizer : spec.train.optimizer.value_or("sgd");
  // The spec's learning rate belongs to the spec's optimizer: another optimizer without --lr
  // gets its own book default (0 here means that, see make_optimizer).
  const bool same_optimizer = o.optimizer == spec.train.optimizer.value_or("sgd");
  o.lr = static_cast<float>(a.given("--lr")  ? a.lr
                            : same_optimizer ? spec.train.lr.value_or(0.0)
                                             : 0.0);
  o.lr_schedule =
      a.given("--lr-schedule") ? a.lr_schedule : spec.train.lr_schedule.value_or("constant");
  o.weight_decay = static_cast<float>(
      a.given("--weight-decay") ? a.weight_decay : spec.train.weight_decay.value_or(0.0));
  o.seed = a.seed;
  o.shuffle = !a.no_shuffle;
  o.train_samples = a.train_samples;
  o.val_split = value<double>(*a.cmd, "--val-split", 0.0);  // a table flag too
  o.augmentation.crop_padding =
      a.given("--crop-padding") ? a.crop_padding : spec.train.crop_padding.value_or(0);
  o.augmentation.horizontal_flip = a.flip || spec.train.horizontal_flip.value_or(false);
  o.precision = parse_precision(a.precision, "--precision");
  return o;
}

void check_values(const TrainArgs& a) {
  if (a.given("--crop-padding") && a.crop_padding < 0) {
    throw Error("--crop-padding must be at least 0, got " + std::to_string(a.crop_padding));
  }
  if (a.given("--epochs") && a.epochs < 1) {
    throw Error("--epochs must be at least 1, got " + std::to_string(a.epochs));
  }
  if (a.given("--batch") && a.batch < 1) {
    throw Error("--batch must be at least 1, got " + std::to_string(a.batch));
  }
  if (a.given("--max-steps") && a.max_steps < 1) {
    throw Error("--max-steps must be at least 1, got " + std::to_string(a.max_steps));
  }
  if (a.given("--lr") && !(a.lr > 0.0))
    throw Error("--lr must be positive, got " + std::to_string(a.lr));
  if (a.given("--weight-decay") && !(a.weight_decay >= 0.0)) {
    throw Error("--weight-decay must be non-negative, got " + std::to_string(a.weight_decay));
  }
  if (a.given("--train-samples") && a.train_samples < 1) {
    throw Error("--train-samples must be at least 1");
  }
  if (a.given("--lr-schedule")) check_lr_schedule(a.lr_schedule);
  if (a.given("--optimizer")) (void)default_lr(a.optimizer), make_optimizer(a.optimizer, {}, 1.0f);
}

// --freeze "0-5,8": "trainable": false on those layers of the spec (names are layer indices;
// A-B is every layer from A to B).
void freeze_in_spec(ModelSpec& spec, const std::string& list) {
  const auto n = static_cast<int64_t>(spec.layers.size());
  const auto index = [&](const std::string& text) {
    size_t used = 0;
    int64_t i = -1;
    try {
      i = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (text.empty() || used != text.size() || i < 0 || i >= n) {
      throw Error("--freeze: \"" + text + "\" is not a layer of " + spec.name + " (layers 0 to " +
                  std::to_string(n - 1) + "; e.g. --freeze 0-5 or --freeze 0,2,4)");
    }
    return i;
  };
  std::stringstream items(list);
  std::string item;
  bool any = false;
  while (std::getline(items, item, ',')) {
    const size_t dash = item.find('-', 1);
    const int64_t first = index(item.substr(0, dash));
    const int64_t last = dash == std::string::npos ? first : index(item.substr(dash + 1));
    if (last < first) throw Error("--freeze: the range \"" + item + "\" runs backwards");
    for (int64_t i = first; i <= last; ++i) {
      spec.layers[static_cast<size_t>(i)].fields["trainable"] = false;
    }
    any = true;
  }
  if (!any) throw Error("--freeze needs layers, e.g. --freeze 0-5");
}

// What --init-from took and what --freeze froze, on stderr and in the result's JSON.
void report_transfer(const LoadedWeights* loaded, Model& model, const std::string& init_from,
                     bool quiet, nlohmann::json& j) {
  if (loaded != nullptr) {
    j["init_from"] = {{"model", init_from},
                      {"loaded", loaded->loaded},
                      {"fresh", loaded->fresh},
                      {"unused", loaded->unused}};
    if (!quiet) {
      std::cerr << "--init-from " << init_from << ": loaded layers " << join(loaded->loaded, ", ")
                << (loaded->fresh.empty() ? ""
                                          : "; initialised afresh " + join(loaded->fresh, ", "))
                << (loaded->unused.empty() ? "" : "; not used " + join(loaded->unused, ", "))
                << "\n";
    }
  }
  std::vector<std::string> frozen;
  int64_t frozen_params = 0;
  for (const NamedLayer& nl : model.named_layers()) {
    const std::vector<Param*> params = nl.layer->params();
    if (params.empty() || !params.front()->frozen) continue;
    frozen.push_back(nl.name);
    for (const Param* p : params) frozen_params += p->value.numel();
  }
  if (frozen.empty()) return;
  j["frozen"] = frozen;
  if (!quiet) {
    std::cerr << "frozen: layers " << join(frozen, ", ") << " (" << frozen_params
              << " parameters keep their values)\n";
  }
}

// Ranks that share a machine share its cores: without --threads or OMP_NUM_THREADS, a rank
// runs at most its share of them (mpirun binds each of 2 ranks to a core of its own already;
// a rank left unbound would see them all).
void split_cores_between_ranks(const TrainArgs& a) {
  if (a.given("--threads") || std::getenv("OMP_NUM_THREADS") != nullptr) return;
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const int on_this_machine = local != nullptr ? std::max(1, std::atoi(local)) : 1;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  set_num_threads(std::max(1, std::min(num_threads(), cores / on_this_machine)));
}

// What every rank must agree on: the model, the options, the data (sizes, shapes, labels,
// the first and last image) and, when resuming, the checkpoint's bytes.
uint64_t run_fingerprint(const ModelSpec& spec, const TrainOptions& opt, const Mnist& data,
                         const std::string& resume) {
  CheckpointState options;
  options.options = opt;
  std::string text = spec.to_json() + options.to_json();
  for (const Dataset* d : {&data.train, &data.test}) {
    text += std::to_string(d->size()) + " " + d->sample_shape.str() + " " +
            std::to_string(d->num_classes) + ";";
  }
  uint64_t h = fnv1a(std::as_bytes(std::span<const char>(text.data(), text.size())));
  for (const Dataset* d : {&data.train, &data.test}) {
    h = fnv1a(std::as_bytes(std::span<const int32_t>(d->labels)), h);
    if (d->size() == 0) continue;
    for (int32_t i : {int32_t{0}, static_cast<int32_t>(d->size() - 1)}) {
      Tensor x;
      gather_images(*d, std::span<const int32_t>(&i, 1), d->sample_shape, x);
      h = fnv1a(std::as_bytes(x.span()), h);
    }
  }
  if (!resume.empty()) {
    const std::vector<uint8_t> bytes = read_file(Trainer::checkpoint_path(resume));
    h = fnv1a(std::as_bytes(std::span<const uint8_t>(bytes)), h);
  }
  return h;
}

// MNIST's IDX files in opt.data_dir, or an image folder (train/<class>/..., see
// data/image_folder.h) decoded to the spec's input, its class names going into the model file.
Mnist load_training_data(TrainOptions& opt, const ModelSpec& spec, bool quiet) {
  if (!is_image_folder(opt.data_dir)) return load_mnist_for(opt.data_dir);
  ImageFolderOptions fo;
  fo.input = spec.input;
  fo.val_split = opt.val_split;
  fo.seed = opt.seed;
  const bool live = !quiet && Progress::stderr_is_terminal();
  if (live) {
    fo.progress = [](int64_t done, int64_t total) {
      std::cerr << "\rdecoding images " << 100 * done / std::max<int64_t>(1, total) << " %  ("
                << done << " / " << total << ")" << std::flush;
    };
  }
  ImageFolder folder = load_image_folder(opt.data_dir, fo);
  if (live) std::cerr << "\r\033[K";
  if (!quiet) {
    std::cerr << "decoded " << folder.train.size() + folder.test.size() << " images of "
              << folder.classes.size() << " classes in " << opt.data_dir << " to "
              << spec.input.str() << " in " << format_duration(folder.decode_seconds) << " ("
              << folder.decode_seconds << " s)\n";
  }
  opt.metadata["nnzero.classes"] = nlohmann::json(folder.classes).dump();
  // How a photo becomes a sample (io/image_sample.h): the Classifier and `predict` read it.
  nlohmann::json preprocess = {{"kind", "image_folder"},  {"channels", spec.input[0]},
                               {"height", spec.input[1]}, {"width", spec.input[2]},
                               {"resize", "box"},         {"scale", "1/255"}};
  folder.train.norm.add_to(preprocess);  // "mean", "std" (io/channel_norm.h)
  opt.metadata["nnzero.preprocess"] = preprocess.dump();
  return {std::move(folder.train), std::move(folder.test)};
}

// An image folder's classes are the model's outputs (predict and serve name them). A
// built-in model's last linear layer is sized to them (resnet_cifar on two kinds of leaves:
// 2 outputs, not CIFAR-10's 10); a spec must say so itself (checked once the model is built).
void fit_builtin_to_classes(ModelSpec& spec, int32_t classes, bool quiet) {
  const auto last = std::find_if(spec.layers.rbegin(), spec.layers.rend(),
                                 [](const LayerSpec& l) { return l.type == "linear"; });
  if (classes < 1 || last == spec.layers.rend() || last->integer("out_features") == classes) {
    return;
  }
  if (!quiet) {
    std::cerr << spec.name << ": its last layer gets " << classes << " outputs, one a class of the "
              << "image folder (" << last->integer("out_features") << " by default)\n";
  }
  last->fields["out_features"] = classes;
}

void check_outputs_are_classes(const Model& model, int32_t classes) {
  const int64_t outputs = model.output_shape().numel();
  if (outputs != classes) {
    throw Error("the image folder has " + std::to_string(classes) + " classes but the model has " +
                std::to_string(outputs) + " outputs: give its last layer " +
                std::to_string(classes) + " (\"out_features\")");
  }
}

void run_train(TrainArgs& a) {
  check_values(a);
  apply_threads(a.threads);
  const std::unique_ptr<Communicator> ranks = join_ranks();
  const bool rank0 = ranks->rank() == 0, several = ranks->size() > 1;
  // bf16 training (Sequential::set_training_precision) is for the image models from here on.
  const auto refuse_precision = [&a](const char* models) {
    if (parse_precision(a.precision, "--precision") != Precision::fp32) {
      throw Error("--precision " + a.precision + " trains image models; " + models +
                  " train in fp32");
    }
  };
  if (a.resume.empty() && is_seq2seq(a.choice)) {  // tools/seq2seq_train.cpp
    reject_gpt_flags(*a.cmd, false);
    refuse_precision("seq2seq models");
    if (several) throw Error("seq2seq models train in one process; run them without mpirun");
    return train_seq2seq(*a.cmd, a.choice.resolve(), !a.choice.model.empty());
  }
  if (is_text_data(a.data) || (a.data.empty() && a.resume.empty() && reads_text(a.choice))) {
    // --data PTB_FOLDER or FILE.txt: a language model, tools/text_train.cpp
    refuse_precision("language models");
    if (several) throw Error("language models train in one process; run them without mpirun");
    return train_text(*a.cmd, a.choice.resolve(), !a.choice.model.empty());
  }
  reject_gpt_flags(*a.cmd, false);  // tables and images from here on
  if (is_table_data(a.data)) {      // --data FILE.csv: tools/table_train.cpp
    refuse_precision("table models");
    if (several) throw Error("table models train in one process; run them without mpirun");
    if (a.given("--crop-padding") || a.given("--flip")) {
      throw Error("--crop-padding and --flip augment images, not table rows");
    }
    return train_table(*a.cmd);
  }
  if (several) split_cores_between_ranks(a);
  ModelSpec spec;
  TrainOptions opt;
  if (!a.resume.empty()) {
    for (const char* flag :
         {"--model", "--spec", "--optimizer", "--lr", "--lr-schedule", "--weight-decay", "--batch",
          "--seed", "--init-from", "--freeze", "--out", "--no-shuffle", "--train-samples",
          "--val-split", "--crop-padding", "--flip", "--force", "--precision"}) {
      if (a.given(flag)) throw Error(std::string(flag) + " cannot be changed when resuming a run");
    }
    spec = Trainer::checkpoint_spec(a.resume);
    opt = Trainer::checkpoint_options(a.resume);
    if (a.given("--epochs")) opt.epochs = a.epochs;
    if (a.given("--max-steps")) opt.max_steps = a.max_steps;
    if (a.given("--data")) opt.data_dir = a.data;
  } else {
    spec = a.choice.resolve();
    if (a.given("--freeze")) freeze_in_spec(spec, a.freeze);
    opt = options_from(a, spec);
    opt.data_dir = std::filesystem::absolute(resolve_data_dir(a.data)).string();
    opt.out_dir = run_dir(*a.cmd, spec.name);
  }
  // Rank 0 names the run folder (a default one holds the time, which ranks may read apart).
  opt.out_dir = broadcast_string(*ranks, opt.out_dir);
  const bool quiet = a.quiet || !rank0;
  opt.live_progress = !quiet && Progress::stderr_is_terminal();
  opt.log_epochs = !quiet;

  check_augmentation(opt.augmentation, spec.input);  // before the data: a mistake fails now
  Mnist data = load_training_data(opt, spec, quiet);
  const bool image_folder = opt.metadata.contains("nnzero.classes");
  if (image_folder && a.resume.empty() && !a.choice.model.empty()) {
    fit_builtin_to_classes(spec, data.train.num_classes, quiet);
  }
  if (opt.train_samples > 0 && opt.train_samples < data.train.size()) {
    std::vector<int32_t> first(static_cast<size_t>(opt.train_samples));
    for (size_t i = 0; i < first.size(); ++i) first[i] = static_cast<int32_t>(i);
    data.train = subset(data.train, first);
  }
  // curves.png and loss.csv in the run folder, drawn as the run goes.
  const int64_t per_epoch = (data.train.size() + opt.batch - 1) / opt.batch;
  if (several) {
    check_same_on_all_ranks(*ranks, run_fingerprint(spec, opt, data, a.resume),
                            "the flags, model, data or checkpoint");
    opt.comm = ranks.get();
    opt.adapt_threads = false;        // a step's time includes waiting for the other ranks
    if (!rank0) opt.out_dir.clear();  // rank 0 alone writes the run folder
  }
  std::optional<plot::RunCurves> curves;
  if (rank0) {
    curves.emplace(opt.out_dir, spec.name + "   " + opt.out_dir, opt.epochs * per_epoch);
    curves->attach(opt);
  }
  Rng init_rng(opt.seed);
  Sequential model(spec, init_rng, a.choice.resolve_engine());
  if (image_folder) check_outputs_are_classes(model, data.train.num_classes);
  std::optional<LoadedWeights> loaded;
  if (!a.init_from.empty()) loaded = load_weights(model, a.init_from);
  Trainer trainer(model, data.train, &data.test, opt);
  nlohmann::json transfer = nlohmann::json::object();
  report_transfer(loaded ? &*loaded : nullptr, model, a.init_from, quiet, transfer);
  if (!a.resume.empty()) trainer.load_checkpoint(Trainer::checkpoint_path(a.resume));

  if (!quiet) {
    std::cerr << "training " << spec.name << " (" << model.num_params() << " parameters) on "
              << data.train.size() << " samples, " << opt.optimizer << " lr "
              << trainer.optimizer().lr()
              << (opt.lr_schedule == "constant" ? "" : " (" + opt.lr_schedule + " decay)")
              << ", batch " << opt.batch << ", " << opt.epochs << " epochs"
              << (opt.max_steps > 0 ? " or " + std::to_string(opt.max_steps) + " steps" : "")
              << (several ? ", " + std::to_string(ranks->size()) + " ranks x " +
                                std::to_string(num_threads()) + " threads"
                          : "")
              << " -> " << opt.out_dir << "\n";
  }
  TrainResult r;
  {
    const StopOnCtrlC stop_on_ctrl_c;
    r = trainer.run();
  }
  // A resumed run with no step left ends no epoch: its picture is drawn from the checkpoint's
  // history here (for any other run this history was drawn already and nothing is redrawn).
  if (!rank0) return;
  curves->update(r.history);
  curves->flush();

  nlohmann::json j = {{"model", spec.name},     {"epochs", r.epochs},
                      {"steps", r.steps},       {"train_acc", r.train_acc},
                      {"test_acc", r.test_acc}, {"test_loss", r.test_loss},
                      {"seconds", r.seconds},   {"samples_per_s", r.samples_per_s},
                      {"out", opt.out_dir}};
  if (opt.precision != Precision::fp32) j["precision"] = precision_name(opt.precision);
  j.update(transfer);
  if (several) {
    j["ranks"] = r.ranks;
    j["allreduce_seconds"] = r.allreduce_seconds;
  }
  if (r.interrupted) {
    j["interrupted"] = true;
    exit_status = 130;  // the shell's code for "stopped by Ctrl-C"
  }
  print_result(j);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on MNIST-format data");
  args->cmd = cmd;
  args->choice.add_flags(*cmd);
  add_table_flags(*cmd);
  add_text_flags(*cmd);
  add_seq2seq_flags(*cmd);
  cmd->add_option(
      "--data", args->data,
      "Folder with the four MNIST IDX files (default $NNZERO_DATA/mnist, then ./data/mnist), "
      "or an image folder: train/<class>/<images> and test/<class>/<images> (PNG, JPEG, BMP, "
      "GIF, PGM/PPM, TGA), resized to the spec's input (channels, height, width), or text for a "
      "language model: a folder with <name>.train.txt, .valid.txt, .test.txt (words; default "
      "for rnnlm: $NNZERO_DATA/text, then ./data/text) or one .txt file (characters)");
  cmd->add_option("--epochs", args->epochs, "Epochs");
  cmd->add_option("--batch", args->batch, "Mini-batch size");
  cmd->add_option("--optimizer", args->optimizer,
                  "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw");
  cmd->add_option("--lr", args->lr, "Learning rate");
  cmd->add_option("--lr-schedule", args->lr_schedule,
                  "constant (the book) or cosine (decays to 0 over the run)");
  cmd->add_option("--weight-decay", args->weight_decay, "L2 weight decay lambda");
  cmd->add_option("--seed", args->seed, "Random seed (weights, shuffling, dropout)");
  cmd->add_option("--threads", args->threads,
                  "Threads for BLAS and parallel loops (default: all cores)");
  cmd->add_option("--max-steps", args->max_steps, "Stop after this many mini-batches");
  cmd->add_flag("--no-shuffle", args->no_shuffle, "Keep the training data in file order");
  cmd->add_option("--init-from", args->init_from,
                  "Start from this model file's weights: every layer whose tensors it holds "
                  "under the same names and shapes (the others keep their initialisation)");
  cmd->add_option("--freeze", args->freeze,
                  "Keep these layers' weights (and BatchNorm statistics) as they are: layer "
                  "indices and ranges, e.g. 0-8 or 0,2,4 (the spec's \"trainable\": false)");
  cmd->add_option("--resume", args->resume, "Continue the run in this folder from its checkpoint");
  cmd->add_option("--out", args->out, "Run folder (default runs/<model>-<date>-<time>)");
  cmd->add_flag("--force", args->force,
                "Train into an --out folder that holds a run, replacing it");
  cmd->add_option("--train-samples", args->train_samples,
                  "Train on the first N training samples only");
  cmd->add_option("--crop-padding", args->crop_padding,
                  "Augmentation: a random crop of each training image padded by N zero pixels "
                  "(a random shift of up to N pixels; e.g. 2 for digits, 4 for CIFAR-10)");
  cmd->add_flag("--flip", args->flip,
                "Augmentation: mirror each training image left-right with probability 1/2");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->add_option("--precision", args->precision,
                  "fp32 (default) or bf16: mixed precision, bfloat16 products summed in float32 "
                  "with float32 master weights (image models)");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace nnzero::cli
