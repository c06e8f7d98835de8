#include "nnzero/io/idx.h"

#include <algorithm>
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

void IdxStream::check_magic() const {
  const uint32_t magic = read_be32(header_, 0);
  if (header_[0] != 0 || header_[1] != 0) {
    throw Error(name_ + ": wrong magic number " + hex32(magic) +
                " (an IDX file starts with 0x0000, e.g. 0x00000803 for images, 0x00000801 "
                "for labels)");
  }
  if (header_[2] != 0x08) {
    throw Error(name_ + ": unsupported IDX element type " + hex32(magic) +
                " (only unsigned bytes, 0x08, are supported)");
  }
  if (header_[3] == 0) throw Error(name_ + ": IDX header declares 0 dimensions");
}

void IdxStream::read_dims() {
  for (size_t at = 4; at < header_size_; at += 4) dims_.push_back(read_be32(header_, at));
  // The product of the sizes; "more" when it overflows 64 bits (2^32-1 cubed does) unless a
  // zero size makes it 0 whatever the others are.
  promised_ = 1;
  for (int64_t d : dims_)
    promised_more_ |= __builtin_mul_overflow(promised_, uint64_t(d), &promised_);
  if (std::find(dims_.begin(), dims_.end(), 0) != dims_.end()) {
    promised_ = 0;
    promised_more_ = false;
  }
}

std::string IdxStream::size_mismatch(const std::string& holds, bool more) const {
  std::string sizes;
  for (int64_t d : dims_) {
    if (!sizes.empty()) sizes += 'x';
    sizes += std::to_string(d);
  }
  return name_ + ": header promises " + sizes + " = " +
         (promised_more_ ? std::string("more") : std::to_string(promised_)) +
         " bytes of data, the file holds " + holds +
         (more ? " (trailing bytes)" : " (truncated file?)");
}

void IdxStream::feed(std::span<const uint8_t> bytes) {
  while (header_.size() < header_size_ && !bytes.empty()) {
    const size_t take = std::min(header_size_ - header_.size(), bytes.size());
    header_.insert(header_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (header_size_ == 4 && header_.size() == 4) {
      check_magic();
      header_size_ = 4 + 4 * size_t{header_[3]};
    } else if (header_.size() == header_size_) {
      read_dims();
    }
  }
  if (bytes.empty()) return;
  // More data than the header promises is refused as it arrives, before it is passed on or
  // inflated further: a gzip bomb behind a small header costs no more than the header says.
  if (!promised_more_ && data_bytes_ + bytes.size() > promised_) {
    throw Error(size_mismatch("more", true));
  }
  data_bytes_ += bytes.size();
  data_(bytes);
}

void IdxStream::finish() {
  if (header_.size() < 4) {
    throw Error(name_ + ": not an IDX file (" + std::to_string(header_.size()) +
                " bytes, shorter than the 4-byte magic number)");
  }
  if (dims_.empty()) {
    throw Error(name_ + ": truncated header (" + std::to_string(header_[3]) + " dimensions need " +
                std::to_string(header_size_) + " bytes, the file holds " +
                std::to_string(header_.size()) + ")");
  }
  if (!promised_more_ && promised_ == data_bytes_) return;
  throw Error(size_mismatch(std::to_string(data_bytes_), false));
}

IdxArray parse_idx(std::span<const uint8_t> bytes, const std::string& name) {
  IdxArray a;
  a.data.reserve(bytes.size());
  IdxStream s(name,
              [&](std::span<const uint8_t> d) { a.data.insert(a.data.end(), d.begin(), d.end()); });
  s.feed(bytes);
  s.finish();
  a.dims = s.dims();
  return a;
}

std::vector<int64_t> read_idx_to(const std::string& path, const ByteSink& data) {
  IdxStream s(path, data);
  read_file_to(path, [&](std::span<const uint8_t> piece) { s.feed(piece); });
  s.finish();
  return s.dims();
}

IdxArray read_idx(const std::string& path) {
  IdxArray a;
  a.dims = read_idx_to(
      path, [&](std::span<const uint8_t> d) { a.data.insert(a.data.end(), d.begin(), d.end()); });
  return a;
}

}  // namespace nnzero
