// The GPT (model/gpt.h): its spec, gradients, causality, key/value cache, tied weights and
// nanoGPT's initialisation; AdamW and the warm-up schedule it trains with; a short training on
// tiny Shakespeare through the command line and sampling from the result.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "nnzero/io/safetensors.h"
#include "nnzero/model/gpt.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/gradcheck.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/optimizer.h"
#include "nnzero/train/text_generator.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::CliResult;
using nnzero_test::ScratchDir;

namespace {

ModelSpec small_gpt_spec(bool bias, int64_t layers = 2) {
  return ModelSpec::parse(
      R"({"name": "small_gpt", "input": [6], "gpt": {"vocab": 7, "context": 6, "layers": )" +
      std::to_string(layers) + R"(, "heads": 2, "width": 8, "bias": )" + (bias ? "true" : "false") +
      "}}");
}

std::string gpt_spec_error(const std::string& gpt, const std::string& input = "[6]") {
  return error_of([&] { ModelSpec::parse(R"({"input": )" + input + R"(, "gpt": )" + gpt + "}"); });
}

// (1, T) token ids.
Tensor gpt_ids(std::initializer_list<float> ids) {
  return Tensor(Shape{1, static_cast<int64_t>(ids.size())}, std::vector<float>(ids));
}

}  // namespace

TEST(Gpt, SpecRoundTripsAndBadOnesNameTheProblem) {
  const ModelSpec s = small_gpt_spec(true);
  ASSERT_TRUE(s.gpt.has_value());
  EXPECT_EQ(s.gpt->heads, 2);
  EXPECT_TRUE(s.layers.empty());
  EXPECT_EQ(ModelSpec::parse(s.to_json()).to_json(), s.to_json());
  EXPECT_HAS(s.to_json(),
             R"("gpt":{"bias":true,"context":6,"heads":2,"layers":2,"vocab":7,"width":8})");
  const std::string ok = R"("vocab": 7, "context": 6, "layers": 1, "heads": 2)";
  EXPECT_HAS(gpt_spec_error("{" + ok + R"(, "width": 9})"),
             "\"width\" 9 must be a multiple of \"heads\" 2");
  EXPECT_HAS(gpt_spec_error("{" + ok + R"(, "width": 8})", "[5]"),
             "\"input\" must be [context] = [6], got (5)");
  EXPECT_HAS(gpt_spec_error(R"({"vocab": 7, "context": 0, "layers": 1, "heads": 1, "width": 4})"),
             "\"context\" must be in [1, 1000000], got 0");
  EXPECT_HAS(gpt_spec_error("{" + ok + R"(, "width": 8, "dropout": 0.1})"), "dropout");
  EXPECT_HAS(error_of([] {
               ModelSpec::parse(R"({"input": [6], "layers": [{"type": "relu"}],
                   "gpt": {"vocab": 7, "context": 6, "layers": 1, "heads": 2, "width": 8}})");
             }),
             "give one of \"layers\", \"seq2seq\" and \"gpt\"");
  Rng rng(0);
  EXPECT_HAS(error_of([&] { Sequential(s, rng); }), "is a GPT, not a stack of layers");
}

TEST(Gpt, GradientsMatchNumericalDifferentiation) {
  for (bool bias : {false, true}) {
    Rng rng(3);
    Gpt model(small_gpt_spec(bias), rng);
    // N(0, 0.02) weights leave gradients too small to resolve by float32 differences.
    for (const NamedParam& p : model.named_params()) {
      if (p.param->value.rank() >= 2) rng.fill_normal(p.param->value, 0.0f, 0.5f);
    }
    GradCheckOptions o;
    o.max_elements = 30;
    const auto results = gradcheck_model(model, 3, rng, o);
    EXPECT_EQ(results.size(), bias ? 28u : 15u);  // every parameter, the tied one once
    for (const GradCheckResult& r : results) {
      EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name << (bias ? " with biases" : "");
    }
  }
}

// Changing the token at position t changes no score at positions before t (the mask), and
// does change the scores at t (the position reads its own token).
TEST(Gpt, APositionSeesOnlyThePositionsBeforeIt) {
  Rng rng(1);
  Gpt model(small_gpt_spec(true), rng);
  const Tensor a = model.forward(gpt_ids({1, 2, 3, 4, 5, 6}), false).clone();
  const Tensor b = model.forward(gpt_ids({1, 2, 3, 0, 5, 6}), false).clone();
  const int64_t V = 7;
  for (int64_t i = 0; i < 3 * V; ++i) EXPECT_EQ(a[i], b[i]) << "score " << i;
  double changed = 0.0;
  for (int64_t i = 3 * V; i < 4 * V; ++i) changed += std::fabs(a[i] - b[i]);
  EXPECT_GT(changed, 1e-4);
}

// Sampling's path: one token at a time with the keys and values cached gives the rows of the
// forward pass over the whole sequence; a seventh token does not fit.
TEST(Gpt, StepsWithTheCacheGiveTheForwardScores) {
  Rng rng(2);
  Gpt model(small_gpt_spec(true), rng);
  for (const NamedParam& p : model.named_params()) rng.fill_normal(p.param->value, 0.0f, 0.3f);
  const std::vector<int32_t> ids = {4, 0, 6, 6, 2, 1};
  const Tensor full = model.forward(gpt_ids({4, 0, 6, 6, 2, 1}), false).clone();
  for (int round = 0; round < 2; ++round) {  // and again after reset_cache
    model.reset_cache();
    for (size_t t = 0; t < ids.size(); ++t) {
      const Tensor& s = model.step(ids[t]);
      ASSERT_EQ(s.numel(), 7);
      for (int64_t v = 0; v < 7; ++v) {
        EXPECT_NEAR(s[v], full[static_cast<int64_t>(t) * 7 + v], 1e-5f) << "position " << t;
      }
    }
    EXPECT_EQ(model.cached(), 6);
  }
  EXPECT_HAS(error_of([&] { model.step(1); }), "reads at most 6 positions");
  model.reset_cache();
  EXPECT_HAS(error_of([&] { model.step(7); }), "token 7 is not in [0, 7)");
}

// lm_head uses the embedding's weight (V, C): one tensor under both names, as PyTorch's
// state_dict holds it, and one parameter for the optimizer.
TEST(Gpt, TheOutputLayerSharesTheEmbeddingsWeight) {
  Rng rng(4);
  Gpt model(small_gpt_spec(false), rng);
  const float* wte = nullptr;
  const float* lm_head = nullptr;
  for (const NamedTensor& t : model.state()) {
    if (t.name == "transformer.wte.weight") wte = t.tensor->data();
    if (t.name == "lm_head.weight") lm_head = t.tensor->data();
  }
  ASSERT_NE(wte, nullptr);
  EXPECT_EQ(wte, lm_head);
  for (const NamedParam& p : model.named_params()) EXPECT_NE(p.name, "lm_head.weight");
  // 7x8 wte + 6x8 wpe, per block 3 gains of 8... : nanoGPT's count with the tied weight once.
  const int64_t C = 8, blocks = 2;
  EXPECT_EQ(model.num_params(),
            7 * C + 6 * C + blocks * (2 * C + 3 * C * C + C * C + 8 * C * C) + C);
}

// nanoGPT's _init_weights: weights N(0, 0.02), the residual projections N(0, 0.02/sqrt(2 L)),
// layer-norm gains 1; AdamW decays the matrices only.
TEST(Gpt, InitialisationIsNanoGpts) {
  ModelSpec spec = ModelSpec::parse(
      R"({"input": [8], "gpt": {"vocab": 50, "context": 8, "layers": 2, "heads": 4, "width": 64, "bias": true}})");
  Rng rng(5);
  Gpt model(spec, rng);
  for (const NamedParam& p : model.named_params()) {
    const Tensor& w = p.param->value;
    EXPECT_EQ(p.param->decay, w.rank() == 2) << p.name;
    if (w.rank() == 1) {
      const float want = p.name.ends_with(".bias") ? 0.0f : 1.0f;
      for (float v : w.span()) ASSERT_EQ(v, want) << p.name;
      continue;
    }
    double sum2 = 0.0;
    for (float v : w.span()) sum2 += static_cast<double>(v) * v;
    const double std = std::sqrt(sum2 / static_cast<double>(w.numel()));
    const double want = p.name.ends_with("c_proj.weight") ? 0.02 / std::sqrt(4.0) : 0.02;
    EXPECT_NEAR(std, want, want * 0.1) << p.name;
  }
}

// torch.optim.AdamW's step, by hand for one weight: w = 1, g = 0.5, lr 0.1, decay 0.1,
// betas (0.9, 0.99): w (1 - lr wd) = 0.99; m = 0.05, v = 0.0025 ; m / (1 - 0.9) = 0.5 and
// v / (1 - 0.99) = 0.25, so the step is lr * 0.5 / (0.5 + eps) = 0.1.
TEST(Gpt, AdamWStepIsPyTorchs) {
  Param w{"weight", Tensor(Shape{1, 2}, {1.0f, 1.0f}), Tensor(Shape{1, 2}, {0.5f, 0.5f}), 1, true};
  Param b{"bias", Tensor(Shape{1}, {1.0f}), Tensor(Shape{1}, {0.5f}), 0, false};
  auto opt = make_adamw({&w, &b}, 0.1f, {.weight_decay = 0.1f, .beta1 = 0.9f, .beta2 = 0.99f});
  opt->step();
  EXPECT_NEAR(w.value[0], 0.99f - 0.1f, 1e-6f);
  EXPECT_NEAR(b.value[0], 1.0f - 0.1f, 1e-6f);  // no decay on a bias
  opt->step();  // same gradient: m/(1-b1^2) = 0.5 and v/(1-b2^2) = 0.25 again
  EXPECT_NEAR(w.value[0], (0.89f * 0.99f) - 0.1f, 1e-6f);
  EXPECT_HAS(error_of([&] { make_adamw({&w}, 0.1f, {.beta2 = 1.0f}); }), "betas in [0, 1)");
}

// nanoGPT's get_lr with warmup 10 of 110 steps, floor 0.1: (it + 1) / 11 during the warm-up,
// then cosine from 1 to 0.1.
TEST(Gpt, LearningRateWarmsUpThenFallsToItsFloor) {
  EXPECT_DOUBLE_EQ(lr_factor("cosine", 0, 110, 10, 0.1), 1.0 / 11);
  EXPECT_DOUBLE_EQ(lr_factor("cosine", 9, 110, 10, 0.1), 10.0 / 11);
  EXPECT_DOUBLE_EQ(lr_factor("cosine", 10, 110, 10, 0.1), 1.0);
  EXPECT_NEAR(lr_factor("cosine", 60, 110, 10, 0.1), 0.55, 1e-12);
  EXPECT_NEAR(lr_factor("cosine", 110, 110, 10, 0.1), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(lr_factor("constant", 3, 110, 10, 0.1), 4.0 / 11);
  EXPECT_DOUBLE_EQ(lr_factor("constant", 30, 110, 10, 0.1), 1.0);
  EXPECT_DOUBLE_EQ(lr_factor("cosine", 55, 110), 0.5);  // no warm-up, no floor: as before
}

// A small GPT on tiny Shakespeare through the command line, 600 steps of nanoGPT's recipe:
// the validation loss falls from log 65 = 4.17 (guessing) to below 2.3 (2.16 measured); then
// sampling from it, within the context, past it, and from a prompt longer than it.
TEST(Gpt, LearnsTinyShakespeareAndWritesOn) {
  NNZERO_SHAKESPEARE_FILE_OR_SKIP(text);
  ScratchDir dir;
  const CliResult r =
      run_cli("train --model gpt_char --data '" + text +
                  "' --layers 2 --heads 2 --width 64 --context 32 --epochs 2 --steps-per-epoch 300 "
                  "--batch 24 "
                  "--warmup-steps 30 --lr 0.003 --min-lr 0.0003 --out run --quiet --threads 2",
              dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["steps"], 600);
  EXPECT_EQ(j["vocab"], 65);
  EXPECT_LT(j["val_loss"].get<double>(), 2.3) << j.dump();
  EXPECT_NEAR(j["val_perplexity"].get<double>(), std::exp(j["val_loss"].get<double>()), 1e-6);
  const LoadedModel loaded = load_model(dir / "run/model.safetensors");
  EXPECT_EQ(loaded.model->spec().gpt->context, 32);
  // eval measures the validation text as train did.
  const auto e = run_cli("eval run/model.safetensors --data '" + text + "' --threads 2", dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NEAR(e.json()["val_loss"].get<double>(), j["val_loss"].get<double>(), 1e-4);
  EXPECT_TRUE(e.json()["test_loss"].is_null());  // a single file has no test part
  nnzero_test::spit(dir / "other.txt", std::string(500, 'x') + "yz");
  const auto other = run_cli("eval run/model.safetensors --data other.txt", dir);
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_HAS(other.err, "is not the one run/model.safetensors was trained with");

  // 100 characters from a 10-character prompt: 21 through the cache, the rest by windows.
  const auto g =
      run_cli("generate run/model.safetensors --start 'ROMEO:\nI a' --length 100 --seed 3", dir);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const std::string written = g.json()["text"];
  EXPECT_EQ(written.size(), 110u);
  EXPECT_EQ(written.rfind("ROMEO:\nI a", 0), 0u);
  EXPECT_EQ(
      run_cli("generate run/model.safetensors --start 'ROMEO:\nI a' --length 100 --seed 3", dir)
          .json()["text"],
      written);
  const auto fast =
      run_cli("generate run/model.safetensors --start 'ROMEO:' --length 80 --cache-restart", dir);
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_EQ(fast.json()["text"].get<std::string>().size(), 86u);
  const std::string long_prompt(40, 'a');
  const auto l =
      run_cli("generate run/model.safetensors --start '" + long_prompt + "' --length 5", dir);
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_EQ(l.json()["text"].get<std::string>().size(), 45u);
  EXPECT_HAS(run_cli("generate run/model.safetensors --start ''", dir).err,
             "the start text is empty");
  const auto bad = run_cli("generate run/model.safetensors --start 'caf\xc3\xa9'", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_HAS(bad.err, "\xc3\xa9");
}

// The cache path and the window path agree: greedy text from a generator equals the argmax
// of full forward passes over the text so far.
TEST(Gpt, GreedySamplingFollowsTheForwardPass) {
  ScratchDir dir;
  Rng rng(6);
  auto model = std::make_unique<Gpt>(small_gpt_spec(true), rng);
  for (const NamedParam& p : model->named_params()) rng.fill_normal(p.param->value, 0.0f, 0.5f);
  Vocabulary vocab(Vocabulary::Level::character);
  for (const char* c : {"a", "b", "c", "d", "e", "f", "g"}) vocab.add(c);
  save_model(*model, dir / "gpt.safetensors", {{"nnzero.vocab", vocab.to_json()}});
  TextGenerator gen(load_model(dir / "gpt.safetensors"), "gpt.safetensors");
  gen.generate("abc", 9, 0.0, 0);
  const std::vector<int32_t> tokens = gen.tokens();
  ASSERT_EQ(tokens.size(), 12u);
  for (size_t end = 3; end < tokens.size(); ++end) {  // token `end` from the 6 before it
    const size_t from = end < 6 ? 0 : end - 6;
    Tensor x(Shape{1, 6});
    for (size_t t = from; t < end; ++t) x[static_cast<int64_t>(t - from)] = tokens[t];
    const Tensor& s = model->forward(x, false);
    const int64_t row = static_cast<int64_t>(end - from) - 1;
    const float* scores = s.data() + row * 7;
    EXPECT_EQ(std::max_element(scores, scores + 7) - scores, tokens[end]) << "token " << end;
  }

  // With the cache restarting from the last 3 tokens when it holds 6: within the context the
  // same text; past it, each token follows from the tokens since the last restart.
  gen.set_cache_restart(true);
  gen.generate("abc", 9, 0.0, 0);
  const std::vector<int32_t> restarted = gen.tokens();
  EXPECT_TRUE(std::equal(restarted.begin(), restarted.begin() + 7, tokens.begin()));
  size_t start = 0;
  for (size_t last = 2; last + 1 < restarted.size(); ++last) {
    if (last - start == 6) start = last - 2;  // the cache was full: restart
    Tensor x(Shape{1, 6});
    for (size_t t = start; t <= last; ++t) x[static_cast<int64_t>(t - start)] = restarted[t];
    const float* scores = model->forward(x, false).data() + static_cast<int64_t>(last - start) * 7;
    EXPECT_EQ(std::max_element(scores, scores + 7) - scores, restarted[last + 1])
        << "token " << last + 1;
  }
}

// A file whose two copies of the tied weight differ is refused, not half read.
TEST(Gpt, AFileWhoseTiedCopiesDifferIsRefused) {
  ScratchDir dir;
  Rng rng(7);
  Gpt model(small_gpt_spec(false), rng);
  const std::string path = dir / "gpt.safetensors";
  save_model(model, path);
  EXPECT_NO_THROW(load_model(path));
  const SafetensorsFile file = SafetensorsFile::read(path);
  const SafetensorsEntry* e = file.find("lm_head.weight");
  ASSERT_NE(e, nullptr);
  std::string bytes = nnzero_test::slurp(path);
  uint64_t header = 0;
  std::memcpy(&header, bytes.data(), 8);
  bytes[8 + header + e->begin + 3] ^= 0x20;  // the first weight's exponent
  nnzero_test::spit(path, bytes);
  EXPECT_HAS(error_of([&] { load_model(path); }),
             "\"lm_head.weight\" and \"transformer.wte.weight\" are one tied weight but the file "
             "holds two different tensors");
}

// What the GPT's flags and specs refuse, before any data is read.
TEST(Gpt, BadSizesAndFlagsAreRefused) {
  ScratchDir dir;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "to be or not to be\n";
  nnzero_test::spit(dir / "x.txt", text);
  EXPECT_HAS(
      gpt_spec_error(R"({"vocab": 7, "context": 6, "layers": 1000000, "heads": 2, "width": 128})"),
      "more than the 1073741824 a GPT may have here");
  for (const auto& [args, message] :
       {std::pair{"--context 0", "--context must be at least 1"},
        {"--heads 3", "\"width\" 128 must be a multiple of \"heads\" 3"},
        {"--min-lr 0.1", "--min-lr must be in [0, --lr]"}}) {
    const CliResult r = run_cli(std::string("train --model gpt_char --data x.txt ") + args, dir);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_HAS(r.err, message);
  }
  const CliResult conv = run_cli("train --model simple_convnet --layers 2", dir);
  EXPECT_EQ(conv.exit_code, 2);
  EXPECT_HAS(conv.err, "--layers is for GPT models only");
  // A stack of layers with attention carries no state to generate from one token at a time.
  const ModelSpec stack = ModelSpec::parse(R"({"name": "stack", "input": [4], "layers": [
      {"type": "embedding", "num_embeddings": 3, "embedding_dim": 4},
      {"type": "causal_self_attention", "heads": 2}, {"type": "linear", "out_features": 3}]})");
  Rng rng(8);
  Sequential model(stack, rng);
  Vocabulary vocab(Vocabulary::Level::character);
  for (const char* c : {"a", "b", "c"}) vocab.add(c);
  save_model(model, dir / "stack.safetensors", {{"nnzero.vocab", vocab.to_json()}});
  EXPECT_HAS(error_of([&] { TextGenerator(load_model(dir / "stack.safetensors"), "stack"); }),
             "generate from a GPT model");
}
