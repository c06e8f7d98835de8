// Data augmentation (data/augment.h): a crop of the zero-padded image is exactly a shift of
// at most the padding, a flip exactly a mirror; every shift and both flips occur; a sample's
// augmentation depends on (seed, epoch, sample) alone; bad settings are refused; and in
// training it changes the run, is set from the spec or the flags, and resumes bit for bit.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <utility>

#include "nnzero/data/augment.h"
#include "nnzero/data/mnist.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/train/trainer.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::ScratchDir;

namespace {
constexpr int64_t kC = 2, kH = 5, kW = 6;

// `n` copies of one (2, 5, 6) sample whose values 1..60 all differ (none is 0, the padding).
Tensor copies(int64_t n) {
  Tensor x(Shape{n, kC, kH, kW});
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t i = 0; i < kC * kH * kW; ++i) x[k * kC * kH * kW + i] = static_cast<float>(i + 1);
  }
  return x;
}

// Sample k of x, shifted back by (dx, dy) and mirrored back when `flip`, equals the original
// (and is 0 where the shift brought in padding).
bool is_shift(const Tensor& x, int64_t k, int64_t dx, int64_t dy, bool flip) {
  for (int64_t c = 0; c < kC; ++c) {
    for (int64_t y = 0; y < kH; ++y) {
      for (int64_t xx = 0; xx < kW; ++xx) {
        const int64_t sy = y - dy, sx = xx - dx;
        const bool inside = sy >= 0 && sy < kH && sx >= 0 && sx < kW;
        const float want =
            inside ? static_cast<float>(c * kH * kW + sy * kW + (flip ? kW - 1 - sx : sx) + 1)
                   : 0.0f;
        if (x[((k * kC + c) * kH + y) * kW + xx] != want) return false;
      }
    }
  }
  return true;
}

// The (dx, dy, flip) that sample k of x is, or dx = 99 when it is none within `p`.
std::tuple<int64_t, int64_t, bool> transform_of(const Tensor& x, int64_t k, int64_t p) {
  for (int64_t dx = -p; dx <= p; ++dx) {
    for (int64_t dy = -p; dy <= p; ++dy) {
      for (bool flip : {false, true}) {
        if (is_shift(x, k, dx, dy, flip)) return {dx, dy, flip};
      }
    }
  }
  return {99, 0, false};
}

std::vector<int32_t> iota(int32_t n, int32_t from = 0) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = from + i;
  return v;
}
}  // namespace

TEST(Augment, ACropOfThePaddedImageIsAShiftAndEveryShiftOccurs) {
  Tensor x = copies(400);
  augment_batch({.crop_padding = 2, .horizontal_flip = false}, 7, 0, iota(400), x);
  std::set<std::pair<int64_t, int64_t>> seen;
  for (int64_t k = 0; k < 400; ++k) {
    const auto [dx, dy, flip] = transform_of(x, k, 2);
    ASSERT_NE(dx, 99) << "sample " << k << " is no shift of at most 2";
    EXPECT_FALSE(flip);
    seen.insert({dx, dy});
  }
  EXPECT_EQ(seen.size(), 25u) << "all 5 x 5 shifts in 400 draws";
}

TEST(Augment, AFlipIsAMirrorAboutHalfTheTime) {
  Tensor x = copies(400);
  augment_batch({.crop_padding = 0, .horizontal_flip = true}, 7, 0, iota(400), x);
  int flipped = 0;
  for (int64_t k = 0; k < 400; ++k) {
    const auto [dx, dy, flip] = transform_of(x, k, 0);
    ASSERT_EQ(dx, 0) << "sample " << k;
    flipped += flip;
  }
  EXPECT_GT(flipped, 150);
  EXPECT_LT(flipped, 250);
}

TEST(Augment, ASamplesAugmentationDependsOnSeedEpochAndSampleOnly) {
  const Augmentation a{.crop_padding = 2, .horizontal_flip = true};
  const auto of = [&](uint64_t seed, int64_t epoch, std::vector<int32_t> indices, size_t k) {
    Tensor x = copies(static_cast<int64_t>(indices.size()));
    augment_batch(a, seed, epoch, indices, x);
    return transform_of(x, static_cast<int64_t>(k), 2);
  };
  // Sample 7 alone, or second in a batch of other samples: the same.
  EXPECT_EQ(of(1, 3, {7}, 0), of(1, 3, {40, 7, 2}, 1));
  int differ_epoch = 0, differ_seed = 0;
  for (int32_t i = 0; i < 50; ++i) {
    differ_epoch += of(1, 3, {i}, 0) != of(1, 4, {i}, 0);
    differ_seed += of(1, 3, {i}, 0) != of(2, 3, {i}, 0);
  }
  EXPECT_GT(differ_epoch, 35) << "a new crop and flip every epoch (1 in 50 stays by chance)";
  EXPECT_GT(differ_seed, 35);
  Tensor x = copies(3);
  augment_batch({}, 1, 0, iota(3), x);  // nothing asked: nothing changes
  for (int64_t k = 0; k < 3; ++k) EXPECT_TRUE(is_shift(x, k, 0, 0, false));
}

TEST(Augment, BadSettingsAreRefused) {
  EXPECT_HAS(
      error_of([] { check_augmentation({.crop_padding = 0, .horizontal_flip = true}, {784}); }),
      "augmentation (crop padding, flips) needs image samples (channels, height, width), "
      "not (784)");
  EXPECT_HAS(
      error_of([] {
        check_augmentation({.crop_padding = 5, .horizontal_flip = false}, {1, 5, 8});
      }),
      "the crop padding must be between 0 and the image's smaller side 5 (exclusive), got 5");
  EXPECT_NO_THROW(check_augmentation({.crop_padding = 4, .horizontal_flip = true}, {3, 5, 8}));
  EXPECT_NO_THROW(check_augmentation({}, {784}));
  EXPECT_HAS(error_of([] {
               ModelSpec::parse(R"({"input": [1, 4, 4], "layers": [{"type": "flatten"},
                 {"type": "linear", "out_features": 2}], "train": {"crop_padding": -1}})");
             }),
             "\"crop_padding\" must be at least 0");
}

TEST(Augment, TheSpecCarriesItAndTheCommandLineOverridesIt) {
  const ModelSpec s = ModelSpec::parse(R"({"input": [1, 4, 4], "layers": [{"type": "flatten"},
      {"type": "linear", "out_features": 2}], "train": {"crop_padding": 2, "horizontal_flip": true}})");
  EXPECT_EQ(s.train.crop_padding, 2);
  EXPECT_EQ(s.train.horizontal_flip, true);
  EXPECT_EQ(ModelSpec::parse(s.to_json()).to_json(), s.to_json());
  EXPECT_HAS(s.to_json(), "\"crop_padding\":2");
  ScratchDir dir;
  nnzero_test::spit(dir / "flat.json",
                    R"({"input": [784], "layers": [{"type": "linear", "out_features": 10}]})");
  const auto r = nnzero_test::run_cli("train --spec flat.json --flip --max-steps 1 --out run", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "augmentation (crop padding, flips) needs image samples");
  const auto neg = nnzero_test::run_cli("train --crop-padding -1 --out run", dir);
  EXPECT_EQ(neg.exit_code, 2);
  EXPECT_HAS(neg.err, "--crop-padding must be at least 0");
}

// MNIST, 1,000 digits, a small convnet: training with shifts and flips differs from training
// without, and a run stopped mid-epoch and resumed from its checkpoint (which records the
// augmentation) ends with the same weights, bit for bit.
TEST(Augment, TrainingWithItResumesBitForBit) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  Dataset train = load_mnist(dir).train;
  train = subset(train, iota(1000));
  const int threads = num_threads();
  set_num_threads(1);
  const ModelSpec spec = ModelSpec::parse(R"({"input": [1, 28, 28], "layers": [
      {"type": "conv2d", "out_channels": 4, "kernel": 5}, {"type": "relu"},
      {"type": "maxpool2d", "kernel": 2, "stride": 2}, {"type": "flatten"},
      {"type": "linear", "out_features": 10}]})");
  const auto weights = [](Sequential& m) {
    std::vector<float> w;
    for (const NamedTensor& t : m.state()) w.insert(w.end(), t.tensor->begin(), t.tensor->end());
    return w;
  };
  TrainOptions o;
  o.epochs = 2;
  o.batch = 50;
  o.optimizer = "adam";
  o.log_epochs = false;
  o.seed = 5;
  o.augmentation = {.crop_padding = 2, .horizontal_flip = true};

  Rng ra(1);
  Sequential a(spec, ra);
  Trainer(a, train, nullptr, o).run();
  Rng rp(1);
  Sequential plain(spec, rp);
  TrainOptions op = o;
  op.augmentation = {};
  Trainer(plain, train, nullptr, op).run();
  EXPECT_NE(weights(a), weights(plain));

  ScratchDir scratch;
  Rng rb(1);
  Sequential b(spec, rb);
  TrainOptions ob = o;
  ob.out_dir = scratch.path().string();
  ob.on_step = [](int64_t step, double) {
    if (step == 27) request_stop();
  };
  EXPECT_TRUE(Trainer(b, train, nullptr, ob).run().interrupted);
  clear_stop_request();
  const TrainOptions back = Trainer::checkpoint_options(scratch.path().string());
  EXPECT_EQ(back.augmentation.crop_padding, 2);
  EXPECT_TRUE(back.augmentation.horizontal_flip);
  Rng rc(99);
  Sequential c(spec, rc);
  Trainer resumed(c, train, nullptr, back);
  resumed.load_checkpoint(Trainer::checkpoint_path(scratch.path().string()));
  resumed.run();
  set_num_threads(threads);
  const std::vector<float> wa = weights(a), wc = weights(c);
  ASSERT_EQ(wa.size(), wc.size());
  EXPECT_EQ(std::memcmp(wa.data(), wc.data(), wa.size() * sizeof(float)), 0);
}
