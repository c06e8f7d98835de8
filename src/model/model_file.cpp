#include "nnzero/model/model_file.h"

#include <set>

#include "nnzero/io/safetensors.h"
#include "nnzero/model/sequential.h"

namespace nnzero {

namespace {
void copy_state(Model& model, const SafetensorsFile& file) {
  std::set<std::string> expected;
  for (const NamedTensor& nt : model.state()) {
    expected.insert(nt.name);
    const SafetensorsEntry* e = file.find(nt.name);
    if (e == nullptr) throw Error(file.name() + ": missing tensor \"" + nt.name + "\"");
    Tensor t = file.tensor(nt.name);
    if (!(t.shape() == nt.tensor->shape())) {
      throw Error(file.name() + ": tensor \"" + nt.name + "\" has shape " + t.shape().str() +
                  " but the spec needs " + nt.tensor->shape().str());
    }
    nt.tensor->copy_from(t);
  }
  for (const SafetensorsEntry& e : file.entries()) {
    const bool counter =
        e.name.size() > 20 && e.name.compare(e.name.size() - 20, 20, ".num_batches_tracked") == 0;
    if (!expected.contains(e.name) && !counter) {
      throw Error(file.name() + ": unexpected tensor \"" + e.name + "\" (not in the spec)");
    }
  }
}
}  // namespace

void save_model(Model& model, const std::string& path,
                const std::map<std::string, std::string>& extra_metadata) {
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (const NamedTensor& nt : model.state()) tensors.emplace_back(nt.name, nt.tensor);
  std::map<std::string, std::string> metadata = extra_metadata;
  metadata["nnzero.spec"] = model.spec().to_json();
  metadata["nnzero.version"] = NNZERO_VERSION;
  write_safetensors(path, tensors, metadata);
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
  LoadedModel loaded{make_model(spec, rng, engine), file.metadata()};
  copy_state(*loaded.model, file);
  return loaded;
}

void load_weights(Model& model, const std::string& path) {
  copy_state(model, SafetensorsFile::read(path));
}

}  // namespace nnzero
