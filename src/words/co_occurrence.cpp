#include "nnzero/words/co_occurrence.h"

#include <algorithm>
#include <string>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {

void check_corpus(std::span<const int32_t> corpus, int64_t vocab_size, int64_t window_size) {
  if (corpus.empty()) throw Error("create_co_matrix: an empty corpus (no words to count)");
  if (window_size < 1) {
    throw Error("create_co_matrix: window size " + std::to_string(window_size) +
                " (at least 1 word on each side)");
  }
  for (size_t i = 0; i < corpus.size(); ++i) {
    if (corpus[i] < 0 || corpus[i] >= vocab_size) {
      throw Error("create_co_matrix: word id " + std::to_string(corpus[i]) + " at position " +
                  std::to_string(i) + " is outside the vocabulary of " +
                  std::to_string(vocab_size) + " words");
    }
  }
}

// Calls f(w, c) for every word w of the corpus and each neighbour c within the window.
template <class F>
void for_each_pair(std::span<const int32_t> corpus, int64_t window_size, F&& f) {
  const auto n = static_cast<int64_t>(corpus.size());
  for (int64_t idx = 0; idx < n; ++idx) {
    const int64_t lo = std::max<int64_t>(0, idx - window_size);
    const int64_t hi = std::min<int64_t>(n - 1, idx + window_size);
    for (int64_t j = lo; j <= hi; ++j) {
      if (j != idx) f(corpus[static_cast<size_t>(idx)], corpus[static_cast<size_t>(j)]);
    }
  }
}

}  // namespace

CsrMatrix create_co_matrix(std::span<const int32_t> corpus, int64_t vocab_size,
                           int64_t window_size) {
  check_corpus(corpus, vocab_size, window_size);
  // Bucket every neighbour by its word: start[w] .. start[w + 1] of `neighbour`.
  std::vector<int64_t> start(static_cast<size_t>(vocab_size) + 1, 0);
  for_each_pair(corpus, window_size,
                [&](int32_t w, int32_t) { ++start[static_cast<size_t>(w) + 1]; });
  for (int64_t w = 0; w < vocab_size; ++w) start[w + 1] += start[w];
  std::vector<int32_t> neighbour(static_cast<size_t>(start.back()));
  std::vector<int64_t> next(start.begin(), start.end() - 1);
  for_each_pair(corpus, window_size, [&](int32_t w, int32_t c) {
    neighbour[static_cast<size_t>(next[static_cast<size_t>(w)]++)] = c;
  });
  // Sort each bucket; its runs of one word are the row's entries and their counts.
  std::vector<int64_t> distinct(static_cast<size_t>(vocab_size), 0);
  parallel_for(
      vocab_size,
      [&](int64_t w0, int64_t w1) {
        for (int64_t w = w0; w < w1; ++w) {
          const auto first = neighbour.begin() + start[w], last = neighbour.begin() + start[w + 1];
          std::sort(first, last);
          for (auto it = first; it != last; ++it) distinct[w] += it == first || *it != it[-1];
        }
      },
      1);
  CsrMatrix C;
  C.rows = C.cols = vocab_size;
  C.row_start.assign(static_cast<size_t>(vocab_size) + 1, 0);
  for (int64_t w = 0; w < vocab_size; ++w) C.row_start[w + 1] = C.row_start[w] + distinct[w];
  C.column.resize(static_cast<size_t>(C.row_start.back()));
  C.value.resize(C.column.size());
  parallel_for(
      vocab_size,
      [&](int64_t w0, int64_t w1) {
        for (int64_t w = w0; w < w1; ++w) {
          int64_t out = C.row_start[w] - 1;
          for (int64_t k = start[w]; k < start[w + 1]; ++k) {
            const int32_t c = neighbour[k];
            if (k == start[w] || c != neighbour[k - 1]) {
              C.column[++out] = c;
              C.value[out] = 0.0f;
            }
            C.value[out] += 1.0f;
          }
        }
      },
      1);
  return C;
}

}  // namespace nnzero
