// The book's optimizers (section 6.1), updating each parameter W from its gradient g:
//   sgd       W -= lr g
//   momentum  v = a v - lr g;  W += v                                   (a = 0.9)
//   nesterov  v = a v - lr g;  W += a^2 v - (1 + a) lr g                (the book's form)
//   adagrad   h += g^2;  W -= lr g / (sqrt(h) + 1e-7)
//   rmsprop   h = r h + (1 - r) g^2;  W -= lr g / (sqrt(h) + 1e-7)      (r = 0.99)
//   adam      m += (1-b1)(g - m);  v += (1-b2)(g^2 - v);                (Kingma and Ba, 2015)
//             W -= lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + 1e-7)  (b1 = 0.9, b2 = 0.999)
//   adamw     W -= lr wd W  (decoupled weight decay: Loshchilov and Hutter, 2019; weights only)
//             m, v as adam; W -= lr m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps)   (PyTorch's)
// Default learning rates are the book's: 0.01, and 0.001 for Adam and AdamW.
// An optimizer holds its state per parameter (bound at construction, in order).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nnzero/layers/layer.h"

namespace nnzero {

class Optimizer {
 public:
  Optimizer(std::vector<Param*> params, float lr, int slots_per_param);
  virtual ~Optimizer() = default;
  virtual const char* name() const = 0;
  // One update of every parameter from its current gradient (frozen ones excepted).
  void step();

  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  int64_t iterations() const { return t_; }
  void set_iterations(int64_t t) { t_ = t; }
  // The state tensors (velocities, moments) to save in a checkpoint, in a fixed order.
  std::vector<Tensor*> state();

 protected:
  // Updates one parameter; s points to its state slots.
  virtual void update(Param& p, Tensor* s) = 0;

  std::vector<Param*> params_;
  float lr_;
  int64_t t_ = 0;  // steps taken (Adam's bias correction uses it)
  int slots_;
  std::vector<Tensor> state_;  // slots_ tensors per parameter
};

// AdamW's settings: PyTorch's (torch.optim.AdamW) but for the weight decay, 0 unless given,
// as every optimizer's in nnzero (PyTorch's default is 0.01). nanoGPT trains its small
// character models with weight_decay 0.1 and beta2 0.99.
struct AdamWSettings {
  float weight_decay = 0.0f;
  float beta1 = 0.9f, beta2 = 0.999f;
  float eps = 1e-8f;
};
// Decay applies to the parameters marked so (Param::decay), the rest are left alone.
std::unique_ptr<Optimizer> make_adamw(std::vector<Param*> params, float lr,
                                      const AdamWSettings& settings);

std::vector<std::string> optimizer_names();
float default_lr(const std::string& optimizer);
// Throws listing the known names if `name` is not one. lr <= 0 means the default.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<Param*> params,
                                          float lr = 0.0f);

}  // namespace nnzero
