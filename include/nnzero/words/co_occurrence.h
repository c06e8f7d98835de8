// Book 2's co-occurrence matrix (ch. 2.3.4, common/util.py's create_co_matrix): C[w, c] counts
// how often word c stands within `window_size` words to the left or right of word w in the
// corpus (a word beside itself counts on the diagonal). C is symmetric.
//
// Departure: the book fills a dense (V, V) int32 array; here C is sparse (CSR, float counts,
// exact up to 2^24). On the Penn Treebank (V = 10,000, window 2) it holds about 2 % of the
// 10^8 entries. Counting: every (w, c) pair goes into w's bucket (a counting sort by w), each
// bucket is sorted and its runs counted.
#pragma once

#include <cstdint>
#include <span>

#include "nnzero/kernels/csr_matrix.h"

namespace nnzero {

// Throws for an empty corpus, a window below 1, or an id outside [0, vocab_size).
CsrMatrix create_co_matrix(std::span<const int32_t> corpus, int64_t vocab_size,
                           int64_t window_size = 1);

}  // namespace nnzero
