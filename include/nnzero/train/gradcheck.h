// Gradient check (section 4.4, 5.7.3): compares the gradients that backward() computes with
// central differences, dL/dw ~= (L(w + h) - L(w - h)) / 2h, element by element.
//
// The error of a tensor is ||analytic - numerical|| / (||analytic|| + ||numerical||) over the
// checked elements: 0 when they agree, 1/3 when one is twice the other, 1 when one is zero.
// Forward passes run in float32, so loss differences carry rounding noise that grows as h
// shrinks, while ReLU and max pooling have kinks where a step h can cross to the other side.
// Where the forward and backward one-sided differences disagree, a kink lies within h of the
// point; such elements are skipped (and counted), elsewhere the estimate is sound. The
// rounding noise is measured too, as the difference of the central differences at h and 2h;
// a tensor whose gradient is below 300x that noise (a bias before BatchNorm, whose gradient
// is exactly zero) is compared against that floor instead of its own size. With h = 1e-3 a
// tolerance of 1e-2 separates noise from real mistakes (tests/test_layer_gradients.cpp breaks
// gradients on purpose to prove it). Dropout layers replay the same mask on every forward pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/layers/layer.h"
#include "nnzero/model/model.h"

namespace nnzero {

struct GradCheckResult {
  std::string name;  // "dx", "weight", "0.weight"...
  double rel_error = 0.0;
  int64_t elements = 0;  // how many were compared
  int64_t skipped = 0;   // how many sat at a kink (see above)
};

struct GradCheckOptions {
  double h = 1e-3;
  int64_t max_elements = 0;  // per tensor, chosen at random (0: all)
  bool train = true;         // mode of the forward passes
};

inline constexpr double kGradCheckTolerance = 1e-2;

// ||a - n|| / max(||a|| + ||n||, floor), skipping NaN entries of n.
double relative_error(const std::vector<double>& analytic, const std::vector<double>& numerical,
                      double floor = 0.0);

// Random data for a layer or model: N(0, 1) values, or token ids in [0, V) where the input
// holds ids (an embedding: Layer::token_ids_below).
void fill_random_input(Tensor& x, int64_t token_ids_below, Rng& rng);

// One layer, with L = sum(R * layer(x)) for a fixed random R: checks dL/dx (unless the
// layer skips it) and every parameter: the layer's own, or those of `params_of` (a fused
// layer's parameters are held by the layer it runs, fast/conv_relu_pool.h).
std::vector<GradCheckResult> gradcheck_layer(Layer& layer, const Tensor& x, Rng& rng,
                                             const GradCheckOptions& options = {},
                                             Layer* params_of = nullptr);

// A whole model with its own loss, on a random batch (fill_random_input, random labels or
// targets, a label per position for sequence scores (T, classes)): checks every parameter,
// named as in the model file.
std::vector<GradCheckResult> gradcheck_model(Model& model, int64_t batch, Rng& rng,
                                             const GradCheckOptions& options = {});

}  // namespace nnzero
