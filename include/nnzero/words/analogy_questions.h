// Word analogies as a test of word vectors (Mikolov et al. 2013, "Efficient estimation of word
// representations in vector space"; book 2, ch. 4.3.3): questions-words.txt holds 19,544
// lines "a b c d" (Athens Greece Baghdad Iraq: a is to b as c is to d) in sections that start
// with a line ": name" (capital-common-countries ... gram9-plural-verbs). A question is right
// when d is the top answer of analogy(a, b, c) (words/similarity.h: the cosine to b - a + c,
// a, b and c left out).
//
// A question is asked only when its four words are all in the vocabulary; the others are
// counted as skipped. A word is looked up as written, else lowercased (ASCII): the Penn
// Treebank is lowercase, the questions are not ("Athens"); word2vec's compute-accuracy
// compares uppercased words.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nnzero/data/text_corpus.h"
#include "nnzero/tensor.h"

namespace nnzero {

struct AnalogyQuestion {
  std::array<std::string, 4> words;  // a b c d
  int64_t section = 0;               // index into AnalogyQuestions::sections
  int64_t line = 0;                  // 1-based, for messages
};

struct AnalogyQuestions {
  std::vector<std::string> sections;  // in file order; "" for questions before any ": name"
  std::vector<AnalogyQuestion> questions;
};

// Blank lines are ignored; any other line is a section ": name" or four words. Errors name the
// file and line: a line of other than four words, a section without a name, invalid UTF-8, no
// question at all.
AnalogyQuestions parse_analogy_questions(std::string_view text, const std::string& name);
AnalogyQuestions read_analogy_questions(const std::string& path);

struct AnalogyTally {
  int64_t asked = 0, skipped = 0, correct = 0;
  double accuracy() const { return asked > 0 ? static_cast<double>(correct) / asked : 0.0; }
};

struct AnalogyScore {
  AnalogyTally overall;
  std::vector<std::pair<std::string, AnalogyTally>> sections;  // in file order
};

// The id of a question's word: as written, else ASCII-lowercased; -1 when neither is there.
int32_t question_word_id(std::string_view word, const Vocabulary& vocab);

// Answers every question whose words are all in the vocabulary: the normalized rows (V, D)
// against a block of queries at a time in one matrix product.
AnalogyScore score_analogies(const AnalogyQuestions& questions, const Vocabulary& vocab,
                             const Tensor& word_matrix);

}  // namespace nnzero
