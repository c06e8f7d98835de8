// Reading and writing whole files, with errors that name the file. Writes go to a temporary
// file in the same folder that is renamed over the target only when complete, so a crash or
// a full disk never leaves a half-written file under the final name.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace nnzero {

// The most bytes nnzero reads from one file, and the most that gzip data may inflate to:
// $NNZERO_MAX_FILE_MB MiB when that is set, else 2 GiB (MNIST's largest file is 47 MB
// inflated). Larger inputs are refused before they are read, or as soon as they pass the
// limit where the size is not known in advance (a pipe, gzip data), so that no file can make
// nnzero allocate without bound. Throws when the variable is not a positive integer.
inline constexpr int64_t kDefaultMaxFileBytes = int64_t{2048} << 20;
int64_t max_file_bytes();
// The bytes of the file at `path` as stored, at most `limit` of them: a larger file is an
// Error that names `limit_name` ("the limit of N MiB (NNZERO_MAX_FILE_MB raises it)" when
// empty). Regular files and pipes are read to their end; folders and devices (/dev/zero, a
// terminal) are refused with a message that says what they are.
std::vector<uint8_t> read_file_bytes(const std::string& path, int64_t limit,
                                     const std::string& limit_name = "");
// The file's bytes, read_file_bytes with max_file_bytes(); gzip data (magic 1f 8b) is
// decompressed transparently.
std::vector<uint8_t> read_file(const std::string& path);
// Receives a file's bytes piece by piece, in order.
using ByteSink = std::function<void(std::span<const uint8_t>)>;
// The file's bytes handed to `sink`; gzip data is decompressed on the way, in pieces, so
// that its inflated size is never held at once (MNIST's training images: 9.7 MB compressed,
// 47 MB inflated); a raw file is read whole and handed over as one piece.
void read_file_to(const std::string& path, const ByteSink& sink);
// Decompresses a gzip stream held in memory; `name` is used in error messages.
std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& name);
// The same, handing the inflated bytes to `sink` in pieces of at most 256 KiB.
void gunzip_to(std::span<const uint8_t> bytes, const std::string& name, const ByteSink& sink);
// Writes atomically: a temporary file of a unique name beside `path`, renamed into place;
// readers see the old file or the new one, never a part, and concurrent writers don't mix.
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);
void write_file_atomic(const std::string& path, const std::string& text);
// Creates the folder `dir` and its parents if missing; an Error naming it otherwise (a file
// in the way, no permission).
void make_directories(const std::string& dir);

}  // namespace nnzero
