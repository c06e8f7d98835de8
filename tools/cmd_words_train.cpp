// nnzero words train: word2vec (CBOW or skip-gram with negative sampling, book 2 ch. 3-4) on a
// corpus's training text, written as a word-vector file (words/word_vectors.h) that
// `nnzero words similar|analogy|analogies` read. See docs/words.md.
#include <chrono>
#include <iostream>
#include <memory>

#include "common.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/train/progress.h"
#include "nnzero/train/word2vec.h"

namespace nnzero::cli {

namespace {

struct Word2VecArgs {
  std::string data, out;
  Word2VecOptions options;
  bool quiet = false;
};

void run_words_train(Word2VecArgs& a) {
  apply_threads(a.options.threads);
  const std::string data = a.data.empty() ? default_text_dir() : a.data;
  const TextCorpus corpus = load_text_corpus(data);
  Word2VecOptions o = a.options;
  if (!a.quiet && Progress::stderr_is_terminal()) {
    o.on_progress = [](double done, double loss) {
      std::cerr << "\r" << static_cast<int>(100 * done) << " %  loss " << loss << "   "
                << std::flush;
    };
  }
  if (!a.quiet) {
    std::cerr << "word2vec " << o.model << " (" << o.path << " path) on " << corpus.name << ": "
              << corpus.train.size() << " words, vocabulary " << corpus.vocab.size() << ", "
              << o.dim << " dimensions, window " << o.window << ", " << o.negative
              << " negative samples, " << o.epochs << " epochs\n";
  }
  Word2VecStats stats;
  const WordVectors vectors = train_word2vec(corpus.train, corpus.vocab, o, &stats);
  if (!a.quiet && Progress::stderr_is_terminal()) std::cerr << "\r\033[K";
  save_word_vectors(a.out, vectors);
  print_result({{"model", o.model},
                {"path", o.path},
                {"words", corpus.vocab.size()},
                {"dim", o.dim},
                {"corpus_words", corpus.train.size()},
                {"epochs", o.epochs},
                {"loss", stats.loss},
                {"seconds", stats.seconds},
                {"words_per_s", stats.words_per_s},
                {"out", a.out}});
}

}  // namespace

void add_words_train_command(CLI::App& words) {
  auto args = std::make_shared<Word2VecArgs>();
  Word2VecOptions& o = args->options;
  CLI::App* cmd = words.add_subcommand(
      "train", "word2vec: CBOW or skip-gram with negative sampling (book 2, ch. 3-4)");
  cmd->add_option("--data", args->data,
                  "Corpus: a folder with <name>.train.txt (default $NNZERO_DATA/text, then "
                  "./data/text)");
  cmd->add_option("--out", args->out, "Word-vector file to write (.safetensors)")->required();
  cmd->add_option("--model", o.model, "cbow (default) or skipgram");
  cmd->add_option("--path", o.path,
                  "fast (default: word2vec.c's one-word SGD on all threads) or book (book 2's "
                  "mini-batches with Adam)");
  cmd->add_option("--dim", o.dim, "Vector size (default 100)");
  cmd->add_option("--window", o.window, "Words on each side (default 5)");
  cmd->add_option("--negative", o.negative, "Negative samples per word (default 5)");
  cmd->add_option("--epochs", o.epochs, "Passes over the text (default 10)");
  cmd->add_option("--lr", o.lr,
                  "Learning rate (default: 0.05 fast, falling linearly to a 10^4th of it; 0.001 "
                  "book, Adam's)");
  cmd->add_option("--subsample", o.subsample,
                  "fast: frequent-word subsampling threshold t (default 1e-4; 0: none)");
  cmd->add_option("--batch", o.batch, "book: mini-batch size (default 100)");
  cmd->add_option("--seed", o.seed, "Random seed (default 0)");
  cmd->add_option("--threads", o.threads, "Threads (default: all cores)");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->callback([args] { run_words_train(*args); });
}

}  // namespace nnzero::cli
