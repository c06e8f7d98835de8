// The sequence layers of book 2 beyond what every registered layer gets
// (tests/test_layer_registry.cpp: gradient checks, threads; tests/test_torch_interop.cpp:
// PyTorch's outputs): the LSTM against the book's equations by hand, the hidden state carried
// across batches, the embedding's lookup and its summed gradients, and linear and the loss on
// sequences.
#include <gtest/gtest.h>

#include <cmath>

#include "nnzero/layers/embedding.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/recurrent.h"
#include "nnzero/layers/softmax_cross_entropy.h"
#include "nnzero/model/sequential.h"
#include "test_support.h"

using namespace nnzero;

namespace {

double sigmoid_of(double a) {
  return 1.0 / (1.0 + std::exp(-a));
}

void fill_params(Layer& layer, Rng& rng) {
  for (Param* p : layer.params()) rng.fill_normal(p->value, 0.0f, 0.5f);
}

void copy_params(Layer& from, Layer& to) {
  const std::vector<Param*> a = from.params(), b = to.params();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) b[i]->value.copy_from(a[i]->value);
}

}  // namespace

// One unit, one input, two steps, computed from the book's formulas (gates i, f, g, o).
TEST(RecurrentLayers, LstmFollowsTheBooksEquations) {
  Recurrent lstm(CellType::lstm, Shape{2, 1}, 1, 1, 0.0f, false, 0);
  const std::vector<Param*> p = lstm.params();  // weight_ih (4, 1), weight_hh (4, 1), biases (4)
  const float wx[4] = {0.5f, -0.3f, 0.8f, 0.1f}, wh[4] = {0.2f, 0.4f, -0.6f, 0.7f};
  const float bi[4] = {0.1f, 0.2f, -0.1f, 0.05f}, bh[4] = {0.0f, 0.3f, 0.0f, -0.2f};
  for (int g = 0; g < 4; ++g) {
    p[0]->value[g] = wx[g];
    p[1]->value[g] = wh[g];
    p[2]->value[g] = bi[g];
    p[3]->value[g] = bh[g];
  }
  const Tensor x(Shape{1, 2, 1}, {1.5f, -0.7f});
  const Tensor& y = lstm.forward(x, false);
  double h = 0.0, c = 0.0;
  for (int t = 0; t < 2; ++t) {
    double a[4];
    for (int g = 0; g < 4; ++g) a[g] = wx[g] * x[t] + wh[g] * h + bi[g] + bh[g];
    const double i = sigmoid_of(a[0]), f = sigmoid_of(a[1]), gg = std::tanh(a[2]),
                 o = sigmoid_of(a[3]);
    c = f * c + i * gg;
    h = o * std::tanh(c);
    EXPECT_NEAR(y[t], h, 1e-6) << "step " << t;
  }
}

// Reading a sequence in two halves with the state carried gives the outputs of reading it
// whole (book 2's stateful TimeLSTM), for every cell; reset_state starts from zeros again.
TEST(RecurrentLayers, CarryingTheStateEqualsReadingTheWholeSequence) {
  for (const CellType cell : {CellType::rnn, CellType::lstm, CellType::gru}) {
    Rng rng(5);
    Recurrent whole(cell, Shape{6, 3}, 4, 2, 0.0f, false, 1);
    Recurrent half(cell, Shape{3, 3}, 4, 2, 0.0f, false, 1);
    SCOPED_TRACE(whole.type());
    fill_params(whole, rng);
    copy_params(whole, half);
    Tensor x(Shape{2, 6, 3});
    rng.fill_normal(x, 0.0f, 1.0f);
    const Tensor want = whole.forward(x, false).clone();
    half.set_carry_state(true);
    for (int part = 0; part < 2; ++part) {
      Tensor xs(Shape{2, 3, 3});
      for (int n = 0; n < 2; ++n) {
        for (int t = 0; t < 3; ++t) {
          for (int d = 0; d < 3; ++d) xs.at(n, t, d) = x.at(n, part * 3 + t, d);
        }
      }
      const Tensor& y = half.forward(xs, false);
      for (int n = 0; n < 2; ++n) {
        for (int t = 0; t < 3; ++t) {
          for (int k = 0; k < 4; ++k) {
            EXPECT_NEAR(y.at(n, t, k), want.at(n, part * 3 + t, k), 1e-6);
          }
        }
      }
    }
    // Without carrying, the second half starts from zeros and differs.
    half.set_carry_state(false);
    Tensor second(Shape{2, 3, 3});
    for (int n = 0; n < 2; ++n) {
      for (int t = 0; t < 3; ++t) {
        for (int d = 0; d < 3; ++d) second.at(n, t, d) = x.at(n, 3 + t, d);
      }
    }
    EXPECT_GT(std::abs(half.forward(second, false).at(0, 0, 0) - want.at(0, 3, 0)), 1e-4f);
  }
}

TEST(EmbeddingLayer, MustBeTheFirstLayer) {
  Rng rng(0);
  EXPECT_HAS(nnzero_test::error_of([&] {
               Sequential m(ModelSpec::parse(R"({"input": [4], "layers": [
                 {"type": "linear", "out_features": 3},
                 {"type": "embedding", "num_embeddings": 5, "embedding_dim": 2}]})"),
                            rng);
             }),
             "layer 1 (embedding): an embedding reads token ids, so it must be the first layer");
}

TEST(RecurrentLayers, NeedASequence) {
  EXPECT_HAS(nnzero_test::error_of([] { Recurrent(CellType::lstm, Shape{5}, 3, 1, 0, false, 0); }),
             "lstm: needs a sequence (T, features) per sample, got (5)");
}

TEST(EmbeddingLayer, LooksUpRowsAndAddsTheGradientOfEveryOccurrence) {
  Embedding embed(Shape{3}, 4, 2);
  for (int64_t i = 0; i < 8; ++i) embed.weight().value[i] = static_cast<float>(i);
  const Tensor ids(Shape{1, 3}, {2, 0, 2});
  const Tensor& y = embed.forward(ids, true);
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()), (std::vector<float>{4, 5, 0, 1, 4, 5}));
  embed.weight().grad.zero();
  embed.backward(Tensor(Shape{1, 3, 2}, {1, 2, 3, 4, 5, 6}));
  const Tensor& g = embed.weight().grad;
  EXPECT_EQ(std::vector<float>(g.begin(), g.end()), (std::vector<float>{3, 4, 0, 0, 6, 8, 0, 0}));
}

TEST(EmbeddingLayer, RefusesWhatIsNotATokenId) {
  Embedding embed(Shape{2}, 4, 2);
  for (const float bad : {4.0f, -1.0f, 1.5f, NAN}) {
    const Tensor ids(Shape{1, 2}, {0.0f, bad});
    EXPECT_HAS(nnzero_test::error_of([&] { embed.forward(ids, false); }), "embedding: input 1 is");
  }
}

// nn.Linear on (N, T, in) is the same linear map at every step.
TEST(SequenceLayers, LinearActsOnEveryStep) {
  Rng rng(3);
  Linear seq(Shape{4, 3}, 2), flat(Shape{3}, 2);
  fill_params(seq, rng);
  copy_params(seq, flat);
  Tensor x(Shape{2, 4, 3});
  rng.fill_normal(x, 0.0f, 1.0f);
  const Tensor& y = seq.forward(x, false);
  ASSERT_EQ(y.shape(), (Shape{2, 4, 2}));
  const Tensor& rows = flat.forward(x.reshape(Shape{8, 3}), false);
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_FLOAT_EQ(y[i], rows[i]);
}

// Book 2's TimeSoftmaxWithLoss: the mean over all N*T positions, and its gradient.
TEST(SequenceLayers, TheLossOfASequenceIsTheMeanOverItsPositions) {
  Rng rng(4);
  Tensor scores(Shape{2, 3, 5});
  rng.fill_normal(scores, 0.0f, 2.0f);
  const std::vector<int32_t> labels = {0, 4, 2, 2, 1, 3};
  SoftmaxCrossEntropy seq, flat;
  Target t;
  t.labels = labels;
  const double a = seq.forward(scores, t);
  const double b = flat.forward(scores.reshape(Shape{6, 5}), t);
  EXPECT_NEAR(a, b, 1e-12);
  double by_hand = 0.0;
  for (int r = 0; r < 6; ++r) {
    double sum = 0.0;
    for (int k = 0; k < 5; ++k) sum += std::exp(static_cast<double>(scores[r * 5 + k]));
    by_hand -= std::log(std::exp(static_cast<double>(scores[r * 5 + labels[r]])) / sum);
  }
  EXPECT_NEAR(a, by_hand / 6, 1e-6);
  const Tensor& d = seq.backward();
  EXPECT_EQ(d.shape(), scores.shape());
  EXPECT_HAS(nnzero_test::error_of([&] {
               const std::vector<int32_t> few = {1, 2};
               Target short_target;
               short_target.labels = few;
               seq.forward(scores, short_target);
             }),
             "2 labels for 6 positions");
}
