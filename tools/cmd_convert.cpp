// nnzero convert MODEL --dtype f16|bf16|f32 --out FILE: the same model file with every tensor
// stored in another floating-point format. float16 and bfloat16 halve the file; the network,
// its spec and its metadata are unchanged, and every command reads the result.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "common.h"
#include "nnzero/half_types.h"
#include "nnzero/model/model_file.h"

namespace nnzero::cli {

namespace {

struct ConvertArgs {
  std::string model, dtype, out;
};

// The largest change that storing the model's tensors in `dtype` makes, relative to the
// tensor's largest magnitude (how much precision the conversion costs).
double largest_relative_change(Model& model, TensorDtype dtype) {
  double worst = 0.0;
  for (const NamedTensor& t : model.state()) {
    double scale = 0.0, change = 0.0;
    for (float v : t.tensor->span()) {
      const float stored = dtype == TensorDtype::F16    ? round_to_f16(v)
                           : dtype == TensorDtype::BF16 ? round_to_bf16(v)
                                                        : v;
      scale = std::max(scale, std::fabs(static_cast<double>(v)));
      change = std::max(change, std::fabs(static_cast<double>(stored) - v));
    }
    if (scale > 0.0) worst = std::max(worst, change / scale);
  }
  return worst;
}

void run_convert(const ConvertArgs& a) {
  const TensorDtype dtype = parse_float_dtype(a.dtype, "--dtype");
  LoadedModel loaded = load_model(a.model);
  std::map<std::string, std::string> metadata = loaded.metadata;
  metadata.erase("nnzero.spec");  // save_model writes these two afresh
  metadata.erase("nnzero.version");
  save_model(*loaded.model, a.out, metadata, dtype);
  const auto in_bytes = std::filesystem::file_size(a.model);
  const auto out_bytes = std::filesystem::file_size(a.out);
  std::fprintf(stderr, "%s (%s, %ju bytes) -> %s (%s, %ju bytes)\n", a.model.c_str(),
               loaded.dtype.c_str(), static_cast<uintmax_t>(in_bytes), a.out.c_str(),
               dtype_name(dtype), static_cast<uintmax_t>(out_bytes));
  print_result({{"model", a.model},
                {"out", a.out},
                {"from_dtype", loaded.dtype},
                {"dtype", dtype_name(dtype)},
                {"bytes", out_bytes},
                {"from_bytes", in_bytes},
                {"largest_relative_change", largest_relative_change(*loaded.model, dtype)}});
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd =
      app.add_subcommand("convert", "Store a model file's tensors as float16, bfloat16 or float32");
  cmd->add_option("MODEL", args->model, "Model file (model.safetensors)")->required();
  cmd->add_option("--dtype", args->dtype,
                  "f16 (IEEE half: half the size, values up to 65504), bf16 (bfloat16: half "
                  "the size, float32's range) or f32")
      ->required();
  cmd->add_option("--out", args->out, "The converted model file (written atomically)")->required();
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace nnzero::cli
