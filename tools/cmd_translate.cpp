// nnzero translate MODEL TEXT [--attention PNG]: the answer of an encoder-decoder (book 2,
// ch. 7-8) to one question, greedy as the book's generate; with --attention the attention
// decoder's weights as a picture (book 2, figure 8-26).
#include <iostream>

#include "commands.h"
#include "common.h"
#include "nnzero/data/sequence_pairs.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/seq2seq.h"
#include "nnzero/plot/attention_map.h"

namespace nnzero::cli {

namespace {

struct TranslateArgs {
  std::string model, text, attention;
};

std::vector<std::string> characters(const Vocabulary& vocab, const float* ids, int64_t n) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(vocab.token(static_cast<int32_t>(ids[i])));
  return out;
}

void run_translate(const TranslateArgs& a) {
  apply_threads(1);
  LoadedModel loaded = load_model(a.model);
  auto* model = dynamic_cast<Seq2seq*>(loaded.model.get());
  if (model == nullptr) {
    throw Error(a.model + " is not a sequence-to-sequence model (train one with nnzero train " +
                "--model seq2seq, peeky_seq2seq or attention_seq2seq)");
  }
  const auto vocab_json = loaded.metadata.find("nnzero.vocab");
  if (vocab_json == loaded.metadata.end()) {
    throw Error(a.model + " has no vocabulary (\"nnzero.vocab\" metadata)");
  }
  const Vocabulary vocab = Vocabulary::from_json(vocab_json->second);
  const Seq2seqSpec& s = model->shape();
  if (vocab.size() != s.vocab) {
    throw Error(a.model + ": its vocabulary has " + std::to_string(vocab.size()) +
                " characters but the model reads " + std::to_string(s.vocab));
  }
  const int32_t start = vocab.id_of("_");
  if (start < 0) throw Error(a.model + ": its vocabulary has no start character '_'");
  if (!a.attention.empty() && s.decoder != "attention") {
    throw Error("--attention: " + a.model + " has a " + s.decoder +
                " decoder, which attends to nothing (train --model attention_seq2seq)");
  }
  const Tensor question = encode_question(vocab, a.text, s.question);
  const Tensor& answer = model->generate(question, start, s.answer - 1);
  const std::vector<std::string> chars = characters(vocab, answer.data(), s.answer - 1);
  std::string text;
  for (const std::string& c : chars) text += c;
  const std::string shown = text.substr(0, text.find_last_not_of(' ') + 1);  // drop the padding
  std::cout << shown << "\n";
  nlohmann::json j = {{"model", loaded.model->spec().name}, {"question", a.text}, {"text", shown}};
  if (!a.attention.empty()) {
    const Tensor& w = model->attention_weights();
    plot::draw_attention(
        a.attention, std::vector<float>(w.begin(), w.end()), chars,
        characters(vocab, question.data(), s.question),
        "attention of " + loaded.model->spec().name + ": \"" + a.text + "\" → \"" + shown + "\"");
    j["attention"] = a.attention;
  }
  print_result(j);
}

}  // namespace

void add_translate_command(CLI::App& app) {
  auto args = std::make_shared<TranslateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "translate", "Answer a question with a sequence-to-sequence model (book 2, ch. 7-8)");
  cmd->add_option("MODEL", args->model,
                  "Model file of a seq2seq model (nnzero train --model "
                  "seq2seq, peeky_seq2seq or attention_seq2seq)")
      ->required();
  cmd->add_option("TEXT", args->text,
                  "The question, as in the training lines without the answer (\"16+75\", "
                  "\"september 27, 1994\")")
      ->required();
  cmd->add_option("--attention", args->attention,
                  "Attention models: draw the attention weights into this PNG")
      ->type_name("PNG");
  cmd->callback([args] { run_translate(*args); });
}

}  // namespace nnzero::cli
