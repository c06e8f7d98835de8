#include "nnzero/model/precision.h"

#include "nnzero/error.h"
#include "nnzero/half_types.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/quantize.h"
#include "nnzero/model/sequential.h"

namespace nnzero {

Precision parse_precision(const std::string& text, const std::string& where) {
  if (text == "int8" || text == "i8") return Precision::int8;
  try {  // the same words as a model file's floating-point dtypes
    const TensorDtype d = parse_float_dtype(text, where);
    return d == TensorDtype::F16    ? Precision::fp16
           : d == TensorDtype::BF16 ? Precision::bf16
                                    : Precision::fp32;
  } catch (const Error&) {
    throw Error(where + ": unknown precision \"" + text + "\" (fp32, fp16, bf16 or int8)");
  }
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp16:
      return "fp16";
    case Precision::bf16:
      return "bf16";
    case Precision::int8:
      return "int8";
    case Precision::fp32:
      break;
  }
  return "fp32";
}

void round_values(std::span<float> values, Precision p) {
  // int8 has no rounding of its own here: its layers quantize (fast/int8_quantize.h).
  if (p == Precision::fp16) round_to_f16(values);
  if (p == Precision::bf16) round_to_bf16(values);
}

void round_state(Model& model, Precision p) {
  for (const NamedTensor& t : model.state()) round_values(t.tensor->span(), p);
}

std::unique_ptr<Sequential> copy_in_precision(Sequential& model, Precision p) {
  if (p == Precision::int8)
    throw Error("int8 needs calibration: nnzero quantize (model/quantize.h)");
  std::unique_ptr<Sequential> copy =
      rebuild(model, p == Precision::bf16 ? Engine::bf16 : model.engine());
  round_state(*copy, p);
  copy->set_activation_precision(p);
  return copy;
}

Precision use_precision(LoadedModel& loaded, Precision p, const std::string& where) {
  const bool int8_file = loaded.metadata.contains(kQuantizationKey);
  if (int8_file) {
    if (p != Precision::fp32 && p != Precision::int8) {
      throw Error(where + ": an int8 model (nnzero quantize) runs in int8, not " +
                  precision_name(p));
    }
    return Precision::int8;
  }
  if (p == Precision::int8) {
    throw Error(where +
                ": --precision int8 needs an int8 model file: quantize it first, "
                "calibrating on training images (nnzero quantize " +
                where + " --data DIR --out FILE)");
  }
  if (p == Precision::fp32) return p;
  auto* sequential = dynamic_cast<Sequential*>(loaded.model.get());
  if (sequential == nullptr || loaded.metadata.contains("nnzero.vocab")) {
    throw Error(where + ": --precision " + precision_name(p) +
                " works with image and table models; this one reads text (use fp32)");
  }
  loaded.model = copy_in_precision(*sequential, p);
  return p;
}

}  // namespace nnzero
