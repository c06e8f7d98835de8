// Book 2's corpus, word_to_id and id_to_word (ch. 2.3, dataset/ptb.py), and nanoGPT's
// character-level split of tiny Shakespeare. The text is tokenized in place: tokens are views
// into the file's bytes, looked up without building a string (the Penn Treebank's 929,589
// training words cost 10,000 strings, one per distinct word).
#include "nnzero/data/text_corpus.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/io/strict_json.h"
#include "nnzero/strings.h"

namespace nnzero {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kEos = "<eos>";
constexpr std::string_view kUnk = "<unk>";

// The blanks that separate words: space, \t, \n, \v, \f, \r ('\n' is also a token, <eos>).
bool is_blank(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// The length (1 to 4) of the well-formed UTF-8 sequence at s[i], or 0: no overlong forms, no
// surrogates, nothing past U+10FFFF (RFC 3629; what the JSON of a model file can hold).
size_t utf8_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = byte(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong below
    if (c == 0xED) hi = 0x9F;  // surrogates above
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong below
    if (c == 0xF4) hi = 0x8F;  // past U+10FFFF above
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// "byte 1234 (line 5)" for a place in `text`.
std::string place(std::string_view text, size_t at) {
  const auto line = std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(at), '\n') + 1;
  return "byte " + std::to_string(at) + " (line " + std::to_string(line) + ")";
}

// Throws at the first byte of `text` that does not start well-formed UTF-8.
void check_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<uint8_t>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = utf8_length(text, i);
    if (n == 0) {
      static const char* kHex = "0123456789abcdef";
      const auto b = static_cast<uint8_t>(text[i]);
      throw Error("invalid UTF-8 at " + place(text, i) + ": byte 0x" + kHex[b >> 4] + kHex[b & 15] +
                  " does not start a well-formed character");
    }
    i += n;
  }
}

// A token as a message shows it: quoted, newline and tab spelled out, at most 60 bytes.
std::string shown(std::string_view token) {
  std::string_view cut = token.substr(0, 60);
  while (cut.size() < token.size() && !cut.empty() &&
         (static_cast<uint8_t>(token[cut.size()]) & 0xC0) == 0x80) {
    cut.remove_suffix(1);  // not in the middle of a character
  }
  std::string out = "'";
  for (const char c : cut) {
    out += c == '\n' ? std::string("\\n") : c == '\t' ? std::string("\\t") : std::string(1, c);
  }
  return out + (cut.size() < token.size() ? "...'" : "'");
}

// Calls on_token(token, byte offset) for each token of well-formed UTF-8 `text`: words split
// on blanks with every '\n' the token "<eos>", or every character.
template <class OnToken>
void for_each_token(std::string_view text, Vocabulary::Level level, OnToken&& on_token) {
  const size_t n = text.size();
  if (level == Vocabulary::Level::character) {
    for (size_t i = 0; i < n;) {
      const size_t len = utf8_length(text, i);
      on_token(text.substr(i, len), i);
      i += len;
    }
    return;
  }
  for (size_t i = 0; i < n;) {
    if (text[i] == '\n') {
      on_token(kEos, i);
      ++i;
    } else if (is_blank(text[i])) {
      ++i;
    } else {
      size_t end = i + 1;
      while (end < n && !is_blank(text[end])) ++end;
      on_token(text.substr(i, end - i), i);
      i = end;
    }
  }
}

// "" when `token` can be a token of `level`, else why not.
std::string why_not_a_token(std::string_view token, Vocabulary::Level level) {
  if (token.empty()) return "is empty";
  for (size_t i = 0; i < token.size();) {
    const size_t n = utf8_length(token, i);
    if (n == 0) return "is not well-formed UTF-8 (at byte " + std::to_string(i) + ")";
    if (level == Vocabulary::Level::character && n != token.size()) {
      return "is not one character (a character-level token is one Unicode code point)";
    }
    if (level == Vocabulary::Level::word && n == 1 && is_blank(token[i])) {
      return "holds whitespace (words are split on it)";
    }
    i += n;
  }
  return "";
}

const char* level_name(Vocabulary::Level level) {
  return level == Vocabulary::Level::word ? "word" : "character";
}

}  // namespace

Vocabulary::Vocabulary(Level level) : level_(level) {}

const std::string& Vocabulary::token(int32_t id) const {
  if (id < 0 || id >= size()) {
    throw Error("vocabulary: id " + std::to_string(id) + " is out of range (" +
                std::to_string(size()) + " tokens" +
                (size() > 0 ? ", ids 0 to " + std::to_string(size() - 1) : std::string()) + ")");
  }
  return tokens_[static_cast<size_t>(id)];
}

int32_t Vocabulary::id_of(std::string_view token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

int32_t Vocabulary::add(std::string_view token) {
  if (const int32_t id = id_of(token); id >= 0) return id;
  if (const std::string why = why_not_a_token(token, level_); !why.empty()) {
    throw Error("vocabulary: the " + std::string(level_name(level_)) + " " + shown(token) + " " +
                why);
  }
  if (size() >= kMaxSize) {
    throw Error("vocabulary: more than " + std::to_string(kMaxSize) + " distinct " +
                level_name(level_) + "s (the most nnzero accepts); adding " + shown(token));
  }
  const auto id = static_cast<int32_t>(tokens_.size());
  tokens_.emplace_back(token);
  ids_.emplace(tokens_.back(), id);
  return id;
}

int32_t Vocabulary::unk_id() const {
  return level_ == Level::word ? id_of(kUnk) : -1;
}

std::vector<int32_t> Vocabulary::encode(std::string_view text, int64_t* unknown) const {
  check_utf8(text);
  const int32_t unk = unk_id();
  int64_t missing = 0;
  std::vector<int32_t> ids;
  ids.reserve(level_ == Level::character ? text.size() : text.size() / 5);
  for_each_token(text, level_, [&](std::string_view t, size_t at) {
    int32_t id = id_of(t);
    if (id < 0) {
      if (unk < 0) {
        throw Error("the " + std::string(level_name(level_)) + " " + shown(t) +
                    (t == kEos && level_ == Level::word ? " (a newline)" : "") + " at " +
                    place(text, at) + " is not in the vocabulary (" + std::to_string(size()) +
                    " tokens" + (level_ == Level::word ? ", no <unk> to stand for it)" : ")"));
      }
      id = unk;
      ++missing;
    }
    ids.push_back(id);
  });
  if (unknown != nullptr) *unknown = missing;
  return ids;
}

std::string Vocabulary::decode(std::span<const int32_t> ids) const {
  std::string out;
  for (const int32_t id : ids) {
    const std::string& t = token(id);
    if (level_ == Level::character) {
      out += t;
    } else if (t == kEos) {
      out += '\n';
    } else {
      if (!out.empty() && out.back() != '\n') out += ' ';
      out += t;
    }
  }
  return out;
}

std::string Vocabulary::to_json() const {
  return nlohmann::json{{"level", level_name(level_)}, {"tokens", tokens_}}.dump();
}

Vocabulary Vocabulary::from_json(std::string_view text) {
  const std::string where = "nnzero.vocab";
  // An object holding an array of strings: 2 levels; 3 so that a nested value is reported as
  // a token that is not a string.
  const nlohmann::json j = parse_strict_json(
      std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), where, 3);
  if (!j.is_object()) throw Error(where + ": not a JSON object but " + j.type_name());
  for (const auto& [key, value] : j.items()) {
    if (key != "level" && key != "tokens") {
      throw Error(where + ": unknown key '" + key + "' (expected \"level\" and \"tokens\")");
    }
  }
  const auto level_it = j.find("level");
  if (level_it == j.end()) throw Error(where + ": no \"level\" (\"word\" or \"character\")");
  if (*level_it != "word" && *level_it != "character") {
    throw Error(where + ": \"level\" is " + level_it->dump() + ", not \"word\" or \"character\"");
  }
  Vocabulary v(*level_it == "word" ? Level::word : Level::character);
  const auto tokens = j.find("tokens");
  if (tokens == j.end()) throw Error(where + ": no \"tokens\"");
  if (!tokens->is_array()) {
    throw Error(where + ": \"tokens\" is " + tokens->type_name() + ", not an array");
  }
  if (tokens->empty()) throw Error(where + ": \"tokens\" is empty");
  if (tokens->size() > static_cast<size_t>(kMaxSize)) {
    throw Error(where + ": " + std::to_string(tokens->size()) + " tokens, more than the " +
                std::to_string(kMaxSize) + " nnzero accepts");
  }
  v.tokens_.reserve(tokens->size());
  v.ids_.reserve(tokens->size());
  for (size_t i = 0; i < tokens->size(); ++i) {
    const nlohmann::json& t = (*tokens)[i];
    const std::string at = where + ": tokens[" + std::to_string(i) + "]";
    if (!t.is_string()) throw Error(at + " is " + t.type_name() + ", not a string");
    const std::string& s = t.get_ref<const std::string&>();
    if (const int32_t first = v.id_of(s); first >= 0) {
      throw Error(at + " " + shown(s) + " is tokens[" + std::to_string(first) + "] again");
    }
    if (const std::string why = why_not_a_token(s, v.level_); !why.empty()) {
      throw Error(at + " " + shown(s) + " " + why);
    }
    v.add(s);
  }
  return v;
}

// --- reading corpora ----------------------------------------------------------------------

namespace {

constexpr std::string_view kTrainSuffix = ".train.txt";

// A file's bytes, checked to be UTF-8 (errors name the file).
std::vector<uint8_t> read_text_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_file(path);
  try {
    check_utf8({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return bytes;
}

std::string_view as_text(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Ends the ids of a file with <eos> when its last line lacks its newline (a file as some
// editors save it), so that sentences never run from one file or line into the next.
void end_with_eos(std::vector<int32_t>& ids, int32_t eos) {
  if (!ids.empty() && ids.back() != eos) ids.push_back(eos);
}

// Throws unless `ids` hold a word other than <eos>.
void check_has_words(const std::vector<int32_t>& ids, int32_t eos, const std::string& path) {
  if (std::all_of(ids.begin(), ids.end(), [&](int32_t id) { return id == eos; })) {
    throw Error(path + ": no words in it (" +
                (ids.empty() ? std::string("an empty file") : "only blank lines") + ")");
  }
}

// The triple <stem>.train.txt, .valid.txt, .test.txt in `dir`: word level.
TextCorpus load_word_corpus(const fs::path& dir, const std::string& stem) {
  const std::string train_path = (dir / (stem + ".train.txt")).string();
  TextCorpus c;
  c.name = train_path;
  c.vocab = Vocabulary(Vocabulary::Level::word);
  {
    const std::vector<uint8_t> bytes = read_text_file(train_path);
    c.train.reserve(bytes.size() / 5);
    try {
      // As book 2's load_vocab: ids in order of first appearance.
      for_each_token(as_text(bytes), Vocabulary::Level::word, [&](std::string_view t, size_t) {
        const int32_t id = c.vocab.id_of(t);
        c.train.push_back(id >= 0 ? id : c.vocab.add(t));
      });
    } catch (const Error& e) {
      throw Error(train_path + ": " + e.what());
    }
  }
  const int32_t eos = c.vocab.add(kEos);
  end_with_eos(c.train, eos);
  check_has_words(c.train, eos, train_path);
  for (const auto& [suffix, ids, unknown] : {std::tuple{".valid.txt", &c.valid, &c.unknown_valid},
                                             std::tuple{".test.txt", &c.test, &c.unknown_test}}) {
    const std::string path = (dir / (stem + suffix)).string();
    const std::vector<uint8_t> bytes = read_text_file(path);
    try {
      *ids = c.vocab.encode(as_text(bytes), unknown);
    } catch (const Error& e) {
      throw Error(path + ": " + e.what() + "; the vocabulary is that of " +
                  fs::path(train_path).filename().string());
    }
    end_with_eos(*ids, eos);
    check_has_words(*ids, eos, path);
  }
  return c;
}

// The stem of the one complete triple in `dir`.
std::string find_triple(const fs::path& dir) {
  std::set<std::string> stems;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > kTrainSuffix.size() && name.ends_with(kTrainSuffix)) {
      stems.insert(name.substr(0, name.size() - kTrainSuffix.size()));
    }
  }
  if (ec) throw Error(dir.string() + ": cannot list the folder (" + ec.message() + ")");
  std::vector<std::string> complete, missing;
  for (const std::string& stem : stems) {
    const bool valid = fs::exists(dir / (stem + ".valid.txt"), ec);
    const bool test = fs::exists(dir / (stem + ".test.txt"), ec);
    if (valid && test) {
      complete.push_back(stem);
    } else {
      missing.push_back((dir / (stem + (valid ? ".test.txt" : ".valid.txt"))).string());
    }
  }
  if (complete.size() == 1) return complete.front();
  if (complete.size() > 1) {
    throw Error(dir.string() + ": holds " + std::to_string(complete.size()) +
                " word-level corpora (" + join(complete, ", ") + "); name one by its file, e.g. " +
                (dir / (complete.front() + ".train.txt")).string());
  }
  if (!missing.empty()) {
    throw Error(missing.front() + ": missing (a word-level corpus is the three files " +
                "<name>.train.txt, <name>.valid.txt, <name>.test.txt)");
  }
  throw Error(dir.string() + ": no word-level corpus in it (the three files <name>.train.txt, " +
              "<name>.valid.txt, <name>.test.txt; `nnzero data fetch ptb` fetches the Penn " +
              "Treebank's); a single text file is read as characters");
}

// One file: character level, nanoGPT's 90 % / 10 % split.
TextCorpus load_character_corpus(const std::string& path) {
  const std::vector<uint8_t> bytes = read_text_file(path);
  const std::string_view text = as_text(bytes);
  // The distinct characters sorted by code point, which is the order of their UTF-8 bytes.
  std::unordered_set<std::string_view> seen;
  for_each_token(text, Vocabulary::Level::character,
                 [&](std::string_view t, size_t) { seen.insert(t); });
  std::vector<std::string_view> chars(seen.begin(), seen.end());
  std::sort(chars.begin(), chars.end());
  TextCorpus c;
  c.name = path;
  c.vocab = Vocabulary(Vocabulary::Level::character);
  for (const std::string_view ch : chars) c.vocab.add(ch);
  std::vector<int32_t> ids = c.vocab.encode(text);
  const auto n = static_cast<int64_t>(ids.size());
  if (n < 2) {
    throw Error(
        path + ": " +
        (n == 0 ? std::string("no characters in it (an empty file)") : std::string("1 character")) +
        "; a character-level corpus needs at least 2 (the first 90 % train, the rest "
        "validate)");
  }
  const int64_t split = n * 9 / 10;
  c.valid.assign(ids.begin() + split, ids.end());
  ids.resize(static_cast<size_t>(split));
  c.train = std::move(ids);
  return c;
}

}  // namespace

TextCorpus load_text_corpus(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  const fs::file_status status = fs::status(p, ec);
  if (!fs::exists(status)) {
    throw Error(path + ": no such file or folder (a text file, or a folder holding " +
                "<name>.train.txt, <name>.valid.txt and <name>.test.txt)");
  }
  if (fs::is_directory(status)) {
    return load_word_corpus(p, find_triple(p));
  }
  const std::string name = p.filename().string();
  if (name.size() > kTrainSuffix.size() && name.ends_with(kTrainSuffix)) {
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    const std::string stem = name.substr(0, name.size() - kTrainSuffix.size());
    for (const char* suffix : {".valid.txt", ".test.txt"}) {
      if (!fs::exists(dir / (stem + suffix), ec)) {
        throw Error((dir / (stem + suffix)).string() + ": missing (" + name +
                    " is the training part of a word-level corpus, <name>.train.txt, " +
                    "<name>.valid.txt, <name>.test.txt)");
      }
    }
    return load_word_corpus(dir, stem);
  }
  return load_character_corpus(path);
}

std::string default_text_dir() {
  if (const char* env = std::getenv("NNZERO_DATA"); env != nullptr && *env != '\0') {
    return (fs::path(env) / "text").string();
  }
  return "data/text";
}

}  // namespace nnzero
