// Reading and writing whole files, with errors that name the file. Writes go to a temporary
// file in the same folder that is renamed over the target only when complete, so a crash or
// a full disk never leaves a half-written file under the final name.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nnzero {

// The file's bytes; gzip data (magic 1f 8b) is decompressed transparently.
std::vector<uint8_t> read_file(const std::string& path);
// Decompresses a gzip stream held in memory; `name` is used in error messages.
std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& name);
// Writes atomically (temporary file + rename).
void write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);
void write_file_atomic(const std::string& path, const std::string& text);
// Creates the folder `dir` and its parents if missing; an Error naming it otherwise (a file
// in the way, no permission).
void make_directories(const std::string& dir);

}  // namespace nnzero
