// The book's smooth_curve (common/util.py), which its loss plots (Figures 6-9 and 6-15) use:
// a weighted moving average with a Kaiser window (beta 2) of `window` points, the series
// mirrored at both ends so the output keeps the input's length.
#pragma once

#include <cstddef>
#include <vector>

namespace nnzero::plot {

// window: odd, at least 1 (the book: 11).
std::vector<double> smooth_curve(const std::vector<double>& x, int window = 11);

// An odd window about n / 50 points long, from 11 to 201: the loss of a long run smoothed
// enough to show its trend (and the cost bounded: n x 201 multiply-adds).
int smoothing_window(size_t n);

// Series y[i] at x = i + 1, thinned to at most about max_points points that draw like all of
// it: each run of consecutive points is replaced by its minimum and its maximum, in the
// order they occur. (A curve of 600,000 steps is drawn from 4,000 points.)
struct Thinned {
  std::vector<double> x, y;
};
Thinned thin_out(const std::vector<double>& y, size_t max_points = 4000);

}  // namespace nnzero::plot
