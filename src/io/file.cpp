#include "nnzero/io/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "nnzero/error.h"

namespace nnzero {

namespace {

std::string limit_text(int64_t limit) {
  if (limit % (int64_t{1} << 20) != 0) return std::to_string(limit) + " bytes";
  return std::to_string(limit >> 20) + " MiB";
}

bool is_gzip(std::span<const uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}
}  // namespace

void gunzip_to(std::span<const uint8_t> bytes, const std::string& name, const ByteSink& sink) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(name + ": zlib init failed");
  struct InflateEnd {
    z_stream* zs;
    ~InflateEnd() { inflateEnd(zs); }
  } guard{&zs};
  const auto corrupt = [&](const std::string& why) {
    return Error(name + ": corrupt gzip stream (" + why + ")");
  };

  // Inflated through a fixed window: the sink decides what to keep (all of it, or a packed
  // form of it), so the inflated size need never be held at once.
  std::vector<uint8_t> window(size_t{1} << 18);
  // Refuse to inflate beyond the file limit: MNIST's largest file is 47 MB; a "zip bomb" is
  // not data.
  const auto max_inflated = static_cast<size_t>(max_file_bytes());
  size_t total = 0;     // bytes handed to the sink so far
  size_t consumed = 0;  // input bytes handed to zlib so far (avail_in is only 32 bits wide)
  for (;;) {
    if (zs.avail_in == 0 && consumed < bytes.size()) {
      const size_t chunk = std::min<size_t>(bytes.size() - consumed, UINT32_MAX);
      zs.next_in = const_cast<Bytef*>(bytes.data() + consumed);
      zs.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    zs.next_out = window.data();
    zs.avail_out = static_cast<uInt>(window.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = window.size() - zs.avail_out;
    if (produced > 0) {
      total += produced;
      if (total > max_inflated) {
        throw Error(name + ": gzip data inflates beyond " + limit_text(max_file_bytes()) +
                    " (NNZERO_MAX_FILE_MB raises the limit)");
      }
      sink(std::span<const uint8_t>(window.data(), produced));
    }
    if (rc == Z_STREAM_END) {
      // The end of one gzip member. `cat a.gz b.gz` is a valid gzip file (RFC 1952, 2.2):
      // another member may follow; zero padding is ignored, as gzip does; anything else is
      // an error rather than data silently dropped.
      const size_t left = zs.avail_in + (bytes.size() - consumed);
      if (left == 0) break;
      const std::span<const uint8_t> rest = bytes.last(left);
      if (std::all_of(rest.begin(), rest.end(), [](uint8_t b) { return b == 0; })) break;
      if (!is_gzip(rest)) {
        throw corrupt(std::to_string(left) + " bytes after the end of the compressed data");
      }
      if (inflateReset(&zs) != Z_OK) throw corrupt("cannot start the next member");
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == bytes.size()) {
      throw corrupt("truncated: ends before the end of the data");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw corrupt(zs.msg != nullptr ? zs.msg : "zlib error " + std::to_string(rc));
    }
  }
}

std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& name) {
  // A single-member file ends with its inflated size mod 2^32 (RFC 1952, ISIZE): reserving
  // that avoids growing by doubling, which briefly holds two copies and leaves up to twice
  // the data's size allocated. A lying trailer can ask for no more than deflate's ~1032:1
  // ratio allows, and at most 256 MiB up front; beyond that the buffer grows as the data
  // really inflates.
  size_t hint = bytes.size() * 4;
  if (bytes.size() >= 18) {
    const uint8_t* t = bytes.data() + bytes.size() - 4;
    const size_t isize =
        uint32_t{t[0]} | uint32_t{t[1]} << 8 | uint32_t{t[2]} << 16 | uint32_t{t[3]} << 24;
    hint = std::min({isize, bytes.size() * 1032, size_t{1} << 28});
  }
  std::vector<uint8_t> out;
  out.reserve(hint);
  gunzip_to(bytes, name, [&](std::span<const uint8_t> piece) {
    out.insert(out.end(), piece.begin(), piece.end());
  });
  // Give back what doubling over-allocated (a copy).
  if (out.capacity() - out.size() > out.size() / 8) out.shrink_to_fit();
  return out;
}

int64_t max_file_bytes() {
  const char* env = std::getenv("NNZERO_MAX_FILE_MB");
  if (env == nullptr || *env == '\0') return kDefaultMaxFileBytes;
  const std::string text = env;
  int64_t mb = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mb);
  if (ec != std::errc() || end != text.data() + text.size() || mb < 1 || mb > (int64_t{1} << 40)) {
    throw Error("NNZERO_MAX_FILE_MB must be a whole number of MiB from 1 to 2^40, got \"" + text +
                "\"");
  }
  return mb << 20;
}

namespace {
// Why `path` cannot be read as a file, or "" when it can: a regular file or a pipe (a
// pipe is read until it ends, so that `<(gzip -dc x.gz)` works). A device would never end
// (/dev/zero) or block (a terminal).
std::string not_a_file(const std::string& path, const struct stat& st) {
  if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) return "";
  if (S_ISDIR(st.st_mode)) return path + ": is a folder, not a file";
  if (S_ISCHR(st.st_mode)) return path + ": is a character device, not a file";
  if (S_ISBLK(st.st_mode)) return path + ": is a block device, not a file";
  if (S_ISSOCK(st.st_mode)) return path + ": is a socket, not a file";
  return path + ": is not a regular file";
}

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};
}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, int64_t limit,
                                     const std::string& limit_name) {
  const std::string over =
      limit_name.empty() ? "the limit of " + limit_text(limit) + " (NNZERO_MAX_FILE_MB raises it)"
                         : limit_name;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  }
  if (const std::string why = not_a_file(path, st); !why.empty()) throw Error(why);
  if (S_ISREG(st.st_mode) && st.st_size > limit) {
    throw Error(path + ": " + std::to_string(st.st_size) + " bytes is larger than " + over);
  }
  const Fd in{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
  // Read until the end, not just st_size bytes: files in /proc report a size of 0, and a file
  // may grow while it is read; never past the limit.
  const auto cap = static_cast<size_t>(limit) + 1;  // one byte more tells "too large"
  std::vector<uint8_t> bytes(
      std::min(cap, S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : size_t{1} << 16));
  size_t size = 0;
  for (;;) {
    if (size == bytes.size()) {
      if (size == cap) {
        throw Error(path + ": more than " + std::to_string(limit) + " bytes, larger than " + over);
      }
      bytes.resize(std::min(cap, std::max(size * 2, size + (size_t{1} << 16))));
    }
    const ssize_t got = read(in.fd, bytes.data() + size, bytes.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(path + ": cannot read (" + std::strerror(errno) + ")");
    if (got == 0) break;
    size += static_cast<size_t>(got);
  }
  bytes.resize(size);
  if (bytes.capacity() - size > size / 8) bytes.shrink_to_fit();
  return bytes;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path, max_file_bytes());
  if (is_gzip(bytes)) return gunzip(bytes, path);
  return bytes;
}

void read_file_to(const std::string& path, const ByteSink& sink) {
  std::vector<uint8_t> bytes = read_file_bytes(path, max_file_bytes());
  if (is_gzip(bytes)) {
    gunzip_to(bytes, path, sink);  // only the compressed bytes are held whole
    return;
  }
  sink(bytes);
}

void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes) {
  // A temporary name of its own (mkstemp), so that two writers of the same file never share
  // one: each renames a whole file into place and the last rename wins.
  std::string tmp = path + ".XXXXXX.tmp";
  const int fd = ::mkstemps(tmp.data(), 4);
  if (fd < 0) throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
  const auto fail = [&](const std::string& why) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw Error(path + ": " + why);
  };
  ::fchmod(fd, 0644);  // mkstemps makes the file private (0600); the result is a normal file
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(std::string("write failed (") + std::strerror(errno) + ")");
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": write failed (" + std::strerror(errno) + ")");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename into place (" + ec.message() + ")");
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

void make_directories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    throw Error(dir + ": cannot create the folder (" +
                (ec ? ec.message() : std::string("a file of that name is in the way")) + ")");
  }
}

}  // namespace nnzero
