// Post-training int8 quantization (issue 24; the arithmetic: fast/int8_quantize.h).
//
// quantize() turns a trained float network into an int8 one (Engine::int8): every linear and
// conv2d layer gets per-output-channel symmetric weight codes and scales, s_w[o] =
// max_k |W[o][k]| / 127, and a per-tensor input scale s_x = max |x| / 127 over the inputs that
// layer sees on the calibration images (the float network's own inputs, a few hundred
// training images); every other layer keeps its float tensors.
//
// An int8 model file is a model file whose "nnzero.quantization" metadata describes the
// scheme; each quantized layer <i> stores <i>.weight as I8 (the codes), <i>.weight_scale (F32,
// one per output channel), <i>.input_scale (F32, one value) and <i>.bias as before.
// load_model builds such a file with Engine::int8 and checks its scales.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nnzero/io/safetensors.h"
#include "nnzero/model/sequential.h"

namespace nnzero {

inline constexpr const char* kQuantizationKey = "nnzero.quantization";

// The int8 copy of `model`, its input scales calibrated on `batches` (each (N, input...)).
// Throws when the model has no linear or conv2d layer, or no batch is given.
std::unique_ptr<Sequential> quantize(Sequential& model, const std::vector<Tensor>& batches);

// The "nnzero.quantization" metadata of a model quantize() made from `calibration_samples`.
std::string quantization_metadata(int64_t calibration_samples);

// Throws, naming `where` and the tensor, unless every scale of the int8 layers is finite and
// positive and every weight code an integer in -127..127.
void check_int8_model(Sequential& model, const std::string& where);

// The state tensors stored as I8 in the model file: each weight with a "weight_scale" beside.
TensorDtypes int8_tensor_dtypes(Model& model);

}  // namespace nnzero
