// word2vec (book 2, chapters 3-4): the unigram sampler's distribution, the book's mini-batch
// gradients against numerical differentiation, both training paths learning which words go
// together, and what they refuse.
#include <gtest/gtest.h>

#include <cmath>

#include "nnzero/train/word2vec.h"
#include "nnzero/words/similarity.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;

namespace {

// Two topics that never meet: words 0-4 appear among themselves, 5-9 among themselves.
std::vector<int32_t> two_topics(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> text;
  while (static_cast<int64_t>(text.size()) < n) {
    const int32_t base = rng.below(2) == 0 ? 0 : 5;
    for (int i = 0; i < 20; ++i) text.push_back(base + static_cast<int32_t>(rng.below(5)));
  }
  return text;
}

Vocabulary ten_words() {
  Vocabulary v(Vocabulary::Level::word);
  for (const char* w : {"a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4"}) v.add(w);
  return v;
}

double row_cosine(const Tensor& m, int64_t i, int64_t j) {
  const int64_t d = m.dim(1);
  return cos_similarity(std::span(m.data() + i * d, static_cast<size_t>(d)),
                        std::span(m.data() + j * d, static_cast<size_t>(d)));
}

}  // namespace

TEST(Word2Vec, TheSamplerDrawsCountsToThePowerThreeQuarters) {
  const std::vector<int32_t> corpus = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2};  // counts 8, 2, 1
  const UnigramSampler sampler(corpus, 4);
  const double z = std::pow(8, 0.75) + std::pow(2, 0.75) + 1.0;
  EXPECT_NEAR(sampler.probability(0), std::pow(8, 0.75) / z, 1e-12);
  EXPECT_EQ(sampler.probability(3), 0.0);
  Rng rng(1);
  std::vector<int64_t> drawn(4, 0);
  const int n = 200000;
  for (int i = 0; i < n; ++i)
    ++drawn[static_cast<size_t>(sampler.sample(rng.uniform_double(), rng.uniform_double()))];
  for (int32_t w = 0; w < 4; ++w) {
    EXPECT_NEAR(static_cast<double>(drawn[static_cast<size_t>(w)]) / n, sampler.probability(w),
                0.005)
        << w;
  }
}

// The book's CBOW and skip-gram batch: analytic gradients of W_in and W_out against central
// differences of the loss (the negatives replayed from the same generator state).
TEST(Word2Vec, TheBooksBatchGradientsMatchNumericalOnes) {
  for (const char* model : {"cbow", "skipgram"}) {
    SCOPED_TRACE(model);
    Word2VecOptions o;
    o.model = model;
    o.dim = 4;
    o.window = 2;
    o.negative = 3;
    const std::vector<int32_t> corpus = two_topics(200, 3);
    const UnigramSampler sampler(corpus, 10);
    const std::vector<int32_t> targets = {1, 7, 3};
    const std::vector<int32_t> contexts = {0, 2, 3, 4, 5, 6, 8, 9, 1, 1, 2, 4};
    Rng init(5);
    Param w_in{"W_in", Tensor(Shape{10, 4}), Tensor(Shape{10, 4}, 0.0f), 0, false};
    Param w_out{"W_out", Tensor(Shape{10, 4}), Tensor(Shape{10, 4}, 0.0f), 0, false};
    init.fill_normal(w_in.value, 0.0f, 0.5f);
    init.fill_normal(w_out.value, 0.0f, 0.5f);
    const Rng start(9);
    Rng rng = start;
    word2vec_book_batch(o, targets, contexts, sampler, rng, w_in, w_out);
    for (Param* p : {&w_in, &w_out}) {
      for (int64_t i = 0; i < p->value.numel(); ++i) {
        const auto loss_at = [&](float delta) {
          const float keep = p->value[i];
          p->value[i] = keep + delta;
          Param scratch_in{"", w_in.value, Tensor(Shape{10, 4}, 0.0f), 0, false};
          Param scratch_out{"", w_out.value, Tensor(Shape{10, 4}, 0.0f), 0, false};
          Rng replay = start;
          const double l =
              word2vec_book_batch(o, targets, contexts, sampler, replay, scratch_in, scratch_out);
          p->value[i] = keep;
          return l;
        };
        const double numerical = (loss_at(1e-3f) - loss_at(-1e-3f)) / 2e-3;
        EXPECT_NEAR(p->grad[i], numerical, 2e-3 + 1e-2 * std::abs(numerical))
            << p->name << " " << i;
      }
    }
  }
}

// Both paths learn the two topics: a word's vector is closer to its own topic's words than
// to the other's.
TEST(Word2Vec, BothPathsLearnWhichWordsGoTogether) {
  const std::vector<int32_t> corpus = two_topics(20000, 1);
  for (const char* path : {"fast", "book"}) {
    for (const char* model : {"cbow", "skipgram"}) {
      SCOPED_TRACE(std::string(path) + " " + model);
      Word2VecOptions o;
      o.path = path;
      o.model = model;
      o.dim = 16;
      o.window = 2;
      o.epochs = std::string(path) == "book" ? 3 : 5;
      o.subsample = 0;
      o.threads = 1;
      o.lr = std::string(path) == "book" ? 0.01 : 0.05;
      Word2VecStats stats;
      const WordVectors v = train_word2vec(corpus, ten_words(), o, &stats);
      ASSERT_EQ(v.embedding.shape(), (Shape{10, 16}));
      EXPECT_GT(row_cosine(v.embedding, 0, 1), row_cosine(v.embedding, 0, 6) + 0.3);
      EXPECT_GT(row_cosine(v.embedding, 7, 9), row_cosine(v.embedding, 7, 2) + 0.3);
      EXPECT_GT(stats.words_per_s, 0.0);
      EXPECT_HAS(v.how, std::string("\"path\":\"") + path + "\"");
    }
  }
}

TEST(Word2Vec, OneThreadGivesTheSameVectorsForTheSameSeed) {
  const std::vector<int32_t> corpus = two_topics(5000, 2);
  Word2VecOptions o;
  o.dim = 8;
  o.threads = 1;
  o.epochs = 2;
  const WordVectors a = train_word2vec(corpus, ten_words(), o);
  const WordVectors b = train_word2vec(corpus, ten_words(), o);
  for (int64_t i = 0; i < a.embedding.numel(); ++i) ASSERT_EQ(a.embedding[i], b.embedding[i]);
  o.seed = 1;
  const WordVectors c = train_word2vec(corpus, ten_words(), o);
  EXPECT_NE(a.embedding[0], c.embedding[0]);
}

TEST(Word2Vec, RefusesWhatCannotTrain) {
  const std::vector<int32_t> corpus = two_topics(100, 2);
  const auto error_with = [&](auto change) {
    Word2VecOptions o;
    change(o);
    return nnzero_test::error_of([&] { train_word2vec(corpus, ten_words(), o); });
  };
  EXPECT_HAS(error_with([](Word2VecOptions& o) { o.model = "glove"; }), "unknown model \"glove\"");
  EXPECT_HAS(error_with([](Word2VecOptions& o) { o.path = "gpu"; }), "unknown path \"gpu\"");
  EXPECT_HAS(error_with([](Word2VecOptions& o) { o.window = 0; }), "must be at least 1");
  EXPECT_HAS(error_with([](Word2VecOptions& o) { o.window = 60; }),
             "the text has 100 words, fewer than one window of 121");
  EXPECT_HAS(error_with([](Word2VecOptions& o) {
               o.path = "book";
               o.negative = 9;
             }),
             "9 negative samples need more than 10 different words in the text");
  EXPECT_HAS(error_with([](Word2VecOptions& o) {
               o.path = "book";
               o.batch = 200;
             }),
             "the text has 90 words with a whole window around them, fewer than one batch of 200");
  const std::vector<int32_t> bad = {0, 1, 2, 3, 42, 5, 6, 7, 8, 9, 0, 1};
  Word2VecOptions small;
  small.window = 1;
  EXPECT_HAS(nnzero_test::error_of([&] { train_word2vec(bad, ten_words(), small); }),
             "word id 42 outside the vocabulary of 10");
}
