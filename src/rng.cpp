#include "nnzero/rng.h"

#include <cmath>
#include <numbers>

namespace nnzero {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
__extension__ using uint128 = unsigned __int128;

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}
}  // namespace

Rng::Rng(uint64_t seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

uint64_t Rng::next_u64() {
  // xoshiro256** (Blackman and Vigna, 2018)
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Rng::uniform() {
  return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f;
}

double Rng::uniform_double() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

float Rng::normal(float mean, float std) {
  const double u1 = 1.0 - uniform_double();  // in (0, 1]: log is finite
  const double u2 = uniform_double();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  return mean + std * static_cast<float>(z);
}

uint64_t Rng::below(uint64_t n) {
  // Lemire, "Fast random integer generation in an interval" (2019).
  uint128 m = static_cast<uint128>(next_u64()) * n;
  auto low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<uint128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

void Rng::set_state(const State& s) {
  if (s == State{}) {
    throw Error("random generator state is all zero, which no generator reaches (corrupt state?)");
  }
  s_ = s;
}

void Rng::permutation(std::span<int32_t> out) {
  const auto n = static_cast<int32_t>(out.size());
  for (int32_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = i;
  for (size_t i = out.size(); i > 1; --i) {
    std::swap(out[i - 1], out[below(i)]);
  }
}

std::vector<int32_t> Rng::permutation(int32_t n) {
  std::vector<int32_t> p(static_cast<size_t>(n));
  permutation(p);
  return p;
}

void Rng::fill_normal(Tensor& t, float mean, float std) {
  for (float& v : t) v = normal(mean, std);
}

void Rng::fill_uniform(Tensor& t, float lo, float hi) {
  for (float& v : t) v = uniform(lo, hi);
}

}  // namespace nnzero
