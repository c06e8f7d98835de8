// Bad input through the command line (issue 17's adversarial pass): every case exits with
// status 2 and a message that names the file and the problem, never 1 (an internal
// failure), a crash or a hang.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "nnzero/model/builtin.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "test_support.h"

using nnzero_test::CliResult;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;
using nnzero_test::spit;

namespace {
void expect_bad_input(const CliResult& r, const std::string& args, const std::string& message) {
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
  EXPECT_EQ(r.out, "") << args;
  EXPECT_HAS(r.err, "error: " + message) << args;
  EXPECT_EQ(r.err.find("internal failure"), std::string::npos) << args;
}

// An IDX file of unsigned bytes: 00 00 08 <ndim>, the sizes (big-endian), the data.
std::string idx(const std::vector<uint32_t>& dims, const std::string& data) {
  std::string b = {0, 0, 8, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<char>(d >> shift));
  }
  return b + data;
}

void save_two_layer_net(const std::string& path) {
  nnzero::Rng rng(0);
  nnzero::Sequential model(nnzero::builtin_spec("two_layer_net"), rng);
  nnzero::save_model(model, path);
}
}  // namespace

TEST(BadInputCli, UnknownOrMissingCommandIsNamedAndTheCommandsListed) {
  ScratchDir dir;
  CliResult r = run_cli("frobnicate --model x", dir);
  expect_bad_input(r, "frobnicate", "unknown command \"frobnicate\"; the commands are train, eval");
  EXPECT_HAS(r.err, "info, convert, quantize, layers, data");
  r = run_cli("", dir);
  expect_bad_input(r, "(nothing)", "a command is required: train, eval");
  // Options before a command still reach the parser (and its help).
  r = run_cli("--help", dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_HAS(r.out, "Subcommands:");
}

TEST(BadInputCli, DevicesAndUnreadableFilesAsModels) {
  ScratchDir dir;
  expect_bad_input(run_cli("info /dev/zero", dir), "info /dev/zero",
                   "/dev/zero: is a character device, not a file");
  expect_bad_input(run_cli("eval /dev/zero", dir), "eval /dev/zero", "/dev/zero: is a character");
  expect_bad_input(run_cli("info /proc/self/mem", dir), "info /proc/self/mem",
                   "/proc/self/mem: cannot read");
  // The file limit, lowered below a model file's size (simple_convnet: 1.7 MB): refused
  // before it is read, naming the variable that raises it.
  nnzero::Rng rng(0);
  nnzero::Sequential model(nnzero::builtin_spec("simple_convnet"), rng);
  nnzero::save_model(model, dir / "m.safetensors");
  ASSERT_EQ(run_cli("info m.safetensors", dir).exit_code, 0);
  const std::string args = "NNZERO_MAX_FILE_MB=1 " NNZERO_BINARY_DIR "/nnzero info m.safetensors";
  expect_bad_input(nnzero_test::run_program("env", args, dir), args, "m.safetensors: ");
  EXPECT_HAS(nnzero_test::run_program("env", args, dir).err,
             "bytes is larger than the limit of 1 MiB (NNZERO_MAX_FILE_MB raises it)");
}

TEST(BadInputCli, OverflowingShapesAndDuplicateKeys) {
  ScratchDir dir;
  spit(dir / "big.json",
       R"({"input": [2147483648, 2147483648, 2147483648], "layers": [{"type": "flatten"}, )"
       R"({"type": "linear", "out_features": 2}]})");
  expect_bad_input(run_cli("info big.json", dir), "info big.json", "");
  EXPECT_HAS(run_cli("info big.json", dir).err, "holds more than 2^60 elements");

  save_two_layer_net(dir / "m.safetensors");
  std::string bytes = nnzero_test::slurp(dir / "m.safetensors");
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  std::string header = bytes.substr(8, len);
  const size_t at = header.find("\"0.bias\"");
  ASSERT_NE(at, std::string::npos);
  const std::string data = bytes.substr(8 + len);
  header.replace(at, 8, "\"0.weight\"");  // two "0.weight" keys, no "0.bias"
  len = header.size();
  std::string dup(8, '\0');
  std::memcpy(dup.data(), &len, 8);
  spit(dir / "dup.safetensors", dup + header + data);
  expect_bad_input(run_cli("info dup.safetensors", dir), "info dup.safetensors",
                   "dup.safetensors: header: the key \"0.weight\" appears twice in one object");
}

TEST(BadInputCli, InfoSaysWhichOfAFolderAndABuiltinNameItUsed) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.path() / "two_layer_net");
  CliResult r = run_cli("info two_layer_net", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["model"], "two_layer_net");
  EXPECT_HAS(r.err, "note: ./two_layer_net is a folder; showing the built-in model");

  std::filesystem::create_directory(dir.path() / "stuff");
  expect_bad_input(run_cli("info stuff", dir), "info stuff",
                   "stuff: is a folder, not a model file, and not a built-in model");

  // A file of a built-in's name is read, and stderr says so.
  std::filesystem::remove(dir.path() / "two_layer_net");
  nnzero::Rng rng(0);
  nnzero::Sequential small(
      nnzero::ModelSpec::parse(
          R"({"name": "tiny", "input": [4], "layers": [{"type": "linear", "out_features": 2}]})"),
      rng);
  nnzero::save_model(small, dir / "two_layer_net");
  r = run_cli("info two_layer_net", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["model"], "tiny");
  EXPECT_HAS(r.err, "note: reading the file ./two_layer_net, not the built-in model");
}

TEST(BadInputCli, LabelsBeyondTheModelsClassesNameTheLabelsFile) {
  ScratchDir dir;
  save_two_layer_net(dir / "m.safetensors");
  std::filesystem::create_directory(dir.path() / "data");
  const std::string images = idx({3, 28, 28}, std::string(3 * 784, '\x10'));
  for (const char* set : {"train", "t10k"}) {
    spit(dir / ("data/" + std::string(set) + "-images-idx3-ubyte"), images);
    spit(dir / ("data/" + std::string(set) + "-labels-idx1-ubyte"),
         idx({3}, std::string{0, 12, 3}));
  }
  expect_bad_input(run_cli("eval m.safetensors --data data", dir), "eval",
                   "data/t10k-labels-idx1-ubyte: label 12 (sample 1) is not one of the 10 classes "
                   "m.safetensors outputs (0 to 9)");
}

// A size the input asks for that no machine can allocate (a 10^12-unit layer: 3 PB of
// weights) is bad input, not an internal failure. (Under AddressSanitizer the allocator
// must return null for new to throw, as it does without it.)
TEST(BadInputCli, OutOfMemoryIsReportedAsSuch) {
  ScratchDir dir;
  spit(dir / "wide.json",
       R"({"input": [784], "layers": [{"type": "linear", "out_features": 1000000000000}]})");
  const CliResult r = nnzero_test::run_program(
      "env", "ASAN_OPTIONS=allocator_may_return_null=1 " NNZERO_BINARY_DIR "/nnzero info wide.json",
      dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "error: ");
  EXPECT_EQ(r.err.find("internal failure"), std::string::npos) << r.err;
}

TEST(BadInputCli, TruncatedImagesNameTheirFormat) {
  ScratchDir dir;
  save_two_layer_net(dir / "m.safetensors");
  spit(dir / "cut.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01", 13));
  expect_bad_input(run_cli("predict m.safetensors cut.jpg", dir), "predict cut.jpg",
                   "cut.jpg: truncated or corrupt JPEG");
}
