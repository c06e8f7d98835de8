#include "nnzero/data/mnist.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "nnzero/error.h"
#include "nnzero/io/idx.h"

namespace nnzero {

std::string find_idx_file(const std::string& dir, const std::string& base) {
  const std::filesystem::path raw = std::filesystem::path(dir) / base;
  if (std::filesystem::exists(raw)) return raw.string();
  const std::string gz = raw.string() + ".gz";
  if (std::filesystem::exists(gz)) return gz;
  throw Error(raw.string() + ": missing (neither it nor " + gz +
              " exists; get MNIST with `nnzero data fetch mnist` or point --data / "
              "NNZERO_DATA at a folder holding it)");
}

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3) {
    throw Error(images_path + ": expected 3 dimensions (count, rows, columns), got " +
                std::to_string(images.dims.size()));
  }
  if (labels.dims.size() != 1) {
    throw Error(labels_path + ": expected 1 dimension (count), got " +
                std::to_string(labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    throw Error(images_path + " holds " + std::to_string(images.dims[0]) + " images but " +
                labels_path + " holds " + std::to_string(labels.dims[0]) + " labels");
  }
  Dataset d;
  d.name = images_path;
  d.sample_shape = Shape{1, images.dims[1], images.dims[2]};
  d.pixels = std::move(images.data);
  d.labels.assign(labels.data.begin(), labels.data.end());
  d.num_classes = d.labels.empty() ? 0 : *std::max_element(d.labels.begin(), d.labels.end()) + 1;
  return d;
}

Mnist load_mnist(const std::string& dir) {
  // Looked up one after the other (not as arguments of one call, whose evaluation order is
  // unspecified) so that a missing folder is reported by its first file.
  const std::string train_images = find_idx_file(dir, "train-images-idx3-ubyte");
  const std::string train_labels = find_idx_file(dir, "train-labels-idx1-ubyte");
  const std::string test_images = find_idx_file(dir, "t10k-images-idx3-ubyte");
  const std::string test_labels = find_idx_file(dir, "t10k-labels-idx1-ubyte");
  Mnist m;
  m.train = load_idx_dataset(train_images, train_labels);
  m.test = load_idx_dataset(test_images, test_labels);
  if (!(m.train.sample_shape == m.test.sample_shape)) {
    throw Error(dir + ": training images are " + m.train.sample_shape.str() +
                " but test images are " + m.test.sample_shape.str());
  }
  const int32_t classes = std::max(m.train.num_classes, m.test.num_classes);
  m.train.num_classes = m.test.num_classes = classes;
  return m;
}

std::string default_mnist_dir() {
  if (const char* env = std::getenv("NNZERO_DATA"); env != nullptr && *env != '\0') {
    return (std::filesystem::path(env) / "mnist").string();
  }
  return "data/mnist";
}

}  // namespace nnzero
