// word2vec (book 2, chapters 3-4; Mikolov et al. 2013): word vectors learned by predicting.
// CBOW predicts a word from the mean of the vectors of the words around it; skip-gram
// predicts each word around from the word. Negative sampling (book 2, 4.2) turns the
// prediction over the whole vocabulary into binary ones: the true word (label 1) and
// `negative` words drawn from the unigram distribution raised to 0.75 (label 0), each scored
// by sigmoid(h . W_out[w]) with the cross-entropy loss.
//
// Two ways to train the same model:
// - path "book": book 2's ch04/train.py: mini-batches of 100 targets (each with its full
//   window of contexts), the loss averaged over the batch, Adam on the whole W_in and W_out.
// - path "fast": word2vec.c's and fastText's: one word at a time with plain SGD, the learning
//   rate falling linearly to lr / 10^4 over the run, a random window of 1..window words each side,
//   frequent words subsampled, each thread on its part of the text updating the shared
//   matrices without locks (Hogwild; Recht et al. 2011). One thread gives the same vectors
//   for the same seed.
// The vectors are W_in's rows (the book's word_vecs = model.word_vecs).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "nnzero/data/text_corpus.h"
#include "nnzero/layers/layer.h"
#include "nnzero/words/word_vectors.h"

namespace nnzero {

struct Word2VecOptions {
  std::string model = "cbow";  // or "skipgram"
  std::string path = "fast";   // or "book"
  int64_t dim = 100, window = 5, negative = 5, epochs = 10;
  double lr = 0;            // 0: 0.05 (fast: its start; fastText's default), 0.001 (book: Adam)
  double subsample = 1e-4;  // fast: keep a word of frequency f with p = sqrt(t/f) + t/f
  int64_t batch = 100;      // book
  uint64_t seed = 0;
  int threads = 0;  // fast; 0: num_threads()
  // Called now and then with the share of the run done and the recent mean loss.
  std::function<void(double done, double loss)> on_progress;
};

struct Word2VecStats {
  int64_t words = 0;  // corpus words read over all epochs (before subsampling)
  double seconds = 0, words_per_s = 0, loss = 0;  // loss: the last stretch's mean
};

// Throws for an empty corpus, an id outside the vocabulary, or options out of range.
WordVectors train_word2vec(std::span<const int32_t> corpus, const Vocabulary& vocab,
                           const Word2VecOptions& options, Word2VecStats* stats = nullptr);

class UnigramSampler;

// One mini-batch of the book's path (CBOW.forward + backward, or SkipGram's): targets (B) and
// their contexts (B, 2 window), negatives drawn from `sampler` with `rng`; returns the batch's
// loss (the sum over its 1 + negative pairs of their binary losses, each averaged over the
// batch, as the book's NegativeSamplingLoss) and adds the gradients into w_in.grad and
// w_out.grad (both (V, D)).
double word2vec_book_batch(const Word2VecOptions& options, std::span<const int32_t> targets,
                           std::span<const int32_t> contexts, const UnigramSampler& sampler,
                           Rng& rng, Param& w_in, Param& w_out);

// Book 2's UnigramSampler: words drawn with probability count^power / sum (power 0.75), in
// O(1) each through Walker's alias table.
class UnigramSampler {
 public:
  UnigramSampler(std::span<const int32_t> corpus, int64_t vocab_size, double power = 0.75);
  // One word, from a uniform u in [0, 1) and another uniform v in [0, 1).
  int32_t sample(double u, double v) const;
  double probability(int32_t word) const { return probability_[static_cast<size_t>(word)]; }

 private:
  std::vector<double> probability_, keep_;
  std::vector<int32_t> alias_;
};

}  // namespace nnzero
