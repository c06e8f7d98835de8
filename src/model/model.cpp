#include "nnzero/model/model.h"

#include <algorithm>

#include "nnzero/parallel.h"

namespace nnzero {

std::vector<NamedParam> Model::named_params() {
  std::vector<NamedParam> out;
  for (const NamedLayer& l : named_layers()) {
    for (Param* p : l.layer->params()) {
      // A tied weight (ModelSpec::tie_weights) is one parameter held by two layers: listed
      // once, so the optimizer updates it once; state() names it twice, as PyTorch does.
      const auto same = [p](const NamedParam& q) {
        return q.param->value.data() == p->value.data();
      };
      if (std::none_of(out.begin(), out.end(), same)) out.push_back({l.name + "." + p->name, p});
    }
  }
  return out;
}

std::vector<NamedTensor> Model::state() {
  std::vector<NamedTensor> out;
  for (const NamedLayer& l : named_layers()) {
    for (Param* p : l.layer->params()) out.push_back({l.name + "." + p->name, &p->value});
    for (const Buffer& b : l.layer->buffers()) out.push_back({l.name + "." + b.name, b.value});
  }
  return out;
}

void share_params(Layer& from, Layer& to) {
  const std::vector<Param*> a = from.params(), b = to.params();
  if (a.size() != b.size()) throw Error("share_params: the layers have different parameters");
  for (size_t i = 0; i < a.size(); ++i) {
    b[i]->value = a[i]->value;
    b[i]->grad = a[i]->grad;
  }
}

std::vector<Rng*> Model::rngs() {
  std::vector<Rng*> out;
  for (const NamedLayer& l : named_layers()) {
    if (Rng* r = l.layer->rng()) out.push_back(r);
  }
  return out;
}

int64_t Model::num_params() {
  int64_t n = 0;
  for (const NamedParam& p : named_params()) n += p.param->value.numel();
  return n;
}

double Model::flops_per_sample() {
  double f = 0.0;
  for (const NamedLayer& l : named_layers()) f += l.layer->flops();
  return f;
}

std::vector<Param*>& Model::all_params() {
  if (!params_gathered_) {
    for (const NamedParam& p : named_params()) params_.push_back(p.param);
    params_gathered_ = true;
  }
  return params_;
}

void Model::zero_grad() {
  // Split over the threads when big: a large weight matrix's gradient is megabytes.
  for (Param* p : all_params()) {
    float* g = p->grad.data();
    parallel_for(p->grad.numel(), [=](int64_t i0, int64_t i1) { std::fill(g + i0, g + i1, 0.0f); });
  }
}

double Model::weight_decay_loss() {
  if (weight_decay_ <= 0.0f) return 0.0;
  double sum_sq = 0.0;
  for (Param* p : all_params()) {
    if (!p->decay || p->frozen) continue;
    for (float w : p->value) sum_sq += static_cast<double>(w) * w;
  }
  return 0.5 * weight_decay_ * sum_sq;
}

void Model::add_weight_decay_grad() {
  if (weight_decay_ <= 0.0f) return;
  for (Param* p : all_params()) {
    if (!p->decay || p->frozen) continue;
    for (int64_t j = 0; j < p->value.numel(); ++j) p->grad[j] += weight_decay_ * p->value[j];
  }
}

}  // namespace nnzero
