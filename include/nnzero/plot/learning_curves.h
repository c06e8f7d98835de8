// The learning curves of one training run, as the book draws them in Figures 4-11 and 4-12:
// on the left the loss of every mini-batch (thin) and its smoothed trend (thick), on the
// right the accuracy on the training and the test data after each epoch.
#pragma once

#include <string>
#include <vector>

#include "nnzero/train/trainer.h"

namespace nnzero::plot {

constexpr int kCurvesWidth = 1000, kCurvesHeight = 420;

// What the right panel shows: accuracy (a classifier), or perplexity, exp of the loss per
// token on the training and the validation text (a language model, book 2).
enum class RightPanel { accuracy, perplexity };

// Writes the picture (kCurvesWidth x kCurvesHeight) to `png`; step_losses[i] is the loss of
// step i + 1.
void draw_learning_curves(const std::string& png, const std::vector<float>& step_losses,
                          const std::vector<EpochMetrics>& history, const std::string& title,
                          RightPanel right = RightPanel::accuracy);

}  // namespace nnzero::plot
