// Layer: the book's layer interface (chapter 5). forward() computes the output and keeps
// what backward() needs; backward(dout) takes dL/d(output) and returns dL/d(input), adding
// (+=) dL/d(parameter) into each parameter's grad (the trainer zeroes them each step).
//
// Shapes: a layer is built for one sample's input shape (no batch dimension), for example
// (1, 28, 28) or (784); forward takes a batch (N, ...) of such samples. Outputs and input
// gradients live in buffers the layer keeps between steps, so steady training allocates
// nothing; the references returned stay valid until the next call.
//
// What a layer must guarantee (the contract every layer's tests check, tests/test_layers.cpp):
// backward matches numerical differentiation of forward; the same input gives the same output
// on 1 and N threads; forward in eval mode is deterministic; params() and buffers() name every
// tensor saved in a model file, as PyTorch's module of the same meaning names it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nnzero/rng.h"
#include "nnzero/tensor.h"
#include "nnzero/workspace.h"

namespace nnzero {

struct Param {
  std::string name;  // PyTorch's name within the module: "weight" or "bias"
  Tensor value;
  Tensor grad;
  int64_t fan_in = 0;  // inputs feeding each output, for Xavier/He; 0: not initialised randomly
  bool decay = false;  // weight decay applies (weights yes; biases and BatchNorm no, as the book)
  // Frozen (transfer learning: the spec's "trainable": false): the optimizer leaves it as it is.
  bool frozen = false;
};

// Non-trainable state that is saved with the model (BatchNorm's running statistics).
struct Buffer {
  std::string name;
  Tensor* value;
};

class Layer {
 public:
  virtual ~Layer() = default;

  // The model spec's type name: "linear", "conv2d", "relu"...
  virtual const char* type() const = 0;

  virtual const Tensor& forward(const Tensor& x, bool train) = 0;
  virtual const Tensor& backward(const Tensor& dout) = 0;

  virtual std::vector<Param*> params() { return {}; }
  virtual std::vector<Buffer> buffers() { return {}; }
  // The layer's own random generator (Dropout), saved in checkpoints; nullptr if none.
  virtual Rng* rng() { return nullptr; }
  // Multiply-adds x 2 of one sample's forward pass (0 for element-wise layers).
  virtual double flops() const { return 0.0; }
  // V when the input holds token ids in [0, V) (an embedding), 0 when it holds numbers.
  virtual int64_t token_ids_below() const { return 0; }

  // Recurrent layers (book 2's stateful Time layers, truncated backpropagation through time):
  // with carry on, each forward starts from the hidden state the previous one ended in (the
  // next slice of the same text) instead of zeros, and no gradient flows back across that
  // boundary. reset_state() starts again from zeros.
  virtual void set_carry_state(bool /*carry*/) {}
  virtual void reset_state() {}

  const Shape& in_shape() const { return in_shape_; }
  const Shape& out_shape() const { return out_shape_; }

  // The tensor backward() writes dL/dx into and returns, when the layer owns one (nullptr
  // when backward returns dout itself or a view of it). A model may point these at shared
  // buffers (Sequential::share_input_grads): a dL/dx is read only by the layer below.
  virtual Tensor* input_grad_buffer() { return nullptr; }

  // The first layer of a network need not compute dL/dx (nothing consumes it): skip it.
  void set_needs_input_grad(bool needed) { needs_input_grad_ = needed; }
  bool needs_input_grad() const { return needs_input_grad_; }

  // Input preparation, for a network's first layer: the part of forward's work that depends
  // on the input only (not on the weights), done ahead of time, e.g. by a data loader's
  // thread for the next batch while this one trains. prepare_input writes it into `prepared`
  // and returns whether it did any; use_prepared hands the next forward what prepare_input
  // wrote for that same input. Most layers have nothing to prepare.
  virtual bool prepares_input(int64_t /*batch*/) const { return false; }
  virtual bool prepare_input(const Tensor& /*x*/, Tensor& /*prepared*/) const { return false; }
  virtual void use_prepared(const Tensor* /*prepared*/) {}

  // Scratch memory for forward and backward (workspace.h): the model's shared one when it
  // handed one over, else the layer's own.
  void use_workspace(Workspace* ws) { workspace_ = ws; }
  Workspace& workspace();

 protected:
  Layer(const Shape& in_shape, const Shape& out_shape)
      : in_shape_(in_shape), out_shape_(out_shape) {}
  // Throws naming this layer unless x is (N, in_shape...).
  void check_input(const Tensor& x) const;
  // Throws unless dout is (N, out_shape...) with the N of the last forward.
  void check_dout(const Tensor& dout, int64_t batch) const;

  Shape in_shape_;
  Shape out_shape_;
  bool needs_input_grad_ = true;

 private:
  Workspace* workspace_ = nullptr;
  std::unique_ptr<Workspace> own_workspace_;
};

}  // namespace nnzero
