// MNIST (and any dataset in its format: Fashion-MNIST, KMNIST...): four IDX files,
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each raw or with .gz appended.
#pragma once

#include <string>

#include "nnzero/data/dataset.h"

namespace nnzero {

struct Mnist {
  Dataset train;
  Dataset test;
};

// Loads the four files from `dir`; errors name the file and the problem.
Mnist load_mnist(const std::string& dir);
// One images file and its labels file: counts must agree, images must be 3-dimensional.
Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path);
// `dir/base` or `dir/base.gz`, whichever exists; throws naming both if neither does.
std::string find_idx_file(const std::string& dir, const std::string& base);
// The --data default: $NNZERO_DATA/mnist, then ./data/mnist.
std::string default_mnist_dir();

}  // namespace nnzero
