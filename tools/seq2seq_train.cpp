// nnzero train for the encoder-decoders (book 2, ch. 7-8): question-answer lines such as
// addition.txt ("16+75  _91  ") and date.txt. See docs/seq2seq.md.
#include <cmath>
#include <filesystem>
#include <iostream>

#include "common.h"
#include "nnzero/data/sequence_pairs.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/io/file.h"
#include "nnzero/model/model_file.h"
#include "nnzero/plot/run_curves.h"
#include "nnzero/train/progress.h"
#include "nnzero/train/seq2seq_training.h"
#include "seq2seq.h"

namespace nnzero::cli {

bool is_seq2seq(const ModelChoice& choice) {
  if (!choice.model.empty()) return choice.model.ends_with("seq2seq");
  if (choice.spec_file.empty()) return false;
  // A look at the top-level keys only: the spec is validated by whoever trains it (a table
  // model's spec has a "table" section that ModelSpec refuses).
  const std::vector<uint8_t> bytes = read_file(choice.spec_file);
  const auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  return j.is_object() && j.contains("seq2seq");
}

void add_seq2seq_flags(CLI::App& train) {
  train.add_flag("--reverse")
      ->description(
          "Seq2seq models: the encoder reads each question backwards (attention_seq2seq's "
          "default)");
  train.add_flag("--no-reverse")
      ->description("Seq2seq models: the encoder reads each question as written");
  train.add_flag("--bidirectional")
      ->description("Seq2seq models: a bidirectional encoder (--hidden / 2 units each way)");
}

void train_seq2seq(const CLI::App& cmd, ModelSpec spec, bool builtin) {
  for (const char* flag :
       {"--resume", "--init-from", "--freeze", "--train-samples", "--crop-padding", "--flip",
        "--no-shuffle", "--val-split", "--lr-decay", "--lr-schedule", "--weight-decay"}) {
    if (given(cmd, flag)) {
      throw Error(std::string(flag) + " is not available for sequence-to-sequence models");
    }
  }
  Seq2seqSpec& s = *spec.seq2seq;
  if (given(cmd, "--reverse") && given(cmd, "--no-reverse")) {
    throw Error("give --reverse or --no-reverse, not both");
  }
  if (given(cmd, "--reverse")) s.reverse = true;
  if (given(cmd, "--no-reverse")) s.reverse = false;
  if (given(cmd, "--bidirectional")) {
    if (s.hidden % 2 != 0) {
      throw Error(
          "--bidirectional splits the hidden size between two directions, so it must "
          "be even, got " +
          std::to_string(s.hidden));
    }
    s.bidirectional = true;
  }
  const std::string fallback =
      default_text_dir() + (s.decoder == "attention" ? "/date.txt" : "/addition.txt");
  const std::string data = value<std::string>(cmd, "--data", fallback);
  const bool quiet = given(cmd, "--quiet");
  apply_threads(value<int>(cmd, "--threads", 0));

  const SequencePairs pairs = load_sequence_pairs(data);
  if (builtin) {  // sized to the data; a spec must match it (Seq2seqTrainer checks)
    s.vocab = pairs.vocab.size();
    s.question = pairs.question_length;
    s.answer = pairs.answer_length;
    spec.input = Shape{s.question + s.answer - 1};
  }
  const auto& t = spec.train;
  Seq2seqOptions o;
  o.epochs = value<int64_t>(cmd, "--epochs", t.epochs.value_or(25));
  o.batch = value<int64_t>(cmd, "--batch", t.batch.value_or(128));
  o.max_steps = value<int64_t>(cmd, "--max-steps", t.max_steps.value_or(0));
  o.optimizer = value<std::string>(cmd, "--optimizer", t.optimizer.value_or("adam"));
  o.lr = static_cast<float>(value<double>(cmd, "--lr", t.lr.value_or(default_lr(o.optimizer))));
  o.clip = static_cast<float>(value<double>(cmd, "--clip", t.clip.value_or(5.0)));
  o.seed = value<uint64_t>(cmd, "--seed", 0);
  if (o.epochs < 1 || o.batch < 1) throw Error("--epochs and --batch must be at least 1");
  if (!(o.lr > 0.0f)) throw Error("--lr must be positive");
  if (!(o.clip >= 0.0f)) throw Error("--clip must be at least 0 (0: no clipping)");
  o.out_dir = run_dir(cmd, spec.name);
  o.live_progress = !quiet && Progress::stderr_is_terminal();
  o.log_epochs = !quiet;

  Rng init_rng(o.seed);
  Seq2seq model(spec, init_rng);
  std::filesystem::create_directories(o.out_dir);
  plot::RunCurves curves(o.out_dir, spec.name + "   " + o.out_dir,
                         o.epochs * (pairs.train_questions.dim(0) / o.batch));
  o.on_step = [&](int64_t step, double loss) { curves.record(step, loss); };
  o.on_epoch = [&](const std::vector<EpochMetrics>& h) { curves.update(h); };
  if (!quiet) {
    std::cerr << "training " << spec.name << " (" << s.decoder << " decoder, " << model.num_params()
              << " parameters) on " << pairs.name << ": " << pairs.train_questions.dim(0)
              << " pairs, " << pairs.test_questions.dim(0) << " held out, " << s.vocab
              << " characters" << (s.reverse ? ", reversed" : "")
              << (s.bidirectional ? ", bidirectional encoder" : "") << "; " << o.optimizer << " lr "
              << o.lr << ", clip " << o.clip << ", batch " << o.batch << ", " << o.epochs
              << " epochs -> " << o.out_dir << "\n";
  }
  TrainResult r;
  {
    const StopOnCtrlC stop_on_ctrl_c;
    Seq2seqTrainer trainer(model, pairs, o);
    r = trainer.run();
  }
  curves.flush();
  nlohmann::json j = {{"model", spec.name},
                      {"epochs", r.epochs},
                      {"steps", r.steps},
                      {"train_acc", nullptr},
                      {"test_acc", number_or_null(r.test_acc)},
                      {"test_loss", number_or_null(r.test_loss)},
                      {"train_loss", number_or_null(r.train_loss)},
                      {"seconds", r.seconds},
                      {"samples_per_s", r.samples_per_s},
                      {"out", o.out_dir}};
  if (r.interrupted) {
    j["interrupted"] = true;
    exit_status = 130;
  }
  print_result(j);
}

void eval_seq2seq(LoadedModel& loaded, const std::string& file, const std::string& data_flag,
                  int64_t batch) {
  auto& model = dynamic_cast<Seq2seq&>(*loaded.model);
  const Seq2seqSpec& s = model.shape();
  const std::string data =
      !data_flag.empty()
          ? data_flag
          : default_text_dir() + (s.decoder == "attention" ? "/date.txt" : "/addition.txt");
  const SequencePairs pairs = load_sequence_pairs(data);
  const auto vocab = loaded.metadata.find("nnzero.vocab");
  if (vocab == loaded.metadata.end() || vocab->second != pairs.vocab.to_json() ||
      pairs.question_length != s.question || pairs.answer_length != s.answer) {
    throw Error(file + " was not trained on lines like those of " + data +
                " (its vocabulary or its question and answer lengths differ)");
  }
  const double accuracy = exact_match(model, pairs.test_questions, pairs.test_answers, batch);
  const double loss = teacher_forced_loss(model, pairs.test_questions, pairs.test_answers, batch);
  std::cerr << "exact match on the " << pairs.test_questions.dim(0) << " held-out lines of " << data
            << ": " << 100.0 * accuracy << " %\n";
  print_result({{"model", model.spec().name},
                {"file", file},
                {"samples", pairs.test_questions.dim(0)},
                {"accuracy", accuracy},
                {"loss", loss},
                {"confusion", nullptr}});
}

}  // namespace nnzero::cli
