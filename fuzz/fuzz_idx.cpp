// libFuzzer target for the dataset readers: nnzero::parse_idx on the raw bytes, and
// nnzero::gunzip followed by parse_idx, as read_idx does for a .gz file.
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report, another
// exception (std::bad_alloc, std::length_error...) or a result that breaks the format's rules.
//
//   scripts/fuzz.sh 60      # builds with clang and runs every target for 60 s
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/io/idx.h"

namespace {
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_idx: invariant broken: %s\n", what);
    std::abort();
  }
}

// What parse_idx promises when it accepts: 1 to 255 dimensions whose product is exactly the
// data that follows the header.
void check_idx(std::span<const uint8_t> bytes) {
  nnzero::IdxArray a;
  try {
    a = nnzero::parse_idx(bytes, "fuzz input");
  } catch (const nnzero::Error&) {
    return;
  }
  check(!a.dims.empty() && a.dims.size() <= 255, "number of dimensions");
  check(bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0x08, "magic");
  check(a.dims.size() == static_cast<size_t>(bytes[3]), "dimensions match the header");
  uint64_t count = 1;
  for (int64_t d : a.dims) {
    check(d >= 0 && d <= UINT32_MAX, "dimension range");
    count *= static_cast<uint64_t>(d);
  }
  check(count == a.data.size(), "data size is the product of the dimensions");
  check(4 + 4 * a.dims.size() + a.data.size() == bytes.size(), "header + data = file");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  check_idx(bytes);
  std::vector<uint8_t> inflated;
  try {
    inflated = nnzero::gunzip(bytes, "fuzz input");
  } catch (const nnzero::Error&) {
    return 0;
  }
  // gunzip accepted: the input was gzip data, so it started with the gzip magic number.
  check(size >= 2 && data[0] == 0x1f && data[1] == 0x8b, "gunzip accepted non-gzip data");
  check_idx(inflated);
  return 0;
}
