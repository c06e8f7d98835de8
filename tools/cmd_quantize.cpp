// nnzero quantize MODEL --data DIR --out FILE: post-training int8 quantization
// (model/quantize.h). The weights get per-output-channel scales; each quantized layer's input
// scale is calibrated on the first --samples training images of DIR (MNIST's files or an image
// folder's train/, prepared as the model's training images were).
#include <cstdio>
#include <filesystem>

#include "common.h"
#include "nnzero/data/image_folder.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/quantize.h"
#include "text.h"

namespace nnzero::cli {

namespace {

struct QuantizeArgs {
  std::string model, data, out;
  int64_t samples = 500;
  int threads = 0;
};

// The training images of `dir`, as the model saw them when it trained.
Dataset calibration_images(const std::string& dir, const LoadedModel& loaded,
                           const std::string& file) {
  if (!is_image_folder(dir)) return load_mnist_for(dir).train;
  ImageFolderOptions o;
  o.input = loaded.model->input_shape();
  ImageFolder folder = load_image_folder(dir, o);
  folder.train.norm = input_norm(loaded, file);
  return std::move(folder.train);
}

void run_quantize(const QuantizeArgs& a) {
  if (a.samples < 1) throw Error("--samples must be at least 1");
  apply_threads(a.threads);
  LoadedModel loaded = load_model(a.model);
  auto* model = dynamic_cast<Sequential*>(loaded.model.get());
  if (loaded.metadata.contains(kQuantizationKey))
    throw Error(a.model + ": is an int8 model already");
  if (model == nullptr || is_language_model(loaded)) {
    throw Error(a.model + ": nnzero quantizes image and table models; this one reads text");
  }
  const Dataset data = calibration_images(resolve_data_dir(a.data), loaded, a.model);
  if (data.sample_size() != model->input_shape().numel()) {
    throw Error(a.model + ": the model takes samples of shape " + model->input_shape().str() +
                " but the data's are " + data.sample_shape.str());
  }
  const int64_t n = std::min(a.samples, data.size());
  if (n == 0) throw Error(data.name + ": no training images to calibrate on");
  const std::unique_ptr<Sequential> int8 =
      quantize(*model, calibration_batches(data, n, model->input_shape()));
  std::map<std::string, std::string> metadata = loaded.metadata;
  metadata.erase("nnzero.spec");
  metadata.erase("nnzero.version");
  metadata[kQuantizationKey] = quantization_metadata(n);
  save_model(*int8, a.out, metadata);
  const auto bytes = std::filesystem::file_size(a.out);
  const auto from_bytes = std::filesystem::file_size(a.model);
  std::fprintf(stderr, "%s -> %s: int8, calibrated on %lld training images, %ju bytes (was %ju)\n",
               a.model.c_str(), a.out.c_str(), static_cast<long long>(n),
               static_cast<uintmax_t>(bytes), static_cast<uintmax_t>(from_bytes));
  print_result({{"model", a.model},
                {"out", a.out},
                {"calibration_samples", n},
                {"bytes", bytes},
                {"from_bytes", from_bytes}});
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Quantize a model file to int8, calibrating on a few hundred training images");
  cmd->add_option("MODEL", args->model, "Model file (model.safetensors)")->required();
  cmd->add_option("--data", args->data,
                  "Training images to calibrate on: an MNIST-format folder (default "
                  "$NNZERO_DATA/mnist, then ./data/mnist) or an image folder");
  cmd->add_option("--out", args->out, "The int8 model file (written atomically)")->required();
  cmd->add_option("--samples", args->samples, "Calibration images (default 500)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->callback([args] { run_quantize(*args); });
}

}  // namespace nnzero::cli
