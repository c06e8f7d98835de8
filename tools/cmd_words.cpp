// nnzero words count|similar|analogy|analogies: book 2's count-based word vectors (ch. 2) and
// the measures of word vectors (most_similar, analogy). See docs/words.md.
//   words count [--data DIR] [--window 2] [--dim 100] [--seed 0] [--power-iterations 5]
//               [--oversamples 10] --out FILE
//   words similar FILE WORD [--top 5]
//   words analogy FILE A B C [--top 5]
//   words analogies FILE [--questions questions-words.txt]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/error.h"
#include "nnzero/process_stats.h"
#include "nnzero/words/analogy_questions.h"
#include "nnzero/words/count_method.h"
#include "nnzero/words/similarity.h"
#include "nnzero/words/word_vectors.h"

namespace nnzero::cli {

namespace {

struct WordsArgs {
  std::string data, out, file, word, questions;
  std::vector<std::string> abc;
  int64_t window = 2, dim = 100, top = 5, oversamples = 10;
  int power_iterations = 5;
  uint64_t seed = 0;
  int threads = 0;
};

nlohmann::json listed(const std::vector<SimilarWord>& words) {
  nlohmann::json list = nlohmann::json::array();
  for (const SimilarWord& w : words)
    list.push_back({{"word", w.word}, {"similarity", w.similarity}});
  return list;
}

// As the book prints them: " i: 0.702039909619".
void print_words(const std::vector<SimilarWord>& words) {
  for (const SimilarWord& w : words) std::printf(" %s: %.6f\n", w.word.c_str(), w.similarity);
}

void run_count(const WordsArgs& a) {
  apply_threads(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string data = a.data.empty() ? default_text_dir() : a.data;
  const TextCorpus corpus = load_text_corpus(data);
  CountMethodOptions options;
  options.window = a.window;
  options.dim = a.dim;
  options.seed = a.seed;
  options.svd.power_iterations = a.power_iterations;
  options.svd.oversamples = a.oversamples;
  CountMethodStats stats;
  const WordVectors vectors = count_word_vectors(corpus.train, corpus.vocab, options, &stats);
  save_word_vectors(a.out, vectors);
  print_result({{"words", corpus.vocab.size()},
                {"dim", a.dim},
                {"window", a.window},
                {"power_iterations", a.power_iterations},
                {"oversamples", a.oversamples},
                {"corpus_words", corpus.train.size()},
                {"co_occurrence_nonzeros", stats.co_occurrence_nonzeros},
                {"ppmi_nonzeros", stats.ppmi_nonzeros},
                {"seconds", seconds_since(t0)},
                {"out", a.out}});
}

void run_similar(const WordsArgs& a) {
  const WordVectors v = load_word_vectors(a.file);
  const std::vector<SimilarWord> similar = most_similar(a.word, v.vocab, v.embedding, a.top);
  std::printf("[query] %s\n", a.word.c_str());
  print_words(similar);
  print_result({{"word", a.word}, {"similar", listed(similar)}});
}

void run_analogy(const WordsArgs& a) {
  const WordVectors v = load_word_vectors(a.file);
  const std::vector<SimilarWord> answers =
      analogy(a.abc[0], a.abc[1], a.abc[2], v.vocab, v.embedding, a.top);
  const std::string question = a.abc[0] + ":" + a.abc[1] + " = " + a.abc[2] + ":?";
  std::printf("[analogy] %s\n", question.c_str());
  print_words(answers);
  print_result({{"question", question}, {"answers", listed(answers)}});
}

nlohmann::json tally_json(const AnalogyTally& t) {
  return {{"asked", t.asked},
          {"skipped", t.skipped},
          {"correct", t.correct},
          {"accuracy", t.accuracy()}};
}

void run_analogies(const WordsArgs& a) {
  apply_threads(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const WordVectors v = load_word_vectors(a.file);
  const std::string path =
      a.questions.empty()
          ? (std::filesystem::path(default_text_dir()) / "questions-words.txt").string()
          : a.questions;
  const AnalogyScore score = score_analogies(read_analogy_questions(path), v.vocab, v.embedding);
  std::printf("%-28s %7s %7s %7s %9s\n", "section", "asked", "skipped", "correct", "accuracy");
  nlohmann::json sections = nlohmann::json::object();
  for (const auto& [name, t] : score.sections) {
    std::printf("%-28s %7lld %7lld %7lld %8.2f%%\n", name.c_str(), static_cast<long long>(t.asked),
                static_cast<long long>(t.skipped), static_cast<long long>(t.correct),
                100.0 * t.accuracy());
    sections[name] = tally_json(t);
  }
  const AnalogyTally& all = score.overall;
  std::printf("%-28s %7lld %7lld %7lld %8.2f%%\n", "all", static_cast<long long>(all.asked),
              static_cast<long long>(all.skipped), static_cast<long long>(all.correct),
              100.0 * all.accuracy());
  nlohmann::json result = tally_json(all);
  result["questions"] = path;
  result["sections"] = sections;
  result["seconds"] = seconds_since(t0);
  print_result(result);
}

}  // namespace

void add_words_command(CLI::App& app) {
  CLI::App* words = app.add_subcommand(
      "words",
      "Word vectors (book 2, ch. 2-4): count them (PPMI + SVD) or train word2vec, find "
      "similar words and analogies; see docs/words.md");
  words->require_subcommand(1);
  add_words_train_command(*words);  // word2vec: tools/cmd_words_train.cpp
  auto args = std::make_shared<WordsArgs>();

  CLI::App* count = words->add_subcommand(
      "count",
      "Word vectors from a corpus's training text: co-occurrence counts, PPMI, truncated SVD");
  count->add_option("--data", args->data,
                    "Corpus: a folder with <name>.train.txt (the Penn Treebank; default: "
                    "$NNZERO_DATA/text, else data/text)");
  count
      ->add_option("--window", args->window, "Words on each side that count as context (default 2)")
      ->check(CLI::PositiveNumber);
  count->add_option("--dim", args->dim, "Dimensions of a word vector (default 100)")
      ->check(CLI::PositiveNumber);
  count->add_option("--seed", args->seed, "Seed of the SVD's random projection (default 0)");
  count
      ->add_option("--power-iterations", args->power_iterations,
                   "Power iterations of the randomized SVD (default 5, book 2's n_iter; about 30 "
                   "give the exact truncated SVD on the Penn Treebank)")
      ->check(CLI::NonNegativeNumber);
  count
      ->add_option("--oversamples", args->oversamples,
                   "Random directions beyond --dim that the SVD tracks (default 10, sklearn's)")
      ->check(CLI::NonNegativeNumber);
  count->add_option("--out", args->out, "Word-vector file to write (.safetensors)")->required();
  count->add_option("--threads", args->threads, "Threads (default: all cores)");
  count->callback([args] { run_count(*args); });

  CLI::App* similar = words->add_subcommand("similar", "The words most similar to a word (cosine)");
  similar->add_option("FILE", args->file, "Word vectors (words count) or a language model")
      ->required();
  similar->add_option("WORD", args->word, "The word")->required();
  similar->add_option("--top", args->top, "How many (default 5)")->check(CLI::PositiveNumber);
  similar->callback([args] { run_similar(*args); });

  CLI::App* analogy_cmd =
      words->add_subcommand("analogy", "A is to B as C is to ?: the words closest to B - A + C");
  analogy_cmd->add_option("FILE", args->file, "Word vectors (words count) or a language model")
      ->required();
  analogy_cmd->add_option("A B C", args->abc, "The three words")->required()->expected(3);
  analogy_cmd->add_option("--top", args->top, "How many answers (default 5)")
      ->check(CLI::PositiveNumber);
  analogy_cmd->callback([args] { run_analogy(*args); });

  CLI::App* analogies = words->add_subcommand(
      "analogies", "Accuracy on analogy questions (questions-words.txt), overall and per section");
  analogies->add_option("FILE", args->file, "Word vectors (words count) or a language model")
      ->required();
  analogies->add_option("--questions", args->questions,
                        "Questions \"a b c d\" in sections \": name\" (default: "
                        "questions-words.txt in $NNZERO_DATA/text, else data/text; nnzero data "
                        "fetch ptb gets it)");
  analogies->add_option("--threads", args->threads, "Threads (default: all cores)");
  analogies->callback([args] { run_analogies(*args); });
}

}  // namespace nnzero::cli
