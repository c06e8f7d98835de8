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

// The file's bytes; gzip data (magic 1f 8b) is decompressed transparently.
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
// Writes atomically (temporary file + rename).
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);
void write_file_atomic(const std::string& path, const std::string& text);
// Creates the folder `dir` and its parents if missing; an Error naming it otherwise (a file
// in the way, no permission).
void make_directories(const std::string& dir);

}  // namespace nnzero
