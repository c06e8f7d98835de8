#include "nnzero/model/plan.h"

#include <string>

#include "nnzero/fast/bf16_conv2d.h"
#include "nnzero/fast/bf16_linear.h"
#include "nnzero/fast/conv_relu_pool.h"
#include "nnzero/fast/fast_conv2d.h"
#include "nnzero/fast/int8_conv2d.h"
#include "nnzero/fast/int8_conv_chain.h"
#include "nnzero/fast/int8_linear.h"
#include "nnzero/fast/sparse_input_linear.h"
#include "nnzero/layers/residual_block.h"
#include "nnzero/model/layer_registry.h"

namespace nnzero {

Engine engine_named(const std::string& name) {
  if (name == "fast") return Engine::fast;
  if (name == "book") return Engine::book;
  throw Error("unknown engine \"" + name + "\" (use fast or book)");
}

namespace {
// The conv2d or linear layer `book` as ConvLayer or LinearLayer (the int8 or bf16 classes,
// which take the same arguments), or nullptr for any other layer.
template <class ConvLayer, class LinearLayer>
std::unique_ptr<Layer> low_precision_layer(const LayerSpec& spec, const Shape& in,
                                           const Layer& book) {
  if (spec.type == "conv2d") {
    const auto& c = static_cast<const Conv2d&>(book);
    const ConvGeometry& g = c.geometry();
    return std::make_unique<ConvLayer>(in, c.out_channels(), g.KH, g.KW, g.stride, g.pad,
                                       spec.boolean("bias"));
  }
  if (spec.type == "linear") {
    const auto& l = static_cast<const Linear&>(book);
    return std::make_unique<LinearLayer>(in, l.out_features(), l.has_bias());
  }
  return nullptr;
}
}  // namespace

std::unique_ptr<Layer> plan_layer(const LayerSpec& spec, const Shape& in, Rng& rng, size_t index,
                                  Engine engine, const std::string& where) {
  std::unique_ptr<Layer> book = make_layer(spec, in, rng, where);
  if (engine == Engine::book) return book;
  if (engine == Engine::int8) {
    auto int8 = low_precision_layer<Int8Conv2d, Int8Linear>(spec, in, *book);
    return int8 ? std::move(int8) : std::move(book);
  }
  if (engine == Engine::bf16) {
    if (auto bf16 = low_precision_layer<Bf16Conv2d, Bf16Linear>(spec, in, *book)) return bf16;
  }
  if (spec.type == "conv2d") {
    const auto& c = static_cast<const Conv2d&>(*book);
    const ConvGeometry& g = c.geometry();
    return std::make_unique<FastConv2d>(in, c.out_channels(), g.KH, g.KW, g.stride, g.pad,
                                        spec.boolean("bias"));
  }
  if (spec.type == "residual_block") {
    const auto fast_conv = [](const Shape& s, int64_t out, int64_t k, int64_t stride, int64_t pad) {
      return std::unique_ptr<Layer>(std::make_unique<FastConv2d>(s, out, k, k, stride, pad, false));
    };
    const auto& b = static_cast<const ResidualBlock&>(*book);
    return std::make_unique<ResidualBlock>(in, b.out_channels(), b.stride(), fast_conv);
  }
  if (spec.type == "linear" && index == 0 && in.rank() == 1) {
    // The first layer's input is the data, zero where the data set is (MNIST's background),
    // batch after batch. (After a ReLU about half the inputs are zero: too few to pay.)
    const auto& l = static_cast<const Linear&>(*book);
    return std::make_unique<SparseInputLinear>(in, l.out_features(), l.has_bias());
  }
  return book;
}

namespace {
bool is(const std::vector<std::unique_ptr<Layer>>& layers, size_t i, const char* type) {
  return i < layers.size() && std::string(layers[i]->type()) == type;
}

// Engine::int8: one or two convolutions in a row (their ReLUs fused into them) and a max
// pooling after them as one step, unless it would be the convolution alone.
std::vector<Layer*> chain_int8_convolutions(const std::vector<Layer*>& steps,
                                            std::vector<std::unique_ptr<Layer>>& fused) {
  std::vector<Layer*> out;
  for (size_t i = 0; i < steps.size(); ++i) {
    auto* first = dynamic_cast<Int8Conv2d*>(steps[i]);
    if (first == nullptr) {
      out.push_back(steps[i]);
      continue;
    }
    const auto next = [&]() { return i + 1 < steps.size() ? steps[i + 1] : nullptr; };
    auto* second = dynamic_cast<Int8Conv2d*>(next());
    if (second != nullptr) ++i;
    const auto* pool = dynamic_cast<const MaxPool2d*>(next());
    if (pool != nullptr) ++i;
    if (second == nullptr && pool == nullptr) {
      out.push_back(first);
      continue;
    }
    fused.push_back(std::make_unique<Int8ConvChain>(*first, second, pool));
    out.push_back(fused.back().get());
  }
  return out;
}
}  // namespace

std::vector<Layer*> plan_steps(const std::vector<std::unique_ptr<Layer>>& layers, Engine engine,
                               std::vector<std::unique_ptr<Layer>>& fused) {
  std::vector<Layer*> steps;
  for (size_t i = 0; i < layers.size(); ++i) {
    auto* fuses = dynamic_cast<FusedRelu*>(layers[i].get());
    if (fuses != nullptr && is(layers, i + 1, "relu")) {  // the ReLU made with the output
      fuses->fuse_relu();
      steps.push_back(layers[i].get());
      ++i;
      continue;
    }
    if (engine == Engine::fast && is(layers, i, "conv2d") && is(layers, i + 1, "relu")) {
      auto& conv = static_cast<FastConv2d&>(*layers[i]);  // plan_layer made every conv2d one
      if (is(layers, i + 2, "maxpool2d")) {
        fused.push_back(
            std::make_unique<ConvReluPool>(conv, static_cast<const MaxPool2d&>(*layers[i + 2])));
        i += 2;
      } else {
        fused.push_back(std::make_unique<ConvRelu>(conv));
        i += 1;
      }
      fused.back()->set_needs_input_grad(conv.needs_input_grad());
      steps.push_back(fused.back().get());
      continue;
    }
    steps.push_back(layers[i].get());
  }
  return engine == Engine::int8 ? chain_int8_convolutions(steps, fused) : steps;
}

}  // namespace nnzero
