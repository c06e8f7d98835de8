// Book 2's count-based word vectors (ch. 2.4, ch02/count_method_big.py): the corpus's
// co-occurrence matrix C (words/co_occurrence.h), its PPMI matrix W (words/ppmi.h), and a
// truncated SVD W ~ U S V^T (kernels/randomized_svd.h); the words' vectors are the rows of U's
// first D columns (the book's word_vecs = U[:, :wordvec_size]; S is left out, as there).
// On the Penn Treebank the book takes window 2 and D = 100.
#pragma once

#include <cstdint>
#include <span>

#include "nnzero/data/text_corpus.h"
#include "nnzero/kernels/randomized_svd.h"
#include "nnzero/words/word_vectors.h"

namespace nnzero {

struct CountMethodOptions {
  int64_t window = 2;  // words on each side
  int64_t dim = 100;   // D
  uint64_t seed = 0;   // the SVD's random projection
  RandomizedSvdOptions svd;
};

// What the method saw, besides the vectors.
struct CountMethodStats {
  int64_t co_occurrence_nonzeros = 0, ppmi_nonzeros = 0;
};

// Vectors for every word of `vocab`, from the ids of `corpus`. how: {"method": "ppmi_svd",
// "window", "dim", "seed", "power_iterations", "oversamples", "corpus_words"}. Throws for an
// empty corpus, a window below 1, or dim outside [1, vocab.size()] (naming both).
WordVectors count_word_vectors(std::span<const int32_t> corpus, const Vocabulary& vocab,
                               const CountMethodOptions& options = {},
                               CountMethodStats* stats = nullptr);

}  // namespace nnzero
