// safetensors (https://github.com/huggingface/safetensors): 8-byte little-endian header
// length N, N bytes of JSON header, then the raw little-endian tensor data. The header maps
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to
// the data section) and may hold "__metadata__", a map of strings.
//
// The parser checks everything a damaged or hostile file could get wrong: header length
// beyond the file, invalid JSON, missing or mistyped fields, offsets outside the data,
// byte counts that disagree with dtype and shape, tensors that overlap or leave holes, a key
// given twice (strict_json.h).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nnzero/tensor.h"

namespace nnzero {

// The dtypes nnzero reads and writes: float32, the two 16-bit floats of half_types.h
// (half the file; PyTorch's torch.float16 and torch.bfloat16), and 8-bit integers (an int8
// model's weight codes, model/quantize.h). All are read into float32 tensors.
enum class TensorDtype { F32, F16, BF16, I8 };
const char* dtype_name(TensorDtype dtype);  // "F32", "F16", "BF16", "I8"
// "f32", "f16" or "bf16" (any case; "fp32", "float32", "fp16", "float16", "bfloat16" too): a
// floating-point dtype; throws naming `where` otherwise.
TensorDtype parse_float_dtype(const std::string& text, const std::string& where);

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "F32", "F16", "I64", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range in the data section
};

class SafetensorsFile {
 public:
  // Validates `bytes`; `name` (the path) prefixes error messages.
  static SafetensorsFile parse(std::vector<uint8_t> bytes, const std::string& name);
  static SafetensorsFile read(const std::string& path);

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Entries in data order.
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const SafetensorsEntry* find(const std::string& tensor) const;
  // The tensor's values as float32; throws unless it exists and is F32, F16, BF16 or I8. A
  // 16-bit tensor holding NaN or infinity is refused: no trained network stores one, and a
  // value too large for float16 turns into infinity when a writer forgets to check.
  Tensor tensor(const std::string& tensor) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<uint8_t> bytes_;
  uint64_t data_start_ = 0;
  std::map<std::string, std::string> metadata_;
  std::vector<SafetensorsEntry> entries_;
  std::unordered_map<std::string, size_t> by_name_;  // entries_ index of each tensor name
};

// The bytes of a safetensors file holding `tensors` in the given order, each stored as
// `dtype`, or as `per_tensor` says for the names it lists (rounded to nearest, ties to even).
// Throws, naming the tensor, when a value does not fit in a 16-bit dtype (float16's largest
// is 65504) or is not finite there, or is not an integer in -128..127 for I8.
using TensorDtypes = std::map<std::string, TensorDtype>;
std::vector<uint8_t> serialize_safetensors(
    const std::vector<std::pair<std::string, const Tensor*>>& tensors,
    const std::map<std::string, std::string>& metadata, TensorDtype dtype = TensorDtype::F32,
    const TensorDtypes& per_tensor = {});
// Writes atomically (temporary file + rename).
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                       const std::map<std::string, std::string>& metadata,
                       TensorDtype dtype = TensorDtype::F32, const TensorDtypes& per_tensor = {});

}  // namespace nnzero
