// Every entry of the layer registry, checked the same way (the uniform layer harness): its
// example parses and survives the canonical JSON, the layer it builds matches numerical
// differentiation in training and evaluation mode, gives the same output on one and two
// threads, and names a PyTorch module with the arguments that module takes. A new layer type
// gets all of this by its registration alone.
#include <gtest/gtest.h>

#include <set>

#include "nnzero/model/layer_registry.h"
#include "nnzero/parallel.h"
#include "nnzero/train/gradcheck.h"
#include "test_support.h"

using namespace nnzero;
using nlohmann::json;

namespace {

json example_json(const LayerType& t) {
  json j = t.example_fields;
  j["type"] = t.name;
  return j;
}

std::unique_ptr<Layer> example_layer(const LayerType& t, Rng& rng) {
  const LayerSpec spec = parse_layer_spec(example_json(t), "example");
  return make_layer(spec, t.example_input, rng, t.name);
}

}  // namespace

TEST(LayerRegistry, NamesAreUniqueAndEveryEntryIsComplete) {
  std::set<std::string> names;
  for (const LayerType& t : layer_types()) {
    SCOPED_TRACE(t.name);
    EXPECT_TRUE(names.insert(t.name).second) << "registered twice";
    EXPECT_FALSE(t.summary.empty());
    EXPECT_TRUE(t.make != nullptr);
    EXPECT_FALSE(t.torch_module.empty());
    EXPECT_GT(t.example_input.rank(), 0);
  }
  EXPECT_GE(names.size(), 14u);
  EXPECT_HAS(nnzero_test::error_of([] { layer_type("lstmm"); }), "unknown layer type \"lstmm\"");
}

TEST(LayerRegistry, EveryExampleRoundTripsThroughTheCanonicalJson) {
  for (const LayerType& t : layer_types()) {
    SCOPED_TRACE(t.name);
    ModelSpec spec;
    spec.input = t.example_input;
    spec.layers.push_back(parse_layer_spec(example_json(t), "example"));
    const ModelSpec back = ModelSpec::parse(spec.to_json(), "canonical");
    ASSERT_EQ(back.layers.size(), 1u);
    EXPECT_EQ(back.layers[0].type, t.name);
    EXPECT_EQ(back.layers[0].fields, spec.layers[0].fields);
    EXPECT_EQ(back.to_json(), spec.to_json());
    // Every field the type declares with a default is filled in.
    for (const FieldDef& f : t.fields) {
      if (!f.optional) {
        EXPECT_TRUE(spec.layers[0].has(f.name)) << f.name;
      }
    }
  }
}

TEST(LayerRegistry, UnknownFieldsAreRefused) {
  for (const LayerType& t : layer_types()) {
    json j = example_json(t);
    j["no_such_field"] = 1;
    EXPECT_HAS(nnzero_test::error_of([&] { parse_layer_spec(j, "spec: layer 0"); }),
               "unknown field \"no_such_field\"");
  }
}

TEST(LayerRegistry, EveryLayerMatchesNumericalGradients) {
  for (const LayerType& t : layer_types()) {
    for (const bool train : {true, false}) {
      SCOPED_TRACE(t.name + (train ? " (training)" : " (evaluation)"));
      Rng rng(11);
      std::unique_ptr<Layer> layer = example_layer(t, rng);
      for (Param* p : layer->params()) rng.fill_normal(p->value, 0.0f, 1.0f);
      Tensor x(layer->in_shape().with_batch(3));
      fill_random_input(x, layer->token_ids_below(), rng);
      GradCheckOptions o;
      o.train = train;
      const auto results = gradcheck_layer(*layer, x, rng, o);
      ASSERT_FALSE(results.empty());
      for (const GradCheckResult& r : results) {
        EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
        EXPECT_GT(r.elements, 0) << r.name;
      }
    }
  }
}

TEST(LayerRegistry, EveryLayerGivesTheSameOutputOnOneAndTwoThreads) {
  const int threads = num_threads();
  for (const LayerType& t : layer_types()) {
    SCOPED_TRACE(t.name);
    std::vector<Tensor> outs;
    for (int n : {1, 2}) {
      set_num_threads(n);
      Rng rng(12);
      std::unique_ptr<Layer> layer = example_layer(t, rng);
      for (Param* p : layer->params()) rng.fill_normal(p->value, 0.0f, 1.0f);
      Tensor x(layer->in_shape().with_batch(64));
      fill_random_input(x, layer->token_ids_below(), rng);
      outs.push_back(layer->forward(x, false).clone());
    }
    ASSERT_EQ(outs[0].numel(), outs[1].numel());
    for (int64_t i = 0; i < outs[0].numel(); ++i) ASSERT_EQ(outs[0][i], outs[1][i]) << i;
  }
  set_num_threads(threads);
}

TEST(LayerRegistry, TorchArgumentsComeFromTheFieldsAndTheInput) {
  for (const LayerType& t : layer_types()) {
    SCOPED_TRACE(t.name);
    const LayerSpec spec = parse_layer_spec(example_json(t), "example");
    const json args = torch_args(spec, t.example_input);
    for (const FieldDef& f : t.fields) {
      if (!f.torch_name.empty() && spec.has(f.name)) {
        EXPECT_EQ(args.at(f.torch_name), spec.fields.at(f.name)) << f.name;
      }
    }
    for (const auto& [name, dim] : t.torch_from_input.items()) {
      const int d = dim.get<int>();
      EXPECT_EQ(args.at(name), t.example_input[d < 0 ? t.example_input.rank() + d : d]) << name;
    }
  }
  const LayerSpec conv = parse_layer_spec(
      json{{"type", "conv2d"}, {"out_channels", 8}, {"kernel", 5}, {"padding", 2}}, "conv");
  EXPECT_EQ(torch_args(conv, Shape{3, 32, 32}), (json{{"in_channels", 3},
                                                      {"out_channels", 8},
                                                      {"kernel_size", 5},
                                                      {"stride", 1},
                                                      {"padding", 2},
                                                      {"bias", true}}));
}

// The reference of the spec format lists every registered type (docs/spec.md's table).
TEST(LayerRegistry, TheSpecDocsListEveryType) {
  const std::string docs = nnzero_test::slurp(std::string(NNZERO_SOURCE_DIR) + "/docs/spec.md");
  for (const LayerType& t : layer_types()) {
    EXPECT_HAS(docs, "| `" + t.name + "` |");
  }
}
