// libFuzzer target for book 2's text data (data/text_corpus.h): the bytes as a vocabulary's
// JSON (Vocabulary::from_json, what every language model's "nnzero.vocab" goes through), as
// text encoded with a small vocabulary of each level, and as the files load_text_corpus reads
// (one file: characters; the same bytes as the three files of a word-level triple).
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report or another
// exception. What is accepted must hold together: a vocabulary's JSON reads back to itself and
// every id decodes and encodes back to itself; a word corpus numbers its words in order of
// first appearance and ends each file with <eos>; a character corpus is the file, split 90/10.
//
//   scripts/fuzz.sh 60 text
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_checks.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace {

using nnzero::Vocabulary;
using nnzero_fuzz::check;

// A folder of its own for the files, made once per process.
const std::string& scratch_dir() {
  static const std::string dir = [] {
    char name[] = "/tmp/fuzz-text-XXXXXX";
    return std::string(mkdtemp(name) != nullptr ? name : "/tmp");
  }();
  return dir;
}

// What every accepted vocabulary promises: ids 0..size-1 each naming one token, its JSON
// reading back to itself, every id through decode and encode unchanged.
void check_vocabulary(const Vocabulary& v) {
  check(v.size() >= 0 && v.size() <= Vocabulary::kMaxSize, "size within the limit");
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < v.size(); ++id) {
    check(v.id_of(v.token(id)) == id, "id_of(token(id)) == id");
    ids.push_back(id);
  }
  if (v.size() == 0) return;
  const std::string json = v.to_json();
  check(Vocabulary::from_json(json).to_json() == json, "the JSON reads back to itself");
  check(v.encode(v.decode(ids)) == ids, "encode(decode(ids)) == ids");
  check(v.level() == Vocabulary::Level::word || v.unk_id() == -1, "no <unk> for characters");
}

// `ids` number their tokens in order of first appearance (book 2's word_to_id).
void check_first_appearance(const std::vector<int32_t>& ids) {
  int32_t next = 0;
  for (const int32_t id : ids) {
    check(id <= next, "ids in order of first appearance");
    if (id == next) ++next;
  }
}

void fuzz_json(const std::string& text) {
  Vocabulary v;
  try {
    v = Vocabulary::from_json(text);
  } catch (const nnzero::Error&) {
    return;
  }
  check(v.size() >= 1, "an accepted vocabulary has tokens");
  check_vocabulary(v);
}

void fuzz_encode(const std::string& text) {
  static const Vocabulary words = [] {
    Vocabulary v(Vocabulary::Level::word);
    for (const char* t : {"the", "<eos>", "a", "<unk>", "caf\xc3\xa9"}) v.add(t);
    return v;
  }();
  static const Vocabulary chars = [] {
    Vocabulary v(Vocabulary::Level::character);
    for (const char* t : {"\n", " ", "a", "e", "\xc3\xa9", "\xf0\x9f\x98\x80"}) v.add(t);
    return v;
  }();
  try {
    int64_t unknown = -1;
    const std::vector<int32_t> ids = words.encode(text, &unknown);
    check(unknown >= 0 && unknown <= static_cast<int64_t>(ids.size()), "unknown counted");
    check(words.encode(words.decode(ids)) == ids, "word ids survive decode and encode");
  } catch (const nnzero::Error&) {
  }
  try {
    const std::vector<int32_t> ids = chars.encode(text);
    check(chars.decode(ids) == text, "characters decode to the text");
  } catch (const nnzero::Error&) {
  }
}

void fuzz_corpora(const std::string& text) {
  const std::filesystem::path dir = scratch_dir();
  const std::string file = (dir / "chars.txt").string();
  nnzero::write_file_atomic(file, text);
  const bool gzip = text.size() >= 2 && text[0] == '\x1f' && text[1] == '\x8b';
  try {
    const nnzero::TextCorpus c = nnzero::load_text_corpus(file);
    check(c.vocab.level() == Vocabulary::Level::character, "one file: characters");
    check(c.train.size() >= 1 && c.valid.size() >= 1 && c.test.empty(), "split 90/10");
    const size_t n = c.train.size() + c.valid.size();
    check(c.train.size() == n * 9 / 10, "train is floor(0.9 n)");
    if (!gzip) {
      check(c.vocab.decode(c.train) + c.vocab.decode(c.valid) == text, "the file, split");
    }
    check_vocabulary(c.vocab);
  } catch (const nnzero::Error&) {
  }
  for (const char* part : {"w.train.txt", "w.valid.txt", "w.test.txt"}) {
    nnzero::write_file_atomic((dir / part).string(), text);
  }
  try {
    const nnzero::TextCorpus c = nnzero::load_text_corpus(dir.string());
    check(c.vocab.level() == Vocabulary::Level::word, "a triple: words");
    const int32_t eos = c.vocab.id_of("<eos>");
    check(eos >= 0, "the vocabulary has <eos>");
    check(!c.train.empty() && c.train.back() == eos, "train ends with <eos>");
    check(c.valid == c.train && c.test == c.train, "the same bytes, the same ids");
    check(c.unknown_valid == 0 && c.unknown_test == 0, "no word outside train's");
    check_first_appearance(c.train);
    if (!gzip) {
      std::vector<int32_t> ids = c.vocab.encode(text);
      if (ids.empty() || ids.back() != eos) ids.push_back(eos);
      check(ids == c.train, "encode with the corpus's vocabulary gives its ids");
    }
    check_vocabulary(c.vocab);
  } catch (const nnzero::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz_json(text);
  fuzz_encode(text);
  fuzz_corpora(text);
  return 0;
}
