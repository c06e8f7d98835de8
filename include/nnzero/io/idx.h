// IDX, the format of the MNIST files (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1: 0, byte 2: type (0x08 = unsigned byte), byte 3: number of dimensions d,
//   then d big-endian uint32 sizes, then the data, row-major.
// Only unsigned bytes are supported (every MNIST-format dataset uses them).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nnzero {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Parses IDX bytes; `name` (usually the path) is used in error messages. Checks the magic
// number, the type and that the dimensions account for exactly the bytes present.
IdxArray parse_idx(std::span<const uint8_t> bytes, const std::string& name);
// Reads an IDX file, raw or gzip-compressed.
IdxArray read_idx(const std::string& path);

}  // namespace nnzero
