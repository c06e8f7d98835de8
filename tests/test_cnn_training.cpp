// The whole convolutional path learns: a short simple_convnet run on real MNIST, and every
// built-in model passes the gradient check.
#include <gtest/gtest.h>

#include "nnzero/data/mnist.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/model/spec.h"
#include "nnzero/parallel.h"
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
    o.hidden = {100, 100, 100, 100};  // the language models' and seq2seq models' size too
    ModelSpec spec = builtin_spec(name, o);
    spec.init = "he";  // std 0.01 makes gradients too small to resolve in float32
    Rng rng(0);
    const std::unique_ptr<Model> model = make_model(spec, rng);
    GradCheckOptions options;
    // The colour models cost 25-56 MFLOPs an image a forward pass: fewer elements each.
    options.max_elements = model->input_shape()[0] == 3 ? 6 : 20;
    for (const GradCheckResult& r : gradcheck_model(*model, 4, rng, options)) {
      EXPECT_LT(r.rel_error, kGradCheckTolerance) << name << " " << r.name;
      EXPECT_GT(r.elements, 0) << name << " " << r.name;
    }
  }
}

TEST(CnnTraining, GradientBuffersAreSharedInTwo) {
  // Sequential gives the steps that own a dL/dx buffer two storages in turn (backward
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
  for (size_t i = 0; i < model.size(); ++i) {
    Layer& l = model.layer(i);
    const bool after_conv = i > 0 && std::string(model.layer(i - 1).type()) == "conv2d";
    if (std::string(l.type()) == "maxpool2d" || (std::string(l.type()) == "relu" && after_conv)) {
      // Fused with the convolution before it: its gradient never has a batch-sized buffer.
      EXPECT_EQ(l.input_grad_buffer()->numel(), 0) << "layer " << i;
    }
  }
  std::vector<const float*> storages;  // in backward order, one per owning step
  for (size_t i = model.steps().size(); i-- > 0;) {
    Layer& s = *model.steps()[i];
    if (s.needs_input_grad() && s.input_grad_buffer() != nullptr) {
      storages.push_back(s.input_grad_buffer()->data());
    }
  }
  ASSERT_GE(storages.size(), 6u);  // 5 convolutions and the linear layers
  for (size_t k = 0; k < storages.size(); ++k) {
    EXPECT_EQ(storages[k], storages[k % 2]) << "owning layer " << k;
  }
  EXPECT_NE(storages[0], storages[1]);
}

TEST(CnnTraining, FusedConvReluPoolMatchesTheLayersOneByOne) {
  // Sequential runs Conv2d + ReLU + MaxPool2d as one pass that never writes the
  // convolution's output, and backward routes the pooling's gradient straight into the
  // convolution's work space; the same layers run one by one must give the same scores and
  // the same gradients, bit for bit: for a batch and for a single image (deep_convnet's
  // 64-channel layers split one image over the threads), on one and two threads.
  const int threads = num_threads();
  // Odd widths: a 19-wide plane pooled to 9 (eight at once, then one), a 3x3 pooling with
  // stride 2 and padding (the general path), a stride-2 convolution (im2col path).
  const ModelSpec odd = ModelSpec::parse(R"({
    "name": "odd", "input": [2, 19, 19],
    "layers": [
      {"type": "conv2d", "out_channels": 5, "kernel": 3, "padding": 1},
      {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
      {"type": "conv2d", "out_channels": 4, "kernel": 3, "stride": 2, "padding": 1},
      {"type": "relu"}, {"type": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1},
      {"type": "flatten"}, {"type": "linear", "out_features": 10}],
    "init": "he"})",
                                         "odd");
  for (const std::string name : {"simple_convnet", "deep_convnet", "lenet5", "odd"}) {
    for (int t : {1, 2}) {
      for (int64_t n : {1, 3}) {
        SCOPED_TRACE(name + " threads=" + std::to_string(t) + " n=" + std::to_string(n));
        set_num_threads(t);
        Rng rng(0);
        Sequential model(name == "odd" ? odd : builtin_spec(name, {}), rng);
        Tensor x(model.input_shape().with_batch(n));
        rng.fill_normal(x, 0.5f, 0.5f);
        std::vector<int32_t> labels(static_cast<size_t>(n), 3);
        const Target target{labels, nullptr};
        auto grads = [&] {
          std::vector<float> g;
          for (const NamedParam& p : model.named_params()) {
            g.insert(g.end(), p.param->grad.begin(), p.param->grad.end());
          }
          return g;
        };
        // Dropout (deep_convnet) in eval mode: no random mask, the same in both runs.
        model.zero_grad();
        model.loss(x, target, false);
        const Tensor fused = model.prediction().clone();
        model.backward();
        const std::vector<float> fused_grads = grads();

        model.zero_grad();
        const Tensor* h = &x;
        for (size_t i = 0; i < model.size(); ++i) h = &model.layer(i).forward(*h, false);
        model.loss_layer().forward(*h, target);
        const Tensor* d = &model.loss_layer().backward();
        for (size_t i = model.size(); i-- > 0;) d = &model.layer(i).backward(*d);
        const Tensor& layered = model.prediction();
        ASSERT_EQ(fused.numel(), layered.numel());
        for (int64_t i = 0; i < fused.numel(); ++i) ASSERT_EQ(fused[i], layered[i]) << i;
        EXPECT_TRUE(fused_grads == grads());
      }
    }
  }
  set_num_threads(threads);
}
