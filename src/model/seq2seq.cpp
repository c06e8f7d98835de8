#include "nnzero/model/seq2seq.h"

#include <algorithm>
#include <string>

#include "nnzero/error.h"
#include "nnzero/layers/embedding.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/softmax_cross_entropy.h"

namespace nnzero {

namespace {

// The book's initialisation (ch7/seq2seq.py): embeddings N(0, 0.01^2), every other weight
// by the spec's "init" (the built-ins': "xavier", N(0, 1 / fan_in)), biases zero.
void init_params(Layer& layer, const std::string& init, Rng& rng) {
  const bool embedding = std::string(layer.type()) == "embedding";
  for (Param* p : layer.params()) {
    if (p->fan_in > 0) {
      rng.fill_normal(p->value, 0.0f, embedding ? 0.01f : init_std(init, p->fan_in));
    }
  }
}

// out (N, T, A + B) = [a; b] along the last dimension; a is (N, T, A), or (N, A) used at
// every step (`a_every_step`).
void join_last(const Tensor& a, bool a_every_step, const Tensor& b, Tensor& out) {
  const int64_t n = b.dim(0), t = b.dim(1), B = b.dim(2), A = a.dim(a.rank() - 1);
  out.resize(Shape{n, t, A + B});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t s = 0; s < t; ++s) {
      const float* pa = a.data() + (a_every_step ? i : i * t + s) * A;
      const float* pb = b.data() + (i * t + s) * B;
      float* o = out.data() + (i * t + s) * (A + B);
      std::copy(pa, pa + A, o);
      std::copy(pb, pb + B, o + A);
    }
  }
}

// The inverse of join_last for gradients: d (N, T, A + B) -> its first A columns into da
// (N, T, A), or added into da (N, A) summed over the steps (`a_every_step`: one h fed to all
// steps gets the sum of their gradients); the rest into db (N, T, B).
void split_last(const Tensor& d, int64_t A, bool a_every_step, Tensor& da, Tensor& db) {
  const int64_t n = d.dim(0), t = d.dim(1), B = d.dim(2) - A;
  if (!a_every_step) da.resize(Shape{n, t, A});
  db.resize(Shape{n, t, B});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t s = 0; s < t; ++s) {
      const float* row = d.data() + (i * t + s) * (A + B);
      float* pa = da.data() + (a_every_step ? i : i * t + s) * A;
      if (a_every_step) {
        for (int64_t j = 0; j < A; ++j) pa[j] += row[j];
      } else {
        std::copy(row, row + A, pa);
      }
      std::copy(row + A, row + A + B, db.data() + (i * t + s) * B);
    }
  }
}

}  // namespace

Seq2seq::Seq2seq(const ModelSpec& spec, Rng& rng) : spec_(spec) {
  if (!spec.seq2seq) throw Error("model \"" + spec.name + "\" is not an encoder-decoder");
  const Seq2seqSpec& s = *spec.seq2seq;
  const int64_t H = s.hidden, E = s.wordvec;
  output_shape_ = Shape{s.answer - 1, s.vocab};
  enc_embed_ = std::make_unique<Embedding>(Shape{s.question}, s.vocab, E);
  enc_lstm_ =
      std::make_unique<Recurrent>(CellType::lstm, Shape{s.question, E}, s.bidirectional ? H / 2 : H,
                                  1, 0.0f, s.bidirectional, rng.next_u64());
  init_params(*enc_embed_, spec.init, rng);
  init_params(*enc_lstm_, spec.init, rng);
  train_ = make_decoder(s.answer - 1, rng);
  step_ = make_decoder(1, rng);
  for (auto [a, b] : {std::pair<Layer*, Layer*>{train_.embed.get(), step_.embed.get()},
                      {train_.lstm.get(), step_.lstm.get()},
                      {train_.affine.get(), step_.affine.get()}}) {
    share_params(*a, *b);
  }
  enc_embed_->set_needs_input_grad(false);
  train_.embed->set_needs_input_grad(false);
  loss_ = std::make_unique<SoftmaxCrossEntropy>();
}

Seq2seq::Decoder Seq2seq::make_decoder(int64_t steps, Rng& rng) const {
  const Seq2seqSpec& s = *spec_.seq2seq;
  const int64_t H = s.hidden, E = s.wordvec;
  const bool peeky = s.decoder == "peeky";
  Decoder d;
  d.embed = std::make_unique<Embedding>(Shape{steps}, s.vocab, E);
  d.lstm = std::make_unique<Recurrent>(CellType::lstm, Shape{steps, peeky ? H + E : E}, H, 1, 0.0f,
                                       false, rng.next_u64());
  d.affine = std::make_unique<Linear>(Shape{steps, s.decoder == "plain" ? H : 2 * H}, s.vocab);
  init_params(*d.embed, spec_.init, rng);
  init_params(*d.lstm, spec_.init, rng);
  init_params(*d.affine, spec_.init, rng);
  return d;
}

std::vector<NamedLayer> Seq2seq::named_layers() {
  return {{"encoder.embed", enc_embed_.get()},
          {"encoder.lstm", enc_lstm_.get()},
          {"decoder.embed", train_.embed.get()},
          {"decoder.lstm", train_.lstm.get()},
          {"decoder.affine", train_.affine.get()}};
}

// The encoder's states (N, Tq, H), and its summary h_ (N, H): the last step's state; with
// two directions the forward one's last and the backward one's first (PyTorch's h_n).
const Tensor& Seq2seq::encode(const Tensor& questions, bool train) {
  const Seq2seqSpec& s = shape();
  const int64_t n = questions.dim(0), tq = s.question, H = s.hidden;
  questions_.resize(Shape{n, tq});
  for (int64_t i = 0; i < n; ++i) {
    const float* q = questions.data() + i * tq;
    float* out = questions_.data() + i * tq;
    if (s.reverse) {
      std::reverse_copy(q, q + tq, out);
    } else {
      std::copy(q, q + tq, out);
    }
  }
  const Tensor& hs = enc_lstm_->forward(enc_embed_->forward(questions_, train), train);
  h_.resize(Shape{n, H});
  const int64_t half = s.bidirectional ? H / 2 : H;
  for (int64_t i = 0; i < n; ++i) {
    const float* last = hs.data() + (i * tq + tq - 1) * H;
    const float* first = hs.data() + i * tq * H;
    std::copy(last, last + half, h_.data() + i * H);
    std::copy(first + half, first + H, h_.data() + i * H + half);
  }
  return hs;
}

// Scores (N, T, V) of decoder `d` reading `ids` (N, T), starting from the encoder's state h_
// (`from_h`) or from the state its last forward ended in.
const Tensor& Seq2seq::decode(Decoder& d, const Tensor& ids, const Tensor& enc_hs, bool from_h,
                              bool train) {
  const std::string& kind = shape().decoder;
  const Tensor& e = d.embed->forward(ids, train);
  const Tensor* lstm_in = &e;
  if (kind == "peeky") {
    join_last(h_, true, e, d.lstm_in);
    lstm_in = &d.lstm_in;
  }
  d.lstm->set_initial_state(from_h ? &h_ : nullptr);  // kept for backward's dL/dh
  const Tensor& hs = d.lstm->forward(*lstm_in, train);
  if (kind == "plain") return d.affine->forward(hs, train);
  if (kind == "peeky") {
    join_last(h_, true, hs, d.affine_in);
  } else {
    join_last(attention_.forward(enc_hs, hs), false, hs, d.affine_in);
  }
  return d.affine->forward(d.affine_in, train);
}

const Tensor& Seq2seq::forward(const Tensor& x, bool train) {
  const Seq2seqSpec& s = shape();
  const int64_t tq = s.question, t = s.answer - 1;
  if (x.rank() != 2 || x.dim(1) != tq + t) {
    throw Error("model \"" + spec_.name + "\": expected ids (N, " + std::to_string(tq + t) +
                ") (the question, then the decoder's input), got " + x.shape().str());
  }
  const int64_t n = x.dim(0);
  as_written_.resize(Shape{n, tq});
  dec_in_.resize(Shape{n, t});
  for (int64_t i = 0; i < n; ++i) {
    const float* row = x.data() + i * (tq + t);
    std::copy(row, row + tq, as_written_.data() + i * tq);
    std::copy(row + tq, row + tq + t, dec_in_.data() + i * t);
  }
  const Tensor& enc_hs = encode(as_written_, train);
  return decode(train_, dec_in_, enc_hs, true, train);
}

double Seq2seq::loss(const Tensor& x, const Target& target, bool train) {
  return loss_->forward(forward(x, train), target) + weight_decay_loss();
}

void Seq2seq::backward() {
  const Seq2seqSpec& s = shape();
  const int64_t H = s.hidden;
  const Tensor& daffine = train_.affine->backward(loss_->backward());
  const int64_t n = daffine.dim(0);
  dh_.resize(Shape{n, H});
  dh_.zero();
  denc_hs_.resize(Shape{n, s.question, H});
  denc_hs_.zero();
  const Tensor* ddec_hs = &daffine;
  if (s.decoder == "peeky") {
    split_last(daffine, H, true, dh_, ddec_hs_);
    ddec_hs = &ddec_hs_;
  } else if (s.decoder == "attention") {
    split_last(daffine, H, false, dctx_, ddec_hs_);
    attention_.backward(dctx_, denc_hs_, ddec_hs_);
    ddec_hs = &ddec_hs_;
  }
  const Tensor& dlstm_in = train_.lstm->backward(*ddec_hs);
  const Tensor& dh0 = train_.lstm->initial_state_grad();
  for (int64_t i = 0; i < dh_.numel(); ++i) dh_[i] += dh0[i];
  if (s.decoder == "peeky") {
    split_last(dlstm_in, H, true, dh_, ddec_e_);
    train_.embed->backward(ddec_e_);
  } else {
    train_.embed->backward(dlstm_in);
  }
  // h_ came from the encoder's last state (both directions: see encode).
  const int64_t tq = s.question, half = s.bidirectional ? H / 2 : H;
  for (int64_t i = 0; i < n; ++i) {
    float* last = denc_hs_.data() + (i * tq + tq - 1) * H;
    float* first = denc_hs_.data() + i * tq * H;
    for (int64_t j = 0; j < half; ++j) last[j] += dh_[i * H + j];
    for (int64_t j = half; j < H; ++j) first[j] += dh_[i * H + j];
  }
  enc_embed_->backward(enc_lstm_->backward(denc_hs_));
  add_weight_decay_grad();
}

const Tensor& Seq2seq::generate(const Tensor& questions, int32_t start_id, int64_t length) {
  const Seq2seqSpec& s = shape();
  if (questions.rank() != 2 || questions.dim(1) != s.question) {
    throw Error("model \"" + spec_.name + "\": expected questions (N, " +
                std::to_string(s.question) + "), got " + questions.shape().str());
  }
  if (start_id < 0 || start_id >= s.vocab || length < 1) {
    throw Error("generate: the start id must be in [0, " + std::to_string(s.vocab) +
                ") and the length at least 1");
  }
  const int64_t n = questions.dim(0), tq = s.question, V = s.vocab;
  const Tensor& enc_hs = encode(questions, false);
  ids_.resize(Shape{n, 1});
  ids_.fill(static_cast<float>(start_id));
  generated_.resize(Shape{n, length});
  generated_weights_.resize(Shape{n, length, s.decoder == "attention" ? tq : 0});
  step_.lstm->set_carry_state(true);
  for (int64_t t = 0; t < length; ++t) {
    // The first step starts from the encoder's h_, the later ones from the carried state.
    const Tensor& score = decode(step_, ids_, enc_hs, t == 0, false);
    for (int64_t i = 0; i < n; ++i) {
      const float* row = score.data() + i * V;
      const auto best = static_cast<float>(std::max_element(row, row + V) - row);
      ids_[i] = best;
      generated_[i * length + t] = best;
    }
    if (s.decoder == "attention") {
      const Tensor& a = attention_.weights();  // (N, 1, Tq), over the encoder's positions
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < tq; ++j) {
          generated_weights_[(i * length + t) * tq + (s.reverse ? tq - 1 - j : j)] = a[i * tq + j];
        }
      }
    }
  }
  step_.lstm->set_carry_state(false);
  return generated_;
}

}  // namespace nnzero
