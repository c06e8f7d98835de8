// Book 2's sequence-to-sequence data (ch. 7, dataset/sequence.py): files of question-answer
// lines such as addition.txt ("16+75  _91  ") and date.txt ("september 27, 1994 ... _1994-09-27").
// Each line is a question, then '_' and the answer; the answer keeps its '_', the decoder's
// start token. The vocabulary is every character in order of first appearance, and the lines,
// shuffled as numpy shuffles them with the book's seed, split 90 % train, 10 % test.
// User documentation: docs/data.md ("Question-answer lines").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nnzero/data/text_corpus.h"
#include "nnzero/tensor.h"

namespace nnzero {

struct SequencePairs {
  std::string name;             // the file, for messages
  Vocabulary vocab;             // character level, ids in order of first appearance (as the book)
  int64_t question_length = 0;  // characters of every question (7 for addition)
  int64_t answer_length = 0;    // characters of every answer, the leading '_' included (5)
  // Ids as floats (how nnzero's Tensor holds token ids, exact below 2^24), row-major:
  // questions (N, question_length), answers (N, answer_length).
  Tensor train_questions, train_answers, test_questions, test_answers;
};

// Reads a file of question-answer lines as book 2's load_data does: line i is split at its
// first '_' into question i and answer i ('_' and the rest of the line); the vocabulary is the
// file's characters in order of first appearance; the lines are permuted by
// numpy_shuffled_indices(n, seed) and the first n - n/10 train, the last n/10 test. The book's
// seed 1984 gives the book's exact split.
//
// Lines end in "\n" or "\r\n" (the '\r' is dropped, as Python's text mode drops it); a last
// line without its newline is still a line (the book's line[idx:-1] would cut its last
// character; nnzero does not). The file may be gzip-compressed. Errors name the file and,
// where there is one, the line: missing or empty, a line without '_', an empty question or
// an answer of '_' alone, a question or an answer of another length than the first line's
// (the book pads them all with spaces to one length), invalid UTF-8, fewer than 10 lines (the
// test set, a tenth, would be empty).
SequencePairs load_sequence_pairs(const std::string& path, uint32_t seed = 1984);
// The same from the bytes of such a file; `name` stands for the file in messages.
SequencePairs parse_sequence_pairs(std::string_view text, const std::string& name,
                                   uint32_t seed = 1984);

// The permutation of numpy.random.seed(seed); a = numpy.arange(n); numpy.random.shuffle(a):
// MT19937 seeded by init_genrand (std::mt19937(seed) is exactly that), and numpy's legacy
// Fisher-Yates shuffle: for i = n-1 down to 1, j = random_interval(i), swap(a[i], a[j]), where
// random_interval(max) draws words (32-bit while max < 2^32, else two of them, high first)
// masked to the smallest 2^k - 1 >= max until one is <= max.
std::vector<int64_t> numpy_shuffled_indices(int64_t n, uint32_t seed);

// One question for a trained model: (1, question_length) ids of `text` padded on the right
// with spaces to question_length, as the files pad theirs. One trailing "\n" or "\r\n" is
// dropped (a line as typed). Errors: an empty question, more characters than question_length,
// a character outside the vocabulary or invalid UTF-8 (naming the character and its place).
Tensor encode_question(const Vocabulary& vocab, std::string_view text, int64_t question_length);

}  // namespace nnzero
