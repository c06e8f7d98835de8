// Helpers for the table tests: where the real tabular data is, and small CSV tables made
// up on the spot.
//
//   TEST(TableCli, Iris) {
//     NNZERO_TABULAR_DIR_OR_SKIP(dir);   // $NNZERO_TEST_DATA/tabular, or skip (fail in CI)
//     ... dir + "/iris.csv" ...
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "nnzero/rng.h"
#include "test_data_dir.h"

namespace nnzero_test {

// "$NNZERO_TEST_DATA/tabular", or "" after marking the test skipped (failed when
// NNZERO_REQUIRE_DATA=1) because the variable is unset.
inline std::string tabular_dir() {
  const char* root = std::getenv("NNZERO_TEST_DATA");
  if (root != nullptr && *root != '\0') return std::string(root) + "/tabular";
  if (data_required()) {
    ADD_FAILURE() << "NNZERO_TEST_DATA is not set but NNZERO_REQUIRE_DATA=1: point it at the "
                     "shared data folder (the one holding tabular/)";
  } else {
    [] { GTEST_SKIP() << "NNZERO_TEST_DATA is not set: skipping a test that needs tabular/"; }();
  }
  return "";
}

// A table two classes apart: "x1,x2,color,label" where label is "pos" when x1 + x2 > 0 and
// color is "red"/"green"/"blue" (noise), `n` rows drawn with `seed`.
inline std::string two_class_csv(int n, uint64_t seed) {
  nnzero::Rng rng(seed);
  const char* colors[] = {"red", "green", "blue"};
  std::string text = "x1,x2,color,label\n";
  for (int i = 0; i < n; ++i) {
    const float x1 = rng.normal(), x2 = rng.normal() * 2.0f + 5.0f;
    const bool pos = x1 + (x2 - 5.0f) * 0.5f > 0.0f;
    text += std::to_string(x1) + "," + std::to_string(x2) + "," + colors[rng.below(3)] + "," +
            (pos ? "pos" : "neg") + "\n";
  }
  return text;
}

// A regression table "a,b,y" with y = 3 a - 2 b + 10 + small noise, `n` rows.
inline std::string linear_csv(int n, uint64_t seed) {
  nnzero::Rng rng(seed);
  std::string text = "a,b,y\n";
  for (int i = 0; i < n; ++i) {
    const float a = rng.normal(), b = rng.uniform(-2.0f, 2.0f);
    const float y = 3.0f * a - 2.0f * b + 10.0f + 0.05f * rng.normal();
    text += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(y) + "\n";
  }
  return text;
}

}  // namespace nnzero_test

// Declares `const std::string var` holding the tabular folder, or returns from the test (which
// is then skipped, or failed under NNZERO_REQUIRE_DATA=1).
#define NNZERO_TABULAR_DIR_OR_SKIP(var)                 \
  const std::string var = ::nnzero_test::tabular_dir(); \
  if (var.empty()) return
