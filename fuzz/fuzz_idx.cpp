// libFuzzer target for the dataset readers: nnzero::parse_idx on the raw bytes, and
// nnzero::gunzip followed by parse_idx, as read_idx does for a .gz file; IdxStream fed the
// same bytes in uneven pieces (as read_file_to hands them over) must agree with parse_idx;
// and the bytes, packed as images by PackedImages, must unpack to themselves.
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report, another
// exception (std::bad_alloc, std::length_error...) or a result that breaks the format's rules.
//
//   scripts/fuzz.sh 60      # builds with clang and runs every target for 60 s
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "fuzz_checks.h"
#include "nnzero/data/packed_images.h"
#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/io/idx.h"

namespace {
using nnzero_fuzz::check;
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
// The same bytes through IdxStream in pieces of 1 to 7 bytes (sizes taken from the data):
// the same error, or the same dimensions and data.
void check_stream(std::span<const uint8_t> bytes) {
  std::string whole_error, stream_error;
  nnzero::IdxArray whole, streamed;
  try {
    whole = nnzero::parse_idx(bytes, "fuzz input");
  } catch (const nnzero::Error& e) {
    whole_error = e.what();
  }
  try {
    nnzero::IdxStream s("fuzz input", [&](std::span<const uint8_t> d) {
      streamed.data.insert(streamed.data.end(), d.begin(), d.end());
    });
    for (size_t at = 0; at < bytes.size();) {
      const size_t piece = std::min<size_t>(1 + bytes[at] % 7, bytes.size() - at);
      s.feed(bytes.subspan(at, piece));
      at += piece;
    }
    s.finish();
    streamed.dims = s.dims();
  } catch (const nnzero::Error& e) {
    stream_error = e.what();
  }
  check(whole_error == stream_error, "IdxStream and parse_idx disagree on the error");
  if (whole_error.empty()) {
    check(whole.dims == streamed.dims && whole.data == streamed.data,
          "IdxStream and parse_idx disagree on the array");
  }
}

// The bytes as images of 1 to 64 pixels (the first byte picks the size) pack and unpack to
// themselves.
void check_packing(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  const int64_t size = 1 + bytes[0] % 64;
  const nnzero::PackedImages packed = nnzero::pack_images(bytes, size);
  check(packed.size() == static_cast<int64_t>(bytes.size()) / size, "packed image count");
  for (int64_t i = 0; i < packed.size(); ++i) {
    const std::vector<uint8_t> image = packed.unpack(i);
    check(std::equal(image.begin(), image.end(), bytes.begin() + i * size), "packed round trip");
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  check_idx(bytes);
  check_stream(bytes);
  check_packing(bytes);
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
