#include "nnzero/data/image_folder.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "nnzero/data/cifar_binary.h"
#include "nnzero/error.h"
#include "nnzero/io/image.h"
#include "nnzero/io/image_sample.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"

namespace nnzero {

namespace fs = std::filesystem;

namespace {
// One image file and its class.
struct Entry {
  std::string path;
  int32_t label = 0;
};

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> kImageExtensions = {".png", ".jpg", ".jpeg", ".bmp",
                                                         ".gif", ".pgm", ".ppm",  ".tga"};
  return kImageExtensions.contains(ext);
}

// The sub-folders of `dir`, sorted by name.
std::vector<std::string> class_folders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every image of `split` (train/ or test/), classes numbered as in `classes`, files sorted
// by path within a class (the order is the same on every machine).
std::vector<Entry> list_images(const fs::path& split, const std::vector<std::string>& classes) {
  const std::map<std::string, int32_t> label_of = [&] {
    std::map<std::string, int32_t> m;
    for (size_t k = 0; k < classes.size(); ++k) m[classes[k]] = static_cast<int32_t>(k);
    return m;
  }();
  std::vector<Entry> entries;
  for (const std::string& name : class_folders(split)) {
    const auto it = label_of.find(name);
    if (it == label_of.end()) {
      throw Error((split / name).string() + ": a class that train/ does not have");
    }
    std::vector<std::string> files;
    for (const fs::directory_entry& e : fs::directory_iterator(split / name)) {
      if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path().string());
    }
    if (files.empty()) {
      throw Error((split / name).string() +
                  ": no image files (PNG, JPEG, BMP, GIF, PGM/PPM or TGA) in this class folder");
    }
    std::sort(files.begin(), files.end());
    for (std::string& f : files) entries.push_back({std::move(f), it->second});
  }
  return entries;
}

// Decodes `entries` on every thread into a dataset of `input`-shaped samples.
Dataset decode_all(const std::vector<Entry>& entries, const fs::path& where,
                   const ImageFolderOptions& o, int64_t done_before, int64_t total) {
  std::vector<std::vector<uint8_t>> samples(entries.size());
  std::exception_ptr error;
  std::mutex error_mutex;
  std::atomic<int64_t> done{0};
  const auto n = static_cast<int64_t>(entries.size());
  const int64_t step = std::max<int64_t>(1, total / 100);
  parallel_pieces(
      n,
      [&](int thread, int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          try {
            const std::string& path = entries[static_cast<size_t>(i)].path;
            samples[static_cast<size_t>(i)] = image_sample(read_image_file(path), path, o.input);
          } catch (...) {
            const std::lock_guard lock(error_mutex);
            if (!error) error = std::current_exception();
            return;
          }
          const int64_t d = done.fetch_add(1) + 1;
          if (thread == 0 && o.progress && d % step == 0) o.progress(done_before + d, total);
        }
      },
      2);
  if (error) std::rethrow_exception(error);
  Dataset data;
  data.name = where.string();
  data.sample_shape = o.input;
  data.pixels = PackedImages(o.input.numel());
  for (size_t i = 0; i < entries.size(); ++i) {
    data.pixels.append(samples[i]);
    data.labels.push_back(entries[i].label);
  }
  return data;
}

// Holds out `fraction` of each class (at random, from `seed`) as the test entries.
void split_off_test(std::vector<Entry>& train, std::vector<Entry>& test, double fraction,
                    uint64_t seed) {
  Rng rng(seed);
  std::vector<Entry> keep;
  size_t begin = 0;
  while (begin < train.size()) {  // entries are grouped by class
    size_t end = begin;
    while (end < train.size() && train[end].label == train[begin].label) ++end;
    const auto n = static_cast<int32_t>(end - begin);
    const std::vector<int32_t> order = rng.permutation(n);
    const auto held = static_cast<int32_t>(std::lround(fraction * n));
    std::vector<int32_t> test_idx(order.begin(), order.begin() + held);
    std::sort(test_idx.begin(), test_idx.end());
    std::vector<bool> is_test(static_cast<size_t>(n), false);
    for (int32_t i : test_idx) is_test[static_cast<size_t>(i)] = true;
    for (int32_t i = 0; i < n; ++i) {
      (is_test[static_cast<size_t>(i)] ? test : keep)
          .push_back(train[begin + static_cast<size_t>(i)]);
    }
    begin = end;
  }
  train = std::move(keep);
}
}  // namespace

// Sums of bytes and squared bytes are integers, exact in any order (CIFAR-10:
// at most 50,000 x 1,024 x 255^2 < 2^42). A channel without any variation (every training
// image equally black there) keeps std 1: dividing by 0 would make every input infinite.
ChannelNorm measure_channel_norm(const Dataset& data) {
  const int64_t channels = data.sample_shape[0], plane = data.sample_size() / channels;
  std::vector<uint64_t> sum(static_cast<size_t>(channels)), sumsq(sum.size());
  for (int64_t i = 0; i < data.size(); ++i) {
    const std::vector<uint8_t> px = data.pixels.unpack(i);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t k = c * plane; k < (c + 1) * plane; ++k) {
        sum[static_cast<size_t>(c)] += px[static_cast<size_t>(k)];
        sumsq[static_cast<size_t>(c)] +=
            uint64_t{px[static_cast<size_t>(k)]} * px[static_cast<size_t>(k)];
      }
    }
  }
  ChannelNorm norm;
  const double count = static_cast<double>(data.size() * plane);
  for (size_t c = 0; c < sum.size(); ++c) {
    const double mean = static_cast<double>(sum[c]) / count / 255.0;
    const double var = static_cast<double>(sumsq[c]) / count / (255.0 * 255.0) - mean * mean;
    const double sd = std::sqrt(std::max(var, 0.0));
    norm.mean.push_back(static_cast<float>(mean));
    norm.std.push_back(sd > 1e-3 ? static_cast<float>(sd) : 1.0f);
  }
  return norm;
}

bool is_image_folder(const std::string& dir) {
  if (is_cifar_binary(dir)) return true;
  std::error_code ec;
  const fs::path train = fs::path(dir) / "train";
  if (!fs::is_directory(train, ec)) return false;
  for (const fs::directory_entry& e : fs::directory_iterator(train, ec)) {
    if (e.is_directory()) return true;
  }
  return false;
}

ImageFolder load_image_folder(const std::string& dir, const ImageFolderOptions& o) {
  if (is_cifar_binary(dir)) return load_cifar_binary(dir, o);
  check_image_input(o.input, "an image folder");
  if (!(o.val_split >= 0 && o.val_split < 1)) {
    throw Error("--val-split must be in [0, 1), got " + std::to_string(o.val_split));
  }
  const fs::path root(dir), train_dir = root / "train", test_dir = root / "test";
  if (!is_image_folder(dir)) {
    throw Error(dir + ": not an image folder (expected train/<class>/<images>, a folder a class)");
  }
  ImageFolder out;
  out.classes = class_folders(train_dir);
  std::vector<Entry> train = list_images(train_dir, out.classes), test;
  if (o.test_only && !fs::is_directory(test_dir)) {
    throw Error(dir + ": no test/ folder to evaluate on");
  }
  if (o.test_only) train.clear();
  if (fs::is_directory(test_dir)) {
    if (o.val_split > 0)
      throw Error(dir + ": has a test/ folder; --val-split is for folders without one");
    test = list_images(test_dir, out.classes);
  } else if (o.val_split > 0) {
    split_off_test(train, test, o.val_split, o.seed);
  } else {
    throw Error(dir + ": no test/ folder; hold out part of train/ with --val-split (e.g. 0.1)");
  }
  // Listed class by class; kept in a random order (from the seed), as MNIST's files are, so
  // that the first N samples (--train-samples, the train accuracy's sample) hold every class.
  std::vector<Entry> mixed(train.size());
  const std::vector<int32_t> order =
      Rng(o.seed ^ 0x1f0d3e5a9c7b2468ULL).permutation(static_cast<int32_t>(train.size()));
  for (size_t i = 0; i < order.size(); ++i) mixed[i] = train[static_cast<size_t>(order[i])];
  train = std::move(mixed);
  const auto start = std::chrono::steady_clock::now();
  const auto total = static_cast<int64_t>(train.size() + test.size());
  out.train = decode_all(train, train_dir, o, 0, total);
  out.test = decode_all(test, fs::is_directory(test_dir) ? test_dir : train_dir, o,
                        static_cast<int64_t>(train.size()), total);
  out.train.num_classes = out.test.num_classes = static_cast<int32_t>(out.classes.size());
  if (!o.test_only) out.train.norm = out.test.norm = measure_channel_norm(out.train);
  out.decode_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.progress) o.progress(total, total);
  return out;
}

}  // namespace nnzero
