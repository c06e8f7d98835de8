#include "nnzero/words/count_method.h"

#include <nlohmann/json.hpp>
#include <string>

#include "nnzero/error.h"
#include "nnzero/rng.h"
#include "nnzero/words/co_occurrence.h"
#include "nnzero/words/ppmi.h"

namespace nnzero {

WordVectors count_word_vectors(std::span<const int32_t> corpus, const Vocabulary& vocab,
                               const CountMethodOptions& options, CountMethodStats* stats) {
  if (options.dim < 1 || options.dim > vocab.size()) {
    throw Error("count_word_vectors: " + std::to_string(options.dim) +
                " dimensions asked of a vocabulary of " + std::to_string(vocab.size()) +
                " words (a word vector has at least 1 and at most as many dimensions as there "
                "are words)");
  }
  const CsrMatrix C = create_co_matrix(corpus, vocab.size(), options.window);
  const CsrMatrix W = ppmi(C);
  if (W.nonzeros() == 0) {
    throw Error("count_word_vectors: every PPMI value is 0 (a corpus of " +
                std::to_string(corpus.size()) +
                " words, none more often beside another than "
                "chance): nothing to factor");
  }
  Rng rng(options.seed);
  Svd usv = randomized_svd(W, options.dim, rng, options.svd);
  if (stats != nullptr) *stats = {C.nonzeros(), W.nonzeros()};
  nlohmann::json how = {{"method", "ppmi_svd"},
                        {"window", options.window},
                        {"dim", options.dim},
                        {"seed", options.seed},
                        {"power_iterations", options.svd.power_iterations},
                        {"oversamples", options.svd.oversamples},
                        {"corpus_words", corpus.size()}};
  return {vocab, usv.U, how.dump()};
}

}  // namespace nnzero
