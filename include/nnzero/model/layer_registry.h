// The layer registry: for every layer type of the model spec, in one place, its fields (with
// defaults and checks), its constructor, and its PyTorch module with the constructor
// arguments that module takes. Spec parsing, validation, network building, `nnzero info`,
// `nnzero layers`, the model-file docs and tools/torch_interop.py all read it.
//
// Adding a layer type: its header/source pair in layers/ (the book's math), one entry in
// src/model/layer_registry.cpp, and its tests (the registry-wide tests in
// tests/test_layer_registry.cpp check every entry's gradient, shapes and PyTorch round trip).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nnzero/layers/layer.h"
#include "nnzero/model/spec.h"

namespace nnzero {

// How a field's value is checked (beyond its kind).
enum class FieldRule {
  none,
  positive,         // integer >= 1
  non_negative,     // integer >= 0
  probability,      // number in [0, 1)
  unit_interval,    // number in [0, 1]
  positive_number,  // number > 0
  init,             // "he", "xavier" or "std:<s>"
};

struct FieldDef {
  std::string name = "";
  enum Kind { integer, number, boolean, string } kind;
  // The default; null: the field is required, unless `optional`.
  nlohmann::json fallback = nullptr;
  FieldRule rule = FieldRule::none;
  // Kept only when given (e.g. in_features: when given, it must match the input).
  bool optional = false;
  // The default is the value of this other field (pooling's stride: the kernel).
  std::string fallback_from = "";
  // The PyTorch constructor argument it becomes ("" : none).
  std::string torch_name = "";
  std::string doc = "";
};

struct LayerType {
  std::string name = "";     // the spec's "type"
  std::string summary = "";  // one line
  std::vector<FieldDef> fields = {};
  // The book layer for samples of shape `in` (throws when the spec does not fit the shape).
  std::function<std::unique_ptr<Layer>(const LayerSpec& spec, const Shape& in, Rng& rng)> make =
      nullptr;
  // PyTorch: the torch.nn module (or BasicBlock, which tools/torch_interop.py defines),
  // arguments taken from the input shape ({"in_features": 0}:
  // the argument is in[0]; -1: the last dimension), and fixed ones ({"dim": 1}).
  std::string torch_module = "";
  nlohmann::json torch_from_input = nlohmann::json::object();
  nlohmann::json torch_fixed = nlohmann::json::object();
  // An example, for the registry-wide tests and the docs: fields and an input shape.
  nlohmann::json example_fields = nlohmann::json::object();
  Shape example_input = {};
};

const std::vector<LayerType>& layer_types();
// The entry of `name`; throws listing the known types when there is none.
const LayerType& layer_type(const std::string& name);

// The layer of `spec` for samples of shape `in`, as the book computes it; `where` ("layer 3
// (conv2d)") prefixes errors.
std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& in, Rng& rng,
                                  const std::string& where);
// PyTorch's constructor arguments for `spec` with samples of shape `in`: the module is
// getattr(torch.nn, type.torch_module)(**torch_args(...)) (BasicBlock: the interop script's).
nlohmann::json torch_args(const LayerSpec& spec, const Shape& in);
// The whole registry as JSON (`nnzero layers --json`).
nlohmann::json registry_json();

}  // namespace nnzero
