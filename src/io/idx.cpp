#include "nnzero/io/idx.h"

#include <cstdio>
#include <utility>

#include "nnzero/error.h"
#include "nnzero/io/file.h"

namespace nnzero {

namespace {
std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uint32_t read_be32(std::span<const uint8_t> b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}
}  // namespace

namespace {
// Checks the header and returns the dimensions and the header's size.
std::pair<std::vector<int64_t>, size_t> parse_header(std::span<const uint8_t> bytes,
                                                     const std::string& name) {
  if (bytes.size() < 4) {
    throw Error(name + ": not an IDX file (" + std::to_string(bytes.size()) +
                " bytes, shorter than the 4-byte magic number)");
  }
  const uint32_t magic = read_be32(bytes, 0);
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw Error(name + ": wrong magic number " + hex32(magic) +
                " (an IDX file starts with 0x0000, e.g. 0x00000803 for images, 0x00000801 "
                "for labels)");
  }
  if (bytes[2] != 0x08) {
    throw Error(name + ": unsupported IDX element type " + hex32(magic) +
                " (only unsigned bytes, 0x08, are supported)");
  }
  const int ndim = bytes[3];
  if (ndim == 0) throw Error(name + ": IDX header declares 0 dimensions");
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  if (bytes.size() < header) {
    throw Error(name + ": truncated header (" + std::to_string(ndim) + " dimensions need " +
                std::to_string(header) + " bytes, the file holds " + std::to_string(bytes.size()) +
                ")");
  }
  std::vector<int64_t> dims;
  // The product of the sizes, saturated: it is only compared with the bytes present, and
  // anything above that is "more" (2^32-1 cubed would overflow 64 bits). A zero size makes
  // the product 0 whatever follows.
  uint64_t count = 1;
  bool more = false;
  for (int i = 0; i < ndim; ++i) {
    const uint32_t d = read_be32(bytes, 4 + 4 * static_cast<size_t>(i));
    dims.push_back(d);
    uint64_t product = 0;
    if (__builtin_mul_overflow(count, uint64_t{d}, &product) || product > bytes.size()) {
      more = true;
      product = bytes.size() + 1;
    }
    count = product;
  }
  if (count == 0) more = false;
  const uint64_t available = bytes.size() - header;
  if (count != available) {
    std::string sizes;
    for (int64_t d : dims) {
      if (!sizes.empty()) sizes += 'x';
      sizes += std::to_string(d);
    }
    throw Error(name + ": header promises " + sizes + " = " +
                (more ? std::string("more") : std::to_string(count)) +
                " bytes of data, the file holds " + std::to_string(available) +
                (count > available ? " (truncated file?)" : " (trailing bytes)"));
  }
  return {dims, header};
}
}  // namespace

IdxArray parse_idx(std::span<const uint8_t> bytes, const std::string& name) {
  auto [dims, header] = parse_header(bytes, name);
  return {std::move(dims),
          std::vector<uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end())};
}

IdxArray read_idx(const std::string& path) {
  // The file's bytes become the array's: the header is shifted out in place, not copied
  // away from (MNIST's training images are 47 MB).
  std::vector<uint8_t> bytes = read_file(path);
  auto [dims, header] = parse_header(bytes, path);
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  return {std::move(dims), std::move(bytes)};
}

}  // namespace nnzero
