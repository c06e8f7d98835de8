// PackedImages: every image comes back exactly as appended, whatever its runs of zeros
// (gaps and runs longer than the 255 one byte counts, images that do not get smaller), and
// the real MNIST packs to under a third of its bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "nnzero/data/mnist.h"
#include "nnzero/data/packed_images.h"
#include "nnzero/io/idx.h"
#include "nnzero/rng.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using Bytes = std::vector<uint8_t>;

namespace {
// Images of `size` pixels, each pixel non-zero with probability `density`.
Bytes random_images(int64_t count, int64_t size, double density, uint64_t seed) {
  Rng rng(seed);
  Bytes b(static_cast<size_t>(count * size));
  for (uint8_t& p : b) {
    p = rng.uniform_double() < density ? static_cast<uint8_t>(1 + rng.below(255)) : 0;
  }
  return b;
}

void expect_round_trip(const Bytes& images, int64_t size) {
  const PackedImages packed = pack_images(images, size);
  ASSERT_EQ(packed.size(), static_cast<int64_t>(images.size()) / size);
  std::vector<float> scaled(static_cast<size_t>(size));
  for (int64_t i = 0; i < packed.size(); ++i) {
    const Bytes want(images.begin() + i * size, images.begin() + (i + 1) * size);
    ASSERT_EQ(packed.unpack(i), want) << "image " << i;
    scaled.assign(scaled.size(), -1.0f);  // unpack must write every value, zeros included
    packed.unpack(i, 0.5f, scaled.data());
    for (int64_t j = 0; j < size; ++j) {
      ASSERT_EQ(scaled[static_cast<size_t>(j)], 0.5f * want[static_cast<size_t>(j)])
          << "image " << i << ", pixel " << j;
    }
  }
}
}  // namespace

TEST(PackedImages, HandMadeImagesComeBack) {
  const int64_t n = 700;
  std::vector<Bytes> cases;
  cases.emplace_back(n, 0);    // all zero: no runs at all
  cases.emplace_back(n, 200);  // no zeros: runs longer than 255, kept raw
  Bytes gap(n, 0);             // a gap longer than 255, then a run of 300
  for (int64_t j = 380; j < 680; ++j) gap[static_cast<size_t>(j)] = static_cast<uint8_t>(j);
  gap[0] = 9;  // and a pixel before the gap
  cases.push_back(gap);
  Bytes alternating(n, 0);  // packing would grow it: kept raw
  for (int64_t j = 0; j < n; j += 2) alternating[static_cast<size_t>(j)] = 1;
  cases.push_back(alternating);
  Bytes last(n, 0);  // only the very last pixel
  last.back() = 255;
  cases.push_back(last);
  Bytes all;
  for (const Bytes& c : cases) all.insert(all.end(), c.begin(), c.end());
  expect_round_trip(all, n);
  // Raw images cost their size; a sparse one much less.
  EXPECT_EQ(pack_images(cases[1], n).stored_bytes(), size_t(n) + 2 * sizeof(uint64_t));
  EXPECT_LT(pack_images(cases[4], n).stored_bytes(), 2 * sizeof(uint64_t) + 300);
}

TEST(PackedImages, RandomImagesOfEveryDensityComeBack) {
  for (double density : {0.0, 0.05, 0.2, 0.5, 0.9, 1.0}) {
    SCOPED_TRACE(density);
    expect_round_trip(random_images(40, 784, density, 3), 784);
    expect_round_trip(random_images(40, 1, density, 4), 1);  // one-pixel images
  }
}

TEST(PackedImages, WrongSizeIsRefused) {
  PackedImages p(4);
  EXPECT_HAS(nnzero_test::error_of([&] { p.append(Bytes(5, 1)); }), "5 pixels, expected 4");
  EXPECT_HAS(nnzero_test::error_of([&] { (void)pack_images(Bytes(4, 1), 0); }),
             "at least one pixel");
}

TEST(PackedImages, RealMnistComesBackAndPacksToUnderAThird) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist m = load_mnist(dir);
  for (const auto& [data, base] : {std::pair{&m.train, "train-images-idx3-ubyte"},
                                   std::pair{&m.test, "t10k-images-idx3-ubyte"}}) {
    const IdxArray dense = read_idx(find_idx_file(dir, base));
    ASSERT_EQ(data->pixels.size(), dense.dims[0]) << base;
    for (int64_t i = 0; i < data->pixels.size(); ++i) {
      const auto at = dense.data.begin() + i * 784;
      ASSERT_TRUE(data->pixels.unpack(i) == Bytes(at, at + 784)) << base << " image " << i;
    }
    EXPECT_LT(data->pixels.stored_bytes(), dense.data.size() / 3) << base;
  }
}

TEST(PackedImages, CopiedAsStoredComeBack) {
  // subset() copies images as they are stored, packed or raw, without unpacking them.
  const Bytes images = random_images(30, 64, 0.3, 5);
  const Bytes raw = random_images(2, 64, 1.0, 6);  // no zeros: stored raw
  Bytes all = images;
  all.insert(all.end(), raw.begin(), raw.end());
  const PackedImages from = pack_images(all, 64);
  PackedImages copy(64);
  for (int64_t i = from.size(); i-- > 0;) copy.append(from, i);
  ASSERT_EQ(copy.size(), from.size());
  for (int64_t i = 0; i < from.size(); ++i) {
    EXPECT_EQ(copy.unpack(i), from.unpack(from.size() - 1 - i)) << i;
  }
  EXPECT_EQ(copy.stored_bytes(), from.stored_bytes());
  PackedImages other(63);
  EXPECT_HAS(nnzero_test::error_of([&] { other.append(from, 0); }), "64 pixels, expected 63");
}
