// Language models (book 2, chapters 5-7) from the command line and the library: training on a
// corpus with the state carried across batches (train/language_model.h), perplexity,
// generation (model/text_generator.h), and what they refuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/gradcheck.h"
#include "nnzero/train/language_model.h"
#include "nnzero/train/text_generator.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::ScratchDir;

namespace {

// A character model small enough to train in seconds.
std::string char_spec(int64_t vocab) {
  const std::string v = std::to_string(vocab);
  return R"({"name": "char_lstm", "input": [16], "init": "xavier", "layers": [)"
         R"({"type": "embedding", "num_embeddings": )" +
         v + R"(, "embedding_dim": 16}, {"type": "lstm", "hidden_size": 48},)" +
         R"({"type": "linear", "out_features": )" + v + "}]}";
}

}  // namespace

TEST(LanguageModel, ClippingScalesGradientsToTheNorm) {
  Param a{"a", Tensor(Shape{2}), Tensor(Shape{2}, {3, 0}), 0, false};
  Param b{"b", Tensor(Shape{1}), Tensor(Shape{1}, {4}), 0, false};
  EXPECT_NEAR(clip_gradients({&a, &b}, 10.0), 5.0, 1e-9);  // under the limit: unchanged
  EXPECT_FLOAT_EQ(a.grad[0], 3.0f);
  EXPECT_NEAR(clip_gradients({&a, &b}, 1.0), 5.0, 1e-9);
  EXPECT_NEAR(a.grad[0], 0.6f, 1e-6);
  EXPECT_NEAR(b.grad[0], 0.8f, 1e-6);
}

// A network whose scores are all equal knows nothing: its perplexity is the vocabulary size.
TEST(LanguageModel, AModelThatKnowsNothingHasThePerplexityOfTheVocabulary) {
  Rng rng(1);
  Sequential model(ModelSpec::parse(char_spec(7)), rng);
  for (const NamedParam& p : model.named_params()) {
    if (p.name.rfind("2.", 0) == 0) p.param->value.zero();  // the output layer
  }
  std::vector<int32_t> text(1000);
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<int32_t>(rng.below(7));
  const Perplexity p = measure_perplexity(model, text, 4);
  EXPECT_NEAR(p.perplexity, 7.0, 1e-4);
  EXPECT_EQ(p.tokens, 4 * ((999 / 4) / 16) * 16);
  EXPECT_HAS(
      nnzero_test::error_of([&] { measure_perplexity(model, std::span(text).first(40), 4); }),
      "40 tokens are too few for 4 streams of 16 steps");
}

// A text that repeats is predictable from what came before: a character LSTM learns it (its
// perplexity falls near 1, from 12 for guessing among its 12 characters) and, greedy, writes
// it on from a prompt. The run folder holds the model with its vocabulary.
TEST(LanguageModel, ACharacterLstmLearnsARepeatingTextAndWritesItOn) {
  ScratchDir dir;
  std::string text;
  for (int i = 0; i < 300; ++i) text += "hello world! ";
  nnzero_test::spit(dir / "hello.txt", text);
  nnzero_test::spit(dir / "spec.json", char_spec(9));  // h e l o ' ' w r d !
  const auto r = run_cli(
      "train --spec spec.json --data hello.txt --epochs 12 --batch 8 --optimizer adam --lr 0.01 "
      "--out run --quiet --threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["model"], "char_lstm");
  EXPECT_LT(j["val_perplexity"].get<double>(), 1.2) << j.dump();
  EXPECT_LT(j["train_perplexity"].get<double>(), 1.5) << j.dump();
  EXPECT_TRUE(j["test_perplexity"].is_null());  // a single file has no test part
  EXPECT_EQ(j["vocab"], 9);
  EXPECT_TRUE(fs::exists(dir / "run/metrics.csv"));
  EXPECT_TRUE(fs::exists(dir / "run/curves.png"));

  const auto g = run_cli(
      "generate run/model.safetensors --start 'hello w' --length 18 "
      "--temperature 0",
      dir);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.json()["text"], "hello world! hello world!");
  EXPECT_HAS(g.out, "hello world! hello world!\n");
  // Sampling is repeatable for a seed.
  const auto s1 = run_cli("generate run/model.safetensors --start h --length 30 --seed 4", dir);
  const auto s2 = run_cli("generate run/model.safetensors --start h --length 30 --seed 4", dir);
  ASSERT_EQ(s1.exit_code, 0) << s1.err;
  EXPECT_EQ(s1.json()["text"], s2.json()["text"]);
  EXPECT_EQ(s1.json()["text"].get<std::string>().size(), 31u);

  // What generate refuses.
  EXPECT_HAS(run_cli("generate run/model.safetensors --start ''", dir).err,
             "the start text is empty");
  EXPECT_HAS(run_cli("generate run/model.safetensors --start 'hex'", dir).err, "x");
  EXPECT_NE(run_cli("generate run/model.safetensors --start 'hex'", dir).exit_code, 0);
}

// Book 2's rnnlm on the Penn Treebank, briefly: 150 steps take the validation perplexity from
// 10,000 (guessing) to below 700; the JSON carries the perplexities and the file its vocabulary.
TEST(LanguageModel, RnnlmLearnsThePennTreebank) {
  NNZERO_PTB_DIR_OR_SKIP(ptb);
  ScratchDir dir;
  const auto r =
      run_cli("train --model rnnlm --data '" + ptb + "' --max-steps 150 --out run --quiet", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["steps"], 150);
  EXPECT_EQ(j["vocab"], 10000);
  EXPECT_LT(j["val_perplexity"].get<double>(), 700.0) << j.dump();
  EXPECT_LT(j["test_perplexity"].get<double>(), 700.0) << j.dump();
  EXPECT_NEAR(j["test_loss"].get<double>(), std::log(j["test_perplexity"].get<double>()), 1e-9);
  for (const char* key :
       {"train_acc", "test_acc", "seconds", "samples_per_s", "tokens_per_s", "out"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  const LoadedModel loaded = load_model(dir / "run/model.safetensors");
  EXPECT_EQ(Vocabulary::from_json(loaded.metadata.at("nnzero.vocab")).size(), 10000);
  const auto g =
      run_cli("generate run/model.safetensors --start 'the company said' --length 20", dir);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.json()["text"].get<std::string>().rfind("the company said ", 0), 0u);
}

TEST(LanguageModel, MismatchesAreRefusedWithTheReason) {
  ScratchDir dir;
  nnzero_test::spit(dir / "abc.txt",
                    "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc"
                    "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabcabc");
  nnzero_test::spit(dir / "spec.json", char_spec(5));
  auto r = run_cli("train --spec spec.json --data abc.txt --out run --quiet", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err,
             "the corpus has 3 tokens in its vocabulary but the embedding layer of "
             "\"char_lstm\" has num_embeddings 5");
  nnzero_test::spit(dir / "spec3.json", char_spec(3));
  r = run_cli("train --spec spec3.json --data abc.txt --batch 8 --out run --quiet", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "training tokens are too few for a batch of 8 x 16 steps");
  r = run_cli("train --spec spec3.json --data abc.txt --clip -1 --out run2 --quiet", dir);
  EXPECT_HAS(r.err, "--clip must be at least 0");
  r = run_cli("train --model simple_convnet --data abc.txt --out run3 --quiet", dir);
  EXPECT_HAS(r.err, "does not start with an embedding layer");
  // Enough to train, too little to measure: refused before any training, not after an epoch.
  std::string longer;
  for (int i = 0; i < 150; ++i) longer += "abc";
  nnzero_test::spit(dir / "abc450.txt", longer);
  r = run_cli("train --spec spec3.json --data abc450.txt --batch 8 --out run4 --quiet", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err,
             "the validation text has 45 tokens, too few to measure perplexity over 10 "
             "streams of 16 steps (at least 161)");
  EXPECT_FALSE(fs::exists(dir / "run4/model.safetensors"));
  // A bidirectional layer would read the tokens it is asked to predict.
  std::string bi = char_spec(3);
  const std::string hidden = "\"hidden_size\": 48";
  bi.replace(bi.find(hidden), hidden.size(), hidden + ", \"bidirectional\": true");
  nnzero_test::spit(dir / "bi.json", bi);
  r = run_cli("train --spec bi.json --data abc450.txt --out run5 --quiet", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "a bidirectional lstm layer would read the answers");
}

// Weight tying (book 2's BetterRnnlm): the output layer's weight is the embedding's, one
// parameter with the gradient of both uses, saved under both names as PyTorch saves it.
TEST(LanguageModel, TiedWeightsAreOneParameterWithBothGradients) {
  const std::string spec_text =
      R"({"name": "tied", "input": [5], "init": "xavier", "tie_weights": true,
    "layers": [{"type": "embedding", "num_embeddings": 9, "embedding_dim": 4},
               {"type": "lstm", "hidden_size": 4},
               {"type": "linear", "out_features": 9}]})";
  const ModelSpec spec = ModelSpec::parse(spec_text);
  EXPECT_HAS(spec.to_json(), "\"tie_weights\":true");
  Rng rng(2);
  Sequential model(spec, rng);
  std::vector<std::string> names;
  for (const NamedParam& p : model.named_params()) names.push_back(p.name);
  EXPECT_EQ(std::count(names.begin(), names.end(), "0.weight"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "2.weight"), 0);  // the same tensor
  int64_t saved = 0;
  for (const NamedTensor& t : model.state()) saved += t.name == "0.weight" || t.name == "2.weight";
  EXPECT_EQ(saved, 2);
  GradCheckOptions o;
  o.max_elements = 20;
  for (const GradCheckResult& r : gradcheck_model(model, 3, rng, o)) {
    EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
  }
  ScratchDir dir;
  save_model(model, dir / "tied.safetensors");
  LoadedModel loaded = load_model(dir / "tied.safetensors");
  const std::vector<NamedTensor> state = loaded.model->state();
  const auto find = [&](const char* name) {
    return std::find_if(state.begin(), state.end(),
                        [&](const NamedTensor& t) { return t.name == name; })
        ->tensor;
  };
  EXPECT_EQ(find("0.weight")->data(), find("2.weight")->data());  // still tied after loading

  const auto bad = [](const std::string& layers) {
    return nnzero_test::error_of([&] {
      Rng r(0);
      Sequential m(
          ModelSpec::parse(R"({"input": [5], "tie_weights": true, "layers": )" + layers + "}"), r);
    });
  };
  EXPECT_HAS(bad(R"([{"type": "embedding", "num_embeddings": 9, "embedding_dim": 4},
                     {"type": "lstm", "hidden_size": 3}, {"type": "linear", "out_features": 9}])"),
             "the embedding's weight is (9, 4) but the last linear layer's is (9, 3)");
  EXPECT_HAS(bad(R"([{"type": "embedding", "num_embeddings": 9, "embedding_dim": 4},
                     {"type": "lstm", "hidden_size": 4}])"),
             "needs an embedding as the first layer and a linear as the last");
}
