// Where tests find the real datasets, decided when the tests run (not when CMake configures
// them), the same way scripts/test.sh and the README say:
//   $NNZERO_TEST_DATA, else $NNZERO_DATA, else ../shared/data beside the checkout (the
//   developers' read-only copy), else ./data in the checkout (where scripts/quickstart.sh
//   and `nnzero data fetch mnist` put MNIST, and `nnzero data fetch ptb` the Penn Treebank,
//   and `seq2seq` book 2's addition.txt and date.txt, in text/): the first that is set, or that
//   exists.
// Without any, the tests that need data are skipped, unless NNZERO_REQUIRE_DATA=1 (as in CI),
// where they fail.
//
//   TEST(Mnist, Loads) {
//     NNZERO_MNIST_DIR_OR_SKIP(dir);
//     const Mnist m = load_mnist(dir);
//     ...
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace nnzero_test {

inline bool data_required() {
  const char* v = std::getenv("NNZERO_REQUIRE_DATA");
  return v != nullptr && std::string(v) == "1";
}

// The data root (the folder holding mnist/), or "" when there is none.
inline std::string data_root() {
  for (const char* name : {"NNZERO_TEST_DATA", "NNZERO_DATA"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  const std::filesystem::path source = NNZERO_SOURCE_DIR;
  for (const std::filesystem::path& dir : {source / ".." / "shared" / "data", source / "data"}) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) {
      return std::filesystem::weakly_canonical(dir, ec).string();
    }
  }
  return "";
}

// "<data root>/<sub>" when it holds `probe` (a file or folder; "" for the folder itself), or
// "" after marking the test skipped (failed when NNZERO_REQUIRE_DATA=1). `what` names the data
// and `fetch` the command that gets it, for the message. The failure is fatal, so that a
// fixture's test body does not run either (FAIL inside a lambda returns from the lambda only,
// hence the lambdas).
inline std::string dataset_dir(const std::string& sub, const std::string& probe,
                               const std::string& what, const std::string& fetch) {
  const std::string root = data_root();
  const std::string dir = root + "/" + sub;
  const std::string wanted = probe.empty() ? dir : dir + "/" + probe;
  std::error_code ec;
  if (!root.empty() && (probe.empty() ? std::filesystem::is_directory(dir, ec)
                                      : std::filesystem::exists(wanted, ec))) {
    return dir;
  }
  const std::string why =
      root.empty() ? "no data folder: set NNZERO_DATA (the folder holding " + sub +
                         "/), or run scripts/quickstart.sh or `" + fetch + "`"
                   : wanted + " does not exist (the data root " + root +
                         " is $NNZERO_TEST_DATA, $NNZERO_DATA, ../shared/data or ./data)";
  if (data_required()) {
    [&] { FAIL() << "NNZERO_REQUIRE_DATA=1 but " << why; }();
  } else {
    [&] { GTEST_SKIP() << "skipping a test that needs " << what << ": " << why; }();
  }
  return "";
}

// "<data root>/mnist", or "" after marking the test skipped (see dataset_dir).
inline std::string mnist_dir() {
  return dataset_dir("mnist", "", "MNIST", "nnzero data fetch mnist");
}

// "<data root>/text" when it holds the Penn Treebank (ptb.train.txt, as `nnzero data fetch
// ptb` and scripts/quickstart.sh leave it), or "" after marking the test skipped.
inline std::string ptb_dir() {
  return dataset_dir("text", "ptb.train.txt", "the Penn Treebank", "nnzero data fetch ptb");
}

// "<data root>/text/questions-words.txt" (word2vec's analogy questions, which `nnzero data
// fetch ptb` fetches beside the Penn Treebank), or "" after marking the test skipped.
inline std::string analogy_questions_file() {
  const std::string dir = dataset_dir("text", "questions-words.txt", "word2vec's analogy questions",
                                      "nnzero data fetch ptb");
  return dir.empty() ? "" : dir + "/questions-words.txt";
}

// "<data root>/text/<name>" for book 2's addition.txt or date.txt (which `nnzero data fetch
// seq2seq` fetches into text/), or "" after marking the test skipped.
inline std::string sequence_file(const std::string& name) {
  const std::string dir =
      dataset_dir("text", name, "book 2's " + name, "nnzero data fetch seq2seq");
  return dir.empty() ? "" : dir + "/" + name;
}

// The tiny Shakespeare file of the data folder, or "" after marking the test skipped.
inline std::string shakespeare_file() {
  const std::string dir = dataset_dir("text", "tinyshakespeare.txt", "tiny Shakespeare",
                                      "nnzero data fetch tinyshakespeare");
  return dir.empty() ? "" : dir + "/tinyshakespeare.txt";
}

}  // namespace nnzero_test

// Declares `const std::string var` holding the MNIST folder, or returns from the test (which
// is then skipped, or failed under NNZERO_REQUIRE_DATA=1).
#define NNZERO_MNIST_DIR_OR_SKIP(var)                 \
  const std::string var = ::nnzero_test::mnist_dir(); \
  if (var.empty()) return

// Declares `const std::string var` holding the folder of ptb.train.txt, .valid.txt and
// .test.txt, or returns from the test (skipped, or failed under NNZERO_REQUIRE_DATA=1).
#define NNZERO_PTB_DIR_OR_SKIP(var)                 \
  const std::string var = ::nnzero_test::ptb_dir(); \
  if (var.empty()) return

// Declares `const std::string var` holding the path of questions-words.txt, or returns from
// the test (skipped, or failed under NNZERO_REQUIRE_DATA=1).
#define NNZERO_QUESTIONS_FILE_OR_SKIP(var)                         \
  const std::string var = ::nnzero_test::analogy_questions_file(); \
  if (var.empty()) return

// Declares `const std::string var` holding the path of book 2's sequence file `name`
// ("addition.txt", "date.txt"), or returns from the test (skipped, or failed under
// NNZERO_REQUIRE_DATA=1).
#define NNZERO_SEQUENCE_FILE_OR_SKIP(var, name)               \
  const std::string var = ::nnzero_test::sequence_file(name); \
  if (var.empty()) return

// Declares `const std::string var` holding the path of tinyshakespeare.txt, or returns from
// the test (skipped, or failed under NNZERO_REQUIRE_DATA=1).
#define NNZERO_SHAKESPEARE_FILE_OR_SKIP(var)                 \
  const std::string var = ::nnzero_test::shakespeare_file(); \
  if (var.empty()) return
