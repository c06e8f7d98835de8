// nnzero train on text: a language model (book 2, chapters 5-6) on a corpus folder (the Penn
// Treebank's ptb.train.txt, .valid.txt, .test.txt: words) or a single text file (characters).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>

#include "common.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/parallel.h"
#include "nnzero/plot/run_curves.h"
#include "nnzero/train/language_model.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/progress.h"
#include "nnzero/train/trainer.h"
#include "text.h"

namespace nnzero::cli {

namespace {

// The first and last layers of a language model see the vocabulary: a built-in model is
// sized to the corpus's, a spec must match it.
void fit_to_vocabulary(ModelSpec& spec, int64_t vocab, bool builtin) {
  if (spec.gpt) {
    if (builtin) spec.gpt->vocab = vocab;
    if (spec.gpt->vocab != vocab) {
      throw Error("the corpus has " + std::to_string(vocab) + " tokens in its vocabulary but \"" +
                  spec.name + "\" has \"vocab\" " + std::to_string(spec.gpt->vocab) +
                  ": make them equal");
    }
    return;
  }
  LayerSpec* embed = spec.layers.empty() || spec.layers.front().type != "embedding"
                         ? nullptr
                         : &spec.layers.front();
  if (embed == nullptr) {
    throw Error("model \"" + spec.name +
                "\" does not start with an embedding layer: a language model reads token ids");
  }
  for (const LayerSpec& l : spec.layers) {
    if (l.has("bidirectional") && l.boolean("bidirectional")) {
      throw Error("model \"" + spec.name + "\": a language model predicts each next token from " +
                  "the ones before it; a bidirectional " + l.type + " layer would read the " +
                  "answers (use it in an encoder, not here)");
    }
  }
  LayerSpec& last = spec.layers.back();
  if (last.type != "linear") {
    throw Error("model \"" + spec.name +
                "\" must end with a linear layer giving a score to every token of the vocabulary");
  }
  if (builtin) {
    embed->fields["num_embeddings"] = vocab;
    last.fields["out_features"] = vocab;
    return;
  }
  for (const auto& [layer, field] : {std::pair{embed, "num_embeddings"}, {&last, "out_features"}}) {
    if (layer->integer(field) != vocab) {
      throw Error("the corpus has " + std::to_string(vocab) + " tokens in its vocabulary but the " +
                  layer->type + " layer of \"" + spec.name + "\" has " + field + " " +
                  std::to_string(layer->integer(field)) + ": make them equal");
    }
  }
}

// The language-model epochs as RunCurves draws a run's: loss = log perplexity; accuracy the
// next-token accuracy on the validation text.
std::vector<EpochMetrics> as_epoch_metrics(const std::vector<LanguageModelEpoch>& history) {
  std::vector<EpochMetrics> out;
  for (const LanguageModelEpoch& m : history) {
    out.push_back({.epoch = m.epoch,
                   .train_loss = std::log(m.train_perplexity),
                   .train_acc = kNoMetric,
                   .test_loss = m.val_loss,
                   .test_acc = m.val_accuracy,
                   .seconds = m.seconds});
  }
  return out;
}

}  // namespace

bool is_text_data(const std::string& data) {
  namespace fs = std::filesystem;
  if (data.empty()) return false;
  std::error_code ec;
  if (fs::is_directory(data, ec)) {
    for (const auto& e : fs::directory_iterator(data, ec)) {
      const std::string name = e.path().filename().string();
      if (name.ends_with(".train.txt")) return true;
    }
    return false;
  }
  return data.ends_with(".txt") || data.ends_with(".txt.gz");
}

bool reads_text(const ModelChoice& choice) {
  if (!choice.model.empty()) {
    return choice.model == "rnnlm" || choice.model == "better_rnnlm" || choice.model == "gpt_char";
  }
  if (choice.spec_file.empty()) return false;
  const ModelSpec spec = ModelSpec::load(choice.spec_file);
  return spec.gpt || (!spec.layers.empty() && spec.layers.front().type == "embedding");
}

void add_text_flags(CLI::App& train) {
  train
      .add_option("--clip",
                  "Language models: clip gradients to this global norm (default: the "
                  "spec's, else 0.25; 0: none)")
      ->type_name("NORM");
  train
      .add_option("--lr-decay",
                  "Language models: divide the learning rate by this when "
                  "validation perplexity does not improve (default 1: never)")
      ->type_name("F");
  for (const auto& [flag, what] :
       {std::pair{"--layers", "transformer blocks (gpt_char's: 4)"},
        {"--heads", "attention heads per block (gpt_char's: 4)"},
        {"--width", "the vector size of every position (gpt_char's: 128)"},
        {"--context", "positions read at once (gpt_char's: 64)"},
        {"--warmup-steps", "steps of linear learning-rate warm-up (gpt_char's: 100)"},
        {"--steps-per-epoch", "steps between two validations (gpt_char's: 250)"}}) {
    train.add_option(flag)->description(std::string("GPT models: ") + what)->type_name("N");
  }
  train
      .add_option("--min-lr",
                  "GPT models: the cosine schedule's last learning rate (gpt_char's: 1e-4)")
      ->type_name("LR");
}

void reject_gpt_flags(const CLI::App& cmd, bool gpt) {
  for (const char* flag : {"--layers", "--heads", "--width", "--context", "--warmup-steps",
                           "--steps-per-epoch", "--min-lr"}) {
    if (!gpt && given(cmd, flag)) throw Error(std::string(flag) + " is for GPT models only");
  }
}

// --layers, --heads, --width, --context on a GPT spec, checked as a spec file's would be.
void apply_gpt_flags(const CLI::App& cmd, ModelSpec& spec) {
  GptSpec& g = *spec.gpt;
  for (const auto& [flag, field] : {std::pair{"--layers", &g.layers},
                                    {"--heads", &g.heads},
                                    {"--width", &g.width},
                                    {"--context", &g.context}}) {
    *field = value<int64_t>(cmd, flag, *field);
    if (*field < 1) throw Error(std::string(flag) + " must be at least 1");
  }
  spec.input = Shape{g.context};
  spec = ModelSpec::parse(spec.to_json(), "model \"" + spec.name + "\"");
}

void train_text(const CLI::App& cmd, ModelSpec spec, bool builtin) {
  for (const char* flag : {"--resume", "--init-from", "--freeze", "--train-samples",
                           "--crop-padding", "--flip", "--no-shuffle", "--val-split"}) {
    if (given(cmd, flag)) throw Error(std::string(flag) + " is not available for language models");
  }
  const bool gpt = spec.gpt.has_value();
  reject_gpt_flags(cmd, gpt);
  if (gpt) apply_gpt_flags(cmd, spec);
  const std::string data =
      value<std::string>(cmd, "--data", default_text_dir() + (gpt ? "/tinyshakespeare.txt" : ""));
  const bool quiet = given(cmd, "--quiet");
  apply_threads(value<int>(cmd, "--threads", 0));

  const TextCorpus corpus = load_text_corpus(data);
  fit_to_vocabulary(spec, corpus.vocab.size(), builtin);
  const auto& t = spec.train;
  LanguageModelOptions o;
  o.epochs = value<int64_t>(cmd, "--epochs", t.epochs.value_or(4));
  o.batch = value<int64_t>(cmd, "--batch", t.batch.value_or(20));
  o.max_steps = value<int64_t>(cmd, "--max-steps", t.max_steps.value_or(0));
  o.optimizer = value<std::string>(cmd, "--optimizer", t.optimizer.value_or("sgd"));
  // The spec's learning rate, its floor and its weight decay belong to the spec's optimizer
  // (as for images, docs/spec.md): another optimizer gets its own defaults.
  const bool same_optimizer = o.optimizer == t.optimizer.value_or("sgd");
  o.lr = static_cast<float>(value<double>(
      cmd, "--lr", same_optimizer && t.lr ? *t.lr : static_cast<double>(default_lr(o.optimizer))));
  o.clip = static_cast<float>(value<double>(cmd, "--clip", t.clip.value_or(0.25)));
  o.lr_decay = static_cast<float>(value<double>(cmd, "--lr-decay", t.lr_decay.value_or(1.0)));
  o.lr_schedule =
      value<std::string>(cmd, "--lr-schedule", t.lr_schedule.value_or(std::string("constant")));
  check_lr_schedule(o.lr_schedule);
  if (o.epochs < 1 || o.batch < 1) throw Error("--epochs and --batch must be at least 1");
  if (!(o.lr > 0.0f)) throw Error("--lr must be positive");
  if (!(o.clip >= 0.0f)) throw Error("--clip must be at least 0 (0: no clipping)");
  if (!(o.lr_decay >= 1.0f)) throw Error("--lr-decay must be at least 1 (1: never)");
  // A GPT has no state to carry from one batch to the next: nanoGPT's random windows.
  o.random_windows = gpt;
  o.warmup_steps = value<int64_t>(cmd, "--warmup-steps", t.warmup_steps.value_or(0));
  o.steps_per_epoch = value<int64_t>(cmd, "--steps-per-epoch", t.steps_per_epoch.value_or(0));
  if (o.warmup_steps < 0 || o.steps_per_epoch < 0) {
    throw Error("--warmup-steps and --steps-per-epoch must be at least 0");
  }
  // The floor as a share of lr: --min-lr, else the spec's (gpt_char: 1e-4 of 1e-3), so that
  // --lr moves it along.
  if (given(cmd, "--min-lr")) {
    const double min_lr = value<double>(cmd, "--min-lr", 0.0);
    if (!(min_lr >= 0.0 && min_lr <= o.lr)) throw Error("--min-lr must be in [0, --lr]");
    o.min_lr_ratio = min_lr / o.lr;
  } else if (same_optimizer && t.min_lr && t.lr) {
    o.min_lr_ratio = std::clamp(*t.min_lr / *t.lr, 0.0, 1.0);
  }
  const double weight_decay =
      value<double>(cmd, "--weight-decay", same_optimizer ? t.weight_decay.value_or(0.0) : 0.0);
  if (!(weight_decay >= 0.0)) throw Error("--weight-decay must be at least 0");
  // AdamW's decay is its own (decoupled); the other optimizers' is the book's L2 term.
  o.adamw = {.weight_decay = static_cast<float>(weight_decay),
             .beta1 = 0.9f,
             .beta2 = gpt ? 0.99f : 0.999f,  // nanoGPT's for its small character models
             .eps = 1e-8f};
  o.out_dir = run_dir(cmd, spec.name);
  o.live_progress = !quiet && Progress::stderr_is_terminal();
  o.log_epochs = !quiet;
  const uint64_t seed = value<uint64_t>(cmd, "--seed", 0);
  o.seed = seed + 1;  // the windows' stream, apart from the initial weights'

  Rng init_rng(seed);
  const std::unique_ptr<Model> built = make_model(spec, init_rng);
  Model& model = *built;
  if (o.optimizer != "adamw") model.set_weight_decay(static_cast<float>(weight_decay));
  const int64_t T = model.input_shape()[0];
  // The curves need the trainer's step count, the trainer their callbacks.
  std::optional<plot::RunCurves> curves;
  o.on_step = [&](int64_t step, double loss) { curves->record(step, loss); };
  o.on_epoch = [&](const std::vector<LanguageModelEpoch>& h) {
    curves->update(as_epoch_metrics(h));
  };
  LanguageModelTrainer trainer(model, corpus, o);
  std::filesystem::create_directories(o.out_dir);
  curves.emplace(o.out_dir, spec.name + "   " + o.out_dir, trainer.total_steps(),
                 plot::RightPanel::perplexity);
  if (!quiet) {
    std::cerr << "training " << spec.name << " (" << model.num_params() << " parameters) on "
              << corpus.name << ": " << corpus.train.size() << " tokens, vocabulary "
              << corpus.vocab.size() << "; " << o.optimizer << " lr " << o.lr
              << (o.lr_schedule == "constant" ? "" : " (" + o.lr_schedule + " decay)") << ", clip "
              << o.clip << ", batch " << o.batch << " x " << T << " steps, " << o.epochs
              << " epochs"
              << (gpt ? " of " + std::to_string(trainer.steps_per_epoch()) + " steps" : "")
              << " -> " << o.out_dir << "\n";
  }
  LanguageModelResult r;
  {
    const StopOnCtrlC stop_on_ctrl_c;
    r = trainer.run();
  }
  curves->flush();
  nlohmann::json j = {
      {"model", spec.name},
      {"epochs", r.epochs},
      {"steps", r.steps},
      {"train_acc", nullptr},
      {"test_acc", number_or_null(r.test_accuracy)},
      {"test_loss", number_or_null(r.test_loss)},
      {"seconds", r.seconds},
      {"samples_per_s", r.tokens_per_s / static_cast<double>(T)},
      {"out", o.out_dir},
      {"train_perplexity", number_or_null(r.train_perplexity)},
      {"val_perplexity", number_or_null(r.val_perplexity)},
      {"test_perplexity", number_or_null(r.test_perplexity)},
      {"val_loss", number_or_null(r.history.empty() ? NAN : r.history.back().val_loss)},
      {"tokens_per_s", r.tokens_per_s},
      {"vocab", corpus.vocab.size()}};
  if (r.interrupted) {
    j["interrupted"] = true;
    exit_status = 130;
  }
  print_result(j);
}

bool is_language_model(const LoadedModel& loaded) {
  return loaded.metadata.contains("nnzero.vocab");
}

void eval_text(LoadedModel& loaded, const std::string& file, const std::string& data_flag) {
  const bool gpt = loaded.model->spec().gpt.has_value();
  const TextCorpus corpus = load_text_corpus(
      data_flag.empty() ? default_text_dir() + (gpt ? "/tinyshakespeare.txt" : "") : data_flag);
  if (corpus.vocab.to_json() != loaded.metadata.at("nnzero.vocab")) {
    throw Error(corpus.name + ": its vocabulary (" + std::to_string(corpus.vocab.size()) +
                " tokens) is not the one " + file +
                " was trained with: evaluate it on its own text");
  }
  const LanguageModelOptions defaults;
  const Perplexity val = measure_perplexity(*loaded.model, corpus.valid, defaults.eval_batch);
  nlohmann::json j = {{"model", loaded.model->spec().name},
                      {"file", file},
                      {"val_tokens", val.tokens},
                      {"val_loss", val.loss},
                      {"val_perplexity", val.perplexity},
                      {"val_accuracy", val.accuracy},
                      {"test_loss", nullptr},
                      {"test_perplexity", nullptr},
                      {"test_accuracy", nullptr}};
  if (!corpus.test.empty()) {
    const Perplexity test = measure_perplexity(*loaded.model, corpus.test, defaults.eval_batch);
    j["test_loss"] = test.loss;
    j["test_perplexity"] = test.perplexity;
    j["test_accuracy"] = test.accuracy;
  }
  print_result(j);
}

}  // namespace nnzero::cli
