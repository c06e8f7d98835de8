// Book 2's measures between word vectors (ch. 2.3.5-2.3.6 and 4.3.3, common/util.py): the
// rows of a word matrix (V, D), row i the vector of the vocabulary's word i (a co-occurrence
// matrix, PPMI + SVD vectors, an embedding).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nnzero/data/text_corpus.h"
#include "nnzero/tensor.h"

namespace nnzero {

// cos_similarity: x·y / ((|x| + eps)(|y| + eps)) (each normalized first, as the book); eps
// keeps a zero vector's similarity 0 instead of 0/0. In double precision.
double cos_similarity(std::span<const float> x, std::span<const float> y, double eps = 1e-8);

struct SimilarWord {
  int32_t id = 0;
  std::string word;
  double similarity = 0.0;
};

// most_similar: the `top` words whose rows are most similar to `query`'s by cos_similarity,
// most similar first, the query itself left out; equal similarities in id order (a stable
// sort; the book's argsort happens to print its 7-word example in that order).
// Throws when the query is not in the vocabulary (naming it) or word_matrix is not (V, D) for
// the vocabulary's V.
std::vector<SimilarWord> most_similar(std::string_view query, const Vocabulary& vocab,
                                      const Tensor& word_matrix, int64_t top = 5);

// analogy: "a is to b as c is to ?" (king : man = queen : ?). The `top` words whose rows are
// most similar to the query b - a + c, with a, b and c left out, most similar first.
// Departure from the book, which dots the raw rows with the normalized query (so long
// vectors win): every row is normalized first, and the similarity is the cosine, as
// word2vec's compute-accuracy and gensim score analogies. Throws naming a word not in the
// vocabulary.
std::vector<SimilarWord> analogy(std::string_view a, std::string_view b, std::string_view c,
                                 const Vocabulary& vocab, const Tensor& word_matrix,
                                 int64_t top = 5);

// word_matrix with every row x replaced by x / (|x| + eps) (the rows cos_similarity compares).
Tensor normalized_rows(const Tensor& word_matrix, double eps = 1e-8);

// The id of `word`; throws an Error naming it (and the vocabulary's size) when absent.
int32_t word_id(std::string_view word, const Vocabulary& vocab);

// Throws unless word_matrix is (vocab.size(), D) with D >= 1, naming `what` and both.
void check_word_matrix(const Tensor& word_matrix, const Vocabulary& vocab, const std::string& what);

}  // namespace nnzero
