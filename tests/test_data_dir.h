// Where tests find the real datasets: $NNZERO_TEST_DATA (CTest sets it to the absolute path
// of ../shared/data; set it yourself when running nnzero_tests by hand). Without it the tests
// that need data are skipped, unless NNZERO_REQUIRE_DATA=1 (as in CI), where they fail.
//
//   TEST(Mnist, Loads) {
//     NNZERO_MNIST_DIR_OR_SKIP(dir);
//     const Mnist m = load_mnist(dir);
//     ...
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace nnzero_test {

inline bool data_required() {
  const char* v = std::getenv("NNZERO_REQUIRE_DATA");
  return v != nullptr && std::string(v) == "1";
}

// "$NNZERO_TEST_DATA/mnist", or "" after marking the test skipped (failed when
// NNZERO_REQUIRE_DATA=1) because the variable is unset.
inline std::string mnist_dir() {
  const char* root = std::getenv("NNZERO_TEST_DATA");
  if (root != nullptr && *root != '\0') return std::string(root) + "/mnist";
  if (data_required()) {
    ADD_FAILURE() << "NNZERO_TEST_DATA is not set but NNZERO_REQUIRE_DATA=1: point it at the "
                     "shared data folder (the one holding mnist/)";
  } else {
    // GTEST_SKIP() returns from the function it is in, hence the lambda; the caller returns.
    [] { GTEST_SKIP() << "NNZERO_TEST_DATA is not set: skipping a test that needs MNIST"; }();
  }
  return "";
}

}  // namespace nnzero_test

// Declares `const std::string var` holding the MNIST folder, or returns from the test (which
// is then skipped, or failed under NNZERO_REQUIRE_DATA=1).
#define NNZERO_MNIST_DIR_OR_SKIP(var)                 \
  const std::string var = ::nnzero_test::mnist_dir(); \
  if (var.empty()) return
