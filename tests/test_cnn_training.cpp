// The whole convolutional path learns: a short simple_convnet run on real MNIST, and every
// built-in model passes the gradient check.
#include <gtest/gtest.h>

#include "nnzero/data/mnist.h"
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
