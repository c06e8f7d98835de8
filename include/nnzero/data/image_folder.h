// Image folders, torchvision's ImageFolder layout: DIR/train/<class>/<image> and
// DIR/test/<class>/<image>, the class names being the folder names sorted (so class k is the
// k-th name in byte order, as torchvision numbers them). PNG, JPEG, BMP, GIF, PGM/PPM and TGA
// files are read (by their extension, case-insensitive); other files are skipped.
//
// Every image is decoded once, in parallel, converted to the model's input channels (1 grey,
// 3 RGB), resized to its height x width (a box filter: the average of the source pixels each
// output pixel covers) and kept as bytes, channels x height x width, in a Dataset: 3 KB a
// 32 x 32 colour image, 180 MB for CIFAR-10's 60,000. Batches are made from the bytes
// (gather_images scales them to [0, 1] and normalises each channel with the mean and standard
// deviation of the training images, io/channel_norm.h). The training images are kept in a random
// order (from the seed), as MNIST's files are, so that the first N hold every class; the test
// images class by class, in file-name order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nnzero/data/dataset.h"
#include "nnzero/shape.h"

namespace nnzero {

struct ImageFolderOptions {
  Shape input;  // (channels, height, width) of the model's input: (3, 32, 32) for CIFAR-10
  // Without a test/ folder, this fraction of train/ (chosen at random with `seed`, the same
  // share of every class) is held out as the test set. 0: test/ is required.
  double val_split = 0;
  uint64_t seed = 0;  // the order of the training images and the --val-split draw
  // Decode test/ only (evaluation; train/ still names the classes). The test set's `norm` is
  // then left empty, for the caller to set from the model file.
  bool test_only = false;
  // Called as images are decoded: (done, total), from one thread, at most every 1 %.
  std::function<void(int64_t done, int64_t total)> progress;
};

struct ImageFolder {
  Dataset train, test;
  std::vector<std::string> classes;  // class k's name
  double decode_seconds = 0;         // reading and decoding every file
};

// True when `dir` holds a train/ folder with at least one sub-folder, or CIFAR-10's binary
// batches (data/cifar_binary.h, loaded the same way): an image folder, not MNIST's IDX files.
bool is_image_folder(const std::string& dir);
// The mean and standard deviation of each channel's pixels (scaled to [0, 1]) over every
// image of `data`, the normalisation of an image folder's inputs.
ChannelNorm measure_channel_norm(const Dataset& data);
// Loads the folder. Errors name the file or folder: no train/, a class without images, a
// test/ class that train/ lacks, an image that cannot be decoded, a bad input shape.
ImageFolder load_image_folder(const std::string& dir, const ImageFolderOptions& options);

}  // namespace nnzero
