// The pictures of a classifier's test results (nnzero eval --figures DIR, and the book's
// Figure 8-3):
//   confusion.png       the confusion matrix as a heat map (rows: the true class, columns: the
//                       predicted one; each cell shaded by its share of the row, its count
//                       written in it), with confusion.csv;
//   misclassified.png   a grid of the first misclassified test images (in colour where the
//                       samples have 3 channels), "true → predicted" above each, with
//                       misclassified.csv (every mistake: index, label, prediction, its
//                       probability).
// Classes are written by name where the Predictions have names (an image folder's), by
// number otherwise (MNIST's digits).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/data/dataset.h"
#include "nnzero/model/model.h"

namespace nnzero::plot {

constexpr int kConfusionWidth = 720, kConfusionHeight = 680;
constexpr int kMistakesWidth = 900;  // the height grows with the rows of images

struct Predictions {
  std::vector<int32_t> labels, predicted;
  std::vector<float> probability;  // softmax probability of the predicted class
  int32_t classes = 0;
  std::vector<std::string> class_names;  // empty: classes are shown by number
  // Class k as the pictures write it: its name, or its number.
  std::string name_of(int32_t k) const;
  int64_t correct() const;
  // (true * classes + predicted) counts.
  std::vector<int64_t> confusion() const;
};

// The model's prediction for the first `limit` samples (all when limit <= 0), in eval mode.
Predictions predict_all(Model& model, const Dataset& data, int64_t batch, int64_t limit = 0);

struct FigureFiles {
  std::vector<std::string> files;  // PNG and CSV paths written
};

void draw_confusion(const std::string& png, const Predictions& p, const std::string& title);
// At most `max_images` of the mistakes, `columns` to a row. Returns the picture's height.
int draw_misclassified(const std::string& png, const Dataset& data, const Predictions& p,
                       int max_images, int columns, const std::string& title);
void write_confusion_csv(const std::string& path, const Predictions& p);
void write_misclassified_csv(const std::string& path, const Predictions& p);

// All four files into `dir` (created if missing).
FigureFiles write_eval_figures(const std::string& dir, const Dataset& data, const Predictions& p,
                               const std::string& model_name);

}  // namespace nnzero::plot
