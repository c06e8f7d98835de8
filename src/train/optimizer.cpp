#include "nnzero/train/optimizer.h"

#include <cmath>

#include "nnzero/parallel.h"
#include "nnzero/strings.h"

namespace nnzero {

Optimizer::Optimizer(std::vector<Param*> params, float lr, int slots_per_param)
    : params_(std::move(params)), lr_(lr), slots_(slots_per_param) {
  if (!(lr > 0.0f) || !std::isfinite(lr)) {
    throw Error("optimizer: learning rate must be a positive number, got " + std::to_string(lr));
  }
  for (Param* p : params_) {
    for (int s = 0; s < slots_; ++s) state_.emplace_back(p->value.shape());
  }
}

void Optimizer::step() {
  ++t_;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (params_[i]->frozen) continue;
    update(*params_[i], slots_ > 0 ? &state_[i * static_cast<size_t>(slots_)] : nullptr);
  }
}

std::vector<Tensor*> Optimizer::state() {
  std::vector<Tensor*> out;
  for (Tensor& t : state_) out.push_back(&t);
  return out;
}

namespace {
constexpr float kEps = 1e-7f;  // the book's: keeps the division finite where h = 0

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<Param*> p, float lr) : Optimizer(std::move(p), lr, 0) {}
  const char* name() const override { return "sgd"; }
  void update(Param& p, Tensor*) override {
    float* w = p.value.data();
    const float* g = p.grad.data();
    const int64_t n = p.value.numel();
    const float lr = lr_;
    parallel_for(n, [=](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) w[i] -= lr * g[i];
    });
  }
};

class Momentum : public Optimizer {
 public:
  Momentum(std::vector<Param*> p, float lr, bool nesterov)
      : Optimizer(std::move(p), lr, 1), nesterov_(nesterov) {}
  const char* name() const override { return nesterov_ ? "nesterov" : "momentum"; }
  void update(Param& p, Tensor* s) override {
    float* w = p.value.data();
    const float* g = p.grad.data();
    float* v = s[0].data();
    const int64_t n = p.value.numel();
    const float lr = lr_, a = kMomentum;
    if (nesterov_) {
      parallel_for(n, [=](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          v[i] = a * v[i] - lr * g[i];
          w[i] += a * a * v[i] - (1.0f + a) * lr * g[i];
        }
      });
    } else {
      parallel_for(n, [=](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          v[i] = a * v[i] - lr * g[i];
          w[i] += v[i];
        }
      });
    }
  }

 private:
  static constexpr float kMomentum = 0.9f;
  bool nesterov_;
};

class AdaGrad : public Optimizer {
 public:
  AdaGrad(std::vector<Param*> p, float lr) : Optimizer(std::move(p), lr, 1) {}
  const char* name() const override { return "adagrad"; }
  void update(Param& p, Tensor* s) override {
    float* w = p.value.data();
    const float* g = p.grad.data();
    float* h = s[0].data();
    const int64_t n = p.value.numel();
    const float lr = lr_;
    parallel_for(n, [=](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        h[i] += g[i] * g[i];
        w[i] -= lr * g[i] / (std::sqrt(h[i]) + kEps);
      }
    });
  }
};

class RmsProp : public Optimizer {
 public:
  RmsProp(std::vector<Param*> p, float lr) : Optimizer(std::move(p), lr, 1) {}
  const char* name() const override { return "rmsprop"; }
  void update(Param& p, Tensor* s) override {
    float* w = p.value.data();
    const float* g = p.grad.data();
    float* h = s[0].data();
    const int64_t n = p.value.numel();
    const float lr = lr_, r = kDecay;
    parallel_for(n, [=](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        h[i] = r * h[i] + (1.0f - r) * g[i] * g[i];
        w[i] -= lr * g[i] / (std::sqrt(h[i]) + kEps);
      }
    });
  }

 private:
  static constexpr float kDecay = 0.99f;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Param*> p, float lr) : Optimizer(std::move(p), lr, 2) {}
  const char* name() const override { return "adam"; }
  void update(Param& p, Tensor* s) override {
    float* w = p.value.data();
    const float* g = p.grad.data();
    float* m = s[0].data();
    float* v = s[1].data();
    const int64_t n = p.value.numel();
    const double t = static_cast<double>(t_);
    const auto lr_t = static_cast<float>(lr_ * std::sqrt(1.0 - std::pow(kBeta2, t)) /
                                         (1.0 - std::pow(kBeta1, t)));
    parallel_for(n, [=](int64_t begin, int64_t end) {
      // Four distinct arrays (restrict) and the constants in locals (the captured floats
      // could alias the stores): the loop vectorizes.
      float* __restrict wr = w;
      const float* __restrict gr = g;
      float* __restrict mr = m;
      float* __restrict vr = v;
      const float c1 = 1.0f - kBeta1, c2 = 1.0f - kBeta2, step = lr_t;
      for (int64_t i = begin; i < end; ++i) {
        mr[i] += c1 * (gr[i] - mr[i]);
        vr[i] += c2 * (gr[i] * gr[i] - vr[i]);
        wr[i] -= step * mr[i] / (std::sqrt(vr[i]) + kEps);
      }
    });
  }

 private:
  static constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f;
};
class AdamW : public Optimizer {
 public:
  AdamW(std::vector<Param*> p, float lr, const AdamWSettings& s)
      : Optimizer(std::move(p), lr, 2), s_(s) {
    if (!(s.weight_decay >= 0.0f) || !(s.beta1 >= 0.0f && s.beta1 < 1.0f) ||
        !(s.beta2 >= 0.0f && s.beta2 < 1.0f) || !(s.eps > 0.0f)) {
      throw Error("adamw: weight decay must be at least 0, the betas in [0, 1), eps positive");
    }
  }
  const char* name() const override { return "adamw"; }
  void update(Param& p, Tensor* s) override {
    float* w = p.value.data();
    const float* g = p.grad.data();
    float* m = s[0].data();
    float* v = s[1].data();
    const int64_t n = p.value.numel();
    const double t = static_cast<double>(t_);
    const auto step = static_cast<float>(lr_ / (1.0 - std::pow(s_.beta1, t)));
    const auto v_scale = static_cast<float>(1.0 / (1.0 - std::pow(s_.beta2, t)));
    const float shrink = p.decay ? 1.0f - lr_ * s_.weight_decay : 1.0f;
    const AdamWSettings c = s_;
    parallel_for(n, [=](int64_t begin, int64_t end) {
      float* __restrict wr = w;
      const float* __restrict gr = g;
      float* __restrict mr = m;
      float* __restrict vr = v;
      const float c1 = 1.0f - c.beta1, c2 = 1.0f - c.beta2, eps = c.eps, a = step, vs = v_scale,
                  keep = shrink;
      for (int64_t i = begin; i < end; ++i) {
        mr[i] += c1 * (gr[i] - mr[i]);
        vr[i] += c2 * (gr[i] * gr[i] - vr[i]);
        wr[i] = wr[i] * keep - a * mr[i] / (std::sqrt(vr[i] * vs) + eps);
      }
    });
  }

 private:
  AdamWSettings s_;
};
}  // namespace

std::unique_ptr<Optimizer> make_adamw(std::vector<Param*> params, float lr,
                                      const AdamWSettings& settings) {
  return std::make_unique<AdamW>(std::move(params), lr, settings);
}

std::vector<std::string> optimizer_names() {
  return {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"};
}

float default_lr(const std::string& optimizer) {
  return optimizer == "adam" || optimizer == "adamw" ? 0.001f : 0.01f;
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<Param*> params,
                                          float lr) {
  if (lr <= 0.0f) lr = default_lr(name);
  if (name == "sgd") return std::make_unique<Sgd>(std::move(params), lr);
  if (name == "momentum") return std::make_unique<Momentum>(std::move(params), lr, false);
  if (name == "nesterov") return std::make_unique<Momentum>(std::move(params), lr, true);
  if (name == "adagrad") return std::make_unique<AdaGrad>(std::move(params), lr);
  if (name == "rmsprop") return std::make_unique<RmsProp>(std::move(params), lr);
  if (name == "adam") return std::make_unique<Adam>(std::move(params), lr);
  if (name == "adamw") return std::make_unique<AdamW>(std::move(params), lr, AdamWSettings{});
  throw Error("unknown optimizer \"" + name + "\" (use one of: " + join(optimizer_names(), ", ") +
              ")");
}

}  // namespace nnzero
