#include "nnzero/model/quantize.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "nnzero/error.h"
#include "nnzero/fast/int8_conv2d.h"
#include "nnzero/fast/int8_linear.h"

namespace nnzero {

namespace {

// The int8 layer's weight, weight_scale and input_scale, or nulls for any other layer.
struct Int8Tensors {
  Param* weight = nullptr;
  Tensor* weight_scale = nullptr;
  Tensor* input_scale = nullptr;
};

Int8Tensors int8_tensors(Layer& layer) {
  if (auto* l = dynamic_cast<Int8Linear*>(&layer))
    return {&l->weight(), &l->weight_scale(), &l->input_scale()};
  if (auto* c = dynamic_cast<Int8Conv2d*>(&layer))
    return {&c->weight(), &c->weight_scale(), &c->input_scale()};
  return {};
}

// codes[o][k] = round(W[o][k] / s[o]), s[o] = max_k |W[o][k]| / 127 (1 for an all-zero row).
void quantize_weights(const Tensor& w, Tensor& codes, Tensor& scales) {
  const int64_t rows = w.dim(0), K = w.numel() / rows;
  for (int64_t o = 0; o < rows; ++o) {
    float largest = 0.0f;
    for (int64_t k = 0; k < K; ++k) largest = std::max(largest, std::fabs(w[o * K + k]));
    const float s = largest > 0.0f ? largest / 127.0f : 1.0f;
    scales[o] = s;
    for (int64_t k = 0; k < K; ++k)
      codes[o * K + k] = std::fmin(std::fmax(std::nearbyint(w[o * K + k] / s), -127.0f), 127.0f);
  }
}

}  // namespace

std::unique_ptr<Sequential> quantize(Sequential& model, const std::vector<Tensor>& batches) {
  if (batches.empty()) throw Error("quantize: no calibration images");
  std::unique_ptr<Sequential> int8 = rebuild(model, Engine::int8);

  // The largest |input| each int8 layer sees, the float layers run one by one.
  std::vector<float> largest(model.size(), 0.0f);
  for (const Tensor& x : batches) {
    const Tensor* h = &x;
    for (size_t i = 0; i < model.size(); ++i) {
      if (int8_tensors(int8->layer(i)).weight != nullptr) {
        for (float v : h->span()) largest[i] = std::max(largest[i], std::fabs(v));
      }
      h = &model.layer(i).forward(*h, false);
    }
  }
  int quantized = 0;
  for (size_t i = 0; i < model.size(); ++i) {
    const Int8Tensors q = int8_tensors(int8->layer(i));
    if (q.weight == nullptr) continue;
    const Tensor float_weight = q.weight->value.clone();
    quantize_weights(float_weight, q.weight->value, *q.weight_scale);
    (*q.input_scale)[0] = largest[i] > 0.0f ? largest[i] / 127.0f : 1.0f;
    ++quantized;
  }
  if (quantized == 0) throw Error("quantize: the model has no linear or conv2d layer to quantize");
  return int8;
}

std::string quantization_metadata(int64_t calibration_samples) {
  return nlohmann::json{{"scheme", "int8"},
                        {"weights", "symmetric, per output channel"},
                        {"inputs", "symmetric, per tensor, max |x| / 127"},
                        {"calibration_samples", calibration_samples}}
      .dump();
}

void check_int8_model(Sequential& model, const std::string& where) {
  for (const NamedLayer& nl : model.named_layers()) {
    const Int8Tensors q = int8_tensors(*nl.layer);
    if (q.weight == nullptr) continue;
    for (const auto& [name, t] :
         {std::pair{"weight_scale", q.weight_scale}, std::pair{"input_scale", q.input_scale}}) {
      for (int64_t i = 0; i < t->numel(); ++i) {
        const float s = (*t)[i];
        if (!(std::isfinite(s) && s > 0.0f)) {
          throw Error(where + ": tensor \"" + nl.name + "." + name + "\" holds " +
                      std::to_string(s) + " at element " + std::to_string(i) +
                      " (an int8 scale must be finite and positive)");
        }
      }
    }
    for (int64_t i = 0; i < q.weight->value.numel(); ++i) {
      const float c = q.weight->value[i];
      if (!(c >= -127.0f && c <= 127.0f)) {
        throw Error(where + ": tensor \"" + nl.name + ".weight\" holds the code " +
                    std::to_string(static_cast<int>(c)) +
                    " (int8 weight codes are symmetric: -127..127)");
      }
    }
  }
}

TensorDtypes int8_tensor_dtypes(Model& model) {
  std::set<std::string> names;
  for (const NamedTensor& t : model.state()) names.insert(t.name);
  TensorDtypes out;
  for (const std::string& n : names) {
    if (n.ends_with(".weight") && names.contains(n + "_scale")) out[n] = TensorDtype::I8;
  }
  return out;
}

}  // namespace nnzero
