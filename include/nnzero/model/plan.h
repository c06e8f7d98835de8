// The planning step: how a network's layers run. The spec's layers, built by the registry,
// compute what the book says; the plan, made once when a network is built, may give a layer
// a faster class of its own with the same parameters and names (fast/), and may run a few
// layers in a row as one fused step. Nothing else in nnzero chooses between the book path
// and a fast one.
//
// Engine::fast (the default)      Engine::book
//   first linear -> SparseInputLinear
//   conv2d       -> FastConv2d
//   residual_block -> one whose convolutions are FastConv2d
//   conv2d, relu -> ConvRelu         every layer as the book computes it, one by one
//   conv2d, relu, maxpool2d -> ConvReluPool
//
// Engine::int8, an int8 model's (model/quantize.h; evaluation only): conv2d -> Int8Conv2d,
// linear -> Int8Linear, every other layer as the book computes it; one or two conv2d in a
// row (ReLUs fused) and a maxpool2d after them -> Int8ConvChain.
// Engine::bf16, `--precision bf16` (model/precision.h; evaluation only): conv2d -> Bf16Conv2d,
// linear -> Bf16Linear, every other layer as Engine::fast runs it.
// Both fuse a ReLU after a conv2d or linear layer into it (fast/fused_relu.h).
#pragma once

#include <memory>
#include <vector>

#include "nnzero/layers/layer.h"
#include "nnzero/model/spec.h"

namespace nnzero {

enum class Engine { fast, book, int8, bf16 };

// The engine named "fast" or "book" (throws otherwise).
Engine engine_named(const std::string& name);

// Layer `index` of a network (samples of shape `in`) as the engine runs it: the registry's
// book layer, or a fast variant with the same parameters.
std::unique_ptr<Layer> plan_layer(const LayerSpec& spec, const Shape& in, Rng& rng, size_t index,
                                  Engine engine, const std::string& where);

// The steps that run `layers` in order: the layers themselves, or fused steps that stand for
// several (owned by `fused`, referring to the layers, which keep the parameters).
std::vector<Layer*> plan_steps(const std::vector<std::unique_ptr<Layer>>& layers, Engine engine,
                               std::vector<std::unique_ptr<Layer>>& fused);

}  // namespace nnzero
