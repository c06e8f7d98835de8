// Test helpers for `nnzero data fetch`: temporary folders, a local HTTP server
// (`python3 -m http.server` on 127.0.0.1, a free port), gzip and SHA-512 for the files it
// serves, and running the nnzero binary.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_data_dir.h"
#include "test_support.h"

namespace nnzero_test {

namespace fs = std::filesystem;

// The MNIST folder the tests read (test_data_dir.h), or "" after marking the test skipped
// (failed when NNZERO_REQUIRE_DATA=1).
inline std::string shared_mnist_dir() {
  return mnist_dir();
}

// A fresh folder under the system's temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "nnzero-fetch-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

// Names of the entries in `dir`, sorted ([] when it does not exist).
inline std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

// Base64 of the SHA-512 of `bytes`: an npm "integrity" value without its "sha512-" prefix.
inline std::string sha512_base64(const std::vector<uint8_t>& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha512(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  std::string b64(4 * ((length + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), digest,
                                static_cast<int>(length));
  b64.resize(static_cast<size_t>(n));
  return b64;
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

inline bool port_answers(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// `python3 -m http.server` serving `root` on 127.0.0.1; stopped on destruction.
class HttpServer {
 public:
  explicit HttpServer(const fs::path& root) {
    // Keep any proxy settings of the environment away from the loopback address.
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) start(root);
    if (pid_ <= 0) throw std::runtime_error("python3 -m http.server did not start");
  }
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer() { stop(); }

  // "http://127.0.0.1:<port>/"
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  void start(const fs::path& root) {
    port_ = free_port();
    const std::string port = std::to_string(port_);
    const pid_t pid = fork();
    if (pid < 0) return;
    if (pid == 0) {
      const std::string log = (root.parent_path() / "http-server.log").string();
      if (freopen(log.c_str(), "w", stdout) == nullptr) _exit(126);
      dup2(STDOUT_FILENO, STDERR_FILENO);
      execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
             root.c_str(), port.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Wait until it answers, or until it has died (port taken after all: try another).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (port_answers(port_)) {
        pid_ = pid;
        return;
      }
      if (waitpid(pid, nullptr, WNOHANG) == pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

// A URL on 127.0.0.1 where nothing listens: connection refused.
inline std::string dead_url() {
  return "http://127.0.0.1:" + std::to_string(free_port()) + "/";
}

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
  // The last non-empty line of stdout.
  std::string last_line() const {
    std::istringstream in(out);
    std::string line, last;
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    return last;
  }
};

// Runs `<env> <nnzero binary> <args>` through the shell, capturing both streams in `scratch`.
inline CommandResult run_nnzero(const std::string& args, const fs::path& scratch,
                                const std::string& env = "") {
  const fs::path out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string command = (env.empty() ? "" : "env " + env + " ") +
                              std::string(NNZERO_BINARY_DIR) + "/nnzero " + args + " >" +
                              out.string() + " 2>" + err.string() + " </dev/null";
  const int status = std::system(command.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

}  // namespace nnzero_test

// Declares `const std::string var` holding the shared MNIST folder, or returns from the test.
#define FETCH_MNIST_DIR_OR_SKIP(var)                         \
  const std::string var = ::nnzero_test::shared_mnist_dir(); \
  if (var.empty()) return
