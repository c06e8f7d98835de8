// Seq2seq: book 2's encoder-decoder networks (chapters 7-8), which read a question character
// by character and write its answer: "16+75" -> "91", "september 27, 1994" -> "1994-09-27".
//
//   encoder   embedding -> LSTM over the question; its last hidden state h (N, H) sums it up
//             (bidirectional: the forward direction's last state and the backward's first)
//   decoder   embedding -> LSTM starting from h -> affine to a score per character; trained
//             with the true answer as input (teacher forcing), "_91" predicting "91 "
//   peeky     h also goes into every step: the LSTM reads [h; embedding], the affine [h; hidden]
//   attention the affine reads [context; hidden], where the context of each step is the
//             encoder's states weighted by their match with it (layers/dot_attention.h)
//
// The model's input is one row of ids per sample: the question's Tq, then the decoder's
// Ta - 1 (the answer without its last character); its output the scores (N, Ta - 1, V) of
// the answer without its start token. With "reverse" the encoder reads the question from its
// end (book 2, 7.3.1): the caller passes questions as written. Parameters are named as a
// PyTorch module with submodules encoder.embed, encoder.lstm, decoder.embed, decoder.lstm and
// decoder.affine would name them.
#pragma once

#include <memory>
#include <vector>

#include "nnzero/layers/dot_attention.h"
#include "nnzero/layers/loss.h"
#include "nnzero/layers/recurrent.h"
#include "nnzero/model/model.h"

namespace nnzero {

class Seq2seq : public Model {
 public:
  Seq2seq(const ModelSpec& spec, Rng& rng);

  const ModelSpec& spec() const override { return spec_; }
  const Shape& input_shape() const override { return spec_.input; }
  const Shape& output_shape() const override { return output_shape_; }
  const Tensor& forward(const Tensor& x, bool train) override;
  double loss(const Tensor& x, const Target& target, bool train) override;
  void backward() override;
  const Tensor& prediction() const override { return loss_->prediction(); }
  std::vector<NamedLayer> named_layers() override;
  bool prepares_input(int64_t) const override { return false; }
  bool prepare_input(const Tensor&, Tensor&) const override { return false; }
  void use_prepared(const Tensor*) override {}

  const Seq2seqSpec& shape() const { return *spec_.seq2seq; }
  // Book 2's generate, greedy: questions (N, Tq) as written -> answers (N, length), each
  // step's most likely character fed to the next, the first step fed `start_id`.
  const Tensor& generate(const Tensor& questions, int32_t start_id, int64_t length);
  // The attention decoder's weights in the last generate: (N, length, Tq), each row over the
  // question's characters as written (also when the encoder reads them reversed).
  const Tensor& attention_weights() const { return generated_weights_; }

 private:
  // One decoder: the training one reads Ta - 1 steps at once, the generating one 1 step at a
  // time, carrying its state; the two share their weights.
  struct Decoder {
    std::unique_ptr<Layer> embed;
    std::unique_ptr<Recurrent> lstm;
    std::unique_ptr<Layer> affine;
    Tensor lstm_in, affine_in;  // the peeky/attention decoders' concatenations
  };
  Decoder make_decoder(int64_t steps, Rng& rng) const;
  const Tensor& encode(const Tensor& questions, bool train);
  const Tensor& decode(Decoder& d, const Tensor& ids, const Tensor& enc_hs, bool from_h,
                       bool train);

  ModelSpec spec_;
  Shape output_shape_;
  std::unique_ptr<Layer> enc_embed_;
  std::unique_ptr<Recurrent> enc_lstm_;
  Decoder train_, step_;
  DotAttention attention_;
  std::unique_ptr<Loss> loss_;
  // The questions as written and as the encoder reads them (reversed if so), the decoder's
  // input, and the encoder's summary h (N, H).
  Tensor as_written_, questions_, dec_in_, h_;
  Tensor dh_, denc_hs_, dctx_, ddec_hs_, ddec_e_, ids_, generated_, generated_weights_;
};

}  // namespace nnzero
