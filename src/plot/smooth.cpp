#include "nnzero/plot/smooth.h"

#include <algorithm>
#include <cmath>

#include "nnzero/error.h"

namespace nnzero::plot {

namespace {
// numpy.kaiser(m, beta): w[k] = I0(beta sqrt(1 - (2k/(m-1) - 1)^2)) / I0(beta).
std::vector<double> kaiser(int m, double beta) {
  if (m == 1) return {1.0};
  std::vector<double> w(static_cast<size_t>(m));
  for (int k = 0; k < m; ++k) {
    const double r = 2.0 * k / (m - 1) - 1.0;
    w[static_cast<size_t>(k)] =
        std::cyl_bessel_i(0.0, beta * std::sqrt(1.0 - r * r)) / std::cyl_bessel_i(0.0, beta);
  }
  return w;
}

// x extended past its ends as the book's np.r_[x[w-1:0:-1], x, x[-1:-w:-1]]: mirrored
// without repeating the first point, and with repeating the last.
double mirrored(const std::vector<double>& x, long i) {
  const long n = static_cast<long>(x.size());
  if (i < 0) i = -i;
  if (i >= n) i = 2 * n - 1 - i;
  return x[static_cast<size_t>(std::clamp(i, 0L, n - 1))];
}
}  // namespace

std::vector<double> smooth_curve(const std::vector<double>& x, int window) {
  if (window < 1 || window % 2 == 0) throw Error("smooth_curve: the window must be odd");
  const std::vector<double> w = kaiser(window, 2.0);
  double sum = 0.0;
  for (double v : w) sum += v;
  const long half = window / 2;
  std::vector<double> y(x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    double acc = 0.0;
    for (long j = 0; j < window; ++j) {
      acc += w[static_cast<size_t>(j)] * mirrored(x, static_cast<long>(k) - half + j);
    }
    y[k] = acc / sum;
  }
  return y;
}

int smoothing_window(size_t n) {
  const int w = static_cast<int>(std::clamp<size_t>(n / 50, 11, 201));
  return w % 2 == 1 ? w : w + 1;
}

Thinned thin_out(const std::vector<double>& y, size_t max_points) {
  Thinned t;
  const size_t bucket = std::max<size_t>(1, (2 * y.size() + max_points - 1) / max_points);
  for (size_t begin = 0; begin < y.size(); begin += bucket) {
    const size_t end = std::min(y.size(), begin + bucket);
    if (end - begin == 1) {
      t.x.push_back(static_cast<double>(begin + 1));
      t.y.push_back(y[begin]);
      continue;
    }
    size_t lo = begin, hi = begin;
    for (size_t i = begin; i < end; ++i) {
      if (y[i] < y[lo]) lo = i;  // NaN compares false: skipped
      if (y[i] > y[hi]) hi = i;
    }
    for (size_t i : {std::min(lo, hi), std::max(lo, hi)}) {
      t.x.push_back(static_cast<double>(i + 1));
      t.y.push_back(y[i]);
    }
  }
  return t;
}

}  // namespace nnzero::plot
