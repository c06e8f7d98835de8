#include "nnzero/model/precision.h"

#include "nnzero/error.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/kernels/half_types.h"
#include "nnzero/model/sequential.h"

namespace nnzero {

Precision parse_precision(const std::string& text, const std::string& where) {
  try {  // the same words as a model file's dtypes
    switch (parse_float_dtype(text, where)) {
      case FloatDtype::F16:
        return Precision::fp16;
      case FloatDtype::BF16:
        return Precision::bf16;
      case FloatDtype::F32:
        break;
    }
  } catch (const Error&) {
    throw Error(where + ": unknown precision \"" + text + "\" (fp32, fp16 or bf16)");
  }
  return Precision::fp32;
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp16:
      return "fp16";
    case Precision::bf16:
      return "bf16";
    case Precision::fp32:
      break;
  }
  return "fp32";
}

void round_values(std::span<float> values, Precision p) {
  if (p == Precision::fp16) round_to_f16(values);
  if (p == Precision::bf16) round_to_bf16(values);
}

void round_state(Model& model, Precision p) {
  for (const NamedTensor& t : model.state()) round_values(t.tensor->span(), p);
}

void use_precision(LoadedModel& loaded, Precision p, const std::string& where) {
  if (p == Precision::fp32) return;
  auto* sequential = dynamic_cast<Sequential*>(loaded.model.get());
  if (sequential == nullptr || loaded.metadata.contains("nnzero.vocab")) {
    throw Error(where + ": --precision " + precision_name(p) +
                " works with image and table models; this one reads text (use fp32)");
  }
  round_state(*sequential, p);
  sequential->set_activation_precision(p);
}

}  // namespace nnzero
