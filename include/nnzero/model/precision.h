// The number format a model is evaluated in (`--precision`). The book's section 8.3.4 stores
// a trained network's weights and every layer's output in 16-bit floats and finds the same
// accuracy: fp16 and bf16 here do exactly that (half_types.h): the model's tensors and
// the input are rounded to the format, and so is each layer's output. In fp16 the products
// still multiply and add in float32; in bf16 the conv2d and linear layers multiply bfloat16
// operands and sum in float32 (Engine::bf16: AVX-512 BF16's instruction where the CPU has
// it). A model file stored as F16 or BF16 (nnzero convert) holds the rounded weights
// already. int8 is a model file of its own (model/quantize.h): integer products with int32
// sums, on the CPU's VNNI instructions where it has them.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "nnzero/model/model_file.h"

namespace nnzero {

class Sequential;

enum class Precision { fp32, fp16, bf16, int8 };

// "fp32", "fp16", "bf16" or "int8" (also "f32", "f16", "float16", "bfloat16", "i8"...);
// throws naming `where` otherwise.
Precision parse_precision(const std::string& text, const std::string& where);
const char* precision_name(Precision p);

// Each value rounded to the nearest value of the format (nothing for fp32).
void round_values(std::span<float> values, Precision p);
// Every tensor of the model's state (weights, BatchNorm's statistics) rounded.
void round_state(Model& model, Precision p);
// A copy of `model` that evaluates in `p` (fp32, fp16 or bf16): its state rounded, its input
// and every layer's output rounded at each forward (Sequential::set_activation_precision),
// and for bf16 built with Engine::bf16.
std::unique_ptr<Sequential> copy_in_precision(Sequential& model, Precision p);
// Evaluates a loaded image or table model in `p` from now on (fp16, bf16: its state rounded,
// and its input and layer outputs at every forward, Sequential::set_activation_precision) and
// returns the precision it runs in (loaded.model replaced by copy_in_precision's): an int8 model
// file runs in int8 whatever `p` (fp32, the default, or int8; others are refused). Throws, naming
// `where`, for a float file with int8 (it needs calibration: nnzero quantize) and for models
// without that mode (language and seq2seq models).
Precision use_precision(LoadedModel& loaded, Precision p, const std::string& where);

}  // namespace nnzero
