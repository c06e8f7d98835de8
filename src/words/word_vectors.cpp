#include "nnzero/words/word_vectors.h"

#include <nlohmann/json.hpp>

#include "nnzero/error.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/version.h"

namespace nnzero {

namespace {

constexpr const char* kVocabKey = "nnzero.vocab";
constexpr const char* kHowKey = "nnzero.word_vectors";

void check_vectors(const Tensor& embedding, const Vocabulary& vocab, const std::string& where,
                   const std::string& tensor) {
  if (embedding.rank() != 2 || embedding.dim(0) != vocab.size() || embedding.dim(1) < 1) {
    throw Error(where + ": tensor \"" + tensor + "\" is " + embedding.shape().str() +
                ", expected (" + std::to_string(vocab.size()) +
                ", D): one row per word of the vocabulary");
  }
}

nlohmann::json parse_object(const std::string& text, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw Error(where + ": not a JSON object");
  return j;
}

// The name of the model whose spec ("nnzero.spec") starts with an embedding layer, or an
// Error naming what the file is instead.
std::string language_model_name(const SafetensorsFile& file) {
  const auto it = file.metadata().find("nnzero.spec");
  const nlohmann::json spec = it == file.metadata().end()
                                  ? nlohmann::json()
                                  : nlohmann::json::parse(it->second, nullptr, false);
  const bool embedding_first =
      spec.is_object() && spec.contains("layers") && spec["layers"].is_array() &&
      !spec["layers"].empty() && spec["layers"][0].is_object() &&
      spec["layers"][0].contains("type") && spec["layers"][0]["type"] == "embedding";
  if (!embedding_first) {
    throw Error(file.name() +
                ": a model whose first layer is not an embedding: \"0.weight\" holds no word "
                "vectors (a language model's file starts with one)");
  }
  return spec.contains("name") && spec["name"].is_string() ? spec["name"].get<std::string>() : "";
}

}  // namespace

void save_word_vectors(const std::string& path, const WordVectors& vectors) {
  check_vectors(vectors.embedding, vectors.vocab, path, "embedding");
  parse_object(vectors.how, path + ": " + kHowKey);
  write_safetensors(
      path, {{"embedding", &vectors.embedding}},
      {{kVocabKey, vectors.vocab.to_json()}, {kHowKey, vectors.how}, {"nnzero.version", kVersion}});
}

WordVectors load_word_vectors(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  const auto vocab = file.metadata().find(kVocabKey);
  if (vocab == file.metadata().end()) {
    throw Error(path + ": no \"" + kVocabKey +
                "\" in __metadata__: not word vectors (nnzero words count writes them) nor a "
                "language model (nnzero train on text)");
  }
  WordVectors out;
  try {
    out.vocab = Vocabulary::from_json(vocab->second);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  if (file.find("embedding") != nullptr) {
    out.embedding = file.tensor("embedding");
    check_vectors(out.embedding, out.vocab, path, "embedding");
    const auto how = file.metadata().find(kHowKey);
    out.how = how == file.metadata().end() ? "{}" : how->second;
    parse_object(out.how, path + ": " + kHowKey);
    return out;
  }
  if (file.find("0.weight") == nullptr) {
    throw Error(path +
                ": no word vectors in it: neither a tensor \"embedding\" (nnzero words count) "
                "nor a language model's embedding \"0.weight\"");
  }
  const std::string model = language_model_name(file);
  out.embedding = file.tensor("0.weight");
  check_vectors(out.embedding, out.vocab, path, "0.weight");
  out.how =
      nlohmann::json{{"method", "language_model"}, {"model", model}, {"tensor", "0.weight"}}.dump();
  return out;
}

}  // namespace nnzero
