// libFuzzer target for book 2's sequence-to-sequence data (data/sequence_pairs.h): the bytes
// as a file of question-answer lines (parse_sequence_pairs; through a file and load_sequence_
// pairs when they are gzip data), and as one question encoded for a model (encode_question).
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report or another
// exception. What is accepted must hold together: at least 10 lines split n - n/10 and n/10,
// every row of numpy's permutation decoding back to its line (the '\r' of "\r\n" dropped), the
// vocabulary in order of first appearance, every answer starting with '_', every question
// encoding back to its row.
//
//   scripts/fuzz.sh 60 sequence_pairs
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_checks.h"
#include "nnzero/data/sequence_pairs.h"
#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace {

using nnzero::SequencePairs;
using nnzero::Tensor;
using nnzero::Vocabulary;
using nnzero_fuzz::check;

// A folder of its own for the files, made once per process.
const std::string& scratch_dir() {
  static const std::string dir = [] {
    char name[] = "/tmp/fuzz-sequence-pairs-XXXXXX";
    return std::string(mkdtemp(name) != nullptr ? name : "/tmp");
  }();
  return dir;
}

// Row r of ids (N, T) as int ids, each checked to be a whole number in the vocabulary.
std::vector<int32_t> row_ids(const Tensor& t, int64_t r, const Vocabulary& v) {
  const int64_t width = t.shape()[1];
  std::vector<int32_t> ids;
  for (int64_t k = 0; k < width; ++k) {
    const float x = t.data()[r * width + k];
    const auto id = static_cast<int32_t>(x);
    check(static_cast<float>(id) == x && id >= 0 && id < v.size(), "ids in the vocabulary");
    ids.push_back(id);
  }
  return ids;
}

// The lines of `text` as the loader cuts them: on '\n', a final '\r' dropped, the last line
// kept without its newline.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    pos = end + 1;
  }
  return lines;
}

void check_pairs(const SequencePairs& s, const std::string* text) {
  const Vocabulary& v = s.vocab;
  check(v.level() == Vocabulary::Level::character, "a character vocabulary");
  check(s.question_length >= 1 && s.answer_length >= 2, "a question and an answer after '_'");
  const int64_t n_train = s.train_questions.shape()[0], n_test = s.test_questions.shape()[0];
  const int64_t n = n_train + n_test;
  check(n >= 10 && n_test == n / 10, "split n - n/10, n/10");
  check(s.train_questions.shape() == nnzero::Shape{n_train, s.question_length} &&
            s.test_questions.shape() == nnzero::Shape{n_test, s.question_length} &&
            s.train_answers.shape() == nnzero::Shape{n_train, s.answer_length} &&
            s.test_answers.shape() == nnzero::Shape{n_test, s.answer_length},
        "shapes (N, T)");
  const int32_t start = v.id_of("_");
  check(start >= 0, "'_' in the vocabulary");
  const std::vector<int64_t> order = nnzero::numpy_shuffled_indices(n, 1984);
  // The lines in file order, as ids: row r of the split is line order[r].
  std::vector<std::vector<int32_t>> questions(static_cast<size_t>(n)), answers(questions);
  for (int64_t r = 0; r < n; ++r) {
    const bool train = r < n_train;
    const int64_t row = train ? r : r - n_train;
    const auto line = static_cast<size_t>(order[static_cast<size_t>(r)]);
    questions[line] = row_ids(train ? s.train_questions : s.test_questions, row, v);
    answers[line] = row_ids(train ? s.train_answers : s.test_answers, row, v);
    check(answers[line][0] == start, "answers start with '_'");
    for (const int32_t id : questions[line]) check(id != start, "no '_' in a question");
  }
  int32_t next = 0;
  for (size_t i = 0; i < questions.size(); ++i) {
    for (const auto* ids : {&questions[i], &answers[i]}) {
      for (const int32_t id : *ids) {
        check(id <= next, "ids in order of first appearance");
        if (id == next) ++next;
      }
    }
  }
  check(next == v.size(), "every character of the vocabulary appears");
  if (text != nullptr) {
    const std::vector<std::string_view> lines = lines_of(*text);
    check(static_cast<int64_t>(lines.size()) == n, "one pair a line");
    for (size_t i = 0; i < lines.size(); ++i) {
      check(v.decode(questions[i]) + v.decode(answers[i]) == lines[i], "a pair is its line");
    }
  }
  const Tensor q = nnzero::encode_question(v, v.decode(questions[0]), s.question_length);
  check(row_ids(q, 0, v) == questions[0], "a question encodes back to its row");
}

void fuzz_file(const std::string& text) {
  const bool gzip = text.size() >= 2 && text[0] == '\x1f' && text[1] == '\x8b';
  try {
    if (gzip) {
      const std::string file = (std::filesystem::path(scratch_dir()) / "pairs.txt.gz").string();
      nnzero::write_file_atomic(file, text);
      check_pairs(nnzero::load_sequence_pairs(file), nullptr);
    } else {
      check_pairs(nnzero::parse_sequence_pairs(text, "fuzz.txt"), &text);
    }
  } catch (const nnzero::Error&) {
  }
}

void fuzz_question(const std::string& text) {
  static const Vocabulary chars = [] {
    Vocabulary v(Vocabulary::Level::character);
    for (const char* t :
         {"1", "6", "+", "7", "5", " ", "_", "\r", "\xc3\xa9", "\xf0\x9f\x98\x80"}) {
      v.add(t);
    }
    return v;
  }();
  for (const int64_t length : {int64_t{1}, int64_t{7}, int64_t{64}}) {
    try {
      const Tensor q = nnzero::encode_question(chars, text, length);
      check(q.shape() == nnzero::Shape{1, length}, "a question is (1, question_length)");
      row_ids(q, 0, chars);
    } catch (const nnzero::Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz_file(text);
  fuzz_question(text);
  return 0;
}
