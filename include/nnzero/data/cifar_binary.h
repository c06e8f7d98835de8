// CIFAR-10's binary version, the files `nnzero data fetch cifar10` leaves in a folder:
// data_batch_1.bin ... data_batch_5.bin (training), test_batch.bin (test), each a run of
// 3,073-byte records: the label (0-9), then the 32 x 32 image as 1,024 red, 1,024 green and
// 1,024 blue bytes, row by row; and batches.meta.txt, the class names, one a line (class k
// on line k + 1). Read as an image folder (data/image_folder.h) is: the same ImageFolder,
// each image converted to the model's input (kept as it is for (3, 32, 32); grey or another
// size as a decoded photo would be), per-channel statistics from the training images. The
// training images stay in the files' order (already shuffled by the dataset's authors).
#pragma once

#include <string>

#include "nnzero/data/image_folder.h"

namespace nnzero {

inline constexpr int64_t kCifarSide = 32;
inline constexpr int64_t kCifarRecord = 1 + 3 * kCifarSide * kCifarSide;  // 3,073 bytes

// True when `dir` holds data_batch_1.bin and test_batch.bin.
bool is_cifar_binary(const std::string& dir);
// Loads the folder (see above). Errors name the file: a size that is not a whole number of
// records, a label without a class name, no batches.meta.txt; --val-split is refused (the
// test set is there).
ImageFolder load_cifar_binary(const std::string& dir, const ImageFolderOptions& options);
// Where `nnzero data fetch cifar10` puts the files: $NNZERO_DATA/cifar10 when NNZERO_DATA is
// set, else data/cifar10.
std::string default_cifar10_dir();

}  // namespace nnzero
