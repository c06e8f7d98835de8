#include "nnzero/book/figures.h"

#include "chapters.h"
#include "nnzero/error.h"

namespace nnzero::book {

const std::vector<BookFigure>& book_figures() {
  static const std::vector<BookFigure> figures = {
      {"activations", "3-6 to 3-9", "step function, sigmoid and ReLU", "", false, 900, 700,
       activations},
      {"numerical-diff", "4-2",
       "f(x) = 0.01x² + 0.1x and its tangent at x = 5 by central difference", "", false, 800, 520,
       numerical_diff},
      {"gradient-field", "4-9", "the negative gradient of x0² + x1² on a grid", "", false, 700, 680,
       gradient_field},
      {"gradient-descent", "4-10", "gradient descent on x0² + x1² from (-3, 4), lr 0.1",
       "--iterations (20)", false, 700, 680, gradient_descent_path},
      {"two-layer-net", "4-11, 4-12 (ch. 5)",
       "two_layer_net trained by backpropagation: loss per step, accuracy per epoch",
       "--iterations (10000) --train-samples --test-samples", true, 1000, 420,
       two_layer_net_curves},
      {"optimizer-paths", "6-3, 6-5, 6-6, 6-8",
       "SGD, Momentum, AdaGrad and Adam on x²/20 + y² from (-7, 2)", "--iterations (30)", false,
       1000, 840, optimizer_paths},
      {"optimizers-mnist", "6-9", "the four optimizers training a 5-layer network on MNIST",
       "--iterations (2000) --train-samples", true, 900, 600, optimizers_mnist},
      {"init-histograms-sigmoid", "6-10, 6-11, 6-13",
       "sigmoid activations of 5 layers for weights N(0, 1), N(0, 0.01²) and Xavier", "", false,
       1000, 660, init_histograms_sigmoid},
      {"init-histograms-relu", "6-14",
       "ReLU activations of 5 layers for N(0, 0.01²), Xavier and He", "", false, 1000, 660,
       init_histograms_relu},
      {"init-mnist", "6-15", "std 0.01, Xavier and He initial weights training on MNIST",
       "--iterations (2000) --train-samples", true, 900, 600, init_mnist},
      {"batchnorm", "6-19", "with and without Batch Normalization over 16 initial weight scales",
       "--epochs (20) --train-samples (1000)", true, 1000, 900, batchnorm_scales},
      {"overfitting", "6-20", "train and test accuracy of a 7-layer net on 300 images",
       "--epochs (201) --train-samples (300) --test-samples", true, 800, 560, overfitting},
      {"weight-decay", "6-21", "the same with weight decay 0.1",
       "--epochs (201) --train-samples (300) --test-samples", true, 800, 560, weight_decay},
      {"dropout", "6-23", "the same with dropout 0.2",
       "--epochs (301) --train-samples (300) --test-samples", true, 800, 560, dropout},
      {"hyperparameter-search", "6-24",
       "random search for lr and weight decay: the best 20 trials' accuracy",
       "--trials (100) --epochs (50) --train-samples (500)", true, 1100, 850,
       hyperparameter_search},
      {"conv-filters", "7-24", "simple_convnet's 30 first-layer filters before and after training",
       "--model FILE, or training: --epochs (20) | --iterations, --train-samples; --test-samples",
       true, 1000, 560, conv_filters},
      {"feature-maps", "ch. 7", "one test digit through the trained first convolution and ReLU",
       "--model FILE, or training: --epochs (20) | --iterations, --train-samples; --test-samples",
       true, 1100, 520, feature_maps},
      {"misclassified", "8-3", "the first 20 test digits deep_convnet gets wrong",
       "--model FILE, or training: --epochs (20) | --iterations, --train-samples; --test-samples",
       true, 900, 0, misclassified},
      {"half-precision", "8.3.4", "deep_convnet's test accuracy in float32 and float16",
       "--model FILE, or training: --epochs (20) | --iterations, --train-samples; --test-samples",
       true, 800, 520, half_precision},
  };
  return figures;
}

const BookFigure& find_book_figure(const std::string& name) {
  std::string known;
  for (const BookFigure& f : book_figures()) {
    if (f.name == name) return f;
    known += (known.empty() ? "" : ", ") + std::string(f.name);
  }
  throw Error("unknown figure \"" + name + "\" (known: " + known + ")");
}

}  // namespace nnzero::book
