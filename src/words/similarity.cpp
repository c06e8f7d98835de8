#include "nnzero/words/similarity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nnzero/error.h"

namespace nnzero {

namespace {

// The `top` highest of similarity, `skip` left out, highest first, ties by id.
std::vector<SimilarWord> ranked(const std::vector<double>& similarity, const Vocabulary& vocab,
                                std::span<const int32_t> skip, int64_t top) {
  std::vector<int32_t> order(similarity.size());
  std::iota(order.begin(), order.end(), 0);
  std::erase_if(order,
                [&](int32_t i) { return std::find(skip.begin(), skip.end(), i) != skip.end(); });
  const auto n = std::min<int64_t>(std::max<int64_t>(top, 0), static_cast<int64_t>(order.size()));
  std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](int32_t x, int32_t y) {
    return similarity[x] > similarity[y] || (similarity[x] == similarity[y] && x < y);
  });
  std::vector<SimilarWord> out;
  for (int64_t r = 0; r < n; ++r)
    out.push_back({order[r], vocab.token(order[r]), similarity[order[r]]});
  return out;
}

std::span<const float> row(const Tensor& m, int64_t i) {
  const int64_t d = m.dim(1);
  return {m.data() + i * d, static_cast<size_t>(d)};
}

double norm(std::span<const float> x) {
  double s = 0.0;
  for (const float v : x) s += static_cast<double>(v) * v;
  return std::sqrt(s);
}

}  // namespace

double cos_similarity(std::span<const float> x, std::span<const float> y, double eps) {
  if (x.size() != y.size()) {
    throw Error("cos_similarity: vectors of " + std::to_string(x.size()) + " and " +
                std::to_string(y.size()) + " numbers");
  }
  const double nx = norm(x) + eps, ny = norm(y) + eps;
  double dot = 0.0;
  for (size_t i = 0; i < x.size(); ++i) dot += (x[i] / nx) * (y[i] / ny);
  return dot;
}

void check_word_matrix(const Tensor& word_matrix, const Vocabulary& vocab,
                       const std::string& what) {
  if (word_matrix.rank() != 2 || word_matrix.dim(0) != vocab.size() || word_matrix.dim(1) < 1) {
    throw Error(what + ": the word vectors are " + word_matrix.shape().str() + ", expected (" +
                std::to_string(vocab.size()) + ", D): one row per word of the vocabulary");
  }
}

int32_t word_id(std::string_view word, const Vocabulary& vocab) {
  const int32_t id = vocab.id_of(word);
  if (id < 0) {
    throw Error("the word '" + std::string(word) + "' is not in the vocabulary (" +
                std::to_string(vocab.size()) + " words)");
  }
  return id;
}

std::vector<SimilarWord> most_similar(std::string_view query, const Vocabulary& vocab,
                                      const Tensor& word_matrix, int64_t top) {
  check_word_matrix(word_matrix, vocab, "most_similar");
  const int32_t query_id = word_id(query, vocab);
  std::vector<double> similarity(static_cast<size_t>(vocab.size()));
  for (int64_t i = 0; i < vocab.size(); ++i) {
    similarity[i] = cos_similarity(row(word_matrix, i), row(word_matrix, query_id));
  }
  return ranked(similarity, vocab, std::span(&query_id, 1), top);
}

Tensor normalized_rows(const Tensor& word_matrix, double eps) {
  Tensor out = word_matrix.clone();
  const int64_t d = word_matrix.dim(1);
  for (int64_t i = 0; i < word_matrix.dim(0); ++i) {
    const double scale = 1.0 / (norm(row(word_matrix, i)) + eps);
    for (int64_t j = 0; j < d; ++j) out[i * d + j] = static_cast<float>(out[i * d + j] * scale);
  }
  return out;
}

std::vector<SimilarWord> analogy(std::string_view a, std::string_view b, std::string_view c,
                                 const Vocabulary& vocab, const Tensor& word_matrix, int64_t top) {
  check_word_matrix(word_matrix, vocab, "analogy");
  const int32_t ids[3] = {word_id(a, vocab), word_id(b, vocab), word_id(c, vocab)};
  const Tensor unit = normalized_rows(word_matrix);
  const int64_t d = unit.dim(1);
  std::vector<float> query(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    query[j] = unit[ids[1] * d + j] - unit[ids[0] * d + j] + unit[ids[2] * d + j];
  }
  std::vector<double> similarity(static_cast<size_t>(vocab.size()));
  for (int64_t i = 0; i < vocab.size(); ++i) similarity[i] = cos_similarity(row(unit, i), query);
  return ranked(similarity, vocab, ids, top);
}

}  // namespace nnzero
