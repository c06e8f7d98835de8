#include "nnzero/data/cifar_binary.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/io/image_sample.h"
#include "nnzero/strings.h"

namespace nnzero {

namespace fs = std::filesystem;

namespace {

// The class names of batches.meta.txt: line k + 1 names class k (trimmed); blank lines may
// end the file but not come between names.
std::vector<std::string> read_class_names(const fs::path& dir) {
  const fs::path path = dir / "batches.meta.txt";
  if (!fs::exists(path)) {
    throw Error(path.string() + ": missing (the class names, one a line; `nnzero data fetch " +
                "cifar10` writes it)");
  }
  const std::vector<uint8_t> bytes = read_file(path.string());
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    const size_t b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    names.push_back(b == std::string::npos ? "" : line.substr(b, e - b + 1));
  }
  while (!names.empty() && names.back().empty()) names.pop_back();
  if (names.empty()) throw Error(path.string() + ": no class names in it");
  for (size_t k = 0; k < names.size(); ++k) {
    if (names[k].empty()) {
      throw Error(path.string() + ": line " + std::to_string(k + 1) +
                  " is blank, but class names follow it (line k + 1 names class k)");
    }
  }
  return names;
}

// The records of the batch files `names` as one dataset of `input`-shaped samples.
Dataset read_batches(const fs::path& dir, const std::vector<std::string>& names,
                     const std::vector<std::string>& classes, const Shape& input) {
  Dataset data;
  data.name = (dir / names.front()).string();
  data.sample_shape = input;
  data.pixels = PackedImages(input.numel());
  data.num_classes = static_cast<int32_t>(classes.size());
  const bool as_is = input == Shape{3, kCifarSide, kCifarSide};
  ImagePlanes planes{.channels = 3, .width = kCifarSide, .height = kCifarSide, .values = {}};
  for (const std::string& name : names) {
    const std::string path = (dir / name).string();
    const std::vector<uint8_t> bytes = read_file(path);
    if (bytes.empty() || bytes.size() % kCifarRecord != 0) {
      throw Error(path + ": " + std::to_string(bytes.size()) +
                  " bytes, not a whole number of CIFAR-10 records (3,073 bytes each)");
    }
    for (size_t at = 0; at < bytes.size(); at += kCifarRecord) {
      const uint8_t label = bytes[at];
      if (label >= classes.size()) {
        throw Error(path + ": record " + std::to_string(at / kCifarRecord) + " has label " +
                    std::to_string(label) + ", but batches.meta.txt names " +
                    std::to_string(classes.size()) + " classes");
      }
      const std::span<const uint8_t> pixels(bytes.data() + at + 1, kCifarRecord - 1);
      if (as_is) {
        data.pixels.append(pixels);
      } else {
        planes.values.assign(pixels.begin(), pixels.end());
        data.pixels.append(planes_sample(planes, input));
      }
      data.labels.push_back(label);
    }
  }
  return data;
}

// data_batch_1.bin ... data_batch_N.bin, all there: a gap would drop a part of the training
// images without a word.
std::vector<std::string> training_batches(const fs::path& dir) {
  std::set<int> numbers;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("data_batch_") && name.ends_with(".bin")) {
      const std::string digits = name.substr(11, name.size() - 15);
      if (!digits.empty() && digits.size() < 6 &&
          std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        numbers.insert(std::stoi(digits));
      }
    }
  }
  std::vector<std::string> names;
  for (int i = 1; i <= (numbers.empty() ? 1 : *numbers.rbegin()); ++i) {
    const std::string name = "data_batch_" + std::to_string(i) + ".bin";
    if (!numbers.contains(i)) {
      throw Error((dir / name).string() + ": missing" +
                  (numbers.empty()
                       ? std::string(" (the training images)")
                       : " (data_batch_" + std::to_string(*numbers.rbegin()) + ".bin is there)"));
    }
    names.push_back(name);
  }
  return names;
}

}  // namespace

bool is_cifar_binary(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "data_batch_1.bin", ec) &&
         fs::is_regular_file(fs::path(dir) / "test_batch.bin", ec);
}

ImageFolder load_cifar_binary(const std::string& dir, const ImageFolderOptions& o) {
  check_image_input(o.input, "CIFAR-10");
  if (o.val_split > 0) {
    throw Error(dir + ": CIFAR-10 has its test set (test_batch.bin); --val-split is for image " +
                "folders without one");
  }
  const auto start = std::chrono::steady_clock::now();
  ImageFolder out;
  out.classes = read_class_names(dir);
  if (!o.test_only) {
    out.train = read_batches(dir, training_batches(dir), out.classes, o.input);
    out.train.norm = measure_channel_norm(out.train);
  } else {
    out.train.sample_shape = o.input;
    out.train.num_classes = static_cast<int32_t>(out.classes.size());
  }
  out.test = read_batches(dir, {"test_batch.bin"}, out.classes, o.input);
  out.test.norm = out.train.norm;
  out.decode_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t total = out.train.size() + out.test.size();
  if (o.progress) o.progress(total, total);
  return out;
}

std::string default_cifar10_dir() {
  if (const char* env = std::getenv("NNZERO_DATA"); env != nullptr && *env != '\0') {
    return (fs::path(env) / "cifar10").string();
  }
  return "data/cifar10";
}

}  // namespace nnzero
