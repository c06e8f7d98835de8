#include "nnzero/train/word2vec.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "nnzero/functions/exp_float.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"
#include "nnzero/train/optimizer.h"

namespace nnzero {

namespace {

using Clock = std::chrono::steady_clock;

// -log sigmoid_float(x) for a true pair, -log(1 - sigmoid_float(x)) = -log sigmoid_float(-x) for a
// false one.
double binary_loss(float score, bool positive) {
  const double p = sigmoid_float(positive ? score : -score);
  return -std::log(p + 1e-7);  // book 2's SigmoidWithLoss adds 1e-7 too
}

float dot(const float* a, const float* b, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void add_scaled(float* y, const float* x, float a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void check_options(std::span<const int32_t> corpus, const Vocabulary& vocab,
                   const Word2VecOptions& o) {
  if (o.model != "cbow" && o.model != "skipgram") {
    throw Error("word2vec: unknown model \"" + o.model + "\" (cbow or skipgram)");
  }
  if (o.path != "fast" && o.path != "book") {
    throw Error("word2vec: unknown path \"" + o.path + "\" (fast or book)");
  }
  if (o.dim < 1 || o.window < 1 || o.negative < 0 || o.epochs < 1 || o.batch < 1) {
    throw Error("word2vec: dim, window, epochs and batch must be at least 1, negative at least 0");
  }
  if (!(o.lr >= 0.0) || !(o.subsample >= 0.0)) {
    throw Error("word2vec: the learning rate and the subsampling threshold must be >= 0");
  }
  // The book draws a row's negatives without repeats and never the true word: it needs more
  // than `negative` + 1 words that occur in the text (a vocabulary may hold others).
  std::vector<bool> seen(static_cast<size_t>(vocab.size()), false);
  int64_t occurring = 0;
  for (const int32_t id : corpus) {
    if (id >= 0 && id < vocab.size() && !seen[static_cast<size_t>(id)]) {
      seen[static_cast<size_t>(id)] = true;
      ++occurring;
    }
  }
  if (o.path == "book" && o.negative >= occurring - 1) {
    throw Error("word2vec: " + std::to_string(o.negative) + " negative samples need more than " +
                std::to_string(o.negative + 1) + " different words in the text, which has " +
                std::to_string(occurring) + " (the book draws them without repeats, never the " +
                "true word)");
  }
  if (static_cast<int64_t>(corpus.size()) < 2 * o.window + 1) {
    throw Error("word2vec: the text has " + std::to_string(corpus.size()) +
                " words, fewer than one window of " + std::to_string(2 * o.window + 1));
  }
  const auto positions = static_cast<int64_t>(corpus.size()) - 2 * o.window;
  if (o.path == "book" && positions < o.batch) {
    throw Error("word2vec: the text has " + std::to_string(positions) + " words with a whole " +
                "window around them, fewer than one batch of " + std::to_string(o.batch));
  }
  if (corpus.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw Error("word2vec: texts of more than 2^31 words are not supported");
  }
  for (const int32_t id : corpus) {
    if (id < 0 || id >= vocab.size()) {
      throw Error("word2vec: word id " + std::to_string(id) + " outside the vocabulary of " +
                  std::to_string(vocab.size()));
    }
  }
}

// book 2's UnigramSampler.get_negative_sample: per row `k` words without repetition, never
// the row's target (rejection of the few repeats instead of the book's renormalised p).
void sample_negatives(const UnigramSampler& sampler, int32_t target, int64_t k, Rng& rng,
                      int32_t* out) {
  for (int64_t j = 0; j < k; ++j) {
    int32_t w = 0;
    do {
      w = sampler.sample(rng.uniform_double(), rng.uniform_double());
    } while (w == target || std::find(out, out + j, w) != out + j);
    out[j] = w;
  }
}

// ---- the book's path: mini-batches of whole windows, Adam (book 2, ch04/cbow.py, train.py) ----

struct BookBatch {
  std::vector<int32_t> targets, contexts;  // (B), (B, 2w)
};

// One mini-batch's loss and gradients into W_in.grad and W_out.grad (book 2's CBOW.forward
// and backward; SkipGram's when skip-gram): every pair's binary loss averaged over the batch.
}  // namespace

double word2vec_book_batch(const Word2VecOptions& o, std::span<const int32_t> targets,
                           std::span<const int32_t> contexts, const UnigramSampler& sampler,
                           Rng& rng, Param& w_in, Param& w_out) {
  const auto B = static_cast<int64_t>(targets.size());
  const int64_t C = 2 * o.window, D = o.dim;
  const int64_t K = o.negative;
  std::vector<float> h(static_cast<size_t>(D)), dh(static_cast<size_t>(D));
  std::vector<int32_t> neg(static_cast<size_t>(K));
  double loss = 0.0;
  const auto inv_b = 1.0f / static_cast<float>(B);
  // The pairs one input vector h is scored against: (word, is it the true one).
  const auto score_pairs = [&](const float* hin, int32_t truth, float* dhin) {
    sample_negatives(sampler, truth, K, rng, neg.data());
    for (int64_t k = -1; k < K; ++k) {
      const int32_t w = k < 0 ? truth : neg[k];
      float* out = w_out.value.data() + int64_t{w} * D;
      const float s = dot(hin, out, D);
      loss += binary_loss(s, k < 0);
      const float g = (sigmoid_float(s) - (k < 0 ? 1.0f : 0.0f)) * inv_b;  // dL/ds, mean over B
      add_scaled(dhin, out, g, D);
      add_scaled(w_out.grad.data() + int64_t{w} * D, hin, g, D);
    }
  };
  for (int64_t i = 0; i < B; ++i) {
    const int32_t* ctx = contexts.data() + i * C;
    if (o.model == "cbow") {
      // h = the mean of the context vectors; each context gets dh / C back.
      std::fill(h.begin(), h.end(), 0.0f);
      for (int64_t c = 0; c < C; ++c)
        add_scaled(h.data(), w_in.value.data() + int64_t{ctx[c]} * D, 1.0f / C, D);
      std::fill(dh.begin(), dh.end(), 0.0f);
      score_pairs(h.data(), targets[static_cast<size_t>(i)], dh.data());
      for (int64_t c = 0; c < C; ++c)
        add_scaled(w_in.grad.data() + int64_t{ctx[c]} * D, dh.data(), 1.0f / C, D);
    } else {
      // Skip-gram: the target's vector predicts each context word.
      const int32_t t = targets[static_cast<size_t>(i)];
      std::fill(dh.begin(), dh.end(), 0.0f);
      for (int64_t c = 0; c < C; ++c)
        score_pairs(w_in.value.data() + int64_t{t} * D, ctx[c], dh.data());
      add_scaled(w_in.grad.data() + int64_t{t} * D, dh.data(), 1.0f, D);
    }
  }
  return loss / static_cast<double>(B);
}

namespace {

void train_book(std::span<const int32_t> corpus, const UnigramSampler& sampler,
                const Word2VecOptions& o, Tensor& word_in, Word2VecStats& stats) {
  const int64_t V = word_in.dim(0), D = o.dim, w = o.window, C = 2 * w;
  const auto n = static_cast<int64_t>(corpus.size()) - C;  // create_contexts_target's targets
  Rng rng(o.seed);
  // book 2: W_in and W_out = 0.01 * randn(V, H).
  Param w_in{"W_in", Tensor(Shape{V, D}), Tensor(Shape{V, D}), 0, false};
  Param w_out{"W_out", Tensor(Shape{V, D}), Tensor(Shape{V, D}), 0, false};
  rng.fill_normal(w_in.value, 0.0f, 0.01f);
  rng.fill_normal(w_out.value, 0.0f, 0.01f);
  const auto optimizer = make_optimizer("adam", {&w_in, &w_out}, static_cast<float>(o.lr));
  const int64_t per_epoch = n / o.batch;
  BookBatch b;
  double recent = 0.0;
  int64_t recent_steps = 0;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const std::vector<int32_t> order = rng.permutation(static_cast<int32_t>(n));
    for (int64_t s = 0; s < per_epoch; ++s) {
      b.targets.clear();
      b.contexts.clear();
      for (int64_t i = 0; i < o.batch; ++i) {
        const int64_t at =
            order[static_cast<size_t>(s * o.batch + i)] + w;  // the target's position
        b.targets.push_back(corpus[static_cast<size_t>(at)]);
        for (int64_t c = -w; c <= w; ++c) {
          if (c != 0) b.contexts.push_back(corpus[static_cast<size_t>(at + c)]);
        }
      }
      w_in.grad.zero();
      w_out.grad.zero();
      recent += word2vec_book_batch(o, b.targets, b.contexts, sampler, rng, w_in, w_out);
      optimizer->step();
      if (++recent_steps == 100 || s + 1 == per_epoch) {  // book 2's eval_interval
        stats.loss = recent / static_cast<double>(recent_steps);
        if (o.on_progress) {
          o.on_progress(static_cast<double>(epoch * per_epoch + s + 1) /
                            static_cast<double>(o.epochs * per_epoch),
                        stats.loss);
        }
        recent = 0.0;
        recent_steps = 0;
      }
    }
  }
  stats.words = o.epochs * static_cast<int64_t>(corpus.size());
  word_in = w_in.value;
}

// ---- the fast path: word2vec.c / fastText, one word at a time, Hogwild threads ----

struct FastShared {
  Tensor w_in, w_out;
  std::vector<float> keep;        // probability of keeping each word (subsampling)
  std::atomic<int64_t> done{0};   // words read, all threads
  int64_t total = 0;              // words to read in all
  std::atomic<double> loss{0.0};  // the last stretch's mean, for progress
};

// Thread `t` of `threads`: every epoch, its share of the text, in sentences of up to 1,000
// kept words (word2vec.c's MAX_SENTENCE_LENGTH): contexts are the kept words around.
void fast_worker(std::span<const int32_t> corpus, const UnigramSampler& sampler,
                 const Word2VecOptions& o, FastShared& sh, int t, int threads) {
  const int64_t n = static_cast<int64_t>(corpus.size()), D = o.dim;
  const int64_t begin = n * t / threads, end = n * (t + 1) / threads;
  Rng rng(o.seed * 7919 + static_cast<uint64_t>(t) + 1);
  std::vector<int32_t> sentence;
  std::vector<float> h(static_cast<size_t>(D)), grad(static_cast<size_t>(D));
  const auto lr0 = static_cast<float>(o.lr);
  // The loss is tallied on one pair in 16 (a log each): enough to follow the run.
  double loss = 0.0;
  int64_t pairs = 0, tallied = 0;
  // One input vector against the true word and `negative` drawn ones; grad += dL/dh * -lr.
  const auto train_pairs = [&](const float* hin, int32_t truth, float lr) {
    for (int64_t k = -1; k < o.negative; ++k) {
      int32_t w = truth;
      if (k >= 0) {
        w = sampler.sample(rng.uniform_double(), rng.uniform_double());
        if (w == truth) continue;
      }
      float* out = sh.w_out.data() + int64_t{w} * D;
      const float s = dot(hin, out, D);
      const float label = k < 0 ? 1.0f : 0.0f;
      if ((++pairs & 15) == 0) {
        loss += binary_loss(s, k < 0);
        ++tallied;
      }
      const float g = lr * (label - sigmoid_float(s));
      add_scaled(grad.data(), out, g, D);
      add_scaled(out, hin, g, D);
    }
  };
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    for (int64_t pos = begin; pos < end;) {
      const int64_t first = pos;
      sentence.clear();
      for (; pos < end && sentence.size() < 1000; ++pos) {
        const int32_t w = corpus[static_cast<size_t>(pos)];
        if (o.subsample == 0.0 || rng.uniform() < sh.keep[static_cast<size_t>(w)])
          sentence.push_back(w);
      }
      const auto words = static_cast<int64_t>(sentence.size());
      // word2vec.c's rate: from lr down to lr / 10^4, linearly in the words read by all threads.
      const int64_t read = sh.done.fetch_add(pos - first);
      const float lr =
          lr0 * std::max(0.0001f, 1.0f - static_cast<float>(read) / static_cast<float>(sh.total));
      for (int64_t i = 0; i < words; ++i) {
        const int64_t b = 1 + static_cast<int64_t>(rng.below(static_cast<uint64_t>(o.window)));
        const int64_t lo = std::max<int64_t>(0, i - b), hi = std::min(words - 1, i + b);
        if (hi - lo < 1) continue;
        if (o.model == "cbow") {
          std::fill(h.begin(), h.end(), 0.0f);
          const auto inv = 1.0f / static_cast<float>(hi - lo);
          for (int64_t c = lo; c <= hi; ++c) {
            if (c != i)
              add_scaled(h.data(), sh.w_in.data() + int64_t{sentence[static_cast<size_t>(c)]} * D,
                         inv, D);
          }
          std::fill(grad.begin(), grad.end(), 0.0f);
          train_pairs(h.data(), sentence[static_cast<size_t>(i)], lr);
          for (int64_t c = lo; c <= hi; ++c) {
            if (c != i)
              add_scaled(sh.w_in.data() + int64_t{sentence[static_cast<size_t>(c)]} * D,
                         grad.data(), 1.0f, D);
          }
        } else {
          float* in = sh.w_in.data() + int64_t{sentence[static_cast<size_t>(i)]} * D;
          for (int64_t c = lo; c <= hi; ++c) {
            if (c == i) continue;
            std::fill(grad.begin(), grad.end(), 0.0f);
            train_pairs(in, sentence[static_cast<size_t>(c)], lr);
            add_scaled(in, grad.data(), 1.0f, D);
          }
        }
      }
      if (tallied >= 10000) {
        sh.loss = loss / static_cast<double>(tallied);
        if (t == 0 && o.on_progress) {
          o.on_progress(static_cast<double>(read) / static_cast<double>(sh.total), sh.loss);
        }
        loss = 0.0;
        tallied = 0;
      }
    }
  }
  if (tallied > 0 && t == 0) sh.loss = loss / static_cast<double>(tallied);
}

void train_fast(std::span<const int32_t> corpus, const UnigramSampler& sampler,
                const Word2VecOptions& o, Tensor& word_in, Word2VecStats& stats) {
  const int64_t V = word_in.dim(0), D = o.dim;
  FastShared sh;
  sh.w_in = Tensor(Shape{V, D});
  sh.w_out = Tensor(Shape{V, D}, 0.0f);  // word2vec.c and fastText start the outputs at 0
  Rng rng(o.seed);
  rng.fill_uniform(sh.w_in, -1.0f / static_cast<float>(D), 1.0f / static_cast<float>(D));
  // fastText's discard rule: keep with p = sqrt(t / f) + t / f, f the word's frequency.
  std::vector<int64_t> counts(static_cast<size_t>(V), 0);
  for (const int32_t w : corpus) ++counts[static_cast<size_t>(w)];
  const auto n = static_cast<double>(corpus.size());
  for (const int64_t c : counts) {
    const double f = static_cast<double>(c) / n, r = f > 0 ? o.subsample / f : 1.0;
    sh.keep.push_back(static_cast<float>(std::sqrt(r) + r));
  }
  const int threads = o.threads > 0 ? o.threads : num_threads();
  sh.total = o.epochs * static_cast<int64_t>(corpus.size());
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] { fast_worker(corpus, sampler, o, sh, t, threads); });
  }
  fast_worker(corpus, sampler, o, sh, 0, threads);
  for (std::thread& th : pool) th.join();
  stats.words = sh.total;
  stats.loss = sh.loss;
  word_in = sh.w_in;
}

}  // namespace

UnigramSampler::UnigramSampler(std::span<const int32_t> corpus, int64_t vocab_size, double power) {
  std::vector<double> counts(static_cast<size_t>(vocab_size), 0.0);
  for (const int32_t w : corpus) counts[static_cast<size_t>(w)] += 1.0;
  double sum = 0.0;
  for (double& c : counts) sum += (c = std::pow(c, power));
  probability_.resize(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) probability_[i] = counts[i] / sum;
  // Walker's alias table (Vose's construction): bucket i keeps i with probability keep_[i],
  // else gives alias_[i]; each bucket holds 1/V of the mass.
  const auto V = counts.size();
  keep_.assign(V, 1.0);
  alias_.assign(V, 0);
  std::vector<double> scaled(V);
  std::vector<int32_t> small, large;
  for (size_t i = 0; i < V; ++i) {
    scaled[i] = probability_[i] * static_cast<double>(V);
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const int32_t s = small.back(), l = large.back();
    small.pop_back();
    keep_[static_cast<size_t>(s)] = scaled[static_cast<size_t>(s)];
    alias_[static_cast<size_t>(s)] = l;
    scaled[static_cast<size_t>(l)] -= 1.0 - scaled[static_cast<size_t>(s)];
    if (scaled[static_cast<size_t>(l)] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (const int32_t i : small) alias_[static_cast<size_t>(i)] = i;
  for (const int32_t i : large) alias_[static_cast<size_t>(i)] = i;
}

int32_t UnigramSampler::sample(double u, double v) const {
  const auto i =
      std::min(static_cast<size_t>(u * static_cast<double>(keep_.size())), keep_.size() - 1);
  return v < keep_[i] ? static_cast<int32_t>(i) : alias_[i];
}

WordVectors train_word2vec(std::span<const int32_t> corpus, const Vocabulary& vocab,
                           const Word2VecOptions& options, Word2VecStats* stats) {
  check_options(corpus, vocab, options);
  Word2VecOptions o = options;
  if (o.lr == 0.0) o.lr = o.path == "book" ? 0.001 : 0.05;
  const UnigramSampler sampler(corpus, vocab.size());
  const Clock::time_point t0 = Clock::now();
  Word2VecStats s;
  Tensor vectors(Shape{vocab.size(), o.dim});
  if (o.path == "book") {
    train_book(corpus, sampler, o, vectors, s);
  } else {
    train_fast(corpus, sampler, o, vectors, s);
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  s.words_per_s = s.seconds > 0 ? static_cast<double>(s.words) / s.seconds : 0.0;
  if (stats != nullptr) *stats = s;
  const nlohmann::json how = {
      {"method", o.model},  {"path", o.path},           {"dim", o.dim},
      {"window", o.window}, {"negative", o.negative},   {"epochs", o.epochs},
      {"lr", o.lr},         {"subsample", o.subsample}, {"seed", o.seed}};
  return {vocab, vectors, how.dump()};
}

}  // namespace nnzero
