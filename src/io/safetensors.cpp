#include "nnzero/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "nnzero/half_types.h"
#include "nnzero/io/file.h"
#include "nnzero/io/strict_json.h"

namespace nnzero {

using nlohmann::json;

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this build assumes a little-endian machine");

namespace {
// Larger headers are not model files; refusing them bounds what a hostile file can cost.
constexpr uint64_t kMaxHeader = 100u << 20;
// A valid header nests 3 deep ({"name": {"shape": [...]}}); deeper nesting is refused while
// parsing (see strict_json.h).
constexpr int kMaxDepth = 16;

int64_t dtype_size(const std::string& dtype) {
  static const std::map<std::string, int64_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

int64_t dtype_size(TensorDtype dtype) {
  return dtype == TensorDtype::F32 ? 4 : dtype == TensorDtype::I8 ? 1 : 2;
}

void write_int8(const Tensor& t, uint8_t* out, const std::string& name) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float v = t[i];
    if (!(v >= -128.0f && v <= 127.0f) || v != std::nearbyint(v)) {
      throw Error("tensor \"" + name + "\": the value " + std::to_string(v) + " at element " +
                  std::to_string(i) + " is not an integer in -128..127 (I8)");
    }
    out[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
  }
}

// Float32 values of `count` elements of a 16-bit tensor at `data`; `what` names the tensor.
void read_16_bit(const uint8_t* data, int64_t count, TensorDtype dtype, float* out,
                 const std::string& what) {
  std::vector<uint16_t> bits(static_cast<size_t>(count));
  std::memcpy(bits.data(), data, bits.size() * 2);
  const std::span<float> values(out, bits.size());
  if (dtype == TensorDtype::F16) {
    f16_to_floats(bits, values);
  } else {
    bf16_to_floats(bits, values);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw Error(what + " (" + dtype_name(dtype) + ") holds " +
                  (std::isnan(values[i]) ? "NaN" : "infinity") + " at element " +
                  std::to_string(i));
    }
  }
}

// The 16-bit bits of `t` as `dtype` into `out`; every value must stay finite.
void write_16_bit(const Tensor& t, TensorDtype dtype, uint8_t* out, const std::string& name) {
  std::vector<uint16_t> bits(static_cast<size_t>(t.numel()));
  if (dtype == TensorDtype::F16) {
    floats_to_f16(t.span(), bits);
  } else {
    floats_to_bf16(t.span(), bits);
  }
  for (size_t i = 0; i < bits.size(); ++i) {
    if ((bits[i] & (dtype == TensorDtype::F16 ? 0x7c00u : 0x7f80u)) ==
        (dtype == TensorDtype::F16 ? 0x7c00u : 0x7f80u)) {
      char value[32];
      std::snprintf(value, sizeof value, "%g", static_cast<double>(t.data()[i]));
      throw Error("tensor \"" + name + "\": the value " + value + " at element " +
                  std::to_string(i) + " does not fit in " + dtype_name(dtype) +
                  (dtype == TensorDtype::F16 ? " (the largest float16 is 65504)" : ""));
    }
  }
  std::memcpy(out, bits.data(), bits.size() * 2);
}

SafetensorsEntry parse_entry(const std::string& tensor, const json& j, const std::string& where) {
  const std::string at = where + ": tensor \"" + tensor + "\"";
  if (!j.is_object()) throw Error(at + ": expected an object");
  for (const auto& [key, value] : j.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      throw Error(at + ": unknown field \"" + key + "\"");
    }
  }
  SafetensorsEntry e;
  e.name = tensor;
  if (!j.contains("dtype") || !j["dtype"].is_string()) throw Error(at + ": missing dtype");
  e.dtype = j["dtype"].get<std::string>();
  const int64_t elem = dtype_size(e.dtype);
  if (elem == 0) throw Error(at + ": unknown dtype \"" + e.dtype + "\"");
  if (!j.contains("shape") || !j["shape"].is_array()) throw Error(at + ": missing shape");
  uint64_t count = 1;
  for (const json& d : j["shape"]) {
    if (!d.is_number_unsigned()) throw Error(at + ": shape must hold non-negative integers");
    const auto v = d.get<uint64_t>();
    if (v > (uint64_t{1} << 40) || (v != 0 && count > (uint64_t{1} << 40) / v)) {
      throw Error(at + ": shape " + j["shape"].dump() + " is too large");
    }
    count *= v;
    e.shape.push_back(static_cast<int64_t>(v));
  }
  const json& off = j.contains("data_offsets") ? j["data_offsets"] : json();
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
      !off[1].is_number_unsigned()) {
    throw Error(at + ": data_offsets must be [begin, end]");
  }
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.end < e.begin) throw Error(at + ": data_offsets end before they begin");
  if (e.end - e.begin != count * static_cast<uint64_t>(elem)) {
    throw Error(at + ": " + std::to_string(e.end - e.begin) + " bytes of data for " + e.dtype +
                " shape " + j["shape"].dump() + " (needs " +
                std::to_string(count * static_cast<uint64_t>(elem)) + ")");
  }
  return e;
}
}  // namespace

const char* dtype_name(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::F16:
      return "F16";
    case TensorDtype::BF16:
      return "BF16";
    case TensorDtype::I8:
      return "I8";
    case TensorDtype::F32:
      break;
  }
  return "F32";
}

TensorDtype parse_float_dtype(const std::string& text, const std::string& where) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "f32" || t == "float32" || t == "fp32") return TensorDtype::F32;
  if (t == "f16" || t == "float16" || t == "fp16") return TensorDtype::F16;
  if (t == "bf16" || t == "bfloat16") return TensorDtype::BF16;
  throw Error(where + ": unknown dtype \"" + text + "\" (f32, f16 or bf16)");
}

SafetensorsFile SafetensorsFile::parse(std::vector<uint8_t> bytes, const std::string& name) {
  SafetensorsFile f;
  f.name_ = name;
  if (bytes.size() < 8) {
    throw Error(name + ": truncated safetensors file (" + std::to_string(bytes.size()) +
                " bytes, the header length alone needs 8)");
  }
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > bytes.size() - 8) {
    throw Error(name + ": header length " + std::to_string(header_len) +
                " is larger than the file (" + std::to_string(bytes.size()) +
                " bytes): truncated or not a safetensors file");
  }
  if (header_len > kMaxHeader) throw Error(name + ": header larger than 100 MiB");
  const json header = parse_strict_json(std::span<const uint8_t>(bytes).subspan(8, header_len),
                                        name + ": header", kMaxDepth);
  if (!header.is_object()) throw Error(name + ": header is not a JSON object");
  f.data_start_ = 8 + header_len;
  const uint64_t data_size = bytes.size() - f.data_start_;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw Error(name + ": __metadata__ must be an object");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) throw Error(name + ": __metadata__ \"" + mk + "\" is not a string");
        f.metadata_[mk] = mv.get<std::string>();
      }
      continue;
    }
    f.entries_.push_back(parse_entry(key, value, name));
    if (f.entries_.back().end > data_size) {
      throw Error(name + ": tensor \"" + key + "\" ends at byte " +
                  std::to_string(f.entries_.back().end) + " but the data section holds " +
                  std::to_string(data_size) + " (truncated file?)");
    }
  }
  // The data section must be covered exactly: in offset order, each tensor starts where the
  // previous ended.
  std::sort(f.entries_.begin(), f.entries_.end(), [](const auto& a, const auto& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  uint64_t pos = 0;
  for (size_t i = 0; i < f.entries_.size(); ++i) {
    const SafetensorsEntry& e = f.entries_[i];
    if (e.begin < pos) {
      throw Error(name + ": tensors \"" + f.entries_[i - 1].name + "\" and \"" + e.name +
                  "\" overlap");
    }
    if (e.begin > pos) {
      throw Error(name + ": bytes " + std::to_string(pos) + " to " + std::to_string(e.begin) +
                  " of the data belong to no tensor");
    }
    pos = e.end;
  }
  if (pos != data_size) {
    throw Error(name + ": " + std::to_string(data_size - pos) +
                " bytes after the last tensor belong to no tensor");
  }
  for (size_t i = 0; i < f.entries_.size(); ++i) f.by_name_.emplace(f.entries_[i].name, i);
  f.bytes_ = std::move(bytes);
  return f;
}

SafetensorsFile SafetensorsFile::read(const std::string& path) {
  return parse(read_file(path), path);
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& tensor) const {
  const auto it = by_name_.find(tensor);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

Tensor SafetensorsFile::tensor(const std::string& tensor) const {
  const SafetensorsEntry* e = find(tensor);
  if (e == nullptr) throw Error(name_ + ": no tensor \"" + tensor + "\"");
  if (e->dtype != "F32" && e->dtype != "F16" && e->dtype != "BF16" && e->dtype != "I8") {
    throw Error(name_ + ": tensor \"" + tensor + "\" has dtype " + e->dtype +
                "; nnzero reads F32, F16, BF16 and I8");
  }
  if (e->shape.size() > static_cast<size_t>(Shape::kMaxRank)) {
    throw Error(name_ + ": tensor \"" + tensor + "\" has more than 6 dimensions");
  }
  Tensor t(Shape(std::span<const int64_t>(e->shape)));
  if (t.numel() == 0) return t;
  const uint8_t* data = bytes_.data() + data_start_ + e->begin;
  if (e->dtype == "F32") {
    std::memcpy(t.data(), data, e->end - e->begin);
  } else if (e->dtype == "I8") {
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<int8_t>(data[i]);
  } else {
    read_16_bit(data, t.numel(), parse_float_dtype(e->dtype, name_), t.data(),
                name_ + ": tensor \"" + tensor + "\"");
  }
  return t;
}

std::vector<uint8_t> serialize_safetensors(
    const std::vector<std::pair<std::string, const Tensor*>>& tensors,
    const std::map<std::string, std::string>& metadata, TensorDtype dtype,
    const TensorDtypes& per_tensor) {
  const auto dtype_of = [&](const std::string& name) {
    const auto it = per_tensor.find(name);
    return it == per_tensor.end() ? dtype : it->second;
  };
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(t->numel() * dtype_size(dtype_of(name)));
    header[name] = {{"dtype", dtype_name(dtype_of(name))},
                    {"shape", std::vector<int64_t>(t->shape().begin(), t->shape().end())},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned
  std::vector<uint8_t> out(8 + text.size() + offset);
  const uint64_t len = text.size();
  std::memcpy(out.data(), &len, 8);
  std::memcpy(out.data() + 8, text.data(), text.size());
  uint8_t* data = out.data() + 8 + text.size();
  for (const auto& [name, t] : tensors) {
    const TensorDtype d = dtype_of(name);
    const auto bytes = static_cast<size_t>(t->numel() * dtype_size(d));
    if (bytes == 0) continue;
    if (d == TensorDtype::F32) {
      std::memcpy(data, t->data(), bytes);
    } else if (d == TensorDtype::I8) {
      write_int8(*t, data, name);
    } else {
      write_16_bit(*t, d, data, name);
    }
    data += bytes;
  }
  return out;
}

void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                       const std::map<std::string, std::string>& metadata, TensorDtype dtype,
                       const TensorDtypes& per_tensor) {
  write_file_atomic(path, serialize_safetensors(tensors, metadata, dtype, per_tensor));
}

}  // namespace nnzero
