#include "nnzero/train/text_generator.h"

#include <algorithm>
#include <cmath>

#include "nnzero/functions/exp_float.h"
#include "nnzero/model/gpt.h"
#include "nnzero/model/sequential.h"

namespace nnzero {

namespace {

Vocabulary vocabulary_of(const LoadedModel& loaded, const std::string& where) {
  const auto it = loaded.metadata.find("nnzero.vocab");
  if (it == loaded.metadata.end()) {
    throw Error(where +
                ": not a language model (its file has no \"nnzero.vocab\"; train one "
                "on text: nnzero train --model rnnlm)");
  }
  try {
    return Vocabulary::from_json(it->second);
  } catch (const Error& e) {
    throw Error(where + ": its vocabulary (\"nnzero.vocab\"): " + e.what());
  }
}

// The same network reading one token per forward: the spec with input (1), the weights copied.
std::unique_ptr<Model> one_step_model(Model& trained, const std::string& where) {
  ModelSpec spec = trained.spec();
  if (spec.input.rank() != 1) {
    throw Error(where + ": not a language model (its input is " + spec.input.str() +
                ", not token ids (T))");
  }
  for (const LayerSpec& l : spec.layers) {
    if (l.has("bidirectional") && l.boolean("bidirectional")) {
      throw Error(where + ": a bidirectional " + l.type +
                  " layer reads the text from its end: it cannot generate one token at a time");
    }
    if (l.type == "causal_self_attention") {
      throw Error(where + ": a causal_self_attention layer reads its whole context at once and " +
                  "carries no state from one token to the next: generate from a GPT model " +
                  "(a spec with \"gpt\") instead");
    }
  }
  spec.input = Shape{1};
  Rng rng(0);
  auto model = make_model(spec, rng);
  std::vector<NamedTensor> from = trained.state(), to = model->state();
  for (size_t i = 0; i < to.size(); ++i) to[i].tensor->copy_from(*from[i].tensor);
  for (const NamedLayer& l : model->named_layers()) l.layer->set_carry_state(true);
  return model;
}

}  // namespace

TextGenerator::TextGenerator(LoadedModel loaded, const std::string& where)
    : vocab_(vocabulary_of(loaded, where)),
      gpt_(dynamic_cast<Gpt*>(loaded.model.get())),
      model_(gpt_ != nullptr ? std::move(loaded.model) : one_step_model(*loaded.model, where)) {
  const std::vector<NamedLayer> layers = model_->named_layers();
  const int64_t ids = layers.front().layer->token_ids_below();
  const Shape& out = model_->output_shape();
  const int64_t scores = out[out.rank() - 1];
  if (ids != vocab_.size() || scores != vocab_.size()) {
    throw Error(where + ": its vocabulary has " + std::to_string(vocab_.size()) +
                " tokens but the network reads " + std::to_string(ids) + " token ids and scores " +
                std::to_string(scores));
  }
}

void TextGenerator::set_cache_restart(bool restart) {
  if (restart && gpt_ == nullptr) {
    throw Error("the key/value cache restart is for GPT models; \"" + name() +
                "\" is recurrent: it carries its state along, with no context to outgrow");
  }
  cache_restart_ = restart;
}

const std::string& TextGenerator::name() const {
  return model_->spec().name;
}

const Tensor& TextGenerator::feed(int32_t token) {
  x_[0] = static_cast<float>(token);
  return model_->forward(x_, false);
}

// A GPT's scores for the token after tokens_[last]. While the text fits in the context, the
// key/value cache holds the positions before it and one step computes the new one. Past the
// context every position moves (the position vectors are absolute), so the cache is of no
// use: one forward over the last `context` tokens, as nanoGPT's generate does every time.
const Tensor& TextGenerator::feed_gpt(int64_t last) {
  const int64_t T = gpt_->shape().context, V = vocab_.size();
  if (last < T) {
    if (gpt_->cached() != last) {  // (not in generate's order: start the cache over)
      gpt_->reset_cache();
      for (int64_t t = 0; t < last; ++t) gpt_->step(tokens_[static_cast<size_t>(t)]);
    }
    return gpt_->step(tokens_[static_cast<size_t>(last)]);
  }
  if (cache_restart_) {
    if (gpt_->cached() == T) gpt_->reset_cache();
    if (gpt_->cached() == 0) {  // start again from the last T / 2 tokens
      const int64_t from = last - std::max<int64_t>(1, T / 2) + 1;
      for (int64_t t = from; t < last; ++t) gpt_->step(tokens_[static_cast<size_t>(t)]);
    }
    return gpt_->step(tokens_[static_cast<size_t>(last)]);
  }
  x_.resize(Shape{1, T});
  for (int64_t t = 0; t < T; ++t)
    x_[t] = static_cast<float>(tokens_[static_cast<size_t>(last - T + 1 + t)]);
  const Tensor& scores = gpt_->forward(x_, false);  // (1, T, V): the last row predicts
  window_scores_.resize(Shape{V});
  std::copy(scores.data() + (T - 1) * V, scores.data() + T * V, window_scores_.data());
  return window_scores_;
}

int32_t TextGenerator::sample(const Tensor& scores, double temperature, Rng& rng) {
  const int64_t v = scores.numel();
  const float* s = scores.data();
  const int64_t best = std::max_element(s, s + v) - s;
  if (temperature <= 0.0) return static_cast<int32_t>(best);
  // softmax(s / temperature), then the token whose cumulative probability passes u.
  // (exp_float: libm's exp on 10,000 words took most of a token's time.)
  probabilities_.resize(static_cast<size_t>(v));
  const auto inv_t = static_cast<float>(1.0 / temperature);
  const float top = s[best];
  float* p = probabilities_.data();
  for (int64_t j = 0; j < v; ++j) p[j] = exp_float((s[j] - top) * inv_t);
  double sum = 0.0;
  for (int64_t j = 0; j < v; ++j) sum += static_cast<double>(p[j]);
  double u = rng.uniform_double() * sum;
  for (int64_t j = 0; j < v; ++j) {
    u -= static_cast<double>(p[j]);
    if (u < 0.0) return static_cast<int32_t>(j);
  }
  return static_cast<int32_t>(best);
}

std::string TextGenerator::generate(const std::string& start, int64_t length, double temperature,
                                    uint64_t seed) {
  if (length < 0) throw Error("the length to generate must be at least 0");
  if (!(temperature >= 0.0) || !std::isfinite(temperature)) {
    throw Error("the temperature must be a number >= 0 (0: always the most likely token)");
  }
  tokens_ = vocab_.encode(start);
  if (tokens_.empty()) throw Error("the start text is empty: give a word or a character to begin");
  Rng rng(seed);
  const Tensor* scores = nullptr;
  if (gpt_ != nullptr) {
    // A prompt longer than the context: only its last `context` tokens are read (nanoGPT's
    // crop), in one forward, or into the cache when it restarts; a shorter one goes through
    // the cache.
    gpt_->reset_cache();
    const auto n = static_cast<int64_t>(tokens_.size());
    const int64_t T = gpt_->shape().context;
    if (n > T && cache_restart_) {
      for (int64_t t = n - T; t < n; ++t) scores = &gpt_->step(tokens_[static_cast<size_t>(t)]);
    } else if (n > T) {
      scores = &feed_gpt(n - 1);
    } else {
      for (int64_t t = 0; t < n; ++t) scores = &feed_gpt(t);
    }
  } else {
    for (const NamedLayer& l : model_->named_layers()) l.layer->reset_state();
    x_.resize(Shape{1, 1});
    for (int32_t t : tokens_) scores = &feed(t);
  }
  for (int64_t i = 0; i < length; ++i) {
    const int32_t next = sample(*scores, temperature, rng);
    tokens_.push_back(next);
    if (i + 1 < length) {
      scores = gpt_ != nullptr ? &feed_gpt(static_cast<int64_t>(tokens_.size()) - 1) : &feed(next);
    }
  }
  return vocab_.decode(tokens_);
}

}  // namespace nnzero
