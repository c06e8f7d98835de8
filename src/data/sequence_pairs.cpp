// Book 2's dataset/sequence.py load_data, and numpy's legacy shuffle (RandomState.shuffle on a
// 1-D array, numpy/random/mtrand.pyx _shuffle_raw) so that seed 1984 splits as the book does.
#include "nnzero/data/sequence_pairs.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <tuple>

#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace nnzero {

namespace {

constexpr int64_t kMinLines = 10;  // n / 10 >= 1: a test set of at least one line
constexpr int64_t kMaxShownVocabulary = 100;

// Bytes of the character that starts with `c` by its lead byte alone (1 for a stray
// continuation byte); whether they are well-formed UTF-8 is Vocabulary::add's check.
size_t lead_length(uint8_t c) {
  return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

// Calls on_char(character, byte offset) for each character of `text`, pieces cut by their
// lead byte (clamped to the end of the text).
template <class OnChar>
void for_each_char(std::string_view text, OnChar&& on_char) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = std::min(lead_length(static_cast<uint8_t>(text[i])), text.size() - i);
    on_char(text.substr(i, n), i);
    i += n;
  }
}

// Whether `piece` is one well-formed character: Vocabulary's own check.
bool is_character(std::string_view piece) {
  try {
    Vocabulary(Vocabulary::Level::character).add(piece);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// A character as messages show it, quoted.
std::string quoted(std::string_view c) {
  return "'" + std::string(c) + "'";
}

// "1 character" / "7 characters"
std::string characters(int64_t n) {
  return std::to_string(n) + (n == 1 ? " character" : " characters");
}

// Rows order[begin..end) of `all` (n, length) as a tensor (end - begin, length) of float ids.
Tensor gather_rows(const std::vector<int32_t>& all, int64_t length,
                   const std::vector<int64_t>& order, int64_t begin, int64_t end) {
  Tensor t(Shape{end - begin, length});
  float* out = t.data();
  for (int64_t r = begin; r < end; ++r) {
    const int32_t* row = all.data() + order[static_cast<size_t>(r)] * length;
    for (int64_t k = 0; k < length; ++k) *out++ = static_cast<float>(row[k]);
  }
  return t;
}

}  // namespace

std::vector<int64_t> numpy_shuffled_indices(int64_t n, uint32_t seed) {
  if (n < 0) throw Error("numpy_shuffled_indices: n is " + std::to_string(n) + ", negative");
  std::vector<int64_t> a(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) a[static_cast<size_t>(i)] = i;
  std::mt19937 mt(seed);  // numpy's init_genrand(seed)
  // numpy's random_interval: rejection sampling of [0, max] under the smallest mask.
  const auto random_interval = [&](uint64_t max) -> uint64_t {
    uint64_t mask = max;
    for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;
    uint64_t value = 0;
    if (max <= 0xFFFFFFFFu) {
      while ((value = (mt() & mask)) > max) {
      }
    } else {
      const auto next64 = [&] {
        const uint64_t hi = mt();
        return (hi << 32) | mt();
      };
      while ((value = (next64() & mask)) > max) {
      }
    }
    return value;
  };
  for (int64_t i = n - 1; i >= 1; --i) {
    const auto j = static_cast<int64_t>(random_interval(static_cast<uint64_t>(i)));
    std::swap(a[static_cast<size_t>(i)], a[static_cast<size_t>(j)]);
  }
  return a;
}

SequencePairs parse_sequence_pairs(std::string_view text, const std::string& name, uint32_t seed) {
  if (text.empty()) {
    throw Error(name + ": an empty file (expected question-answer lines such as \"16+75  _91  \")");
  }
  SequencePairs s;
  s.name = name;
  s.vocab = Vocabulary(Vocabulary::Level::character);
  // The ids of the questions (n, question_length) and the answers (n, answer_length) in file
  // order, row after row.
  std::vector<int32_t> questions, answers;
  int64_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++n;
    if (line.ends_with('\r')) line.remove_suffix(1);
    const auto where = [&] { return name + ": line " + std::to_string(n) + ": "; };
    const size_t idx = line.find('_');
    if (idx == std::string_view::npos) {
      throw Error(where() + (line.empty() ? "an empty line" : "no '_' in the line") +
                  " (each line is a question, '_' and the answer, e.g. \"16+75  _91  \")");
    }
    // As the book's _update_vocab(q), _update_vocab(a): the line's characters in order.
    int64_t q_length = 0, a_length = 0;
    for_each_char(line, [&](std::string_view c, size_t at) {
      int32_t id = s.vocab.id_of(c);
      if (id < 0) {
        // Vocabulary::add refuses what is not one well-formed character (the only way it can
        // fail here: a character vocabulary stays far below kMaxSize).
        try {
          id = s.vocab.add(c);
        } catch (const Error&) {
          static const char* kHex = "0123456789abcdef";
          const auto b = static_cast<uint8_t>(c[0]);
          throw Error(where() + "invalid UTF-8 at byte " + std::to_string(at) + " of the line (0x" +
                      kHex[b >> 4] + kHex[b & 15] + " does not start a well-formed character)");
        }
      }
      (at < idx ? questions : answers).push_back(id);
      ++(at < idx ? q_length : a_length);
    });
    if (q_length == 0) {
      throw Error(where() + "an empty question (the line starts with '_')");
    }
    if (a_length == 1) {
      throw Error(where() + "an empty answer ('_' ends the line; the answer follows the '_')");
    }
    if (n == 1) {
      s.question_length = q_length;
      s.answer_length = a_length;
    }
    for (const auto& [what, expected, got] : {std::tuple{"question", s.question_length, q_length},
                                              std::tuple{"answer", s.answer_length, a_length}}) {
      if (got != expected) {
        throw Error(where() + "the " + what + " has " + characters(got) + ", line 1's has " +
                    std::to_string(expected) + " (every " + what +
                    " is padded with spaces to one length" +
                    (std::string_view(what) == "answer" ? ", its '_' included)" : ")"));
      }
    }
  }
  if (n < kMinLines) {
    throw Error(name + ": " + std::to_string(n) + (n == 1 ? " line" : " lines") +
                ", fewer than the " + std::to_string(kMinLines) +
                " needed (the last tenth of the shuffled lines is the test set)");
  }
  const std::vector<int64_t> order = numpy_shuffled_indices(n, seed);
  const int64_t split_at = n - n / 10;  // the book's len(x) - len(x) // 10
  s.train_questions = gather_rows(questions, s.question_length, order, 0, split_at);
  s.train_answers = gather_rows(answers, s.answer_length, order, 0, split_at);
  s.test_questions = gather_rows(questions, s.question_length, order, split_at, n);
  s.test_answers = gather_rows(answers, s.answer_length, order, split_at, n);
  return s;
}

SequencePairs load_sequence_pairs(const std::string& path, uint32_t seed) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error(path + ": no such file (`nnzero data fetch seq2seq` fetches book 2's " +
                "addition.txt and date.txt)");
  }
  const std::vector<uint8_t> bytes = read_file(path);
  return parse_sequence_pairs({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, path,
                              seed);
}

Tensor encode_question(const Vocabulary& vocab, std::string_view text, int64_t question_length) {
  if (question_length < 1) {
    throw Error("encode_question: question_length is " + std::to_string(question_length) +
                ", not positive");
  }
  if (text.ends_with('\n')) {
    text.remove_suffix(1);
    if (text.ends_with('\r')) text.remove_suffix(1);
  }
  if (text.empty()) throw Error("the question is empty");
  std::vector<float> ids;
  for_each_char(text, [&](std::string_view c, size_t at) {
    const int32_t id = vocab.id_of(c);
    if (id >= 0) {
      ids.push_back(static_cast<float>(id));
      return;
    }
    const std::string place = "at character " + std::to_string(ids.size() + 1) + " (byte " +
                              std::to_string(at) + ") of the question";
    if (!is_character(c)) throw Error("invalid UTF-8 " + place);
    std::string known = characters(vocab.size());
    if (vocab.size() <= kMaxShownVocabulary) {
      std::string all;
      for (int32_t i = 0; i < vocab.size(); ++i) all += vocab.token(i);
      known += ": \"" + all + "\"";
    }
    throw Error("the character " + quoted(c) + " " + place + " is not in the vocabulary (" + known +
                ")");
  });
  const auto length = static_cast<int64_t>(ids.size());
  if (length > question_length) {
    throw Error("the question has " + characters(length) + ", more than the " +
                std::to_string(question_length) + " the model reads");
  }
  if (length < question_length) {
    const int32_t space = vocab.id_of(" ");
    if (space < 0) {
      throw Error("the question has " + characters(length) + ", fewer than " +
                  std::to_string(question_length) +
                  ", and the vocabulary has no ' ' to pad it with");
    }
    ids.resize(static_cast<size_t>(question_length), static_cast<float>(space));
  }
  return Tensor(Shape{1, question_length}, ids);
}

}  // namespace nnzero
