// The whole convolutional path learns: a short simple_convnet run on real MNIST, and every
// built-in model passes the gradient check.
#include <gtest/gtest.h>

#include "nnzero/data/mnist.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/model/builtin.h"
#include "nnzero/train/gradcheck.h"
#include "nnzero/train/trainer.h"
#include "test_data_dir.h"

using namespace nnzero;

TEST(CnnTraining, SimpleConvnetLearnsMnistInAFewHundredSteps) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist mnist = load_mnist(dir);
  const ModelSpec spec = builtin_spec("simple_convnet");
  Rng rng(0);
  Sequential model(spec, rng);
  TrainOptions o;
  o.epochs = 1;
  o.max_steps = 600;
  o.optimizer = "adam";  // the book's: Adam, lr 0.001, batch 100
  o.train_eval_samples = 1000;
  o.log_epochs = false;
  const TrainResult r = Trainer(model, mnist.train, &mnist.test, o).run();
  EXPECT_EQ(r.steps, 600);
  EXPECT_GT(r.test_acc, 0.95);
}

TEST(CnnTraining, EveryBuiltinModelPassesTheGradientCheck) {
  for (const std::string& name : builtin_model_names()) {
    MultiLayerOptions o;
    o.batchnorm = true;
    o.dropout = 0.2f;
    ModelSpec spec = builtin_spec(name, o);
    spec.init = "he";  // std 0.01 makes gradients too small to resolve in float32
    Rng rng(0);
    Sequential model(spec, rng);
    GradCheckOptions options;
    options.max_elements = 20;
    for (const GradCheckResult& r : gradcheck_model(model, 4, rng, options)) {
      EXPECT_LT(r.rel_error, kGradCheckTolerance) << name << " " << r.name;
      EXPECT_GT(r.elements, 0) << name << " " << r.name;
    }
  }
}

TEST(CnnTraining, GradientBuffersAreSharedInTwo) {
  // Sequential gives the layers that own a dL/dx buffer two storages in turn (backward
  // order), so deep_convnet keeps 2 gradient buffers instead of one per layer; the gradient
  // check above fails if a layer ever wrote over the gradient it reads.
  Rng rng(0);
  Sequential model(builtin_spec("deep_convnet", {}), rng);
  Tensor x(model.input_shape().with_batch(3));
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i % 7) * 0.1f;
  const std::vector<int32_t> labels{1, 2, 3};
  for (int step = 0; step < 2; ++step) {
    model.loss(x, Target{labels, nullptr}, true);
    model.backward();
  }
  std::vector<const float*> storages;  // in backward order, one per owning layer
  for (size_t i = model.size(); i-- > 0;) {
    Layer& l = model.layer(i);
    if (l.needs_input_grad() && l.input_grad_buffer() != nullptr) {
      storages.push_back(l.input_grad_buffer()->data());
    }
  }
  ASSERT_GE(storages.size(), 8u);  // 6 conv/pool layers and more
  for (size_t k = 0; k < storages.size(); ++k) {
    EXPECT_EQ(storages[k], storages[k % 2]) << "owning layer " << k;
  }
  EXPECT_NE(storages[0], storages[1]);
}

TEST(CnnTraining, PooledConvolutionsShareTheirOutputBuffer) {
  // deep_convnet's convolutions 2, 7 and 12 feed ReLU + max pooling only: the pooling masks
  // the gradient, so their outputs are dead once pooled and share one buffer; the others
  // (read by the next convolution's backward) keep their own.
  Rng rng(0);
  Sequential model(builtin_spec("deep_convnet", {}), rng);
  Tensor x(model.input_shape().with_batch(3));
  model.forward(x, true);
  auto storage = [&](size_t i) {
    return dynamic_cast<Conv2d&>(model.layer(i)).output_buffer()->data();
  };
  EXPECT_EQ(storage(2), storage(7));
  EXPECT_EQ(storage(2), storage(12));
  for (size_t own : {0u, 5u, 10u}) {
    EXPECT_NE(storage(own), storage(2)) << own;
    EXPECT_NE(storage(own), storage(own == 0 ? 5 : 0)) << own;
  }
}
