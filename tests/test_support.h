// Helpers shared by the tests: temporary folders, running the nnzero binary, small datasets.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/io/image.h"
#include "nnzero/model/spec.h"
#include "nnzero/rng.h"
#include "nnzero/tensor.h"

namespace nnzero_test {

namespace fs = std::filesystem;

// A fresh folder under the system's temporary folder, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "nnzero-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// n values uniform in [-1, 1).
inline std::vector<float> random_vector(nnzero::Rng& rng, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

// Every element of got within 1e-4 of want, relative to want's largest magnitude (at least 1):
// float sums taken in another order differ by about that much.
inline void expect_close(const nnzero::Tensor& got, const nnzero::Tensor& want,
                         const std::string& what) {
  ASSERT_EQ(got.numel(), want.numel()) << what;
  float scale = 1.0f;
  for (int64_t i = 0; i < want.numel(); ++i) scale = std::max(scale, std::abs(want[i]));
  for (int64_t i = 0; i < want.numel(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-4f * scale) << what << " element " << i;
  }
}

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void spit(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct CliResult {
  int exit_code = -1;
  std::string out, err;
  // The last line of stdout parsed as JSON (the command's result), or null.
  nlohmann::json json() const {
    std::istringstream in(out);
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    try {
      return nlohmann::json::parse(last);
    } catch (const nlohmann::json::exception&) {
      return nullptr;
    }
  }
};

// Runs `<program> <args>` (through the shell, in `dir`), capturing both streams.
inline CliResult run_program(const std::string& program, const std::string& args,
                             const ScratchDir& dir) {
  const std::string out = dir / "cli.stdout", err = dir / "cli.stderr";
  const std::string command = "cd '" + dir.path().string() + "' && '" + program + "' " + args +
                              " >'" + out + "' 2>'" + err + "' </dev/null";
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// Runs `nnzero <args>` (through the shell, in `dir`), capturing both streams.
inline CliResult run_cli(const std::string& args, const ScratchDir& dir) {
  return run_program(std::string(NNZERO_BINARY_DIR) + "/nnzero", args, dir);
}

// Width and height of a PNG, after checking its signature and that the whole file decodes.
inline std::pair<int64_t, int64_t> png_size(const std::string& path) {
  const std::vector<uint8_t> bytes = nnzero::read_file(path);
  EXPECT_GE(bytes.size(), 8u);
  EXPECT_EQ(std::string(bytes.begin() + 1, bytes.begin() + 4), "PNG") << path;
  const nnzero::GrayImage image = nnzero::decode_image(bytes, path);
  return {image.width, image.height};
}

// gzip (RFC 1952) of `raw`, as `gzip -9` writes it: deflate with the gzip wrapper.
inline std::vector<uint8_t> gzip(const std::vector<uint8_t>& raw) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(raw.size())));
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

// Sets an environment variable for the scope of a test (unset when it ends).
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

// The message of the nnzero::Error that f throws ("" and a test failure if it throws none;
// other exceptions fail the test).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const nnzero::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an nnzero::Error";
  return "";
}

// A small encoder-decoder (model/seq2seq.h): 9 characters, embeddings of 5, LSTMs of 6,
// questions of 4, answers of 3 with the start character.
inline nnzero::ModelSpec small_seq2seq_spec(const std::string& decoder, bool reverse = false,
                                            bool bidirectional = false) {
  nnzero::ModelSpec s;
  s.name = decoder + "_test";
  s.seq2seq = nnzero::Seq2seqSpec{.decoder = decoder,
                                  .vocab = 9,
                                  .wordvec = 5,
                                  .hidden = 6,
                                  .question = 4,
                                  .answer = 3,
                                  .reverse = reverse,
                                  .bidirectional = bidirectional};
  s.input = nnzero::Shape{4 + 3 - 1};
  return s;
}

}  // namespace nnzero_test

// EXPECT that `text` contains `part`, showing both when it does not.
#define EXPECT_HAS(text, part)                               \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "\"" << (text) << "\" lacks \"" << (part) << "\""
