// flush_denormals(): results below the smallest normal float become 0 (flush-to-zero) and
// denormal inputs count as 0 (denormals-are-zero), on this thread and on OpenMP's workers
// that existed before the call. The floating-point mode is restored afterwards, so the other
// tests in the same process run as they would have.
#include <gtest/gtest.h>
#include <omp.h>

#include <cfloat>
#include <cstring>
#include <vector>

#include "nnzero/denormals.h"

#if defined(__SSE__)
#include <xmmintrin.h>

namespace {
// Products computed at run time (volatile), not folded by the compiler.
float half_of_smallest_normal() {
  volatile float v = FLT_MIN;
  return v * 0.5f;  // the denormal 5.9e-39 unless flushed
}

float smallest_denormal_scaled_up() {
  const unsigned bits = 1;  // the smallest denormal, 1.4e-45
  float d = 0.0f;
  std::memcpy(&d, &bits, sizeof d);
  volatile float v = d;
  return v * 0x1p30f;  // a normal 1.5e-36, or 0 when the input counts as 0
}
}  // namespace

TEST(Denormals, FlushedToZeroOnEveryThread) {
  const int threads = omp_get_max_threads();
  std::vector<unsigned> saved(static_cast<size_t>(threads));
  // Start the workers first, so the test sees whether the call reaches existing threads.
#pragma omp parallel num_threads(threads)
  saved[static_cast<size_t>(omp_get_thread_num())] = _mm_getcsr();
  ASSERT_GT(half_of_smallest_normal(), 0.0f);  // the default mode keeps denormals
  ASSERT_GT(smallest_denormal_scaled_up(), 0.0f);

  ASSERT_TRUE(nnzero::flush_denormals());
  std::vector<float> flushed(static_cast<size_t>(threads), -1.0f), read(flushed);
#pragma omp parallel num_threads(threads)
  {
    const auto t = static_cast<size_t>(omp_get_thread_num());
    flushed[t] = half_of_smallest_normal();
    read[t] = smallest_denormal_scaled_up();
    _mm_setcsr(saved[t]);  // restore
  }
  for (int t = 0; t < threads; ++t) {
    EXPECT_EQ(flushed[static_cast<size_t>(t)], 0.0f) << "thread " << t << ": flush-to-zero";
    EXPECT_EQ(read[static_cast<size_t>(t)], 0.0f) << "thread " << t << ": denormals-are-zero";
  }
}
#endif
