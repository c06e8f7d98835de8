// The book's figures, recomputed by nnzero's own code (nnzero book NAME --out DIR): each
// writes DIR/NAME.png and the numbers behind it as DIR/NAME.csv (a few write one more CSV).
// The defaults are the book's settings (its scripts in ch03-ch08); the options shrink them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nnzero::book {

struct FigureOptions {
  std::string out_dir = ".";
  std::string data_dir;    // MNIST folder, for the figures that train
  std::string model_file;  // ch7/ch8: a trained model to show instead of training one
  // 0: the book's setting.
  int64_t iterations = 0;     // mini-batch steps of the figures that count steps
  int64_t epochs = 0;         // epochs of the figures that count epochs
  int64_t trials = 0;         // hyperparameter-search trials
  int64_t train_samples = 0;  // training samples
  int64_t test_samples = 0;   // test samples evaluated
  uint64_t seed = 0;
};

struct FigureOutput {
  std::vector<std::string> files;  // PNG first, then the CSVs
  nlohmann::json summary;          // the numbers the picture shows, in a few values
};

struct BookFigure {
  const char* name;      // "optimizer-paths"
  const char* figures;   // the book's figure numbers, "6-3, 6-5, 6-6, 6-8"
  const char* title;     // one line
  const char* defaults;  // the book's settings and the options that change them
  bool uses_mnist;
  int width, height;  // of the PNG (0: depends on the data)
  FigureOutput (*make)(const FigureOptions&);
};

// Every figure, in the book's order.
const std::vector<BookFigure>& book_figures();
// Throws an Error listing the names unless `name` is one.
const BookFigure& find_book_figure(const std::string& name);

}  // namespace nnzero::book
