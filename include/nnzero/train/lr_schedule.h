// Learning-rate schedules: the factor by which the optimizer's base learning rate is scaled
// before each step. The book keeps the rate constant; a cosine decay to zero over the run
// (Loshchilov & Hutter, SGDR, 2017, without restarts) lets the last epochs settle into a
// minimum instead of jumping around it at the full rate:
//
//   constant  lr_t = lr
//   cosine    lr_t = lr * (1 + cos(pi * t / T)) / 2     t = 0 .. T-1 steps done, T steps in all
//
// Two refinements of GPT training (nanoGPT's get_lr): a linear warm-up over the first W steps,
// lr_t = lr * (t + 1) / (W + 1), because Adam's first steps, from moments estimated on a few
// batches, are erratic; and a floor f, cosine then decaying from lr to f * lr over the steps
// after the warm-up: lr_t = lr * (f + (1 - f) (1 + cos(pi (t - W) / (T - W))) / 2).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnzero {

// (The names are model/spec.h's lr_schedule_names(): a spec's "train" section may name one.)
// Throws listing the known names if `name` is not one.
void check_lr_schedule(const std::string& name);
// The factor for the step after `steps_done` of `total_steps`.
double lr_factor(const std::string& schedule, int64_t steps_done, int64_t total_steps,
                 int64_t warmup_steps = 0, double floor = 0.0);

}  // namespace nnzero
