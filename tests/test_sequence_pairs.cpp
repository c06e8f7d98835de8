// Book 2's sequence-to-sequence data (data/sequence_pairs.h): numpy's shuffle reproduced (the
// permutations below are numpy's own, printed by
// `python3 -c "import numpy as np; np.random.seed(1984); a = np.arange(10); np.random.shuffle(a);
// print(a)"`), question-answer files read as dataset/sequence.py reads them (on the real
// addition.txt and date.txt when the data folder has them, with the book's split), every bad input
// refused with a message naming it, one question encoded for a model; and `nnzero data fetch
// seq2seq` from a local HTTP server.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fetch_support.h"
#include "nnzero/data/sequence_pairs.h"
#include "nnzero/error.h"
#include "nnzero/net/fetch.h"

namespace {

using namespace nnzero;
using namespace nnzero_test;

// Row `r` of a tensor of float ids (N, T), decoded.
std::string row_text(const Vocabulary& vocab, const Tensor& ids, int64_t r) {
  const int64_t t = ids.shape()[1];
  std::vector<int32_t> row;
  for (int64_t k = 0; k < t; ++k) row.push_back(static_cast<int32_t>(ids.data()[r * t + k]));
  return vocab.decode(row);
}

std::string all_tokens(const Vocabulary& vocab) {
  std::string out;
  for (int32_t id = 0; id < vocab.size(); ++id) out += vocab.token(id);
  return out;
}

// n lines "<i>+<i>" and "_<2i>", padded to 5 and 4 characters: "3+3  _6  ".
std::vector<std::pair<std::string, std::string>> sum_lines(int n) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (int i = 0; i < n; ++i) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on "_" + std::to_string(...).
    std::string q = std::to_string(i), a = "_";
    q += '+';
    q += std::to_string(i);
    a += std::to_string(2 * i);
    q.resize(5, ' ');
    a.resize(4, ' ');
    lines.emplace_back(q, a);
  }
  return lines;
}

std::string join_lines(const std::vector<std::pair<std::string, std::string>>& lines,
                       const std::string& newline = "\n") {
  std::string text;
  for (const auto& [q, a] : lines) text += q + a + newline;
  return text;
}

// The message of parsing `text` as a file named "f.txt".
std::string parse_error(const std::string& text) {
  return error_of([&] { parse_sequence_pairs(text, "f.txt"); });
}

}  // namespace

// --- numpy's shuffle -----------------------------------------------------------------------

TEST(SequencePairsShuffle, EqualsNumpysPermutation) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(numpy_shuffled_indices(10, 1984), (V{9, 7, 4, 1, 5, 2, 0, 6, 8, 3}));
  EXPECT_EQ(numpy_shuffled_indices(10, 0), (V{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
  EXPECT_EQ(numpy_shuffled_indices(17, 1984),
            (V{13, 4, 14, 11, 7, 0, 10, 1, 2, 5, 12, 6, 8, 9, 3, 16, 15}));
  EXPECT_EQ(numpy_shuffled_indices(5, 1984), (V{2, 0, 1, 3, 4}));
  EXPECT_EQ(numpy_shuffled_indices(3, 7), (V{2, 1, 0}));
  EXPECT_EQ(numpy_shuffled_indices(2, 1984), (V{1, 0}));
  EXPECT_EQ(numpy_shuffled_indices(1, 1984), (V{0}));
  EXPECT_EQ(numpy_shuffled_indices(0, 1984), V{});
  // addition.txt's and date.txt's 50,000 lines: the book's split starts at 45,000.
  const V a = numpy_shuffled_indices(50000, 1984);
  EXPECT_EQ(V(a.begin(), a.begin() + 5), (V{21921, 48929, 19568, 37778, 32165}));
  EXPECT_EQ(V(a.begin() + 45000, a.begin() + 45005), (V{27156, 41538, 82, 40944, 36174}));
  EXPECT_EQ(V(a.end() - 5, a.end()), (V{37960, 10009, 1779, 38655, 30319}));
  EXPECT_HAS(error_of([] { numpy_shuffled_indices(-1, 0); }), "negative");
}

// --- reading files -------------------------------------------------------------------------

TEST(SequencePairs, ReadsLinesAsTheBookAndSplitsTheShuffledOrder) {
  const auto lines = sum_lines(20);
  const SequencePairs s = parse_sequence_pairs(join_lines(lines), "sums.txt");
  EXPECT_EQ(s.name, "sums.txt");
  EXPECT_EQ(s.vocab.level(), Vocabulary::Level::character);
  // In order of first appearance: "0+0  _0  ", then "1+1  _2  ", "2+2  _4  " ...
  EXPECT_EQ(all_tokens(s.vocab), "0+ _124368579");
  EXPECT_EQ(s.question_length, 5);
  EXPECT_EQ(s.answer_length, 4);
  EXPECT_EQ(s.train_questions.shape(), (Shape{18, 5}));
  EXPECT_EQ(s.train_answers.shape(), (Shape{18, 4}));
  EXPECT_EQ(s.test_questions.shape(), (Shape{2, 5}));
  EXPECT_EQ(s.test_answers.shape(), (Shape{2, 4}));
  // Ids: "0+0  " is 0 1 0 2 2, "_0  " is 3 0 2 2.
  const std::vector<int64_t> order = numpy_shuffled_indices(20, 1984);
  for (int64_t r = 0; r < 20; ++r) {
    const auto& [q, a] = lines[static_cast<size_t>(order[static_cast<size_t>(r)])];
    const bool train = r < 18;
    const int64_t row = train ? r : r - 18;
    EXPECT_EQ(row_text(s.vocab, train ? s.train_questions : s.test_questions, row), q) << r;
    EXPECT_EQ(row_text(s.vocab, train ? s.train_answers : s.test_answers, row), a) << r;
  }
  const SequencePairs first = parse_sequence_pairs(join_lines(sum_lines(20)), "sums.txt", 0);
  EXPECT_EQ(std::vector<float>(first.train_questions.span().begin(),
                               first.train_questions.span().begin() + 5),
            (std::vector<float>{4, 9, 1, 4, 9}));  // seed 0 puts line 18, "18+18", first
}

TEST(SequencePairs, TenLinesAreTheFewestAndOneTests) {
  const SequencePairs s = parse_sequence_pairs(join_lines(sum_lines(10)), "ten.txt");
  EXPECT_EQ(s.train_questions.shape()[0], 9);
  EXPECT_EQ(s.test_questions.shape()[0], 1);
  // numpy's order for 10 lines ends with line 3: "3+3  _6  ".
  EXPECT_EQ(row_text(s.vocab, s.test_questions, 0), "3+3  ");
  EXPECT_EQ(row_text(s.vocab, s.test_answers, 0), "_6  ");
  const SequencePairs nineteen = parse_sequence_pairs(join_lines(sum_lines(19)), "19.txt");
  EXPECT_EQ(nineteen.train_questions.shape()[0], 18);  // 19 - 19 // 10
  EXPECT_EQ(nineteen.test_questions.shape()[0], 1);
}

TEST(SequencePairs, LineEndingsAnswersWithUnderscoresAndCharactersNotBytes) {
  const std::string lf = join_lines(sum_lines(12));
  const SequencePairs s = parse_sequence_pairs(lf, "lf.txt");
  const auto same = [&](const SequencePairs& t) {
    EXPECT_EQ(all_tokens(t.vocab), all_tokens(s.vocab));
    EXPECT_EQ(t.question_length, s.question_length);
    EXPECT_EQ(t.answer_length, s.answer_length);
    for (const auto& [a, b] : {std::pair{&t.train_questions, &s.train_questions},
                               std::pair{&t.train_answers, &s.train_answers},
                               std::pair{&t.test_questions, &s.test_questions},
                               std::pair{&t.test_answers, &s.test_answers}}) {
      ASSERT_EQ(a->shape(), b->shape());
      EXPECT_TRUE(std::equal(a->span().begin(), a->span().end(), b->span().begin()));
    }
  };
  // "\r\n": the '\r' dropped. No final newline: the last line whole (the book would cut it).
  same(parse_sequence_pairs(join_lines(sum_lines(12), "\r\n"), "crlf.txt"));
  same(parse_sequence_pairs(lf.substr(0, lf.size() - 1), "no-final-newline.txt"));
  // The first '_' splits; later ones belong to the answer. Lengths count characters.
  std::string text;
  for (int i = 0; i < 10; ++i) text += "\xc3\xa9t\xc3\xa9" + std::to_string(i) + "_a_" + "\n";
  const SequencePairs u = parse_sequence_pairs(text, "utf8.txt");
  EXPECT_EQ(u.question_length, 4);
  EXPECT_EQ(u.answer_length, 3);
  EXPECT_EQ(u.vocab.token(0), "\xc3\xa9");
  EXPECT_EQ(row_text(u.vocab, u.test_answers, 0), "_a_");
}

TEST(SequencePairs, LoadsFilesGzippedOrNot) {
  TempDir tmp;
  const std::string text = join_lines(sum_lines(30));
  write_text(tmp.path() / "sums.txt", text);
  write_bytes(tmp.path() / "sums.txt.gz", gzip(std::vector<uint8_t>(text.begin(), text.end())));
  const SequencePairs plain = load_sequence_pairs((tmp.path() / "sums.txt").string());
  const SequencePairs gz = load_sequence_pairs((tmp.path() / "sums.txt.gz").string());
  EXPECT_EQ(plain.name, (tmp.path() / "sums.txt").string());
  EXPECT_EQ(plain.train_questions.shape(), (Shape{27, 5}));
  EXPECT_EQ(all_tokens(gz.vocab), all_tokens(plain.vocab));
  EXPECT_TRUE(std::equal(gz.test_answers.span().begin(), gz.test_answers.span().end(),
                         plain.test_answers.span().begin()));
}

TEST(SequencePairs, BadFilesAreRefusedNamingFileAndLine) {
  TempDir tmp;
  const std::string missing = (tmp.path() / "missing.txt").string();
  EXPECT_HAS(error_of([&] { load_sequence_pairs(missing); }),
             missing + ": no such file (`nnzero data fetch seq2seq` fetches");
  write_text(tmp.path() / "empty.txt", "");
  EXPECT_HAS(error_of([&] { load_sequence_pairs((tmp.path() / "empty.txt").string()); }),
             "empty.txt: an empty file");

  auto lines = sum_lines(12);
  EXPECT_HAS(parse_error(join_lines(sum_lines(9))), "f.txt: 9 lines, fewer than the 10 needed");
  EXPECT_HAS(parse_error("1+1_2\n"), "f.txt: 1 line, fewer than the 10 needed");
  std::string text = join_lines(lines);
  EXPECT_HAS(parse_error(text + "\n"), "f.txt: line 13: an empty line");
  auto bad = lines;
  bad[2].second[0] = '=';
  EXPECT_HAS(parse_error(join_lines(bad)), "f.txt: line 3: no '_' in the line");
  bad = lines;
  bad[3].first += " ";
  EXPECT_HAS(parse_error(join_lines(bad)),
             "f.txt: line 4: the question has 6 characters, line 1's has 5");
  bad = lines;
  bad[4].second.pop_back();
  EXPECT_HAS(parse_error(join_lines(bad)),
             "f.txt: line 5: the answer has 3 characters, line 1's has 4");
  bad = lines;
  bad[5].first = "_1+1 ";
  EXPECT_HAS(parse_error(join_lines(bad)), "f.txt: line 6: an empty question");
  bad = lines;
  for (auto& [q, a] : bad) a = "_";
  EXPECT_HAS(parse_error(join_lines(bad)), "f.txt: line 1: an empty answer");
  bad = lines;
  bad[6].first[1] = '\xff';
  const std::string utf8 = parse_error(join_lines(bad));
  EXPECT_HAS(utf8, "f.txt: line 7: invalid UTF-8 at byte 1 of the line (0xff does not start");
  bad = lines;
  bad[7].first = "7+7 \xc3";  // a character cut by the '_' after it
  EXPECT_HAS(parse_error(join_lines(bad)), "f.txt: line 8: invalid UTF-8 at byte 4 of the line");
}

// --- one question for a model --------------------------------------------------------------

TEST(SequencePairs, EncodeQuestionPadsWithSpacesAndRefusesWhatTheModelCannotRead) {
  Vocabulary v(Vocabulary::Level::character);
  for (const char* c : {"1", "6", "+", "7", "5", " ", "_", "\xc3\xa9"}) v.add(c);
  const Tensor t = encode_question(v, "16+75", 7);
  EXPECT_EQ(t.shape(), (Shape{1, 7}));
  EXPECT_EQ(std::vector<float>(t.span().begin(), t.span().end()),
            (std::vector<float>{0, 1, 2, 3, 4, 5, 5}));
  for (const char* typed : {"16+75\n", "16+75\r\n", "16+75  "}) {
    const Tensor u = encode_question(v, typed, 7);
    EXPECT_TRUE(std::equal(u.span().begin(), u.span().end(), t.span().begin())) << typed;
  }
  EXPECT_EQ(encode_question(v, "\xc3\xa9", 1).data()[0], 7.0f);  // characters, not bytes
  EXPECT_HAS(error_of([&] { encode_question(v, "", 7); }), "the question is empty");
  EXPECT_HAS(error_of([&] { encode_question(v, "\n", 7); }), "the question is empty");
  EXPECT_HAS(error_of([&] { encode_question(v, "16+75+1", 6); }),
             "the question has 7 characters, more than the 6 the model reads");
  EXPECT_HAS(error_of([&] { encode_question(v, "16-75", 7); }),
             "the character '-' at character 3 (byte 2) of the question is not in the vocabulary "
             "(8 characters: \"16+75 _\xc3\xa9\")");
  EXPECT_HAS(error_of([&] { encode_question(v, "16+75\r", 7); }), "at character 6 (byte 5)");
  EXPECT_HAS(error_of([&] { encode_question(v, "1\xc3", 7); }),
             "invalid UTF-8 at character 2 (byte 1) of the question");
  Vocabulary no_space(Vocabulary::Level::character);
  no_space.add("1");
  EXPECT_HAS(error_of([&] { encode_question(no_space, "1", 2); }), "no ' ' to pad it with");
  EXPECT_HAS(error_of([&] { encode_question(v, "1", 0); }), "not positive");
}

// --- the real files ------------------------------------------------------------------------

// The expected values were printed by book 2's load_data (dataset/sequence.py) with numpy.
TEST(SequencePairs, AdditionGivesTheBooksSplit) {
  NNZERO_SEQUENCE_FILE_OR_SKIP(path, "addition.txt");
  const SequencePairs s = load_sequence_pairs(path);
  EXPECT_EQ(s.question_length, 7);
  EXPECT_EQ(s.answer_length, 5);
  EXPECT_EQ(all_tokens(s.vocab), "16+75 _920384");
  EXPECT_EQ(s.train_questions.shape(), (Shape{45000, 7}));
  EXPECT_EQ(s.train_answers.shape(), (Shape{45000, 5}));
  EXPECT_EQ(s.test_questions.shape(), (Shape{5000, 7}));
  EXPECT_EQ(s.test_answers.shape(), (Shape{5000, 5}));
  EXPECT_EQ(row_text(s.vocab, s.train_questions, 0), "71+118 ");
  EXPECT_EQ(row_text(s.vocab, s.train_answers, 0), "_189 ");
  EXPECT_EQ(row_text(s.vocab, s.test_questions, 0), "77+85  ");
  EXPECT_EQ(row_text(s.vocab, s.test_answers, 0), "_162 ");
  EXPECT_EQ(
      std::vector<float>(s.test_questions.span().begin(), s.test_questions.span().begin() + 7),
      (std::vector<float>{3, 3, 2, 11, 4, 5, 5}));
  EXPECT_EQ(row_text(s.vocab, s.test_questions, 4999), "293+411");
  EXPECT_EQ(row_text(s.vocab, s.test_answers, 4999), "_704 ");
}

TEST(SequencePairs, DatesGiveTheBooksSplit) {
  NNZERO_SEQUENCE_FILE_OR_SKIP(path, "date.txt");
  const SequencePairs s = load_sequence_pairs(path);
  EXPECT_EQ(s.question_length, 29);
  EXPECT_EQ(s.answer_length, 11);
  EXPECT_EQ(all_tokens(s.vocab), "septmbr 27,194_-0Aug38/TUESDYPMBR5JN6ailOcoGFynCWdILjHvhVfw");
  EXPECT_EQ(s.train_questions.shape()[0], 45000);
  EXPECT_EQ(s.test_questions.shape()[0], 5000);
  EXPECT_EQ(row_text(s.vocab, s.train_questions, 0), "2/7/72" + std::string(23, ' '));
  EXPECT_EQ(row_text(s.vocab, s.test_questions, 0), "10/15/94" + std::string(21, ' '));
  EXPECT_EQ(row_text(s.vocab, s.test_answers, 0), "_1994-10-15");
  // A question as a person types it encodes as the file's padded one.
  const Tensor q = encode_question(s.vocab, "10/15/94\n", s.question_length);
  EXPECT_TRUE(std::equal(q.span().begin(), q.span().end(), s.test_questions.span().begin()));
}

// --- `nnzero data fetch seq2seq` -----------------------------------------------------------

TEST(FetchSequencePairs, TheCommandChecksTheOfficialChecksums) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "srv");
  const std::string text = join_lines(sum_lines(10));
  for (const char* name : {"addition.txt", "date.txt"}) write_text(tmp.path() / "srv" / name, text);
  HttpServer server(tmp.path() / "srv");
  const fs::path out = tmp.path() / "out";
  const CommandResult r = run_nnzero(
      "data fetch seq2seq --dir " + out.string() + " --mirror " + server.url(), tmp.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_HAS(r.err, "error: cannot fetch book 2's sequence data's addition.txt into " +
                        out.string() + ": every source failed");
  EXPECT_HAS(r.err, "checksum mismatch for addition.txt (expected sha256 " +
                        seq2seq_files().files[0].sha256 + ", got " +
                        sha256_hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()}) +
                        ")");
  EXPECT_EQ(list_dir(out), std::vector<std::string>{});
  EXPECT_EQ(seq2seq_files().mirrors,
            std::vector<std::string>{"https://raw.githubusercontent.com/oreilly-japan/"
                                     "deep-learning-from-scratch-2/master/dataset/"});
}

TEST(FetchSequencePairs, FetchesTheRealFilesFromALocalMirror) {
  NNZERO_SEQUENCE_FILE_OR_SKIP(addition, "addition.txt");
  NNZERO_SEQUENCE_FILE_OR_SKIP(date, "date.txt");
  TempDir tmp;
  fs::create_directories(tmp.path() / "srv");
  fs::copy_file(addition, tmp.path() / "srv" / "addition.txt");
  fs::copy_file(date, tmp.path() / "srv" / "date.txt");
  HttpServer server(tmp.path() / "srv");
  // The default folder: $NNZERO_DATA/text, beside the Penn Treebank.
  const std::string env = "NNZERO_DATA=" + (tmp.path() / "data").string();
  CommandResult r = run_nnzero("data fetch seq2seq --mirror " + server.url(), tmp.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.last_line());
  const fs::path text = tmp.path() / "data" / "text";
  EXPECT_EQ(j["dataset"], "seq2seq");
  EXPECT_EQ(j["dir"], text.string());
  EXPECT_EQ(j["downloaded"], 2);
  EXPECT_EQ(j["source"], server.url());
  EXPECT_EQ(j["files"], nlohmann::json::array(
                            {(text / "addition.txt").string(), (text / "date.txt").string()}));
  EXPECT_HAS(r.err,
             "addition.txt: 650.0 kB from " + server.url() + "addition.txt, sha256 verified");
  EXPECT_EQ(list_dir(text), (std::vector<std::string>{"addition.txt", "date.txt"}));
  EXPECT_EQ(load_sequence_pairs((text / "date.txt").string()).answer_length, 11);
  // A second fetch finds everything in place.
  server.stop();
  r = run_nnzero("data fetch seq2seq --mirror " + dead_url(), tmp.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.last_line());
  EXPECT_EQ(j["skipped"], 2);
  EXPECT_EQ(j["source"], "local");
}
