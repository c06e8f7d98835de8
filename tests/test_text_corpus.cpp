// Book 2's text data (data/text_corpus.h): the vocabulary (ids, encode and decode, its JSON),
// word-level corpora as book 2's dataset/ptb.py reads the Penn Treebank (on the real files
// when the data folder has them), character-level corpora as nanoGPT splits tiny Shakespeare,
// every bad input refused with a message naming it; and `nnzero data fetch ptb` and
// `tinyshakespeare` (net/fetch.h) from a local HTTP server. No test needs the internet.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fetch_support.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/net/fetch.h"
#include "nnzero/rng.h"

namespace {

using namespace nnzero;
using namespace nnzero_test;
using Level = Vocabulary::Level;
using namespace std::string_literals;

Vocabulary text_vocab(Level level, const std::vector<std::string>& tokens) {
  Vocabulary v(level);
  for (const std::string& t : tokens) v.add(t);
  return v;
}

std::vector<std::string> text_tokens(const Vocabulary& v, const std::vector<int32_t>& ids) {
  std::vector<std::string> out;
  for (const int32_t id : ids) out.push_back(v.token(id));
  return out;
}

std::vector<std::string> text_split(const std::string& words) {
  std::vector<std::string> out;
  std::istringstream in(words);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

// --- the vocabulary ------------------------------------------------------------------------

TEST(TextVocabulary, AddGivesIdsInOrderAndFindsThem) {
  Vocabulary v;
  EXPECT_EQ(v.level(), Level::word);
  EXPECT_EQ(v.size(), 0);
  EXPECT_EQ(v.add("you"), 0);
  EXPECT_EQ(v.add("say"), 1);
  EXPECT_EQ(v.add("goodbye"), 2);
  EXPECT_EQ(v.add("say"), 1);  // already there: its id, nothing added
  EXPECT_EQ(v.size(), 3);
  EXPECT_EQ(v.token(2), "goodbye");
  EXPECT_EQ(v.id_of("goodbye"), 2);
  EXPECT_EQ(v.id_of("hello"), -1);
  EXPECT_EQ(v.unk_id(), -1);
  EXPECT_EQ(v.add("<unk>"), 3);
  EXPECT_EQ(v.unk_id(), 3);
  const Vocabulary c(Level::character);
  EXPECT_EQ(c.level(), Level::character);
  EXPECT_EQ(c.unk_id(), -1);
}

TEST(TextVocabulary, TokenOutOfRangeThrows) {
  const Vocabulary v = text_vocab(Level::word, {"a", "b"});
  EXPECT_HAS(error_of([&] { v.token(2); }), "id 2 is out of range (2 tokens, ids 0 to 1)");
  EXPECT_HAS(error_of([&] { v.token(-1); }), "id -1 is out of range");
  const std::vector<int32_t> ids = {0, 7};
  EXPECT_HAS(error_of([&] { v.decode(ids); }), "id 7 is out of range");
}

TEST(TextVocabulary, AddRefusesWhatCannotBeATokenOfItsLevel) {
  Vocabulary w(Level::word);
  EXPECT_HAS(error_of([&] { w.add(""); }), "the word '' is empty");
  EXPECT_HAS(error_of([&] { w.add("new york"); }), "'new york' holds whitespace");
  EXPECT_HAS(error_of([&] { w.add("a\nb"); }), "'a\\nb' holds whitespace");
  EXPECT_HAS(error_of([&] { w.add("caf\xe9"); }), "is not well-formed UTF-8 (at byte 3)");
  EXPECT_EQ(w.add("caf\xc3\xa9"), 0);  // café
  EXPECT_EQ(w.add("\xc2\xa0"), 1);     // a no-break space is not ASCII whitespace: a word
  Vocabulary c(Level::character);
  EXPECT_HAS(error_of([&] { c.add("ab"); }), "the character 'ab' is not one character");
  EXPECT_HAS(error_of([&] { c.add("<unk>"); }), "is not one character");
  EXPECT_HAS(error_of([&] { c.add("\xff"); }), "not well-formed UTF-8");
  EXPECT_EQ(c.add("\n"), 0);
  EXPECT_EQ(c.add(" "), 1);
  EXPECT_EQ(c.add("\xf0\x9f\x98\x80"), 2);  // U+1F600, four bytes
  EXPECT_EQ(w.size(), 2);
  EXPECT_EQ(c.size(), 3);
}

TEST(TextVocabulary, WordsSplitOnWhitespaceAndNewlinesBecomeEos) {
  const Vocabulary v = text_vocab(Level::word, {"you", "say", "goodbye", "<eos>", "and", "i"});
  // ptb.py: text.replace('\n', '<eos>').split(); a newline is a token even without spaces.
  EXPECT_EQ(text_tokens(v, v.encode(" you say goodbye \n and i say\r\n\tgoodbye\n")),
            text_split("you say goodbye <eos> and i say <eos> goodbye <eos>"));
  EXPECT_EQ(text_tokens(v, v.encode("you\nsay")), text_split("you <eos> say"));
  EXPECT_EQ(text_tokens(v, v.encode("\n\nyou")), text_split("<eos> <eos> you"));
  // Nothing added at the end: a prompt is its words.
  EXPECT_EQ(v.encode("you say"), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(v.encode(""), std::vector<int32_t>{});
  EXPECT_EQ(v.encode(" \t\r\v\f "), std::vector<int32_t>{});
  // "<eos>" written out is the same token, as in the book.
  EXPECT_EQ(v.encode("you <eos>"), (std::vector<int32_t>{0, 3}));
}

TEST(TextVocabulary, UnknownWordsBecomeUnkAndAreCountedElseNamed) {
  Vocabulary v = text_vocab(Level::word, {"the", "cat", "<eos>"});
  EXPECT_HAS(error_of([&] { v.encode("the cat\nthe dog sat"); }),
             "the word 'dog' at byte 12 (line 2) is not in the vocabulary (3 tokens, no <unk> "
             "to stand for it)");
  const Vocabulary no_eos = text_vocab(Level::word, {"the"});
  EXPECT_HAS(error_of([&] { no_eos.encode("the\n"); }),
             "the word '<eos>' (a newline) at byte 3 (line 1) is not in the vocabulary");
  v.add("<unk>");
  int64_t unknown = -1;
  EXPECT_EQ(text_tokens(v, v.encode("the dog sat\n", &unknown)),
            text_split("the <unk> <unk> <eos>"));
  EXPECT_EQ(unknown, 2);
  v.encode("the cat", &unknown);
  EXPECT_EQ(unknown, 0);
}

TEST(TextVocabulary, DecodeJoinsWordsWithEosAsNewlineAndRoundTrips) {
  const Vocabulary v = text_vocab(Level::word, {"you", "say", "<eos>", "goodbye", "caf\xc3\xa9"});
  EXPECT_EQ(v.decode(v.encode("you say\ngoodbye caf\xc3\xa9\n")), "you say\ngoodbye caf\xc3\xa9\n");
  EXPECT_EQ(v.decode(std::vector<int32_t>{2, 2, 0, 2, 1}), "\n\nyou\nsay");
  EXPECT_EQ(v.decode(std::vector<int32_t>{}), "");
  // encode(decode(ids)) == ids for any ids.
  Rng rng(21);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<int32_t> ids(static_cast<size_t>(rng.below(30)));
    for (int32_t& id : ids) id = static_cast<int32_t>(rng.below(static_cast<uint64_t>(v.size())));
    EXPECT_EQ(v.encode(v.decode(ids)), ids) << "trial " << trial;
  }
}

TEST(TextVocabulary, CharactersAreCodePoints) {
  // a, é (2 bytes), → (3 bytes), 😀 (4 bytes), newline
  const std::string text = "a\xc3\xa9\xe2\x86\x92\xf0\x9f\x98\x80\na";
  Vocabulary v = text_vocab(Level::character, {"\n", "a", "\xc3\xa9", "\xe2\x86\x92"});
  EXPECT_HAS(error_of([&] { v.encode(text); }),
             "the character '\xf0\x9f\x98\x80' at byte 6 (line 1) is not in the vocabulary "
             "(4 tokens)");
  EXPECT_HAS(error_of([&] { v.encode("a\tb"); }), "the character '\\t' at byte 1");
  v.add("\xf0\x9f\x98\x80");
  const std::vector<int32_t> ids = v.encode(text);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 2, 3, 4, 0, 1}));
  EXPECT_EQ(v.decode(ids), text);
  int64_t unknown = -1;
  v.encode("aa", &unknown);
  EXPECT_EQ(unknown, 0);
}

TEST(TextVocabulary, InvalidUtf8IsNamedByByteAndLine) {
  const Vocabulary w = text_vocab(Level::word, {"a", "<eos>"});
  const Vocabulary c = text_vocab(Level::character, {"a", "\n"});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a\na\xff", "invalid UTF-8 at byte 3 (line 2): byte 0xff"},
      {"a\x80", "at byte 1 (line 1): byte 0x80"},             // a lone continuation byte
      {"\xc0\x80", "at byte 0 (line 1): byte 0xc0"},          // overlong NUL
      {"\xe0\x80\xaf", "at byte 0 (line 1): byte 0xe0"},      // overlong '/'
      {"\xed\xa0\x80", "at byte 0 (line 1): byte 0xed"},      // a surrogate, U+D800
      {"\xf4\x90\x80\x80", "at byte 0 (line 1): byte 0xf4"},  // past U+10FFFF
      {"\xf5\x80\x80\x80", "at byte 0 (line 1): byte 0xf5"},  // never a lead byte
      {"a\n\na\xe2\x82", "at byte 4 (line 3): byte 0xe2"},    // cut short at the end
      {"a\xe2\x28\xa1", "at byte 1 (line 1): byte 0xe2"},     // continuation missing
  };
  for (const auto& [text, part] : cases) {
    EXPECT_HAS(error_of([&] { w.encode(text); }), part);
    EXPECT_HAS(error_of([&] { c.encode(text); }), part);
  }
}

TEST(TextVocabulary, JsonRoundTripsBothLevels) {
  const Vocabulary w = text_vocab(Level::word, {"you", "<eos>", "caf\xc3\xa9", "\"quoted\""});
  EXPECT_EQ(w.to_json(), R"({"level":"word","tokens":["you","<eos>","café","\"quoted\""]})");
  const Vocabulary w2 = Vocabulary::from_json(w.to_json());
  EXPECT_EQ(w2.level(), Level::word);
  EXPECT_EQ(w2.size(), 4);
  EXPECT_EQ(w2.id_of("caf\xc3\xa9"), 2);
  EXPECT_EQ(w2.to_json(), w.to_json());
  const Vocabulary c = text_vocab(Level::character, {"\n", "\0"s, "\xf0\x9f\x98\x80", "\""});
  const Vocabulary c2 = Vocabulary::from_json(c.to_json());
  EXPECT_EQ(c2.level(), Level::character);
  EXPECT_EQ(c2.size(), 4);
  EXPECT_EQ(c2.token(1), "\0"s);
  EXPECT_EQ(c2.token(2), "\xf0\x9f\x98\x80");
  EXPECT_EQ(c2.to_json(), c.to_json());
  // Escapes and key order are the JSON's business.
  const Vocabulary e =
      Vocabulary::from_json(R"({"tokens": ["\u00e9", "\ud83d\ude00"], "level": "character"})");
  EXPECT_EQ(e.token(0), "\xc3\xa9");
  EXPECT_EQ(e.token(1), "\xf0\x9f\x98\x80");
}

TEST(TextVocabulary, FromJsonRefusesWhatIsMalformed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "nnzero.vocab"},
      {"{\"level\": \"word\", \"tokens\": [\"a\"]", "nnzero.vocab"},
      {"[\"a\"]", "not a JSON object but array"},
      {R"({"tokens": ["a"]})", "no \"level\""},
      {R"({"level": "byte", "tokens": ["a"]})", "\"level\" is \"byte\", not \"word\" or"},
      {R"({"level": 1, "tokens": ["a"]})", "\"level\" is 1"},
      {R"({"level": "word"})", "no \"tokens\""},
      {R"({"level": "word", "tokens": "a b"})", "\"tokens\" is string, not an array"},
      {R"({"level": "word", "tokens": []})", "\"tokens\" is empty"},
      {R"({"level": "word", "tokens": ["a", 3]})", "tokens[1] is number, not a string"},
      {R"({"level": "word", "tokens": ["a", null]})", "tokens[1] is null, not a string"},
      {R"({"level": "word", "tokens": [["a"]]})", "tokens[0] is array, not a string"},
      {R"({"level": "word", "tokens": ["a", "b", "a"]})", "tokens[2] 'a' is tokens[0] again"},
      {R"({"level": "word", "tokens": ["a", ""]})", "tokens[1] '' is empty"},
      {R"({"level": "word", "tokens": ["new york"]})", "tokens[0] 'new york' holds whitespace"},
      {R"({"level": "character", "tokens": ["ab"]})", "tokens[0] 'ab' is not one character"},
      {R"({"level": "character", "tokens": ["<unk>"]})", "is not one character"},
      {R"({"level": "word", "tokens": ["a"], "extra": 1})", "unknown key 'extra'"},
      {R"({"level": "word", "level": "word", "tokens": ["a"]})", "nnzero.vocab"},  // key twice
      {R"({"level": "word", "tokens": ["\ud800"]})", "nnzero.vocab"},  // a lone surrogate
      {"{\"level\": \"word\", \"tokens\": [\"\xff\"]}", "nnzero.vocab"},
      {R"({"level": "word", "tokens": [[[["a"]]]]})", "nnzero.vocab"},  // nested too deep
  };
  for (const auto& [json, part] : cases) {
    EXPECT_HAS(error_of([&] { Vocabulary::from_json(json); }), part);
  }
}

TEST(TextVocabulary, FromJsonRefusesMoreThanTenMillionTokens) {
  // Counted before any token is looked at: numbers make the document small to build.
  std::string json = R"({"level": "word", "tokens": [0)";
  json.reserve(json.size() + 2 * static_cast<size_t>(Vocabulary::kMaxSize) + 8);
  for (int64_t i = 0; i < Vocabulary::kMaxSize; ++i) json += ",0";
  json += "]}";
  EXPECT_HAS(error_of([&] { Vocabulary::from_json(json); }),
             "10000001 tokens, more than the 10000000 nnzero accepts");
}

// --- corpora -------------------------------------------------------------------------------

TEST(TextCorpus, AFolderTripleIsWordLevelWithTrainsVocabulary) {
  TempDir tmp;
  write_text(tmp.path() / "tiny.train.txt", " you say goodbye \n and i say hello \n");
  write_text(tmp.path() / "tiny.valid.txt", " i say goodbye \n");
  write_text(tmp.path() / "tiny.test.txt", " you say hello \n hello \n");
  write_text(tmp.path() / "notes.txt", "not part of it");
  const TextCorpus c = load_text_corpus(tmp.str());
  EXPECT_EQ(c.name, (tmp.path() / "tiny.train.txt").string());
  EXPECT_EQ(c.vocab.level(), Level::word);
  // In order of first appearance, as book 2's load_vocab.
  EXPECT_EQ(c.vocab.to_json(),
            R"({"level":"word","tokens":["you","say","goodbye","<eos>","and","i","hello"]})");
  EXPECT_EQ(c.train, (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 1, 6, 3}));
  EXPECT_EQ(c.valid, (std::vector<int32_t>{5, 1, 2, 3}));
  EXPECT_EQ(c.test, (std::vector<int32_t>{0, 1, 6, 3, 6, 3}));
  EXPECT_EQ(c.unknown_valid, 0);
  EXPECT_EQ(c.unknown_test, 0);
  // The train file names its triple too.
  const TextCorpus same = load_text_corpus((tmp.path() / "tiny.train.txt").string());
  EXPECT_EQ(same.train, c.train);
  EXPECT_EQ(same.test, c.test);
}

TEST(TextCorpus, WordsOutsideTrainBecomeUnkWhenTrainHasIt) {
  TempDir tmp;
  write_text(tmp.path() / "u.train.txt", "the <unk> sat\n");
  write_text(tmp.path() / "u.valid.txt", "the dog sat\n");
  write_text(tmp.path() / "u.test.txt", "a dog sat on the mat\n");
  const TextCorpus c = load_text_corpus(tmp.str());
  EXPECT_EQ(text_tokens(c.vocab, c.valid), text_split("the <unk> sat <eos>"));
  EXPECT_EQ(c.unknown_valid, 1);
  EXPECT_EQ(c.unknown_test, 4);
  // Without <unk> in train such a word is an error naming the file, the word and its line.
  write_text(tmp.path() / "u.train.txt", "the cat sat\non the mat\n");
  write_text(tmp.path() / "u.valid.txt", "the cat sat\nthe dog sat\n");
  const std::string e = error_of([&] { load_text_corpus(tmp.str()); });
  EXPECT_HAS(e, (tmp.path() / "u.valid.txt").string() +
                    ": the word 'dog' at byte 16 (line 2) "
                    "is not in the vocabulary");
  EXPECT_HAS(e, "u.train.txt");
}

TEST(TextCorpus, ALastLineWithoutItsNewlineStillEndsWithEos) {
  TempDir tmp;
  write_text(tmp.path() / "n.train.txt", "a b\nb a");
  write_text(tmp.path() / "n.valid.txt", "a");
  write_text(tmp.path() / "n.test.txt", "b\n  ");  // blanks after the last newline: no line
  const TextCorpus c = load_text_corpus(tmp.str());
  EXPECT_EQ(text_tokens(c.vocab, c.train), text_split("a b <eos> b a <eos>"));
  EXPECT_EQ(text_tokens(c.vocab, c.valid), text_split("a <eos>"));
  EXPECT_EQ(text_tokens(c.vocab, c.test), text_split("b <eos>"));
  // A train file without any newline still gets <eos> into the vocabulary.
  write_text(tmp.path() / "n.train.txt", "a b");
  EXPECT_EQ(load_text_corpus(tmp.str()).vocab.id_of("<eos>"), 2);
}

TEST(TextCorpus, AFolderMustHoldExactlyOneCompleteTriple) {
  TempDir tmp;
  EXPECT_HAS(error_of([&] { load_text_corpus(tmp.str()); }),
             tmp.str() + ": no word-level corpus in it (the three files <name>.train.txt");
  write_text(tmp.path() / "a.train.txt", "x\n");
  write_text(tmp.path() / "a.test.txt", "x\n");
  EXPECT_HAS(error_of([&] { load_text_corpus(tmp.str()); }),
             (tmp.path() / "a.valid.txt").string() + ": missing");
  EXPECT_HAS(error_of([&] { load_text_corpus((tmp.path() / "a.train.txt").string()); }),
             (tmp.path() / "a.valid.txt").string() + ": missing");
  write_text(tmp.path() / "a.valid.txt", "x\n");
  EXPECT_EQ(load_text_corpus(tmp.str()).train.size(), 2u);
  for (const char* part : {"b.train.txt", "b.valid.txt", "b.test.txt"}) {
    write_text(tmp.path() / part, "y z\n");
  }
  EXPECT_HAS(error_of([&] { load_text_corpus(tmp.str()); }),
             tmp.str() + ": holds 2 word-level corpora (a, b); name one by its file, e.g. " +
                 (tmp.path() / "a.train.txt").string());
  EXPECT_EQ(load_text_corpus((tmp.path() / "b.train.txt").string()).train.size(), 3u);
}

TEST(TextCorpus, ASingleFileIsCharacterLevelSplitNinetyTen) {
  TempDir tmp;
  // 20 characters, é and 😀 among them.
  const std::string text = "ba\xc3\xa9 ab\n\xf0\x9f\x98\x80zzzzzzzzzzz\n";
  write_text(tmp.path() / "chars.txt", text);
  const TextCorpus c = load_text_corpus((tmp.path() / "chars.txt").string());
  EXPECT_EQ(c.vocab.level(), Level::character);
  // Sorted by code point: \n, space, a, b, z, é, 😀.
  EXPECT_EQ(c.vocab.to_json(), R"({"level":"character","tokens":["\n"," ","a","b","z","é","😀"]})");
  ASSERT_EQ(c.train.size() + c.valid.size(), 20u);
  EXPECT_EQ(c.train.size(), 18u);  // floor(0.9 * 20)
  EXPECT_EQ(c.vocab.decode(c.train) + c.vocab.decode(c.valid), text);
  EXPECT_TRUE(c.test.empty());
  EXPECT_EQ(c.unknown_valid, 0);
  // floor(0.9 n) for other sizes: 2 -> 1, 11 -> 9.
  write_text(tmp.path() / "two.txt", "ab");
  EXPECT_EQ(load_text_corpus((tmp.path() / "two.txt").string()).train.size(), 1u);
  write_text(tmp.path() / "eleven.txt", "abcdefghijk");
  const TextCorpus e = load_text_corpus((tmp.path() / "eleven.txt").string());
  EXPECT_EQ(e.train.size(), 9u);
  EXPECT_EQ(e.valid.size(), 2u);
  // gzip data is read through, whatever the name.
  const std::vector<uint8_t> gz = gzip(std::vector<uint8_t>(text.begin(), text.end()));
  write_bytes(tmp.path() / "packed.txt", gz);
  EXPECT_EQ(load_text_corpus((tmp.path() / "packed.txt").string()).train, c.train);
}

TEST(TextCorpus, BadFilesAreRefusedNamingThem) {
  TempDir tmp;
  const std::string missing = (tmp.path() / "nowhere.txt").string();
  EXPECT_HAS(error_of([&] { load_text_corpus(missing); }), missing + ": no such file or folder");
  const std::string empty = (tmp.path() / "empty.txt").string();
  write_text(empty, "");
  EXPECT_HAS(error_of([&] { load_text_corpus(empty); }),
             empty +
                 ": no characters in it (an empty file); a character-level corpus needs at "
                 "least 2");
  const std::string one = (tmp.path() / "one.txt").string();
  write_text(one, "\xc3\xa9");
  EXPECT_HAS(error_of([&] { load_text_corpus(one); }), one + ": 1 character; ");
  const std::string bad = (tmp.path() / "bad.txt").string();
  write_text(bad, "line one\nline \xc3\x28two\n");
  EXPECT_HAS(error_of([&] { load_text_corpus(bad); }),
             bad + ": invalid UTF-8 at byte 14 (line 2): byte 0xc3");
  // Word level: each file of the triple.
  const fs::path w = tmp.path() / "w";
  fs::create_directories(w);
  write_text(w / "t.train.txt", "");
  write_text(w / "t.valid.txt", "a\n");
  write_text(w / "t.test.txt", "a\n");
  EXPECT_HAS(error_of([&] { load_text_corpus(w.string()); }),
             (w / "t.train.txt").string() + ": no words in it (an empty file)");
  write_text(w / "t.train.txt", "\n \n\n");
  EXPECT_HAS(error_of([&] { load_text_corpus(w.string()); }),
             (w / "t.train.txt").string() + ": no words in it (only blank lines)");
  write_text(w / "t.train.txt", "a b\n");
  write_text(w / "t.test.txt", "");
  EXPECT_HAS(error_of([&] { load_text_corpus(w.string()); }),
             (w / "t.test.txt").string() + ": no words in it (an empty file)");
  write_text(w / "t.test.txt", "a\n");
  write_text(w / "t.valid.txt", "a \xff\n");
  EXPECT_HAS(error_of([&] { load_text_corpus(w.string()); }),
             (w / "t.valid.txt").string() + ": invalid UTF-8 at byte 2 (line 1): byte 0xff");
  // What is not a file at all.
  EXPECT_HAS(error_of([&] { load_text_corpus("/dev/zero"); }), "/dev/zero");
}

// --- the real data -------------------------------------------------------------------------

TEST(TextCorpus, PennTreebankAsBook2ReadsIt) {
  NNZERO_PTB_DIR_OR_SKIP(dir);
  const auto start = std::chrono::steady_clock::now();
  const TextCorpus c = load_text_corpus(dir);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("load_seconds", std::to_string(seconds));
  // ptb.py: 929,589 / 73,760 / 82,430 tokens with <eos>; a vocabulary of 10,000.
  EXPECT_EQ(c.train.size(), 929589u);
  EXPECT_EQ(c.valid.size(), 73760u);
  EXPECT_EQ(c.test.size(), 82430u);
  EXPECT_EQ(c.vocab.size(), 10000);
  EXPECT_EQ(c.unknown_valid, 0);
  EXPECT_EQ(c.unknown_test, 0);
  // word_to_id in order of first appearance: 'aer' 0 ... '<eos>' 24, '<unk>' 26.
  EXPECT_EQ(c.vocab.token(0), "aer");
  EXPECT_EQ(c.vocab.token(4), "centrust");
  EXPECT_EQ(c.vocab.id_of("<eos>"), 24);
  EXPECT_EQ(c.vocab.unk_id(), 26);
  EXPECT_EQ(c.vocab.decode(std::span(c.train).subspan(24, 12)),
            "\npierre <unk> N years old will join the board as a");
  EXPECT_EQ(c.vocab.token(c.train.back()), "<eos>");
  // The vocabulary survives its JSON; the files decode back to their words.
  EXPECT_EQ(Vocabulary::from_json(c.vocab.to_json()).to_json(), c.vocab.to_json());
  EXPECT_EQ(c.vocab.encode(c.vocab.decode(c.valid)), c.valid);
  // "Well under a second" on the development machine (5 MB of training text); the bound
  // leaves room for a sanitizer build.
  EXPECT_LT(seconds, 5.0);
}

TEST(TextCorpus, TinyShakespeareAsNanoGptSplitsIt) {
  const std::string path = nnzero_test::shakespeare_file();
  if (path.empty()) return;
  const TextCorpus c = load_text_corpus(path);
  // nanoGPT's prepare.py: 1,115,394 characters, 65 of them distinct, n = int(0.9 n) for train.
  EXPECT_EQ(c.vocab.size(), 65);
  EXPECT_EQ(c.train.size(), 1003854u);
  EXPECT_EQ(c.valid.size(), 111540u);
  EXPECT_EQ(c.vocab.token(0), "\n");
  EXPECT_EQ(c.vocab.token(1), " ");
  EXPECT_EQ(c.vocab.decode(std::span(c.train).first(14)), "First Citizen:");
}

// --- `nnzero data fetch ptb` and `tinyshakespeare` -----------------------------------------

namespace {

// A server root holding srv/ with three small files in the Penn Treebank's layout, described
// by a RemoteFiles of their own checksums; `out` is an empty folder to fetch into.
class FetchText : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tmp_.path() / "srv");
    remote_.dataset = "the small treebank";
    for (const char* part : {"train", "valid", "test"}) {
      const std::string name = std::string("ptb.") + part + ".txt";
      const std::string text = std::string(" the ") +
                               (part == std::string("train") ? "train valid test" : part) +
                               " words \n the end \n";
      write_text(tmp_.path() / "srv" / name, text);
      remote_.files.push_back(
          {name, name, sha256_hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()})});
    }
    server_ = std::make_unique<HttpServer>(tmp_.path() / "srv");
  }
  fs::path out() const { return tmp_.path() / "out"; }
  FetchOptions options(std::vector<std::string> mirrors) const {
    FetchOptions o;
    o.mirrors = std::move(mirrors);
    o.quiet = true;
    return o;
  }

  TempDir tmp_;
  RemoteFiles remote_;
  std::unique_ptr<HttpServer> server_;
};

const std::vector<std::string> kPtbNames = {"ptb.test.txt", "ptb.train.txt", "ptb.valid.txt"};

}  // namespace

TEST_F(FetchText, DownloadsTheFilesVerifiedAndTheyLoad) {
  const FetchResult r = fetch_files(out().string(), options({dead_url(), server_->url()}), remote_);
  EXPECT_EQ(r.downloaded, 3);
  EXPECT_EQ(r.skipped, 0);
  EXPECT_EQ(r.files, (std::vector<std::string>{(out() / "ptb.train.txt").string(),
                                               (out() / "ptb.valid.txt").string(),
                                               (out() / "ptb.test.txt").string()}));
  EXPECT_EQ(r.sources, std::vector<std::string>(3, server_->url()));
  EXPECT_EQ(list_dir(out()), kPtbNames);  // no temporary file left
  const TextCorpus c = load_text_corpus(out().string());
  EXPECT_EQ(text_tokens(c.vocab, c.valid), text_split("the valid words <eos> the end <eos>"));
  // Everything there: nothing is downloaded (the server is gone).
  server_->stop();
  const FetchResult again = fetch_files(out().string(), options({dead_url()}), remote_);
  EXPECT_EQ(again.downloaded, 0);
  EXPECT_EQ(again.skipped, 3);
  EXPECT_EQ(again.sources, std::vector<std::string>(3, "local"));
}

TEST_F(FetchText, AWrongFileIsRejectedAndLeavesNothingOfIt) {
  RemoteFiles other = remote_;
  other.files[1].sha256 = std::string(64, '0');
  EXPECT_HAS(error_of([&] { fetch_files(out().string(), options({server_->url()}), other); }),
             "cannot fetch the small treebank's ptb.valid.txt into " + out().string() +
                 ": every source failed:\n  " + server_->url() +
                 "ptb.valid.txt: checksum mismatch for ptb.valid.txt (expected sha256 " +
                 other.files[1].sha256);
  // The file before it was verified and kept; the rejected one is nowhere, nor a temporary.
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{"ptb.train.txt"});
  // A file saved under another name (tiny Shakespeare's input.txt).
  RemoteFiles renamed = remote_;
  renamed.files = {{"ptb.test.txt", "renamed.txt", remote_.files[2].sha256}};
  fetch_files(out().string(), options({server_->url()}), renamed);
  EXPECT_EQ(read_text(out() / "renamed.txt"), read_text(tmp_.path() / "srv" / "ptb.test.txt"));
}

TEST_F(FetchText, AFileWithMirrorsOfItsOwnComesFromThemUnlessMirrorsAreGiven) {
  // The Penn Treebank's questions-words.txt lives in another repository than its text.
  fs::create_directories(tmp_.path() / "srv" / "elsewhere");
  fs::rename(tmp_.path() / "srv" / "ptb.test.txt",
             tmp_.path() / "srv" / "elsewhere" / "ptb.test.txt");
  RemoteFiles split = remote_;
  split.mirrors = {server_->url()};
  split.files[2].mirrors = {dead_url(), server_->url() + "elsewhere/"};
  const FetchResult r = fetch_files(out().string(), options({}), split);
  EXPECT_EQ(r.downloaded, 3);
  EXPECT_EQ(r.sources, (std::vector<std::string>{server_->url(), server_->url(),
                                                 server_->url() + "elsewhere/"}));
  EXPECT_EQ(list_dir(out()), kPtbNames);
  // --mirror replaces both: a mirror holding every file.
  fs::remove_all(out());
  fs::rename(tmp_.path() / "srv" / "elsewhere" / "ptb.test.txt",
             tmp_.path() / "srv" / "ptb.test.txt");
  const FetchResult again = fetch_files(out().string(), options({server_->url()}), split);
  EXPECT_EQ(again.sources, std::vector<std::string>(3, server_->url()));
  EXPECT_EQ(ptb_files().files.back().name, "questions-words.txt");
  EXPECT_EQ(
      ptb_files().files.back().mirrors,
      std::vector<std::string>{"https://raw.githubusercontent.com/tmikolov/word2vec/master/"});
}

TEST_F(FetchText, AForeignFileUnderOneOfTheNamesIsNeitherUsedNorOverwritten) {
  fs::create_directories(out());
  write_text(out() / "ptb.test.txt", "someone's words\n");
  EXPECT_HAS(error_of([&] { fetch_files(out().string(), options({server_->url()}), remote_); }),
             "not a valid copy of the small treebank's ptb.test.txt; move or delete it");
  EXPECT_EQ(read_text(out() / "ptb.test.txt"), "someone's words\n");
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{"ptb.test.txt"});  // nothing downloaded
}

TEST_F(FetchText, TheCommandChecksTheOfficialChecksums) {
  const CommandResult r = run_nnzero(
      "data fetch ptb --dir " + out().string() + " --mirror " + server_->url(), tmp_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_HAS(r.err, "error: cannot fetch the Penn Treebank's ptb.train.txt into " + out().string() +
                        ": every source failed");
  EXPECT_HAS(r.err, "checksum mismatch for ptb.train.txt (expected sha256 " +
                        ptb_files().files[0].sha256 + ", got " + remote_.files[0].sha256 + ")");
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{});
}

TEST(FetchTextCommand, FetchesTheRealFilesFromALocalMirror) {
  NNZERO_PTB_DIR_OR_SKIP(dir);
  NNZERO_QUESTIONS_FILE_OR_SKIP(questions);
  const std::string shakespeare = nnzero_test::shakespeare_file();
  if (shakespeare.empty()) return;
  TempDir tmp;
  fs::create_directories(tmp.path() / "srv");
  for (const char* name : {"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"}) {
    fs::copy_file(fs::path(dir) / name, tmp.path() / "srv" / name);
  }
  fs::copy_file(questions, tmp.path() / "srv" / "questions-words.txt");
  fs::copy_file(shakespeare, tmp.path() / "srv" / "input.txt");  // as char-rnn serves it
  HttpServer server(tmp.path() / "srv");
  // The default folder: $NNZERO_DATA/text.
  const std::string env = "NNZERO_DATA=" + (tmp.path() / "data").string();
  CommandResult r = run_nnzero("data fetch ptb --mirror " + server.url(), tmp.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.last_line());
  const fs::path text = tmp.path() / "data" / "text";
  EXPECT_EQ(j["dataset"], "ptb");
  EXPECT_EQ(j["dir"], text.string());
  EXPECT_EQ(j["downloaded"], 4);  // with word2vec's analogy questions
  EXPECT_EQ(j["source"], server.url());
  EXPECT_EQ(j["files"][0], (text / "ptb.train.txt").string());
  EXPECT_HAS(r.err,
             "ptb.train.txt: 5.1 MB from " + server.url() + "ptb.train.txt, sha256 verified");
  r = run_nnzero("data fetch tinyshakespeare --quiet --mirror " + server.url(), tmp.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  j = nlohmann::json::parse(r.last_line());
  EXPECT_EQ(j["files"], nlohmann::json::array({(text / "tinyshakespeare.txt").string()}));
  EXPECT_EQ(list_dir(text),
            (std::vector<std::string>{"ptb.test.txt", "ptb.train.txt", "ptb.valid.txt",
                                      "questions-words.txt", "tinyshakespeare.txt"}));
  EXPECT_EQ(load_text_corpus(text.string()).train.size(), 929589u);
  EXPECT_EQ(load_text_corpus((text / "tinyshakespeare.txt").string()).vocab.size(), 65);
  // A second fetch finds everything in place.
  server.stop();
  r = run_nnzero("data fetch ptb --mirror " + dead_url(), tmp.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.last_line());
  EXPECT_EQ(j["skipped"], 4);
  EXPECT_EQ(j["source"], "local");
}
