#include "nnzero/model/model_file.h"

#include <cstring>
#include <map>
#include <set>

#include "nnzero/io/safetensors.h"
#include "nnzero/model/quantize.h"
#include "nnzero/model/sequential.h"
#include "nnzero/strings.h"

namespace nnzero {

namespace {
// PyTorch's BatchNorm step counter, which nnzero neither needs nor writes.
bool is_batch_counter(const std::string& name) {
  const std::string suffix = ".num_batches_tracked";
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void copy_state(Model& model, const SafetensorsFile& file) {
  std::set<std::string> expected;
  std::map<const float*, std::string> loaded;  // a tied tensor is saved under two names
  for (const NamedTensor& nt : model.state()) {
    expected.insert(nt.name);
    const SafetensorsEntry* e = file.find(nt.name);
    if (e == nullptr) throw Error(file.name() + ": missing tensor \"" + nt.name + "\"");
    Tensor t = file.tensor(nt.name);
    if (!(t.shape() == nt.tensor->shape())) {
      throw Error(file.name() + ": tensor \"" + nt.name + "\" has shape " + t.shape().str() +
                  " but the spec needs " + nt.tensor->shape().str());
    }
    const auto [first, fresh] = loaded.emplace(nt.tensor->data(), nt.name);
    if (!fresh) {
      if (std::memcmp(t.data(), nt.tensor->data(),
                      sizeof(float) * static_cast<size_t>(t.numel())) != 0) {
        throw Error(file.name() + ": \"" + nt.name + "\" and \"" + first->second +
                    "\" are one tied weight but the file holds two different tensors");
      }
      continue;
    }
    nt.tensor->copy_from(t);
  }
  for (const SafetensorsEntry& e : file.entries()) {
    if (!expected.contains(e.name) && !is_batch_counter(e.name)) {
      throw Error(file.name() + ": unexpected tensor \"" + e.name + "\" (not in the spec)");
    }
  }
}
}  // namespace

void save_model(Model& model, const std::string& path,
                const std::map<std::string, std::string>& extra_metadata, TensorDtype dtype) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (const NamedTensor& nt : model.state()) tensors.emplace_back(nt.name, nt.tensor);
  std::map<std::string, std::string> metadata = extra_metadata;
  metadata["nnzero.spec"] = model.spec().to_json();
  metadata["nnzero.version"] = NNZERO_VERSION;
  write_safetensors(path, tensors, metadata, dtype, int8_tensor_dtypes(model));
}

LoadedModel load_model(const std::string& path, Engine engine) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  const auto it = file.metadata().find("nnzero.spec");
  if (it == file.metadata().end()) {
    throw Error(path +
                ": no \"nnzero.spec\" in __metadata__ (not an nnzero model file; a "
                "PyTorch model needs the spec: see tools/torch_interop.py)");
  }
  const ModelSpec spec = ModelSpec::parse(it->second, path + ": nnzero.spec");
  Rng rng(0);
  const bool int8 = file.metadata().contains(kQuantizationKey);
  if (int8 && (spec.gpt || spec.seq2seq)) {
    throw Error(path + ": metadata " + kQuantizationKey + " on a model nnzero cannot quantize");
  }
  LoadedModel loaded{make_model(spec, rng, int8 ? Engine::int8 : engine), file.metadata()};
  copy_state(*loaded.model, file);
  if (int8) {
    check_int8_model(static_cast<Sequential&>(*loaded.model), path);
    loaded.dtype = "I8";
    return loaded;
  }
  std::set<std::string> dtypes;
  for (const SafetensorsEntry& e : file.entries())
    if (!is_batch_counter(e.name)) dtypes.insert(e.dtype);
  if (dtypes.size() == 1) loaded.dtype = *dtypes.begin();
  if (dtypes.size() > 1) loaded.dtype = "mixed";
  return loaded;
}

ChannelNorm input_norm(const LoadedModel& loaded, const std::string& where) {
  const auto it = loaded.metadata.find("nnzero.preprocess");
  if (it == loaded.metadata.end()) return {};
  const nlohmann::json preprocess = nlohmann::json::parse(it->second, nullptr, false);
  if (!preprocess.is_object())
    throw Error(where + ": metadata nnzero.preprocess is not a JSON object");
  const Shape& in = loaded.model->input_shape();
  return ChannelNorm::from(preprocess, in.rank() == 3 ? in[0] : 1, where);
}

std::vector<std::string> class_names(const LoadedModel& loaded, const std::string& where) {
  const auto it = loaded.metadata.find("nnzero.classes");
  if (it == loaded.metadata.end()) return {};
  const nlohmann::json names = nlohmann::json::parse(it->second, nullptr, false);
  const int64_t outputs = loaded.model->output_shape().numel();
  std::vector<std::string> out;
  for (const nlohmann::json& n : names.is_array() ? names : nlohmann::json::array({0})) {
    if (!n.is_string())
      throw Error(where + ": metadata nnzero.classes is not a JSON list of names");
    out.push_back(n.get<std::string>());
  }
  if (static_cast<int64_t>(out.size()) != outputs) {
    throw Error(where + ": metadata nnzero.classes names " + std::to_string(out.size()) +
                " classes but the model has " + std::to_string(outputs) + " outputs");
  }
  return out;
}

LoadedWeights load_weights(Model& model, const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  if (file.metadata().contains(kQuantizationKey)) {  // its weights are integer codes
    throw Error(path +
                ": an int8 model (nnzero quantize) cannot start a training run; "
                "start from the float model it was quantized from");
  }
  LoadedWeights out;
  std::set<std::string> taken;
  for (const NamedLayer& nl : model.named_layers()) {
    std::vector<NamedTensor> tensors;
    for (Param* p : nl.layer->params()) tensors.push_back({nl.name + "." + p->name, &p->value});
    for (const Buffer& b : nl.layer->buffers())
      tensors.push_back({nl.name + "." + b.name, b.value});
    if (tensors.empty()) continue;  // nothing to load (relu, pooling...)
    std::string why;
    for (const NamedTensor& t : tensors) {
      const SafetensorsEntry* e = file.find(t.name);
      if (e == nullptr) {
        why = "not in the file";
        break;
      }
      const Shape shape(e->shape);
      if (!(shape == t.tensor->shape())) {
        why = t.name + " is " + shape.str() + " in the file, " + t.tensor->shape().str() + " here";
        break;
      }
    }
    if (!why.empty()) {
      out.fresh.push_back(nl.name + " (" + why + ")");
      continue;
    }
    for (const NamedTensor& t : tensors) {
      t.tensor->copy_from(file.tensor(t.name));
      taken.insert(t.name);
    }
    out.loaded.push_back(nl.name);
  }
  for (const SafetensorsEntry& e : file.entries()) {
    if (!taken.contains(e.name) && !is_batch_counter(e.name)) out.unused.push_back(e.name);
  }
  if (out.loaded.empty()) {
    throw Error(path +
                ": no layer of the model has its tensors in this file under the same "
                "names and shapes (" +
                join(out.fresh, "; ") + ")");
  }
  return out;
}

}  // namespace nnzero
