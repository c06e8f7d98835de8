// TextGenerator: samples text from a trained language model (book 2, section 7.1: RnnlmGen).
// The prompt's tokens go in one at a time, the recurrent layers carrying their state; then each
// next token is drawn from softmax(scores / temperature) and fed back in.
//
//   TextGenerator gen(load_model("runs/rnnlm/model.safetensors"), "rnnlm");
//   std::string text = gen.generate("the meaning of", 100, 1.0, 7);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nnzero/data/text_corpus.h"
#include "nnzero/model/model_file.h"

namespace nnzero {

class Gpt;

class TextGenerator {
 public:
  // Throws naming `where` unless the model is a language model with its vocabulary
  // ("nnzero.vocab") and that vocabulary matches its embedding and output sizes.
  TextGenerator(LoadedModel loaded, const std::string& where);

  // The prompt followed by `length` sampled tokens, as text. temperature 0: always the most
  // likely token (greedy); 1: the model's distribution; above 1 flatter. The same seed gives
  // the same text. Throws on an empty prompt or a token the vocabulary lacks (words
  // become <unk> where the vocabulary has it).
  std::string generate(const std::string& start, int64_t length, double temperature, uint64_t seed);

  // A GPT past its context: by default each next token is predicted from the last `context`
  // (one forward pass over them per token, nanoGPT's generate). With restart on, the key/value
  // cache instead starts again from the last context / 2 tokens whenever it is full: about ten
  // times faster, the context then between context / 2 and context tokens.
  // Throws for a model that is not a GPT.
  void set_cache_restart(bool restart);

  const Vocabulary& vocabulary() const { return vocab_; }
  const std::string& name() const;
  // The tokens of the last generate(), prompt first.
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  const Tensor& feed(int32_t token);
  const Tensor& feed_gpt(int64_t last);
  int32_t sample(const Tensor& scores, double temperature, Rng& rng);

  Vocabulary vocab_;
  Gpt* gpt_;  // the model when it is a GPT (it reads one token at a time with its cache)
  bool cache_restart_ = false;
  std::unique_ptr<Model> model_;  // else the loaded network, rebuilt to read one token at a time
  std::vector<int32_t> tokens_;
  std::vector<float> probabilities_;
  Tensor x_, window_scores_;
};

}  // namespace nnzero
