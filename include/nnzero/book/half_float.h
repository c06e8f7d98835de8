// IEEE 754 half precision (float16) for the book's chapter 8 experiment: a value stored in
// float16 and read back. Only the rounding is simulated; the arithmetic stays float32.
#pragma once

#include <span>

namespace nnzero::book {

// The float16 value nearest to x (ties to even), as a float: 1 + 2^-11 -> 1, 0.1 ->
// 0.0999755859375, above 65504 -> infinity, below 2^-24 -> 0 (with subnormals between).
float round_to_half(float x);
void round_to_half(std::span<float> values);

}  // namespace nnzero::book
