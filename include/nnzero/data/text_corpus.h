// Text for the recurrent networks of book 2: a vocabulary (the book's word_to_id and
// id_to_word, ch. 2.3) and a corpus of token ids split into train, valid and test.
//
// Word level follows book 2's dataset/ptb.py: `text.replace('\n', '<eos>').split()`, the
// vocabulary in order of first appearance in the training text. One departure: a newline is
// always a token of its own ("a\nb" is a <eos> b; the book's replace would glue "a<eos>b"
// together), which changes nothing on the Penn Treebank, whose lines start and end with a
// space. Character level follows nanoGPT's tiny Shakespeare: every Unicode code point is a
// token, the vocabulary is every character of the file sorted by code point, and the first
// 90 % of the characters train, the last 10 % validate.
// User documentation: docs/data.md ("Text").
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nnzero {

class Vocabulary {
 public:
  enum class Level { word, character };
  // Vocabularies larger than this are refused (add, from_json): ids stay far inside int32_t
  // and an embedding of that many rows is already absurd; no corpus nnzero reads comes near
  // (the Penn Treebank has 10,000 words; a character vocabulary has at most 1,112,064).
  static constexpr int64_t kMaxSize = 10'000'000;

  Vocabulary() = default;
  explicit Vocabulary(Level level);

  Level level() const { return level_; }
  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  // The token of `id`; throws when it is not in [0, size()).
  const std::string& token(int32_t id) const;
  // The id of `token`, or -1 when absent.
  int32_t id_of(std::string_view token) const;
  // The id of `token`, added at the end when new. Throws when the token cannot be one of this
  // level (words: empty, or holding whitespace; characters: not exactly one code point; both:
  // invalid UTF-8), or when a new token would pass kMaxSize.
  int32_t add(std::string_view token);
  // The id of "<unk>", the stand-in for words outside the vocabulary; -1 when absent, and
  // always for characters ("<unk>" is not one character).
  int32_t unk_id() const;

  // Text -> ids. Words: split on ASCII whitespace (space, \t, \r, \v, \f), every '\n' a
  // "<eos>" token; nothing is added at the end ("the cat" is two tokens, a prompt). Characters:
  // each UTF-8 code point is a token. A token not in the vocabulary becomes <unk> when the
  // vocabulary has it (counted in *unknown), else an Error naming the token, its byte offset
  // and line. Invalid UTF-8 is an Error naming the byte offset and line.
  std::vector<int32_t> encode(std::string_view text, int64_t* unknown = nullptr) const;
  // Ids -> text: words joined by ' ', "<eos>" shown as '\n' (no space around it); characters
  // concatenated. encode(decode(ids)) == ids for any ids of this vocabulary.
  std::string decode(std::span<const int32_t> ids) const;

  // Saved in model files as the metadata "nnzero.vocab":
  // {"level": "word"|"character", "tokens": [...]} (the tokens in id order).
  std::string to_json() const;
  // Throws on anything else: not JSON, keys missing or unknown, a level other than the two,
  // no tokens, a token that is not a string or not one of the level (see add), a token twice,
  // more than kMaxSize tokens.
  static Vocabulary from_json(std::string_view json);

 private:
  // std::string keys looked up by std::string_view without building a string (C++20).
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Level level_ = Level::word;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> ids_;
};

struct TextCorpus {
  std::string name;  // where it came from, for messages
  Vocabulary vocab;
  std::vector<int32_t> train, valid, test;      // token ids; test is empty for characters
  int64_t unknown_valid = 0, unknown_test = 0;  // tokens mapped to <unk> (not in train's)
};

// Reads a corpus; `path` is one of:
// - A folder holding exactly one triple <name>.train.txt, <name>.valid.txt, <name>.test.txt
//   (the Penn Treebank: ptb.train.txt ...): word level, the vocabulary built from train in
//   order of first appearance (as book 2), valid and test encoded with it (words outside it
//   become <unk> when train has <unk>, else are an Error naming the file, word and line).
//   Each file's last line ends with <eos> even when the file lacks its final newline.
// - A file named <name>.train.txt: that triple in its folder (when the folder holds others).
// - Any other file: character level, train the first floor(0.9 n) of its n characters, valid
//   the rest, test empty; the vocabulary every character of the file, sorted by code point.
// Files may be gzip-compressed. Errors name the file: missing, empty (no word or character),
// invalid UTF-8 (byte offset and line), fewer than 2 characters, a vocabulary past kMaxSize.
TextCorpus load_text_corpus(const std::string& path);

// Where `nnzero data fetch ptb` and `tinyshakespeare` put their files: $NNZERO_DATA/text when
// NNZERO_DATA is set, else data/text.
std::string default_text_dir();

}  // namespace nnzero
