// CIFAR-10's binary version: the batch files read as an image folder (data/cifar_binary.h),
// and `nnzero data fetch cifar10` (net/fetch.h) from a local HTTP server serving a small
// archive of the official layout (a few records a batch), made here with tar. No test needs
// the internet or the 170 MB archive.
#include <gtest/gtest.h>

#include "fetch_support.h"
#include "nnzero/data/cifar_binary.h"
#include "nnzero/io/file.h"
#include "nnzero/net/fetch.h"

namespace {

using namespace nnzero;
using namespace nnzero_test;

const std::vector<std::string> kCifarClasses = {"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};

// `n` records: record i has label (first_label + i) % 10 and every byte of its image set
// from (i, first_label), so that each record can be told from the others.
std::vector<uint8_t> cifar_records(int n, int first_label) {
  std::vector<uint8_t> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(static_cast<uint8_t>((first_label + i) % 10));
    for (int k = 0; k < kCifarRecord - 1; ++k) {
      out.push_back(static_cast<uint8_t>((k * 7 + i * 31 + first_label * 13) % 256));
    }
  }
  return out;
}

// The batch files in `dir`: five training batches of 3 records and a test batch of 4.
void write_cifar_batches(const fs::path& dir) {
  fs::create_directories(dir);
  for (int b = 1; b <= 5; ++b) {
    write_bytes(dir / ("data_batch_" + std::to_string(b) + ".bin"), cifar_records(3, b));
  }
  write_bytes(dir / "test_batch.bin", cifar_records(4, 7));
  std::string names;
  for (const std::string& c : kCifarClasses) names += c + "\n";
  write_text(dir / "batches.meta.txt", names + "\n");
}

// The file's bytes as stored (read_file would inflate the gzip archive).
std::vector<uint8_t> raw_bytes(const fs::path& path) {
  return read_file_bytes(path.string(), max_file_bytes());
}

ImageFolder load_cifar(const fs::path& dir, Shape input = Shape{3, 32, 32}) {
  ImageFolderOptions o;
  o.input = input;
  return load_image_folder(dir.string(), o);
}

}  // namespace

TEST(CifarBinary, RecordsBecomeSamplesAsTheyAreInTheFilesOrder) {
  TempDir tmp;
  write_cifar_batches(tmp.path());
  ASSERT_TRUE(is_image_folder(tmp.str()));
  const ImageFolder f = load_cifar(tmp.path());
  EXPECT_EQ(f.classes, kCifarClasses);
  ASSERT_EQ(f.train.size(), 15);
  ASSERT_EQ(f.test.size(), 4);
  EXPECT_EQ(f.train.num_classes, 10);
  EXPECT_EQ(f.test.num_classes, 10);
  // Training sample 4 is batch 2's record 1; the bytes are the record's, planes R, G, B.
  const std::vector<uint8_t> batch2 = cifar_records(3, 2);
  EXPECT_EQ(f.train.labels[4], 3);
  const std::vector<uint8_t> px = f.train.pixels.unpack(4);
  EXPECT_TRUE(std::equal(px.begin(), px.end(), batch2.begin() + kCifarRecord + 1));
  EXPECT_EQ(f.test.labels, (std::vector<int32_t>{7, 8, 9, 0}));
  // Statistics from the training images, shared by the test set.
  ASSERT_EQ(f.train.norm.mean.size(), 3u);
  double red = 0;
  for (int64_t i = 0; i < f.train.size(); ++i) {
    const std::vector<uint8_t> p = f.train.pixels.unpack(i);
    for (int k = 0; k < 1024; ++k) red += p[static_cast<size_t>(k)];
  }
  EXPECT_NEAR(f.train.norm.mean[0], red / (15 * 1024) / 255.0, 1e-6);
  EXPECT_EQ(f.test.norm.mean, f.train.norm.mean);
}

TEST(CifarBinary, GreyOrSmallerInputsAreMadeAsFromADecodedPhoto) {
  TempDir tmp;
  write_cifar_batches(tmp.path());
  // A solid colour record: R 200, G 100, B 50 -> BT.601 grey 124.2, at any size.
  std::vector<uint8_t> solid = {1};
  for (const uint8_t v : {200, 100, 50}) solid.insert(solid.end(), 1024, v);
  write_bytes(tmp.path() / "test_batch.bin", solid);
  const ImageFolder grey = load_cifar(tmp.path(), Shape{1, 16, 16});
  ASSERT_EQ(grey.test.size(), 1);
  const std::vector<uint8_t> px = grey.test.pixels.unpack(0);
  ASSERT_EQ(px.size(), 256u);
  for (const uint8_t v : px) ASSERT_EQ(v, 124);
  // Evaluation alone reads test_batch.bin only and leaves the statistics to the model file.
  ImageFolderOptions o;
  o.input = Shape{3, 32, 32};
  o.test_only = true;
  const ImageFolder test = load_image_folder(tmp.str(), o);
  EXPECT_EQ(test.train.size(), 0);
  EXPECT_EQ(test.test.size(), 1);
  EXPECT_TRUE(test.test.norm.mean.empty());
}

TEST(CifarBinary, BadBatchesAreRefusedNamingTheFile) {
  TempDir tmp;
  write_cifar_batches(tmp.path());
  std::vector<uint8_t> cut = cifar_records(2, 0);
  cut.pop_back();
  write_bytes(tmp.path() / "data_batch_3.bin", cut);
  EXPECT_HAS(error_of([&] { load_cifar(tmp.path()); }),
             "data_batch_3.bin: 6145 bytes, not a whole number of CIFAR-10 records");
  write_cifar_batches(tmp.path());
  write_text(tmp.path() / "batches.meta.txt", "cat\ndog\n");
  EXPECT_HAS(error_of([&] { load_cifar(tmp.path()); }),
             "data_batch_1.bin: record 1 has label 2, but batches.meta.txt names 2 classes");
  write_text(tmp.path() / "batches.meta.txt", "a\n\nb\nc\nd\ne\nf\ng\nh\ni\nj\n");
  EXPECT_HAS(error_of([&] { load_cifar(tmp.path()); }),
             "batches.meta.txt: line 2 is blank, but class names follow it");
  fs::remove(tmp.path() / "batches.meta.txt");
  EXPECT_HAS(error_of([&] { load_cifar(tmp.path()); }), "batches.meta.txt: missing");
  write_cifar_batches(tmp.path());
  fs::remove(tmp.path() / "data_batch_2.bin");  // a gap would drop batches 3 to 5 unseen
  EXPECT_HAS(error_of([&] { load_cifar(tmp.path()); }),
             "data_batch_2.bin: missing (data_batch_5.bin is there)");
  write_cifar_batches(tmp.path());
  ImageFolderOptions o;
  o.input = Shape{3, 32, 32};
  o.val_split = 0.1;
  EXPECT_HAS(error_of([&] { load_image_folder(tmp.str(), o); }), "--val-split");
  EXPECT_HAS(error_of([&] { load_cifar(tmp.path(), Shape{2, 32, 32}); }), "1 or 3 channels");
}

namespace {

// A server root holding a small cifar-10-binary.tar.gz of the official layout, and the
// archive's description with the checksums of these files.
class FetchCifar10 : public ::testing::Test {
 protected:
  void SetUp() override {
    write_cifar_batches(tmp_.path() / "make" / "cifar-10-batches-bin");
    fs::create_directories(tmp_.path() / "srv");
    const std::string tar = "cd '" + (tmp_.path() / "make").string() +
                            "' && tar --format=ustar -czf ../srv/cifar-10-binary.tar.gz "
                            "cifar-10-batches-bin";
    ASSERT_EQ(std::system(tar.c_str()), 0);
    archive_ = cifar10_archive();
    archive_.sha256 = sha256_hex(raw_bytes(tmp_.path() / "srv/cifar-10-binary.tar.gz"));
    for (ArchiveMember& m : archive_.members) {
      if (!m.sha256.empty()) m.sha256 = sha256_hex(raw_bytes(made(m.name)));
    }
    server_ = std::make_unique<HttpServer>(tmp_.path() / "srv");
  }
  fs::path made(const std::string& name) const {
    return tmp_.path() / "make" / "cifar-10-batches-bin" / name;
  }
  fs::path out() const { return tmp_.path() / "out"; }
  FetchOptions options(std::vector<std::string> mirrors) const {
    FetchOptions o;
    o.mirrors = std::move(mirrors);
    o.quiet = true;
    return o;
  }

  TempDir tmp_;
  RemoteArchive archive_;
  std::unique_ptr<HttpServer> server_;
};

const std::vector<std::string> kMemberNames = {
    "batches.meta.txt", "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
    "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};  // sorted, as list_dir gives

}  // namespace

TEST_F(FetchCifar10, TakesTheBatchesOutOfTheArchiveAndTheyLoad) {
  const FetchResult r = fetch_archive(out().string(), options({server_->url()}), archive_);
  EXPECT_EQ(r.downloaded, 7);
  EXPECT_EQ(r.skipped, 0);
  EXPECT_EQ(r.sources[0], server_->url());
  // The members only: neither the archive nor a temporary file stays.
  EXPECT_EQ(list_dir(out()), kMemberNames);
  for (const std::string& name : kMemberNames) {
    EXPECT_EQ(raw_bytes(out() / name), raw_bytes(made(name))) << name;
  }
  const ImageFolder f = load_cifar(out());
  EXPECT_EQ(f.train.size(), 15);
  EXPECT_EQ(f.classes[3], "cat");

  // Everything there: nothing is downloaded (the server is gone).
  server_->stop();
  const FetchResult again = fetch_archive(out().string(), options({dead_url()}), archive_);
  EXPECT_EQ(again.downloaded, 0);
  EXPECT_EQ(again.skipped, 7);
}

TEST_F(FetchCifar10, AMissingBatchIsTakenOutAgainAndTheRestKept) {
  fetch_archive(out().string(), options({server_->url()}), archive_);
  fs::remove(out() / "data_batch_4.bin");
  const FetchResult r = fetch_archive(out().string(), options({server_->url()}), archive_);
  EXPECT_EQ(r.downloaded, 1);
  EXPECT_EQ(r.skipped, 6);
  EXPECT_EQ(list_dir(out()), kMemberNames);
}

TEST_F(FetchCifar10, AWrongArchiveIsRejectedAndLeavesNothing) {
  RemoteArchive other = archive_;
  other.sha256 = std::string(64, '0');
  EXPECT_HAS(error_of([&] {
               fetch_archive(out().string(), options({dead_url(), server_->url()}), other);
             }),
             "checksum mismatch for cifar-10-binary.tar.gz (expected sha256 " + other.sha256);
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{});
  // A member that is not what the description says: rejected before anything is written.
  other = archive_;
  other.members[2].sha256 = std::string(64, '1');
  EXPECT_HAS(error_of([&] { fetch_archive(out().string(), options({server_->url()}), other); }),
             "checksum mismatch for data_batch_3.bin");
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{});
}

TEST_F(FetchCifar10, AForeignFileUnderABatchNameIsNeitherUsedNorOverwritten) {
  fs::create_directories(out());
  write_text(out() / "test_batch.bin", "someone's data");
  EXPECT_HAS(error_of([&] { fetch_archive(out().string(), options({server_->url()}), archive_); }),
             "not a valid copy of CIFAR-10's test_batch.bin; move or delete it");
  EXPECT_EQ(read_text(out() / "test_batch.bin"), "someone's data");
}

TEST_F(FetchCifar10, TheCommandChecksTheOfficialChecksum) {
  // The command knows the real archive's SHA-256: this small one is rejected, naming both.
  const CommandResult r = run_nnzero(
      "data fetch cifar10 --dir " + out().string() + " --mirror " + server_->url(), tmp_.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("cannot fetch CIFAR-10 into " + out().string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checksum mismatch for cifar-10-binary.tar.gz (expected sha256 "
                       "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd, got " +
                       archive_.sha256 + ")"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(list_dir(out()), std::vector<std::string>{});
  // With the files in place (as a real fetch leaves them) the command skips the download.
  fetch_archive(out().string(), options({server_->url()}), archive_);
  server_->stop();
  const CommandResult skip = run_nnzero(
      "data fetch cifar10 --dir " + out().string() + " --mirror " + dead_url(), tmp_.path());
  // The command checks the official per-file checksums: these small files are not CIFAR-10.
  EXPECT_EQ(skip.exit_code, 2);
  EXPECT_NE(skip.err.find("not a valid copy of CIFAR-10's data_batch_1.bin"), std::string::npos)
      << skip.err;
}

// `nnzero bench` times a colour model on CIFAR-10's batches: from --data, or by default from
// $NNZERO_DATA/cifar10. Its batch-1000 throughput needs two test passes; a folder with fewer
// test images is refused with the counts it read (which shows the batches were loaded).
TEST(CifarBinary, BenchReadsTheBatchesForAColourModel) {
  TempDir tmp;
  write_cifar_batches(tmp.path() / "cifar10");
  const std::string counts =
      "2,000 test images (the first 1,000-image pass is not timed); "
      "the data has 15 and 4";
  const CommandResult given =
      run_nnzero("bench --model resnet_cifar --batch 4 --data " + (tmp.path() / "cifar10").string(),
                 tmp.path());
  EXPECT_EQ(given.exit_code, 2) << given.err;
  EXPECT_NE(given.err.find(counts), std::string::npos) << given.err;
  const CommandResult by_default = run_nnzero("bench --model alexnet_cifar --batch 4", tmp.path(),
                                              "NNZERO_DATA=" + tmp.path().string());
  EXPECT_EQ(by_default.exit_code, 2) << by_default.err;
  EXPECT_NE(by_default.err.find(counts), std::string::npos) << by_default.err;
}

// Without --data and without $NNZERO_DATA/cifar10, a colour model's bench says what it needs
// (not that MNIST's files are missing).
TEST(CifarBinary, BenchWithoutColourDataSaysWhatItNeeds) {
  TempDir tmp;
  const CommandResult r =
      run_nnzero("bench --model resnet_cifar", tmp.path(), "NNZERO_DATA=" + tmp.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cifar10: no image folder or CIFAR-10 batches for this colour model "
                       "(--data DIR, or `nnzero data fetch cifar10`)"),
            std::string::npos)
      << r.err;
}
