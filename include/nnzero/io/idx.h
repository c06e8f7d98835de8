// IDX, the format of the MNIST files (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1: 0, byte 2: type (0x08 = unsigned byte), byte 3: number of dimensions d,
//   then d big-endian uint32 sizes, then the data, row-major.
// Only unsigned bytes are supported (every MNIST-format dataset uses them).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nnzero/io/file.h"

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

// IDX bytes parsed as they arrive, in pieces of any size, without keeping the data: the
// header is checked as soon as it is complete, the data bytes go on to `data`, and finish()
// checks that the dimensions account for exactly the data that came. Data beyond what the
// header promises is refused as soon as it arrives (before it reaches `data`), so a huge
// stream behind a small header is never held. The checks and errors are parse_idx's (which
// is built on it).
class IdxStream {
 public:
  IdxStream(std::string name, ByteSink data) : name_(std::move(name)), data_(std::move(data)) {}
  void feed(std::span<const uint8_t> bytes);
  void finish();
  // The dimensions; empty until the header is complete.
  const std::vector<int64_t>& dims() const { return dims_; }

 private:
  void check_magic() const;
  void read_dims();
  // The error for a data size (`holds`) other than the header's promise.
  std::string size_mismatch(const std::string& holds, bool more) const;

  std::string name_;
  ByteSink data_;
  std::vector<uint8_t> header_;  // bytes of the header seen so far
  size_t header_size_ = 4;       // 4 until the number of dimensions is known
  std::vector<int64_t> dims_;
  uint64_t data_bytes_ = 0;
  uint64_t promised_ = 0;       // data bytes the dimensions promise, once they are known
  bool promised_more_ = false;  // the promise overflows 64 bits
};

// Reads an IDX file through IdxStream (the data to `data`); returns the dimensions.
std::vector<int64_t> read_idx_to(const std::string& path, const ByteSink& data);

}  // namespace nnzero
