#include "nnzero/train/gradcheck.h"

#include <cmath>
#include <functional>

namespace nnzero {

namespace {
// The indices to check: all, or `max` distinct ones at random.
std::vector<int64_t> pick(int64_t n, int64_t max, Rng& rng) {
  std::vector<int64_t> idx;
  if (max <= 0 || n <= max) {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  std::vector<int32_t> perm = rng.permutation(static_cast<int32_t>(n));
  idx.assign(perm.begin(), perm.begin() + max);
  return idx;
}

// Central differences (L(w+h) - L(w-h)) / 2h of `loss` with respect to the chosen elements
// of `t`. The one-sided differences from the same evaluations, (L(w+h) - L(w)) / h and
// (L(w) - L(w-h)) / h, agree to O(h) where the loss is smooth; where they disagree a kink
// lies within h of the point (a ReLU or a max-pooling switch, where the derivative is
// undefined) and the element is skipped, marked NaN. The central difference at 2h differs
// from the one at h by O(h^2) only, so their difference measures the rounding noise.
struct Numerical {
  std::vector<double> grad;   // NaN at kinks
  std::vector<double> noise;  // |d(h) - d(2h)|
};

Numerical numerical(Tensor& t, const std::vector<int64_t>& idx, double h,
                    const std::function<double()>& loss) {
  const double l0 = loss();
  Numerical out;
  for (int64_t i : idx) {
    const float w = t[i];
    auto at = [&](double step) {  // the loss with t[i] = w + step, and that step as stored
      t[i] = w + static_cast<float>(step);
      const double l = loss();
      const double actual = static_cast<double>(t[i]) - w;
      t[i] = w;
      return std::pair{l, actual};
    };
    const auto [lp, sp] = at(h);
    const auto [lm, sm] = at(-h);
    const auto [lp2, sp2] = at(2 * h);
    const auto [lm2, sm2] = at(-2 * h);
    const double forward = (lp - l0) / sp, backward = (l0 - lm) / -sm;
    const double d1 = (lp - lm) / (sp - sm), d2 = (lp2 - lm2) / (sp2 - sm2);
    // 1e-7 is the rounding noise of a float32 loss of order one; 10x for margin.
    const bool kink =
        std::abs(forward - backward) > 0.02 * (std::abs(forward) + std::abs(backward)) + 1e-6 / h;
    out.grad.push_back(kink ? std::nan("") : d1);
    out.noise.push_back(std::abs(d1 - d2));
  }
  return out;
}

std::vector<double> gather(const Tensor& t, const std::vector<int64_t>& idx) {
  std::vector<double> out;
  for (int64_t i : idx) out.push_back(t[i]);
  return out;
}

// Remembers the random generators of dropout layers so every forward pass replays them.
struct RngReplay {
  std::vector<std::pair<Rng*, Rng::State>> saved;
  void add(Rng* r) {
    if (r != nullptr) saved.emplace_back(r, r->state());
  }
  void restore() const {
    for (const auto& [r, s] : saved) r->set_state(s);
  }
};
}  // namespace

void fill_random_input(Tensor& x, int64_t token_ids_below, Rng& rng) {
  if (token_ids_below <= 0) {
    rng.fill_normal(x, 0.0f, 1.0f);
    return;
  }
  for (float& v : x.span())
    v = static_cast<float>(rng.below(static_cast<uint64_t>(token_ids_below)));
}

double relative_error(const std::vector<double>& a, const std::vector<double>& n, double floor) {
  double diff = 0.0, na = 0.0, nn = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(n[i])) continue;  // a kink: no numerical derivative to compare with
    diff += (a[i] - n[i]) * (a[i] - n[i]);
    na += a[i] * a[i];
    nn += n[i] * n[i];
  }
  const double denom = std::max(std::sqrt(na) + std::sqrt(nn), floor);
  return denom == 0.0 ? 0.0 : std::sqrt(diff) / denom;
}

namespace {
// A gradient smaller than 1000x the measured noise of its numerical estimate (a bias feeding
// BatchNorm has exactly zero) cannot be checked to 1%; it is compared against that floor
// instead, which passes when the two agree within the noise.
GradCheckResult compare(const std::string& name, const std::vector<double>& analytic,
                        const Numerical& numerical) {
  double noise_sq = 0.0;
  GradCheckResult r{name, 0.0, 0, 0};
  for (size_t i = 0; i < analytic.size(); ++i) {
    if (std::isnan(numerical.grad[i])) {
      ++r.skipped;
      continue;
    }
    ++r.elements;
    noise_sq += numerical.noise[i] * numerical.noise[i];
  }
  r.rel_error = relative_error(analytic, numerical.grad, 300.0 * std::sqrt(noise_sq));
  return r;
}
}  // namespace

std::vector<GradCheckResult> gradcheck_layer(Layer& layer, const Tensor& x_in, Rng& rng,
                                             const GradCheckOptions& o, Layer* params_of) {
  const std::vector<Param*> params = (params_of != nullptr ? params_of : &layer)->params();
  Tensor x = x_in.clone();
  RngReplay replay;
  replay.add(layer.rng());
  Tensor r(layer.out_shape().with_batch(x.dim(0)));
  rng.fill_normal(r, 0.0f, 1.0f);
  auto loss = [&] {
    replay.restore();
    const Tensor& y = layer.forward(x, o.train);
    double sum = 0.0;
    for (int64_t i = 0; i < y.numel(); ++i) sum += static_cast<double>(y[i]) * r[i];
    return sum;
  };
  for (Param* p : params) p->grad.zero();
  loss();
  const Tensor dx = layer.backward(r).clone();
  std::vector<GradCheckResult> out;
  if (layer.needs_input_grad()) {
    const auto idx = pick(x.numel(), o.max_elements, rng);
    out.push_back(compare("dx", gather(dx, idx), numerical(x, idx, o.h, loss)));
  }
  for (Param* p : params) {
    const Tensor grad = p->grad.clone();
    const auto idx = pick(p->value.numel(), o.max_elements, rng);
    out.push_back(compare(p->name, gather(grad, idx), numerical(p->value, idx, o.h, loss)));
  }
  return out;
}

std::vector<GradCheckResult> gradcheck_model(Model& model, int64_t batch, Rng& rng,
                                             const GradCheckOptions& o) {
  Tensor x(model.input_shape().with_batch(batch));
  const std::vector<NamedLayer> layers = model.named_layers();
  fill_random_input(x, layers.empty() ? 0 : layers.front().layer->token_ids_below(), rng);
  // Scores (classes) or a sequence of them (T, classes): a label per position.
  const Shape& scores = model.output_shape();
  const int64_t outputs = scores[scores.rank() - 1];
  const int64_t positions = batch * (scores.numel() / outputs);
  std::vector<int32_t> labels;
  Tensor values;
  Target target;
  if (model.spec().loss == "mse") {
    values = Tensor(scores.with_batch(batch));
    rng.fill_normal(values, 0.0f, 1.0f);
    target.values = &values;
  } else {
    for (int64_t i = 0; i < positions; ++i)
      labels.push_back(static_cast<int32_t>(rng.below(static_cast<uint64_t>(outputs))));
    target.labels = labels;
  }
  RngReplay replay;
  for (Rng* r : model.rngs()) replay.add(r);
  auto loss = [&] {
    replay.restore();
    return model.loss(x, target, o.train);
  };
  model.zero_grad();
  loss();
  model.backward();
  std::vector<GradCheckResult> out;
  for (const NamedParam& np : model.named_params()) {
    if (np.param->frozen) continue;  // a constant: backward need not reach it
    const Tensor grad = np.param->grad.clone();
    const auto idx = pick(np.param->value.numel(), o.max_elements, rng);
    out.push_back(compare(np.name, gather(grad, idx), numerical(np.param->value, idx, o.h, loss)));
  }
  return out;
}

}  // namespace nnzero
