// BatchLoader: the batches it hands out, gathered one step ahead on its thread or inline,
// are the ones gather_images and gather_labels give; a prepared first layer trains exactly
// as one that prepares its own input; a failed gather surfaces in take().
#include <gtest/gtest.h>

#include <string>

#include "nnzero/data/batch_loader.h"
#include "nnzero/fast/sparse_input_linear.h"
#include "nnzero/layers/linear.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"
#include "nnzero/train/optimizer.h"
#include "test_support.h"

using namespace nnzero;

namespace {

// n MNIST-like images (1, 28, 28): about 20 % of the pixels lit, 10 classes.
Dataset digits(int64_t n, Rng& rng) {
  Dataset d;
  d.name = "digits";
  d.sample_shape = Shape{1, 28, 28};
  d.num_classes = 10;
  std::vector<uint8_t> pixels(static_cast<size_t>(n * 784));
  for (uint8_t& p : pixels) p = rng.below(5) == 0 ? static_cast<uint8_t>(1 + rng.below(255)) : 0;
  d.pixels = pack_images(pixels, 784);
  for (int64_t i = 0; i < n; ++i) d.labels.push_back(static_cast<int32_t>(rng.below(10)));
  return d;
}

std::vector<int32_t> shuffled(int64_t n, Rng& rng) {
  return rng.permutation(static_cast<int32_t>(n));
}

void expect_batch(const Batch& b, const Dataset& d, std::span<const int32_t> idx,
                  const Shape& shape) {
  Tensor want;
  std::vector<int32_t> labels;
  gather_images(d, idx, shape, want);
  gather_labels(d, idx, labels);
  ASSERT_EQ(b.x.shape(), want.shape());
  for (int64_t i = 0; i < want.numel(); ++i) ASSERT_EQ(b.x[i], want[i]) << "pixel " << i;
  EXPECT_EQ(b.labels, labels);
}

}  // namespace

TEST(BatchLoader, HandsOutTheGatheredBatchesAheadOrInline) {
  Rng rng(1);
  const Dataset d = digits(300, rng);
  const std::vector<int32_t> order = shuffled(300, rng);
  const auto batch = [&](int64_t b, int64_t size = 50) {
    return std::span<const int32_t>(order).subspan(static_cast<size_t>(b * 50),
                                                   static_cast<size_t>(size));
  };
  for (bool ahead : {false, true}) {
    SCOPED_TRACE(ahead ? "ahead" : "inline");
    BatchLoader loader(d, Shape{784}, ahead);
    expect_batch(loader.take(batch(0)), d, batch(0), Shape{784});  // nothing prefetched
    for (int64_t b = 1; b < 4; ++b) {
      loader.prefetch(batch(b));
      expect_batch(loader.take(batch(b)), d, batch(b), Shape{784});
    }
    loader.prefetch(batch(4));  // then other samples are asked for: gathered now
    expect_batch(loader.take(batch(5, 30)), d, batch(5, 30), Shape{784});
    loader.prefetch(batch(4));
    loader.prefetch(batch(5));  // the second request replaces the first
    expect_batch(loader.take(batch(5)), d, batch(5), Shape{784});
    EXPECT_FALSE(loader.take(batch(0)).prepared);  // no model to prepare for
  }
}

TEST(BatchLoader, GathersRegressionTargets) {
  Dataset d;
  d.name = "table";
  d.sample_shape = Shape{3};
  d.target_size = 2;
  for (int i = 0; i < 12; ++i) {
    d.features.insert(d.features.end(), {float(i), float(-i), 0.5f});
    d.targets.insert(d.targets.end(), {float(10 * i), float(i % 3)});
  }
  const std::vector<int32_t> idx = {7, 2, 11, 0};
  BatchLoader loader(d, Shape{3}, true);
  loader.prefetch(idx);
  const Batch& b = loader.take(idx);
  const Target t = b.target();
  ASSERT_NE(t.values, nullptr);
  ASSERT_EQ(t.values->shape(), (Shape{4, 2}));
  for (size_t i = 0; i < idx.size(); ++i) {
    EXPECT_EQ(b.x[static_cast<int64_t>(i) * 3], float(idx[i]));
    EXPECT_EQ((*t.values)[static_cast<int64_t>(i) * 2], float(10 * idx[i]));
  }
}

TEST(BatchLoader, AFailedGatherSurfacesInTake) {
  Rng rng(2);
  const Dataset d = digits(20, rng);
  const std::vector<int32_t> idx = {1, 2, 3};
  for (bool ahead : {false, true}) {
    BatchLoader loader(d, Shape{785}, ahead);  // not the images' 784 values
    loader.prefetch(idx);
    const std::string message = nnzero_test::error_of([&] { loader.take(idx); });
    EXPECT_NE(message.find("cannot be shaped as (785)"), std::string::npos) << message;
  }
}

// two_layer_net trained on batches its first layer gets prepared by the loader's thread
// (x transposed for the sparse product) ends with the same weights, bit for bit, as trained
// on batches gathered inline.
TEST(BatchLoader, PreparedFirstLayerTrainsExactlyAsUnprepared) {
  const int threads = num_threads();
  set_num_threads(1);
  Rng data_rng(3);
  const Dataset d = digits(400, data_rng);
  const std::vector<int32_t> order = shuffled(400, data_rng);
  const ModelSpec spec = builtin_spec("two_layer_net");
  std::vector<std::vector<float>> weights;
  for (bool ahead : {false, true}) {
    Rng rng(4);
    Sequential model(spec, rng);
    std::vector<Param*> params;
    for (const NamedParam& np : model.named_params()) params.push_back(np.param);
    auto opt = make_optimizer("sgd", params, 0.1f);
    PrepareInput prepare;
    if (ahead) prepare = [&model](const Tensor& x, Tensor& p) { return model.prepare_input(x, p); };
    BatchLoader loader(d, model.input_shape(), ahead, prepare);
    for (int64_t step = 0; step < 4; ++step) {
      const auto idx =
          std::span<const int32_t>(order).subspan(static_cast<size_t>(step * 100), 100);
      const Batch& b = loader.take(idx);
      if (step + 1 < 4)
        loader.prefetch(std::span<const int32_t>(order).subspan((step + 1) * 100, 100));
      EXPECT_EQ(b.prepared, ahead);
      model.zero_grad();
      model.use_prepared(b.prepared_input());
      model.loss(b.x, b.target(), true);
      EXPECT_TRUE(static_cast<SparseInputLinear&>(model.layer(0)).last_input_sparse());
      model.backward();
      opt->step();
    }
    std::vector<float> w;
    for (const NamedParam& np : model.named_params()) {
      w.insert(w.end(), np.param->value.begin(), np.param->value.end());
    }
    weights.push_back(w);
  }
  set_num_threads(threads);
  ASSERT_EQ(weights[0].size(), weights[1].size());
  for (size_t i = 0; i < weights[0].size(); ++i) ASSERT_EQ(weights[0][i], weights[1][i]) << i;
}

TEST(BatchLoader, OnlyAFirstLinearLayerIsPrepared) {
  Rng rng(5);
  const Dataset d = digits(10, rng);
  const std::vector<int32_t> idx = {0, 1, 2, 3};
  Rng init(6);
  Sequential convnet(builtin_spec("simple_convnet"), init);
  BatchLoader loader(d, convnet.input_shape(), false, [&convnet](const Tensor& x, Tensor& p) {
    return convnet.prepare_input(x, p);
  });
  EXPECT_FALSE(loader.take(idx).prepared);
}
