// libFuzzer target for the model-file readers: nnzero::SafetensorsFile::parse on the raw
// bytes, then, as load_model does, ModelSpec::parse on the "nnzero.spec" metadata it holds.
// The same bytes also go to ModelSpec::parse as JSON text, so that seeds that are bare
// specs (fuzz/corpus/safetensors/*.json) exercise the spec parser directly.
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report, another
// exception or an accepted file that breaks the format's rules; what is accepted must come
// back unchanged through the writer (serialize_safetensors, ModelSpec::to_json).
//
//   scripts/fuzz.sh 60      # builds with clang and runs every target for 60 s
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_checks.h"
#include "nnzero/error.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/spec.h"

namespace {
using nnzero_fuzz::check;
int64_t dtype_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  return 1;
}

// What SafetensorsFile::parse promises when it accepts: entries in data order covering the
// data section exactly, each as long as its dtype and shape need; F32 tensors readable; and
// the file written again from what was read parses to the same tensors and metadata.
void check_safetensors(const std::vector<uint8_t>& bytes) {
  nnzero::SafetensorsFile f;
  try {
    f = nnzero::SafetensorsFile::parse(bytes, "fuzz input");
  } catch (const nnzero::Error&) {
    return;
  }
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  const uint64_t data_size = bytes.size() - 8 - header_len;
  uint64_t pos = 0;
  // The dtype every tensor has when all are one readable float dtype, else empty.
  std::string common_dtype = f.entries().empty() ? "F32" : f.entries()[0].dtype;
  std::vector<nnzero::Tensor> tensors;
  for (const nnzero::SafetensorsEntry& e : f.entries()) {
    check(e.begin == pos && e.end >= e.begin, "entries are contiguous and in data order");
    pos = e.end;
    uint64_t count = 1;
    for (int64_t d : e.shape) {
      check(d >= 0, "dimensions are non-negative");
      count *= static_cast<uint64_t>(d);
    }
    check(e.end - e.begin == count * static_cast<uint64_t>(dtype_size(e.dtype)),
          "byte count = elements x dtype size");
    check(f.find(e.name) != nullptr, "find sees every entry");
    const bool readable =
        e.dtype == "F32" || e.dtype == "F16" || e.dtype == "BF16" || e.dtype == "I8";
    if (e.dtype != common_dtype) common_dtype.clear();
    try {
      tensors.push_back(f.tensor(e.name));
      check(readable, "only F32, F16, BF16 and I8 tensors are read");
      check(static_cast<uint64_t>(tensors.back().numel()) == count, "tensor size");
    } catch (const nnzero::Error&) {
      // A 16-bit tensor holding NaN or infinity is refused; F32 and I8 ones never are.
      check(!(e.dtype == "F32" || e.dtype == "I8") || e.shape.size() > 6,
            "an F32 or I8 tensor of rank <= 6 is readable");
      common_dtype.clear();
    }
  }
  check(pos == data_size, "the entries cover the data section");

  // Written again in their own dtype, the tensors read back bit for bit (a value read from
  // F16 or BF16 is one that format holds: rounding it changes nothing).
  if (common_dtype == "F32" || common_dtype == "F16" || common_dtype == "BF16") {
    const nnzero::TensorDtype dtype = nnzero::parse_float_dtype(common_dtype, "fuzz");
    std::vector<std::pair<std::string, const nnzero::Tensor*>> named;
    for (size_t i = 0; i < tensors.size(); ++i) {
      named.emplace_back(f.entries()[i].name, &tensors[i]);
    }
    const auto written = nnzero::serialize_safetensors(named, f.metadata(), dtype);
    nnzero::SafetensorsFile g;
    try {
      g = nnzero::SafetensorsFile::parse(written, "rewritten");
    } catch (const nnzero::Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      check(false, "what serialize_safetensors writes parses");
    }
    check(g.metadata() == f.metadata(), "metadata round-trips");
    check(g.entries().size() == f.entries().size(), "tensor count round-trips");
    for (size_t i = 0; i < tensors.size(); ++i) {
      const nnzero::SafetensorsEntry& e = g.entries()[i];
      check(e.name == f.entries()[i].name && e.shape == f.entries()[i].shape,
            "names and shapes round-trip");
      const nnzero::Tensor t = g.tensor(e.name);
      const size_t n = static_cast<size_t>(t.numel()) * sizeof(float);
      check(n == 0 || std::memcmp(t.data(), tensors[i].data(), n) == 0, "values round-trip");
    }
  }

  const auto spec = f.metadata().find("nnzero.spec");
  if (spec != f.metadata().end()) nnzero_fuzz::check_spec_text(spec->second);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_safetensors(std::vector<uint8_t>(data, data + size));
  nnzero_fuzz::check_spec_text(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
