// CausalSelfAttention: a hand-computed two-position case; the fast loops against the plain
// formula in double (nanoGPT's forward written out); the causal property (a position's output
// and the gradient reaching a position depend on the positions up to it only); gradients
// against numerical differentiation (with and without bias, T = 1, H = 1); the same results on
// one and two threads; step() with its key/value cache against forward; the errors. Its
// PyTorch round trip comes with its registration (test_torch_interop.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "nnzero/layers/causal_self_attention.h"
#include "nnzero/model/layer_registry.h"
#include "nnzero/parallel.h"
#include "nnzero/train/gradcheck.h"
#include "test_support.h"

using namespace nnzero;

namespace {

// Weights N(0, 1/C) (so that the scores stay near 1, the softmax not saturated), biases
// N(0, 0.1^2).
void csa_fill(CausalSelfAttention& a, Rng& rng) {
  const float s = 1.0f / std::sqrt(static_cast<float>(a.in_shape()[1]));
  for (Param* p : a.params()) rng.fill_normal(p->value, 0.0f, p->fan_in > 0 ? s : 0.1f);
}

Tensor csa_input(const CausalSelfAttention& a, int64_t n, Rng& rng) {
  Tensor x(a.in_shape().with_batch(n));
  rng.fill_normal(x, 0.0f, 1.0f);
  return x;
}

// nanoGPT's forward written out, in double: qkv = x W^T + b, per head the causal softmax of
// q k^T / sqrt(hs) times v, heads side by side, then c_proj.
std::vector<double> csa_reference(CausalSelfAttention& a, const Tensor& x) {
  const int64_t N = x.dim(0), T = x.dim(1), C = x.dim(2), H = a.heads(), hs = C / H;
  const bool bias = a.has_bias();
  std::vector<double> qkv(static_cast<size_t>(N * T * 3 * C)), y(static_cast<size_t>(N * T * C));
  std::vector<double> out(y.size());
  for (int64_t r = 0; r < N * T; ++r) {
    for (int64_t o = 0; o < 3 * C; ++o) {
      double sum = bias ? a.attn_bias().value[o] : 0.0;
      for (int64_t c = 0; c < C; ++c)
        sum += double{a.attn_weight().value[o * C + c]} * x[r * C + c];
      qkv[static_cast<size_t>(r * 3 * C + o)] = sum;
    }
  }
  const auto at = [&](int64_t n, int64_t t, int64_t col) {
    return qkv[static_cast<size_t>((n * T + t) * 3 * C + col)];
  };
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < T; ++i) {
        std::vector<double> s(static_cast<size_t>(i + 1));
        double top = -1e300, total = 0.0;
        for (int64_t j = 0; j <= i; ++j) {
          double dot = 0.0;
          for (int64_t d = 0; d < hs; ++d) dot += at(n, i, h * hs + d) * at(n, j, C + h * hs + d);
          s[static_cast<size_t>(j)] = dot / std::sqrt(static_cast<double>(hs));
          top = std::max(top, s[static_cast<size_t>(j)]);
        }
        for (double& v : s) total += v = std::exp(v - top);
        for (int64_t d = 0; d < hs; ++d) {
          double sum = 0.0;
          for (int64_t j = 0; j <= i; ++j) {
            sum += s[static_cast<size_t>(j)] / total * at(n, j, 2 * C + h * hs + d);
          }
          y[static_cast<size_t>((n * T + i) * C + h * hs + d)] = sum;
        }
      }
    }
  }
  for (int64_t r = 0; r < N * T; ++r) {
    for (int64_t o = 0; o < C; ++o) {
      double sum = bias ? a.proj_bias().value[o] : 0.0;
      for (int64_t c = 0; c < C; ++c) {
        sum += double{a.proj_weight().value[o * C + c]} * y[static_cast<size_t>(r * C + c)];
      }
      out[static_cast<size_t>(r * C + o)] = sum;
    }
  }
  return out;
}

void csa_expect_gradients_match(CausalSelfAttention& a, int64_t n, uint64_t seed) {
  Rng rng(seed);
  csa_fill(a, rng);
  const Tensor x = csa_input(a, n, rng);
  GradCheckOptions o;
  o.max_elements = 200;
  const auto results = gradcheck_layer(a, x, rng, o);
  ASSERT_EQ(results.size(), a.params().size() + 1);
  for (const auto& r : results) {
    EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
    EXPECT_GT(r.elements, 0) << r.name;
  }
}

}  // namespace

// C = 2, one head, q = k = v = x (c_attn = three identities), c_proj the identity, no bias.
// x_0 = (1, 0), x_1 = (0, 1): position 0 sees only itself, y_0 = x_0; position 1 has scores
// (x_1 . x_0, x_1 . x_1) / sqrt(2) = (0, 0.7071068), weights softmax = (1, e^0.7071068) /
// (1 + e^0.7071068) = (0.3302381, 0.6697619), so y_1 = (0.3302381, 0.6697619).
TEST(CausalSelfAttention, HandComputedTwoPositions) {
  CausalSelfAttention a(Shape{2, 2}, 1, false);
  a.attn_weight().value = Tensor(Shape{6, 2}, {1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1});
  a.proj_weight().value = Tensor(Shape{2, 2}, {1, 0, 0, 1});
  Tensor x(Shape{1, 2, 2}, {1, 0, 0, 1});
  const Tensor y = a.forward(x, false).clone();
  EXPECT_NEAR(y[0], 1.0f, 1e-6f);
  EXPECT_NEAR(y[1], 0.0f, 1e-6f);
  EXPECT_NEAR(y[2], 0.3302381f, 1e-6f);
  EXPECT_NEAR(y[3], 0.6697619f, 1e-6f);
  EXPECT_NEAR(a.attention()[0 * 2 + 0], 1.0f, 1e-6f);
  EXPECT_EQ(a.attention()[0 * 2 + 1], 0.0f);  // position 0 does not see position 1
  EXPECT_NEAR(a.attention()[1 * 2 + 1], 0.6697619f, 1e-6f);
  // The second input changes: the first position's output does not.
  x[2] = 3.0f;
  x[3] = -2.0f;
  const Tensor& y2 = a.forward(x, false);
  EXPECT_EQ(y2[0], y[0]);
  EXPECT_EQ(y2[1], y[1]);
  EXPECT_NE(y2[2], y[2]);
}

TEST(CausalSelfAttention, MatchesThePlainFormula) {
  for (auto [t, c, h, bias] : {std::tuple{5, 8, 2, true},
                               {1, 4, 1, true},
                               {7, 12, 3, false},
                               {64, 128, 4, true},
                               {33, 40, 5, true}}) {
    SCOPED_TRACE("T=" + std::to_string(t) + " C=" + std::to_string(c) + " H=" + std::to_string(h));
    CausalSelfAttention a(Shape{t, c}, h, bias);
    Rng rng(static_cast<uint64_t>(t * 100 + c));
    csa_fill(a, rng);
    const Tensor x = csa_input(a, 3, rng);
    const Tensor& y = a.forward(x, true);
    const std::vector<double> want = csa_reference(a, x);
    ASSERT_EQ(y.numel(), static_cast<int64_t>(want.size()));
    for (int64_t i = 0; i < y.numel(); ++i) {
      ASSERT_NEAR(y[i], want[static_cast<size_t>(i)], 1e-5) << i;
    }
  }
}

TEST(CausalSelfAttention, OutputsAndGradientsOnlyDependOnEarlierPositions) {
  CausalSelfAttention a(Shape{8, 16}, 4);
  Rng rng(3);
  csa_fill(a, rng);
  const Tensor x = csa_input(a, 2, rng);
  const Tensor y = a.forward(x, true).clone();
  const int64_t T = 8, C = 16;
  for (int64_t p : {0, 3, 7}) {
    SCOPED_TRACE("position " + std::to_string(p) + " of sample 0 changed");
    Tensor x2 = x.clone();
    for (int64_t c = 0; c < C; ++c) x2[p * C + c] += 1.0f;
    const Tensor& y2 = a.forward(x2, true);
    for (int64_t i = 0; i < 2 * T * C; ++i) {
      const int64_t n = i / (T * C), t = i / C % T;
      if (n == 1 || t < p) {
        ASSERT_EQ(y2[i], y[i]) << "sample " << n << " position " << t;
      }
    }
    float change = 0.0f;
    for (int64_t c = 0; c < C; ++c) change += std::abs(y2[p * C + c] - y[p * C + c]);
    EXPECT_GT(change, 1e-3f);
  }
  // A loss on position 2 alone sends no gradient to the positions after it.
  a.forward(x, true);
  Tensor dout(Shape{2, T, C});
  for (int64_t c = 0; c < C; ++c) dout[2 * C + c] = 1.0f;
  const Tensor& dx = a.backward(dout);
  for (int64_t t = 0; t < T; ++t) {
    float size = 0.0f;
    for (int64_t c = 0; c < C; ++c) size += std::abs(dx[t * C + c]);
    if (t > 2) {
      EXPECT_EQ(size, 0.0f) << "position " << t;
    } else {
      EXPECT_GT(size, 0.0f) << "position " << t;
    }
  }
}

TEST(CausalSelfAttention, GradientsMatchNumericalOnes) {
  uint64_t seed = 10;
  for (auto [t, c, h] : {std::tuple{4, 6, 2},
                         {1, 4, 1},
                         {1, 6, 3},
                         {5, 8, 1},
                         {7, 12, 3},
                         {3, 16, 4},
                         {20, 32, 2}}) {
    for (const bool bias : {true, false}) {
      SCOPED_TRACE("T=" + std::to_string(t) + " C=" + std::to_string(c) +
                   " H=" + std::to_string(h) + (bias ? " with bias" : " without bias"));
      CausalSelfAttention a(Shape{t, c}, h, bias);
      csa_expect_gradients_match(a, 2, ++seed);
    }
  }
}

TEST(CausalSelfAttention, SameResultsOnOneAndTwoThreads) {
  const int threads = num_threads();
  std::vector<Tensor> got;
  for (int n : {1, 2}) {
    set_num_threads(n);
    CausalSelfAttention a(Shape{32, 64}, 4);
    Rng rng(8);
    csa_fill(a, rng);
    const Tensor x = csa_input(a, 6, rng);
    Tensor dout(x.shape());
    rng.fill_normal(dout, 0.0f, 1.0f);
    got.push_back(a.forward(x, true).clone());
    got.push_back(a.backward(dout).clone());
    for (Param* p : a.params()) got.push_back(p->grad.clone());
  }
  set_num_threads(threads);
  const size_t half = got.size() / 2;
  for (size_t k = 0; k < half; ++k) {
    ASSERT_EQ(got[k].numel(), got[k + half].numel());
    for (int64_t i = 0; i < got[k].numel(); ++i) {
      ASSERT_EQ(got[k][i], got[k + half][i]) << "tensor " << k << " element " << i;
    }
  }
}

// Once the shapes repeat, forward, backward and step reuse their buffers.
TEST(CausalSelfAttention, AllocatesNothingInTheSteadyState) {
  CausalSelfAttention a(Shape{16, 32}, 4);
  Rng rng(5);
  csa_fill(a, rng);
  const Tensor x = csa_input(a, 3, rng);
  Tensor dout(x.shape());
  rng.fill_normal(dout, 0.0f, 1.0f);
  const Tensor one(Shape{3, 1, 32}, 0.5f);
  const auto run = [&] {
    a.forward(x, true);
    a.backward(dout);
    a.reset_cache();
    for (int i = 0; i < 16; ++i) a.step(one);
  };
  run();
  const int64_t before = tensor_allocations();
  run();
  EXPECT_EQ(tensor_allocations(), before);
}

TEST(CausalSelfAttention, StepWithTheCacheGivesForwardsOutputs) {
  for (auto [n, t, c, h, bias] : {std::tuple{2, 6, 8, 2, true},
                                  {1, 1, 4, 1, true},
                                  {1, 9, 12, 3, false},
                                  {3, 64, 128, 4, true}}) {
    SCOPED_TRACE("N=" + std::to_string(n) + " T=" + std::to_string(t) + " C=" + std::to_string(c) +
                 " H=" + std::to_string(h));
    CausalSelfAttention a(Shape{t, c}, h, bias);
    Rng rng(static_cast<uint64_t>(n + t + c));
    csa_fill(a, rng);
    const Tensor x = csa_input(a, n, rng);
    const Tensor want = a.forward(x, false).clone();
    // Twice: the second time after reset_cache(), on the storage of the first.
    for (int round = 0; round < 2; ++round) {
      a.reset_cache();
      EXPECT_EQ(a.cached(), 0);
      Tensor xt(Shape{n, 1, c});
      for (int64_t p = 0; p < t; ++p) {
        for (int64_t s = 0; s < n; ++s) {
          for (int64_t k = 0; k < c; ++k) xt[s * c + k] = x[(s * t + p) * c + k];
        }
        const Tensor& y = a.step(xt);
        ASSERT_TRUE(y.shape() == Shape({n, 1, c})) << y.shape().str();
        EXPECT_EQ(a.cached(), p + 1);
        for (int64_t s = 0; s < n; ++s) {
          for (int64_t k = 0; k < c; ++k) {
            ASSERT_NEAR(y[s * c + k], want[(s * t + p) * c + k], 1e-5f)
                << "sample " << s << " position " << p << " feature " << k;
          }
        }
      }
    }
  }
}

TEST(CausalSelfAttention, ParametersAreNanoGptsAndTheFlopsCountTheProducts) {
  CausalSelfAttention a(Shape{64, 128}, 4);
  EXPECT_EQ(a.head_size(), 32);
  const std::vector<Param*> p = a.params();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0]->name, "c_attn.weight");
  EXPECT_TRUE(p[0]->value.shape() == Shape({384, 128}));
  EXPECT_EQ(p[1]->name, "c_attn.bias");
  EXPECT_TRUE(p[1]->value.shape() == Shape({384}));
  EXPECT_EQ(p[2]->name, "c_proj.weight");
  EXPECT_TRUE(p[2]->value.shape() == Shape({128, 128}));
  EXPECT_EQ(p[3]->name, "c_proj.bias");
  for (Param* w : {p[0], p[2]}) {
    EXPECT_TRUE(w->decay);
    EXPECT_EQ(w->fan_in, 128);
  }
  for (Param* b : {p[1], p[3]}) {
    EXPECT_FALSE(b->decay);
    EXPECT_EQ(b->fan_in, 0);
  }
  // 8 T C^2 (c_attn 6, c_proj 2) + 4 T^2 C (q k^T and att v over all T^2 pairs).
  EXPECT_DOUBLE_EQ(a.flops(), 8.0 * 64 * 128 * 128 + 4.0 * 64 * 64 * 128);
  CausalSelfAttention no_bias(Shape{4, 6}, 2, false);
  EXPECT_EQ(no_bias.params().size(), 2u);
}

TEST(CausalSelfAttention, SkipsDxWhenNotNeededButStillAddsParameterGradients) {
  CausalSelfAttention full(Shape{5, 8}, 2), first(Shape{5, 8}, 2);
  Rng rng(2);
  csa_fill(full, rng);
  for (size_t i = 0; i < full.params().size(); ++i) {
    first.params()[i]->value.copy_from(full.params()[i]->value);
  }
  first.set_needs_input_grad(false);
  const Tensor x = csa_input(full, 3, rng);
  Tensor dout(x.shape());
  rng.fill_normal(dout, 0.0f, 1.0f);
  full.forward(x, true);
  full.backward(dout);
  first.forward(x, true);
  EXPECT_TRUE(first.backward(dout).empty());
  for (size_t i = 0; i < full.params().size(); ++i) {
    const Tensor& a = full.params()[i]->grad;
    const Tensor& b = first.params()[i]->grad;
    for (int64_t k = 0; k < a.numel(); ++k) ASSERT_EQ(a[k], b[k]) << full.params()[i]->name;
  }
}

TEST(CausalSelfAttention, ErrorsNameTheLayerAndTheShapes) {
  using nnzero_test::error_of;
  EXPECT_HAS(error_of([] {
               CausalSelfAttention(Shape{4, 6}, 4);
             }),
             "causal_self_attention: C = 6 is not divisible by heads = 4");
  EXPECT_HAS(error_of([] { CausalSelfAttention(Shape{4, 6}, 0); }), "heads must be at least 1");
  EXPECT_HAS(error_of([] { CausalSelfAttention(Shape{6}, 2); }),
             "causal_self_attention: needs a sequence (T, C), got sample shape (6)");
  Rng rng(1);
  EXPECT_HAS(error_of([&] {
               make_layer(parse_layer_spec({{"type", "causal_self_attention"}, {"heads", 4}}, "s"),
                          Shape{4, 6}, rng, "layer 2 (causal_self_attention)");
             }),
             "layer 2 (causal_self_attention): causal_self_attention: C = 6 is not divisible");

  CausalSelfAttention a(Shape{2, 4}, 2);
  EXPECT_HAS(error_of([&] {
               a.forward(Tensor(Shape{3, 3, 4}), true);
             }),
             "causal_self_attention: expected input (N, ...) with sample shape (2, 4), got "
             "(3, 3, 4)");
  a.forward(Tensor(Shape{3, 2, 4}), true);
  EXPECT_HAS(error_of([&] {
               a.backward(Tensor(Shape{1, 2, 4}));
             }),
             "causal_self_attention: backward expected dout of shape (3, 2, 4), got (1, 2, 4)");
  EXPECT_HAS(error_of([&] {
               a.step(Tensor(Shape{1, 2, 4}));
             }),
             "causal_self_attention: step expects one position (N, 1, 4), got (1, 2, 4)");
  a.step(Tensor(Shape{1, 1, 4}));
  EXPECT_HAS(error_of([&] {
               a.step(Tensor(Shape{2, 1, 4}));
             }),
             "step on a batch of 2 sequences, but the cache holds 1; call reset_cache()");
  a.step(Tensor(Shape{1, 1, 4}));
  EXPECT_HAS(error_of([&] {
               a.step(Tensor(Shape{1, 1, 4}));
             }),
             "causal_self_attention: the key/value cache is full (2 positions");
  a.reset_cache();
  EXPECT_NO_THROW(a.step(Tensor(Shape{2, 1, 4})));
}

TEST(CausalSelfAttention, TheRegistryBuildsItWithTheTorchArguments) {
  Rng rng(1);
  const LayerSpec spec =
      parse_layer_spec({{"type", "causal_self_attention"}, {"heads", 4}}, "spec");
  const auto layer = make_layer(spec, Shape{16, 32}, rng, "layer 0");
  EXPECT_STREQ(layer->type(), "causal_self_attention");
  EXPECT_EQ(layer->params().size(), 4u);
  EXPECT_EQ(torch_args(spec, Shape{16, 32}),
            (nlohmann::json{{"width", 32}, {"context", 16}, {"heads", 4}, {"bias", true}}));
}
