// Helpers for the table tests: where the three small real tables are (in the repository, so
// the tests never skip), and small CSV tables made up on the spot.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "nnzero/rng.h"

namespace nnzero_test {

// tests/fixtures/tabular: iris.csv, breast_cancer.csv and diabetes.csv (see its README.md).
inline std::string tabular_dir() {
  return std::string(NNZERO_SOURCE_DIR) + "/tests/fixtures/tabular";
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

// A Kaggle-Titanic-like table of `n` passengers, with the columns that make such files hard:
// PassengerId (a row ID), Name (a different one per row, with a comma, so quoted), Ticket
// (hundreds of codes, mostly plain numbers, some "A/5 21171"), Cabin (mostly empty, a code
// per passenger where given).
// Survival depends on Sex and Pclass only, as the story goes.
inline std::string titanic_csv(int n, uint64_t seed) {
  nnzero::Rng rng(seed);
  const char* ports[] = {"S", "C", "Q"};
  std::string text =
      "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n";
  for (int id = 1; id <= n; ++id) {
    // One draw per statement: the order of draws is the file's, on every compiler.
    const int pclass = 1 + static_cast<int>(rng.below(3));
    const bool female = rng.below(2) == 0;
    const double p = female ? (pclass < 3 ? 0.95 : 0.6) : (pclass == 1 ? 0.3 : 0.08);
    const bool survived = rng.uniform_double() < p;
    const double age = std::max(0.5, std::round(rng.normal(30.0f, 14.0f) * 2.0f) / 2.0);
    const bool age_missing = rng.uniform() < 0.2f;
    const int sibsp = static_cast<int>(rng.below(4));
    const int parch = static_cast<int>(rng.below(3));
    const int ticket = 100000 + static_cast<int>(rng.below(static_cast<uint64_t>(n) * 3 / 4));
    const char* prefixes[] = {"A/5 ", "PC ", "", "", "", "", "", ""};  // mostly plain numbers
    const char* ticket_prefix = prefixes[rng.below(8)];
    const double fare = (pclass == 1 ? 80.0 : pclass == 2 ? 25.0 : 10.0) * (0.5 + rng.uniform());
    const bool has_cabin = pclass == 1 && rng.uniform() < 0.7f;
    const std::string cabin = has_cabin ? 'C' + std::to_string(rng.below(150)) : "";
    const char* port = ports[rng.below(3)];
    char age_text[16] = "";
    if (!age_missing) std::snprintf(age_text, sizeof age_text, "%.1f", age);
    char line[256];
    std::snprintf(line, sizeof line,
                  "%d,%d,%d,\"Surname%d, %s First\",%s,%s,%d,%d,%s%d,%.2f,%s,%s\n", id,
                  survived ? 1 : 0, pclass, id, female ? "Mrs." : "Mr.", female ? "female" : "male",
                  age_text, sibsp, parch, ticket_prefix, ticket, fare, cabin.c_str(), port);
    text += line;
  }
  return text;
}

}  // namespace nnzero_test
