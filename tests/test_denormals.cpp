// flush_denormals(): results below the smallest normal float become 0 (flush-to-zero) and
// denormal inputs count as 0 (denormals-are-zero), on this thread and OpenMP's workers.
#include <gtest/gtest.h>
#include <omp.h>

#include <cfloat>
#include <vector>

#include "nnzero/denormals.h"

TEST(Denormals, FlushedToZeroOnEveryThread) {
  volatile float tiny = FLT_MIN;  // volatile: computed at run time, not folded by the compiler
  ASSERT_TRUE(nnzero::flush_denormals());
  EXPECT_EQ(tiny * 0.5f, 0.0f);  // would be the denormal 5.9e-39
  volatile float denormal_bits = 0.0f;
  const unsigned one = 1;  // the smallest denormal's bit pattern
  __builtin_memcpy(const_cast<float*>(&denormal_bits), &one, sizeof one);
  EXPECT_EQ(denormal_bits * 2.0f, 0.0f);  // read as 0
  std::vector<float> per_thread(static_cast<size_t>(omp_get_max_threads()), -1.0f);
#pragma omp parallel
  per_thread[static_cast<size_t>(omp_get_thread_num())] = tiny * 0.5f;
  for (float v : per_thread) EXPECT_EQ(v, 0.0f);
}
