// Rng: the one random generator that everything random takes explicitly (initial weights,
// shuffling, dropout masks, hyperparameter search). xoshiro256** seeded by splitmix64: fast,
// good statistics, and a 32-byte state that a checkpoint can save and restore exactly.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "nnzero/tensor.h"

namespace nnzero {

class Rng {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Rng(uint64_t seed = 0);

  uint64_t next_u64();
  // Uniform in [0, 1), 24 random bits.
  float uniform();
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Uniform in [0, 1), 53 random bits.
  double uniform_double();
  // Normal(mean, std), Box-Muller in double precision.
  float normal(float mean = 0.0f, float std = 1.0f);
  // Uniform integer in [0, n), without modulo bias (Lemire's method).
  uint64_t below(uint64_t n);

  // A random permutation of 0..n-1 (Fisher-Yates), written into `out` (size n).
  void permutation(std::span<int32_t> out);
  std::vector<int32_t> permutation(int32_t n);

  void fill_normal(Tensor& t, float mean, float std);
  void fill_uniform(Tensor& t, float lo, float hi);

  State state() const { return s_; }
  // Throws for the all-zero state, which xoshiro256** never leaves (every draw would be 0).
  void set_state(const State& s);

 private:
  State s_;
};

}  // namespace nnzero
