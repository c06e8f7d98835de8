// Per-channel normalisation of image samples (torchvision's Normalize): with x a pixel in
// [0, 1] of channel c,
//   x' = (x - mean_c) / std_c,
// mean_c and std_c being the mean and standard deviation of channel c over the training
// images, so that every channel of the network's input has mean 0 and variance 1, the inputs
// that Xavier and He initialisation assume (book section 6.2). The statistics are measured once, on
// the training set of an image folder (data/image_folder.h), and saved in the model file's
// "nnzero.preprocess" as "mean" and "std" lists; training, evaluation, `predict`, `serve` and
// the Classifier apply the same ones.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nnzero {

struct ChannelNorm {
  std::vector<float> mean, std;  // one per channel; both empty: samples are left as they are

  bool empty() const { return mean.empty(); }
  // Normalises n samples in place, each `channels()` planes of `plane` values.
  void apply(float* x, int64_t n, int64_t plane) const;
  int64_t channels() const { return static_cast<int64_t>(mean.size()); }

  // {"mean": [...], "std": [...]} added to `preprocess` (nothing when empty).
  void add_to(nlohmann::json& preprocess) const;
  // The statistics of a model file's "nnzero.preprocess" (empty when it has none, as files
  // written before they existed); throws naming `where` unless both lists hold one finite
  // value per channel, each std positive.
  static ChannelNorm from(const nlohmann::json& preprocess, int64_t channels,
                          const std::string& where);
};

}  // namespace nnzero
