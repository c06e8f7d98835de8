// IDX files (raw and gzipped) and the MNIST loader: tiny files written by the test, every kind
// of bad input with a message that names the file and the problem, and the real MNIST.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "nnzero/data/dataset.h"
#include "nnzero/data/mnist.h"
#include "nnzero/io/file.h"
#include "nnzero/io/idx.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::gzip;
namespace fs = std::filesystem;

namespace {
using Bytes = std::vector<uint8_t>;

// The message contains every one of `parts`; a failure reports the line of the macro.
void expect_message_has(const std::string& msg, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(msg.find(part), std::string::npos) << "\"" << part << "\" missing from: " << msg;
  }
}
#define EXPECT_MESSAGE_HAS(msg, ...)          \
  do {                                        \
    SCOPED_TRACE("message check");            \
    expect_message_has((msg), {__VA_ARGS__}); \
  } while (0)

void put_be32(Bytes& b, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<uint8_t>(v >> shift));
}

// An IDX file of unsigned bytes: 00 00 08 <ndim>, the sizes, the data.
Bytes make_idx(const std::vector<uint32_t>& dims, const Bytes& data, uint8_t type = 0x08) {
  Bytes b{0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) put_be32(b, d);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// Three 2x3 images with pixel values 0, 10, ..., 170 and their labels 0, 7, 3.
Bytes tiny_pixels() {
  Bytes p(18);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<uint8_t>(10 * i);
  return p;
}
Bytes tiny_images() {
  return make_idx({3, 2, 3}, tiny_pixels());
}
Bytes tiny_labels() {
  return make_idx({3}, {0, 7, 3});
}

class IdxFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("nnzero_test_idx_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const Bytes& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << path;
    return path;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};
}  // namespace

// --- valid files ---

TEST(ParseIdx, ValidImages) {
  const IdxArray a = parse_idx(tiny_images(), "mem");
  EXPECT_EQ(a.dims, (std::vector<int64_t>{3, 2, 3}));
  EXPECT_EQ(a.data, tiny_pixels());
}

TEST(ParseIdx, ValidLabelsAndEmptyArray) {
  const IdxArray labels = parse_idx(tiny_labels(), "mem");
  EXPECT_EQ(labels.dims, (std::vector<int64_t>{3}));
  EXPECT_EQ(labels.data, (Bytes{0, 7, 3}));
  const IdxArray empty = parse_idx(make_idx({0, 28, 28}, {}), "mem");
  EXPECT_EQ(empty.dims, (std::vector<int64_t>{0, 28, 28}));
  EXPECT_TRUE(empty.data.empty());
}

// The message of the nnzero::Error f throws, "" if it throws none.
template <class F>
std::string error_or_empty(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// IdxStream fed in pieces of `piece` bytes: the dimensions and data, or the error.
std::string stream_in_pieces(const Bytes& bytes, size_t piece, IdxArray& out) {
  out = {};
  IdxStream s("mem", [&](std::span<const uint8_t> d) {
    out.data.insert(out.data.end(), d.begin(), d.end());
  });
  return error_or_empty([&] {
    for (size_t at = 0; at < bytes.size(); at += piece) {
      s.feed(std::span<const uint8_t>(bytes).subspan(at, std::min(piece, bytes.size() - at)));
    }
    s.finish();
    out.dims = s.dims();
  });
}

TEST(IdxStream, AnyPieceSizeGivesWhatParseIdxGives) {
  Bytes truncated = tiny_images();
  truncated.resize(truncated.size() - 5);
  Bytes trailing = tiny_labels();
  trailing.push_back(4);
  const std::vector<Bytes> inputs = {
      tiny_images(),
      tiny_labels(),
      make_idx({0, 28, 28}, {}),
      truncated,
      trailing,
      Bytes{0, 0, 8, 3, 0, 0, 0, 3, 0, 0},  // header cut inside the second size
      Bytes{0, 0, 8},                       // shorter than the magic number
      Bytes{},
      Bytes{0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5},  // wrong magic
      make_idx({3}, {1, 2, 3}, 0x0D),                // floats: unsupported
      Bytes{0, 0, 8, 0},                             // no dimensions
      make_idx({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1, 2}),
      make_idx({65536, 65536, 0xFFFFFFFF}, Bytes(3, 0)),
      make_idx({2, 0, 5}, {}),
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    IdxArray whole;
    const std::string whole_error = error_or_empty([&] { whole = parse_idx(inputs[k], "mem"); });
    for (size_t piece : {size_t{1}, size_t{3}, size_t{5}, size_t{1000}}) {
      IdxArray streamed;
      const std::string error = stream_in_pieces(inputs[k], piece, streamed);
      EXPECT_EQ(error, whole_error) << "input " << k << ", pieces of " << piece;
      if (whole_error.empty()) {
        EXPECT_EQ(streamed.dims, whole.dims) << "input " << k << ", pieces of " << piece;
        EXPECT_EQ(streamed.data, whole.data) << "input " << k << ", pieces of " << piece;
      }
    }
  }
}

TEST_F(IdxFiles, ReadRawAndGzipped) {
  const std::string raw = write("images", tiny_images());
  const std::string gz = write("images.gz", gzip(tiny_images()));
  for (const std::string& p : {raw, gz}) {
    const IdxArray a = read_idx(p);
    EXPECT_EQ(a.dims, (std::vector<int64_t>{3, 2, 3})) << p;
    EXPECT_EQ(a.data, tiny_pixels()) << p;
  }
  // read_file decompresses transparently; gunzip does the same in memory.
  EXPECT_EQ(read_file(gz), tiny_images());
  EXPECT_EQ(gunzip(gzip(tiny_images()), "mem"), tiny_images());
}

TEST(Gunzip, LargeAndHighlyCompressible) {
  // 5 MB of zeros compresses ~1000:1: the output buffer must grow many times.
  Bytes raw(5'000'000, 0);
  raw[123'456] = 7;
  raw.back() = 9;
  EXPECT_EQ(gunzip(gzip(raw), "zeros"), raw);
}

TEST_F(IdxFiles, LoadIdxDataset) {
  const std::string images = write("imgs.gz", gzip(tiny_images()));
  const std::string labels = write("lbls", tiny_labels());
  const Dataset d = load_idx_dataset(images, labels);
  EXPECT_EQ(d.size(), 3);
  EXPECT_TRUE((d.sample_shape == Shape{1, 2, 3}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 7, 3}));
  EXPECT_EQ(d.num_classes, 8);  // largest label + 1
  ASSERT_EQ(d.pixels.size(), 3);
  Bytes all;
  for (int64_t i = 0; i < 3; ++i) {
    const Bytes image = d.pixels.unpack(i);
    all.insert(all.end(), image.begin(), image.end());
  }
  EXPECT_EQ(all, tiny_pixels());
  // Sample 1 scaled to [0, 1]: pixels 60, 70, ..., 110.
  Tensor x;
  const std::vector<int32_t> idx{1};
  gather_images(d, idx, Shape{6}, x);
  ASSERT_TRUE((x.shape() == Shape{1, 6}));
  for (int64_t j = 0; j < 6; ++j) EXPECT_NEAR(x[j], (60.0f + 10.0f * j) / 255.0f, 1e-7f);
}

TEST_F(IdxFiles, LoadMnistFolderRawOrGz) {
  write("train-images-idx3-ubyte.gz", gzip(tiny_images()));
  write("train-labels-idx1-ubyte", tiny_labels());
  write("t10k-images-idx3-ubyte", make_idx({1, 2, 3}, Bytes(6, 255)));
  write("t10k-labels-idx1-ubyte.gz", gzip(make_idx({1}, {9})));
  const Mnist m = load_mnist(dir_.string());
  EXPECT_EQ(m.train.size(), 3);
  EXPECT_EQ(m.test.size(), 1);
  EXPECT_EQ(m.test.labels, (std::vector<int32_t>{9}));
  // Both splits get the larger class count.
  EXPECT_EQ(m.train.num_classes, 10);
  EXPECT_EQ(m.test.num_classes, 10);
  // The raw file wins over the .gz when both exist.
  write("train-labels-idx1-ubyte.gz", gzip(make_idx({3}, {1, 1, 1})));
  EXPECT_EQ(find_idx_file(dir_.string(), "train-labels-idx1-ubyte"),
            path("train-labels-idx1-ubyte"));
  EXPECT_EQ(find_idx_file(dir_.string(), "train-images-idx3-ubyte"),
            path("train-images-idx3-ubyte.gz"));
}

// --- bad input: each error names the file and the problem ---

TEST_F(IdxFiles, MissingFile) {
  const std::string p = path("no-such-file");
  const std::string msg = error_of([&] { (void)read_idx(p); });
  EXPECT_MESSAGE_HAS(msg, p, "cannot open");
  const std::string folder = error_of([&] { (void)load_mnist(dir_.string()); });
  EXPECT_MESSAGE_HAS(folder, path("train-images-idx3-ubyte"), "train-images-idx3-ubyte.gz",
                     "missing");
}

TEST_F(IdxFiles, FolderInsteadOfFile) {
  const std::string msg = error_of([&] { (void)read_idx(dir_.string()); });
  EXPECT_MESSAGE_HAS(msg, dir_.string(), "is a folder");
}

TEST_F(IdxFiles, WrongMagicNumber) {
  Bytes b = tiny_labels();
  b[0] = 0x12;
  b[1] = 0x34;
  const std::string p = write("bad-magic", b);
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "wrong magic number", "0x12340801");
  // A text file, and a file shorter than the magic number itself.
  const std::string text = write("text", Bytes{'h', 'e', 'l', 'l', 'o'});
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(text); }), text, "wrong magic number");
  const std::string tiny = write("tiny", Bytes{0, 0});
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(tiny); }), tiny, "not an IDX file");
  const std::string empty = write("empty", Bytes{});
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(empty); }), empty, "0 bytes");
}

TEST_F(IdxFiles, UnsupportedType) {
  // 0x0D is float32 in the IDX format: valid IDX, but not what nnzero reads.
  const std::string p = write("floats", make_idx({3}, Bytes(12, 0), 0x0D));
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "unsupported IDX element type",
                     "0x00000d01");
}

TEST_F(IdxFiles, ZeroDimensions) {
  const std::string p = write("nodims", Bytes{0, 0, 8, 0});
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "0 dimensions");
}

TEST_F(IdxFiles, TruncatedData) {
  Bytes b = tiny_images();
  b.resize(b.size() - 5);
  const std::string p = write("truncated", b);
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "3x2x3 = 18 bytes", "holds 13",
                     "truncated");
}

TEST_F(IdxFiles, TruncatedHeader) {
  // Three dimensions announced, the file ends inside the second size.
  const std::string p = write("short-header", Bytes{0, 0, 8, 3, 0, 0, 0, 3, 0, 0});
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "truncated header", "16 bytes");
}

TEST_F(IdxFiles, HugeDimensionsDoNotOverflow) {
  // 2^32-1 cubed overflows 64 bits; the check must still say "truncated", not accept it.
  const std::string p = write("huge", make_idx({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {1, 2}));
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "4294967295x", "truncated");
  // 2^16 x 2^16 x 2^32 = 2^64 wraps to 0 in 64-bit arithmetic: it must not pass as an
  // empty array.
  const std::string wrap = write("wrap", make_idx({65536, 65536, 0xFFFFFFFF}, Bytes(3, 0)));
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(wrap); }), wrap, "truncated");
}

TEST_F(IdxFiles, TrailingBytes) {
  Bytes b = tiny_labels();
  b.push_back(4);
  b.push_back(5);
  const std::string p = write("trailing", b);
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "= 3 bytes", "the file holds more",
                     "trailing bytes");
}

// Issue 17: a gzip bomb, a small header followed by a flood of zeros, was inflated and kept
// whole (up to the 2 GiB limit: 2.1 GB resident) before its size was compared with the
// header's. Data past the header's promise is now refused as it arrives: the sink never
// receives more than the header promised, and inflating stops there.
TEST_F(IdxFiles, GzipBombBehindASmallHeaderIsRefusedAsItInflates) {
  Bytes raw = make_idx({10}, Bytes(10, 1));
  raw.resize(raw.size() + 20'000'000, 0);
  const std::string p = write("bomb.gz", gzip(raw));
  uint64_t seen = 0;
  const std::string e =
      error_of([&] { read_idx_to(p, [&](std::span<const uint8_t> d) { seen += d.size(); }); });
  EXPECT_MESSAGE_HAS(e, p, "header promises 10 = 10 bytes of data", "the file holds more",
                     "trailing bytes");
  EXPECT_EQ(seen, 0u);  // the first inflated piece already holds more than 10 bytes
  // The labels of a dataset: the header must promise one label per image before any is kept.
  const std::string images = write("imgs", tiny_images());
  Bytes many = make_idx({3'000'000}, {});
  many.resize(many.size() + 3'000'000, 0);
  const std::string labels = write("many-labels.gz", gzip(many));
  EXPECT_MESSAGE_HAS(error_of([&] { (void)load_idx_dataset(images, labels); }), images, labels,
                     "3 images", "3000000 labels");
}

TEST_F(IdxFiles, ImagesAndLabelsCountsDiffer) {
  const std::string images = write("imgs", tiny_images());
  const std::string labels = write("lbls", make_idx({4}, {1, 2, 3, 4}));
  EXPECT_MESSAGE_HAS(error_of([&] { (void)load_idx_dataset(images, labels); }), images, labels,
                     "3 images", "4 labels");
}

TEST_F(IdxFiles, WrongNumberOfDimensions) {
  const std::string flat = write("flat", make_idx({3, 6}, tiny_pixels()));
  const std::string labels = write("lbls", tiny_labels());
  EXPECT_MESSAGE_HAS(error_of([&] { (void)load_idx_dataset(flat, labels); }), flat,
                     "expected 3 dimensions", "got 2");
  const std::string images = write("imgs", tiny_images());
  const std::string square = write("lbls2", make_idx({3, 1}, {0, 7, 3}));
  EXPECT_MESSAGE_HAS(error_of([&] { (void)load_idx_dataset(images, square); }), square,
                     "expected 1 dimension");
}

TEST_F(IdxFiles, CorruptGzipGarbageAfterHeader) {
  // A valid 10-byte gzip header (magic, deflate, no flags, mtime, xfl, OS) and then bytes
  // that are not a deflate stream.
  Bytes b{0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03};
  for (int i = 0; i < 64; ++i) b.push_back(static_cast<uint8_t>(0xff - i));
  const std::string p = write("garbage.gz", b);
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "corrupt gzip stream");
  // A gzip header that does not announce deflate (method 7).
  Bytes method = b;
  method[2] = 7;
  const std::string q = write("method.gz", method);
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(q); }), q, "corrupt gzip stream");
}

TEST_F(IdxFiles, CorruptGzipTruncated) {
  const Bytes gz = gzip(make_idx({200}, Bytes(200, 42)));
  for (size_t keep : {gz.size() / 2, gz.size() - 1, size_t{2}, size_t{10}}) {
    const std::string p = write("cut.gz", Bytes(gz.begin(), gz.begin() + keep));
    EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "corrupt gzip stream", "truncated");
  }
}

TEST_F(IdxFiles, CorruptGzipChecksum) {
  // Flip a bit of the CRC-32 in the trailer: the data inflates but does not check out.
  Bytes gz = gzip(tiny_images());
  gz[gz.size() - 6] ^= 0x01;
  const std::string p = write("crc.gz", gz);
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "corrupt gzip stream");
}

TEST_F(IdxFiles, ConcatenatedGzipMembers) {
  // `cat a.gz b.gz` is a valid gzip file holding a then b (RFC 1952, section 2.2).
  const Bytes whole = tiny_images();
  const Bytes head(whole.begin(), whole.begin() + 7), tail(whole.begin() + 7, whole.end());
  Bytes gz = gzip(head);
  const Bytes second = gzip(tail);
  gz.insert(gz.end(), second.begin(), second.end());
  const std::string p = write("two-members.gz", gz);
  const IdxArray a = read_idx(p);
  EXPECT_EQ(a.data, tiny_pixels());
}

TEST_F(IdxFiles, GarbageAfterGzipStream) {
  // Bytes after the end of the gzip stream that are not another member: an error, not
  // silently ignored.
  Bytes gz = gzip(tiny_images());
  gz.push_back(0x00);
  gz.push_back(0x42);
  const std::string p = write("trailing.gz", gz);
  EXPECT_MESSAGE_HAS(error_of([&] { (void)read_idx(p); }), p, "after the end");
}

// --- the real MNIST from the shared data folder ---

namespace {
const Mnist& real_mnist(const std::string& dir) {
  static const Mnist m = load_mnist(dir);
  return m;
}

std::string sha256_hex(const Bytes& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr), 1);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < len; ++i) {
    s += hex[md[i] >> 4];
    s += hex[md[i] & 15];
  }
  return s;
}
}  // namespace

TEST(RealMnist, SizesShapesAndClasses) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist& m = real_mnist(dir);
  EXPECT_EQ(m.train.size(), 60000);
  EXPECT_EQ(m.test.size(), 10000);
  EXPECT_TRUE((m.train.sample_shape == Shape{1, 28, 28}));
  EXPECT_TRUE((m.test.sample_shape == Shape{1, 28, 28}));
  EXPECT_EQ(m.train.pixels.size(), 60000);
  EXPECT_EQ(m.test.pixels.size(), 10000);
  EXPECT_EQ(m.train.pixels.image_size(), 784);
  EXPECT_EQ(m.train.num_classes, 10);
  EXPECT_EQ(m.test.num_classes, 10);
}

TEST(RealMnist, LabelCounts) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist& m = real_mnist(dir);
  std::vector<int> train(10, 0), test(10, 0);
  for (int32_t l : m.train.labels) ++train[static_cast<size_t>(l)];
  for (int32_t l : m.test.labels) ++test[static_cast<size_t>(l)];
  // shared/data/README.md
  EXPECT_EQ(train, (std::vector<int>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(test, (std::vector<int>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  // The first labels, as every MNIST tutorial shows them.
  EXPECT_EQ(std::vector<int32_t>(m.train.labels.begin(), m.train.labels.begin() + 5),
            (std::vector<int32_t>{5, 0, 4, 1, 9}));
  EXPECT_EQ(std::vector<int32_t>(m.test.labels.begin(), m.test.labels.begin() + 5),
            (std::vector<int32_t>{7, 2, 1, 0, 4}));
}

TEST(RealMnist, DecompressedBytesMatchTheChecksums) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  // shared/data/README.md: SHA-256 of the uncompressed files.
  const std::pair<const char*, const char*> files[] = {
      {"t10k-images-idx3-ubyte",
       "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
      {"t10k-labels-idx1-ubyte",
       "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
      {"train-labels-idx1-ubyte",
       "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
  };
  for (const auto& [base, sha] : files) {
    EXPECT_EQ(sha256_hex(read_file(find_idx_file(dir, base))), sha) << base;
  }
}

TEST(RealMnist, PixelsScaledIntoUnitInterval) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist& m = real_mnist(dir);
  std::vector<int32_t> idx(1000);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>(i * 60);
  Tensor x;
  gather_images(m.train, idx, Shape{784}, x);
  ASSERT_TRUE((x.shape() == Shape{1000, 784}));
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  EXPECT_EQ(*lo, 0.0f);
  EXPECT_LE(*hi, 1.0f);
  EXPECT_GT(*hi, 0.999f);  // MNIST digits have saturated strokes
  // Each value is its byte / 255.
  for (size_t i = 0; i < idx.size(); i += 97) {
    const Bytes image = m.train.pixels.unpack(idx[i]);
    for (int64_t j = 0; j < 784; ++j) {
      ASSERT_NEAR(x.at(static_cast<int64_t>(i), j), image[static_cast<size_t>(j)] / 255.0f, 1e-7f);
    }
  }
}

TEST(RealMnist, GatherFlatAndNchwAgree) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist& m = real_mnist(dir);
  const std::vector<int32_t> idx{0, 9999, 42};
  Tensor flat, nchw;
  gather_images(m.test, idx, Shape{784}, flat);
  gather_images(m.test, idx, Shape{1, 28, 28}, nchw);
  ASSERT_TRUE((flat.shape() == Shape{3, 784}));
  ASSERT_TRUE((nchw.shape() == Shape{3, 1, 28, 28}));
  for (int64_t n = 0; n < 3; ++n) {
    for (int64_t h = 0; h < 28; ++h) {
      for (int64_t w = 0; w < 28; ++w) {
        ASSERT_EQ(nchw.at(n, 0, h, w), flat.at(n, h * 28 + w));
      }
    }
  }
  // The order of `idx` is kept: row 1 is sample 9999.
  EXPECT_NEAR(flat.at(1, 14 * 28 + 14), m.test.pixels.unpack(9999)[14 * 28 + 14] / 255.0f, 1e-7f);
  // A shape with the wrong number of values is refused, naming both shapes.
  const std::string msg = error_of([&] { gather_images(m.test, idx, Shape{28, 27}, flat); });
  EXPECT_MESSAGE_HAS(msg, "(1, 28, 28)", "(28, 27)");
}

TEST(RealMnist, OneHot) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist& m = real_mnist(dir);
  std::vector<int32_t> labels;
  const std::vector<int32_t> idx{0, 1, 2, 3};
  gather_labels(m.train, idx, labels);
  EXPECT_EQ(labels, (std::vector<int32_t>{5, 0, 4, 1}));
  const Tensor t = one_hot(labels, m.train.num_classes);
  ASSERT_TRUE((t.shape() == Shape{4, 10}));
  for (int64_t r = 0; r < 4; ++r) {
    for (int64_t c = 0; c < 10; ++c) {
      EXPECT_EQ(t.at(r, c), c == labels[static_cast<size_t>(r)] ? 1.0f : 0.0f);
    }
  }
  const std::vector<int32_t> bad{3, 10};
  EXPECT_MESSAGE_HAS(error_of([&] { (void)one_hot(bad, 10); }), "label 10", "[0, 10)");
}
