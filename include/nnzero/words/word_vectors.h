// Word vectors and their file: a safetensors file (io/safetensors.h) holding
//   "embedding"        F32 (V, D): row i is the vector of the vocabulary's word i
//   __metadata__ "nnzero.vocab"         the Vocabulary (Vocabulary::to_json)
//                "nnzero.word_vectors"  how they were made, JSON: {"method": "ppmi_svd",
//                                       "window": 2, "dim": 100, ...} (words/count_method.h)
//                "nnzero.version"
// A language model's file (nnzero train on text: an rnnlm's model.safetensors) reads as word
// vectors too: the rows of its first layer, an embedding, "0.weight" (V, D), with its
// "nnzero.vocab". User documentation: docs/words.md.
#pragma once

#include <string>

#include "nnzero/data/text_corpus.h"
#include "nnzero/tensor.h"

namespace nnzero {

struct WordVectors {
  Vocabulary vocab;
  Tensor embedding;  // (V, D)
  // "nnzero.word_vectors": a JSON object; for a language model's file
  // {"method": "language_model", "model": <its spec's name>, "tensor": "0.weight"}.
  std::string how;
};

// Writes atomically. Throws unless embedding is (vocab.size(), D), D >= 1, and `how` a JSON
// object.
void save_word_vectors(const std::string& path, const WordVectors& vectors);

// Reads either kind of file. Errors name the file: not safetensors, no "nnzero.vocab" (not
// word vectors), neither "embedding" nor a language model's embedding "0.weight", a tensor
// whose rows are not the vocabulary's words, a vocabulary or "nnzero.word_vectors" that does
// not parse.
WordVectors load_word_vectors(const std::string& path);

}  // namespace nnzero
