// The book's smooth_curve (common/util.py), which its loss plots (Figures 6-9 and 6-15) use:
// a weighted moving average with a Kaiser window (beta 2) of `window` points, the series
// mirrored at both ends so the output keeps the input's length.
#pragma once

#include <cstddef>
#include <vector>

namespace nnzero::plot {

// window: odd, at least 1 (the book: 11).
std::vector<double> smooth_curve(const std::vector<double>& x, int window = 11);

// An odd window about n / 50 points long (at least 11): the loss of a long run smoothed
// enough to show its trend.
int smoothing_window(size_t n);

}  // namespace nnzero::plot
