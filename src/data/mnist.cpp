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

namespace {
// Pixels per image of an images file's dimensions (count, rows, columns).
int64_t image_size_of(const std::vector<int64_t>& dims, const std::string& path) {
  if (dims.size() != 3) {
    throw Error(path + ": expected 3 dimensions (count, rows, columns), got " +
                std::to_string(dims.size()));
  }
  if (dims[1] == 0 || dims[2] == 0) {
    throw Error(path + ": images of " + std::to_string(dims[1]) + "x" + std::to_string(dims[2]) +
                " pixels hold nothing");
  }
  return dims[1] * dims[2];  // each below 2^32: no overflow
}

// An images file packed image by image as it is read: the inflated file (47 MB for MNIST's
// training images) is never held, only the packed images and the one being received.
PackedImages read_idx_images(const std::string& path, std::vector<int64_t>& dims) {
  PackedImages images;
  std::vector<uint8_t> image;         // pixels of the image being received
  const IdxStream* header = nullptr;  // its dimensions are known before any data arrives
  IdxStream idx(path, [&](std::span<const uint8_t> data) {
    if (images.image_size() == 0) images = PackedImages(image_size_of(header->dims(), path));
    const auto size = static_cast<size_t>(images.image_size());
    while (!data.empty()) {
      const size_t take = std::min(size - image.size(), data.size());
      image.insert(image.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
      data = data.subspan(take);
      if (image.size() == size) {
        images.append(image);
        image.clear();
      }
    }
  });
  header = &idx;
  read_file_to(path, [&](std::span<const uint8_t> piece) { idx.feed(piece); });
  idx.finish();
  dims = idx.dims();
  if (images.image_size() == 0) images = PackedImages(image_size_of(dims, path));  // no images
  return images;
}

// A labels file streamed into bytes: its header must promise one label for each of the
// `count` images of `images_path`, which is checked before any label is kept, so a labels
// file whose header claims billions of labels costs nothing.
std::vector<uint8_t> read_idx_labels(const std::string& path, int64_t count,
                                     const std::string& images_path) {
  const auto check_dims = [&](const std::vector<int64_t>& dims) {
    if (dims.size() != 1) {
      throw Error(path + ": expected 1 dimension (count), got " + std::to_string(dims.size()));
    }
    if (dims[0] != count) {
      throw Error(images_path + " holds " + std::to_string(count) + " images but " + path +
                  " holds " + std::to_string(dims[0]) + " labels");
    }
  };
  std::vector<uint8_t> labels;
  const IdxStream* header = nullptr;
  IdxStream idx(path, [&](std::span<const uint8_t> data) {
    if (labels.capacity() == 0) {  // the first data: the header is complete
      check_dims(header->dims());
      labels.reserve(static_cast<size_t>(count));
    }
    labels.insert(labels.end(), data.begin(), data.end());
  });
  header = &idx;
  read_file_to(path, [&](std::span<const uint8_t> piece) { idx.feed(piece); });
  idx.finish();
  check_dims(idx.dims());
  return labels;
}
}  // namespace

Dataset load_idx_dataset(const std::string& images_path, const std::string& labels_path) {
  std::vector<int64_t> dims;
  PackedImages images = read_idx_images(images_path, dims);
  const std::vector<uint8_t> labels = read_idx_labels(labels_path, dims[0], images_path);
  Dataset d;
  d.name = images_path;
  d.labels_name = labels_path;
  d.sample_shape = Shape{1, dims[1], dims[2]};
  d.pixels = std::move(images);
  d.labels.assign(labels.begin(), labels.end());
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
