// Model files: round trip, atomic writes, and every way a damaged file must fail cleanly.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "nnzero/io/safetensors.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/gradcheck.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::ScratchDir;

namespace {
// A safetensors file from a header (JSON text) and a data section of `data_bytes` bytes.
std::string craft(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  const uint64_t len = header.size();
  std::memcpy(out.data(), &len, 8);
  return out + header + std::string(data_bytes, '\x01');
}

std::string spec_json() {
  return ModelSpec::parse(R"({"input": [3], "layers": [{"type": "linear", "out_features": 2}]})")
      .to_json();
}

// A model-file header for that spec: weight (2, 3) and bias (2), F32 by default.
std::string model_header(const std::string& weight_extra = "", const std::string& dtype = "F32",
                         const std::string& offsets_w = "[0, 24]",
                         const std::string& offsets_b = "[24, 32]",
                         const std::string& shape_w = "[2, 3]") {
  nlohmann::json meta = {{"nnzero.spec", spec_json()}, {"nnzero.version", "test"}};
  return "{\"__metadata__\": " + meta.dump() + ", \"0.weight\": {\"dtype\": \"" + dtype +
         "\", \"shape\": " + shape_w + ", \"data_offsets\": " + offsets_w +
         "}, \"0.bias\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": " + offsets_b +
         "}" + weight_extra + "}";
}

std::string load_error(const ScratchDir& dir, const std::string& bytes) {
  const std::string path = dir / "model.safetensors";
  nnzero_test::spit(path, bytes);
  return error_of([&] { load_model(path); });
}
}  // namespace

TEST(ModelFile, RoundTripGivesTheSameOutputs) {
  ScratchDir dir;
  for (const std::string& name : builtin_model_names()) {
    MultiLayerOptions o;
    o.batchnorm = true;
    o.hidden = {100, 100, 100, 100};  // the language models' and seq2seq models' size too
    Rng rng(5);
    const std::unique_ptr<Model> built = make_model(builtin_spec(name, o), rng);
    Model& model = *built;
    // Non-trivial running statistics: a few training-mode passes.
    Tensor x(model.input_shape().with_batch(4));
    rng.fill_normal(x, 0.5f, 1.0f);
    const int64_t ids_below = model.named_layers().front().layer->token_ids_below();
    if (ids_below > 0) fill_random_input(x, ids_below, rng);
    for (int i = 0; i < 3; ++i) model.forward(x, true);
    const Tensor expected = model.forward(x, false).clone();
    const std::string path = dir / (name + ".safetensors");
    save_model(model, path);
    LoadedModel loaded = load_model(path);
    EXPECT_EQ(loaded.model->spec().to_json(), model.spec().to_json());
    EXPECT_EQ(loaded.metadata.at("nnzero.version"), NNZERO_VERSION_FOR_TESTS);
    const Tensor& got = loaded.model->forward(x, false);
    ASSERT_EQ(got.shape(), expected.shape());
    EXPECT_EQ(
        std::memcmp(got.data(), expected.data(), sizeof(float) * static_cast<size_t>(got.numel())),
        0)
        << name;
  }
}

TEST(ModelFile, LayoutIsPyTorchs) {
  ScratchDir dir;
  Rng rng(0);
  MultiLayerOptions o;
  o.hidden = {5};
  o.batchnorm = true;
  Sequential model(builtin_spec("multi_layer_net", o), rng);
  save_model(model, dir / "m.safetensors");
  const SafetensorsFile f = SafetensorsFile::read(dir / "m.safetensors");
  std::vector<std::string> names;
  for (const auto& e : f.entries()) names.push_back(e.name + ":" + e.dtype);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight:F32", "0.bias:F32", "1.weight:F32",
                                             "1.bias:F32", "1.running_mean:F32",
                                             "1.running_var:F32", "3.weight:F32", "3.bias:F32"}));
  EXPECT_EQ(f.find("0.weight")->shape, (std::vector<int64_t>{5, 784}));  // [out, in]
  EXPECT_TRUE(f.metadata().contains("nnzero.spec"));
  // The header is padded so that the data starts 8-byte aligned.
  const std::string bytes = nnzero_test::slurp(dir / "m.safetensors");
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  EXPECT_EQ((8 + len) % 8, 0u);
}

TEST(ModelFile, WritesAtomically) {
  ScratchDir dir;
  Rng rng(0);
  Sequential model(builtin_spec("two_layer_net"), rng);
  save_model(model, dir / "model.safetensors");
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename(), "model.safetensors");  // no temporary left behind
  }
  // An unwritable destination is an error that names it, and leaves nothing.
  EXPECT_HAS(error_of([&] { save_model(model, dir / "no/such/folder/model.safetensors"); }),
             "no/such/folder/model.safetensors");
}

TEST(ModelFile, ACraftedValidFileLoads) {
  ScratchDir dir;
  nnzero_test::spit(dir / "ok.safetensors", craft(model_header(), 32));
  EXPECT_NO_THROW(load_model(dir / "ok.safetensors"));
}

TEST(ModelFile, DamagedFilesFailWithAClearError) {
  ScratchDir dir;
  const std::string good = craft(model_header(), 32);
  EXPECT_HAS(load_error(dir, good.substr(0, 5)), "truncated safetensors file");
  EXPECT_HAS(load_error(dir, good.substr(0, good.size() - 4)),
             "ends at byte 32 but the data section holds 28");
  std::string huge = good;
  const uint64_t big = 1u << 30;
  std::memcpy(huge.data(), &big, 8);
  EXPECT_HAS(load_error(dir, huge), "header length 1073741824 is larger than the file");
  EXPECT_HAS(load_error(dir, craft("{\"0.weight\": ", 0)), "header: not valid JSON");
  EXPECT_HAS(load_error(dir, craft(model_header("", "F32", "[0, 24]", "[24, 40]"), 32)),
             "0.bias\": 16 bytes of data for F32 shape [2]");
  EXPECT_HAS(load_error(dir, craft(model_header("", "F32", "[0, 24]", "[1000, 1008]"), 32)),
             "ends at byte 1008");
  EXPECT_HAS(load_error(dir, craft(model_header("", "F32", "[0, 24]", "[16, 24]"), 32)), "overlap");
  // Tensors stored in another order than the header lists them are fine.
  nnzero_test::spit(dir / "model.safetensors",
                    craft(model_header("", "F32", "[8, 32]", "[0, 8]"), 32));
  EXPECT_NO_THROW(load_model(dir / "model.safetensors"));
  EXPECT_HAS(load_error(dir, craft(model_header("", "F32", "[8, 32]", "[40, 48]"), 48)),
             "belong to no tensor");
  EXPECT_HAS(load_error(dir, craft(model_header("", "F64", "[0, 48]", "[48, 56]"), 56)),
             "\"0.weight\" has dtype F64; nnzero reads F32, F16, BF16 and I8");
  // F16 is read (into float32); 0x0101 is a small subnormal.
  nnzero_test::spit(dir / "model.safetensors",
                    craft(model_header("", "F16", "[0, 12]", "[12, 20]"), 20));
  EXPECT_EQ(load_model(dir / "model.safetensors").dtype, "mixed");
  EXPECT_HAS(load_error(dir, craft(model_header("", "F32", "[0, 24]", "[24, 32]", "[3, 2]"), 32)),
             "tensor \"0.weight\" has shape (3, 2) but the spec needs (2, 3)");
  EXPECT_HAS(load_error(dir, craft(model_header(", \"5.weight\": {\"dtype\": \"F32\", \"shape\": "
                                                "[1], \"data_offsets\": [32, 36]}"),
                                   36)),
             "unexpected tensor \"5.weight\"");
  // A missing tensor: only the weight present.
  nlohmann::json meta = {{"nnzero.spec", spec_json()}};
  EXPECT_HAS(load_error(dir, craft("{\"__metadata__\": " + meta.dump() +
                                       ", \"0.weight\": {\"dtype\": \"F32\", \"shape\": [2, 3], "
                                       "\"data_offsets\": [0, 24]}}",
                                   24)),
             "missing tensor \"0.bias\"");
  // The spec is not valid JSON, or absent.
  EXPECT_HAS(load_error(dir, craft("{\"__metadata__\": {\"nnzero.spec\": \"{layers\"}}", 0)),
             "not valid JSON");
  EXPECT_HAS(load_error(dir, craft("{}", 0)), "no \"nnzero.spec\"");
  EXPECT_HAS(load_error(dir, craft("[1, 2]", 0)), "not a JSON object");
  EXPECT_HAS(
      load_error(dir,
                 craft("{\"x\": {\"dtype\": \"Q4\", \"shape\": [], \"data_offsets\": [0, 0]}}", 0)),
      "unknown dtype \"Q4\"");
  EXPECT_HAS(
      load_error(
          dir,
          craft("{\"x\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 0]}}", 0)),
      "non-negative integers");
  EXPECT_HAS(load_error(dir, ""), "truncated safetensors file");
  EXPECT_HAS(error_of([&] { load_model(dir / "absent.safetensors"); }), "cannot open");
}

// Found while writing fuzz/fuzz_safetensors.cpp: a million nested brackets in the header or
// in the spec crashed the process (nlohmann's parser is iterative, but copying a value and
// printing it in an error message recurse). Nesting deeper than 16 levels is now refused
// while parsing.
TEST(ModelFile, DeeplyNestedJsonFailsWithoutOverflowingTheStack) {
  ScratchDir dir;
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  EXPECT_HAS(load_error(dir, craft("{\"x\": {\"dtype\": \"F32\", \"shape\": [], "
                                   "\"data_offsets\": " +
                                       deep + "}}",
                                   0)),
             "model.safetensors: header: JSON nests deeper than 16 levels");
  const nlohmann::json meta = {{"nnzero.spec", "{\"input\": [3], \"layers\": [" + deep + "]}"}};
  EXPECT_HAS(load_error(dir, craft("{\"__metadata__\": " + meta.dump() + "}", 0)),
             "nnzero.spec: JSON nests deeper than 16 levels");
  EXPECT_HAS(error_of([&] { ModelSpec::parse("{\"input\": " + deep + ", \"layers\": []}"); }),
             "spec: JSON nests deeper than 16 levels");
  // Nesting a valid file never needs is still within the limit: the error is the usual one.
  EXPECT_HAS(error_of([] { ModelSpec::parse(R"({"input": [[[[1]]]], "layers": []})"); }),
             "\"input\" sizes must be positive integers, got [[[[1]]]]");
}

TEST(ModelFile, PyTorchsBatchNormCounterIsIgnored) {
  ScratchDir dir;
  Rng rng(0);
  MultiLayerOptions o;
  o.hidden = {4};
  o.batchnorm = true;
  Sequential model(builtin_spec("multi_layer_net", o), rng);
  std::vector<std::pair<std::string, const Tensor*>> tensors;
  for (const NamedTensor& t : model.state()) tensors.emplace_back(t.name, t.tensor);
  Tensor counter(Shape{1});  // PyTorch stores it as I64; the name is what matters here
  tensors.emplace_back("1.num_batches_tracked", &counter);
  write_safetensors(dir / "m.safetensors", tensors, {{"nnzero.spec", model.spec().to_json()}});
  EXPECT_NO_THROW(load_model(dir / "m.safetensors"));
}
