// Book 2's preprocess (ch. 2.3.1, common/util.py): a sentence to its word ids and vocabulary.
//   text = text.lower(); text = text.replace('.', ' .'); words = text.split(' ')
// ids in order of first appearance ("you say goodbye and i say hello ." -> 0 1 2 3 4 1 5 6).
// One departure: words are split on any blank (the Vocabulary's rule, data/text_corpus.h),
// and empty words (two spaces in a row; the book's split(' ') makes '' a word) are none.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "nnzero/data/text_corpus.h"

namespace nnzero {

struct Preprocessed {
  std::vector<int32_t> corpus;
  Vocabulary vocab;  // word level
};

// Lowercases ASCII letters only (the book's str.lower() also lowercases other scripts).
Preprocessed preprocess(std::string_view text);

}  // namespace nnzero
