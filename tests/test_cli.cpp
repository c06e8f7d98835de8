// The command line as users and scripts drive it: exit codes, error messages, the JSON line,
// the run folder, and Ctrl-C followed by --resume.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "nnzero/parallel.h"
#include "test_data_dir.h"
#include "test_support.h"

using nnzero_test::run_cli;
using nnzero_test::ScratchDir;

TEST(Cli, BadUsageExits2WithAMessage) {
  ScratchDir dir;
  struct Case {
    std::string args, message;
  };
  nnzero_test::spit(dir / "bad.json",
                    R"({"input": [784], "layers": [{"type": "dense", "units": 3}]})");
  nnzero_test::spit(dir / "broken.json", R"({"input": [784], "layers": [)");
  for (const Case& c : std::vector<Case>{
           {"train --model resnet50", "unknown model \"resnet50\""},
           {"train --spec bad.json", "unknown layer type \"dense\""},
           {"train --spec broken.json", "not valid JSON"},
           {"train --spec missing.json", "missing.json: cannot open"},
           {"train --model two_layer_net --spec bad.json",
            "exactly one of --model NAME or --spec FILE"},
           {"train", "exactly one of --model NAME or --spec FILE"},
           {"train --model two_layer_net --batch -5", "--batch must be at least 1, got -5"},
           {"train --model two_layer_net --batch 0", "--batch must be at least 1, got 0"},
           {"train --model two_layer_net --epochs 0", "--epochs must be at least 1, got 0"},
           {"train --model two_layer_net --lr -0.1", "--lr must be positive"},
           {"train --model two_layer_net --optimizer lamb", "unknown optimizer \"lamb\""},
           {"train --model two_layer_net --lr-schedule linear",
            "unknown learning-rate schedule \"linear\" (known: constant, cosine)"},
           {"train --model two_layer_net --threads -1", "--threads must be at least 1"},
           {"train --model two_layer_net --hidden 10", "apply to --model multi_layer_net"},
           {"train --model multi_layer_net --hidden 10,x", "--hidden: expected positive sizes"},
           {"train --model two_layer_net --epochs ten", "--epochs"},
           {"train --model two_layer_net --data no/such/dir",
            "no/such/dir/train-images-idx3-ubyte: missing"},
           {"gradcheck --model two_layer_net --batch 1", "--batch must be at least 2"},
           {"info no_such_model", "not a built-in model"},
           {"eval no_such_file.safetensors", "no_such_file.safetensors: cannot open"},
           {"gradcheck --model two_layer_net --engine turbo", "unknown engine \"turbo\""},
           {"frobnicate", ""},
       }) {
    const auto r = run_cli(c.args, dir);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_HAS(r.err, "error: ") << c.args;
    EXPECT_HAS(r.err, c.message) << c.args;
  }
}

TEST(Cli, InfoDescribesBuiltinModels) {
  ScratchDir dir;
  const auto r = run_cli("info deep_convnet", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = r.json();
  EXPECT_EQ(j["model"], "deep_convnet");
  EXPECT_EQ(j["layers"].size(), 21u);
  EXPECT_EQ(j["layers"][15]["output"], nlohmann::json::array({1024}));
  EXPECT_GT(j["flops_per_sample"].get<double>(), 1e7);
  // Each layer names its PyTorch module with the arguments it takes (the layer registry).
  EXPECT_EQ(j["layers"][0]["torch"]["module"], "Conv2d");
  EXPECT_EQ(j["layers"][0]["torch"]["args"]["in_channels"], 1);
  EXPECT_EQ(j["layers"][0]["torch"]["args"]["kernel_size"], 3);
  EXPECT_EQ(j["layers"][20]["torch"]["module"], "Dropout");
}

TEST(Cli, LayersListsTheRegistry) {
  ScratchDir dir;
  const auto r = run_cli("layers", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto layers = r.json()["layers"];
  ASSERT_GE(layers.size(), 15u);
  bool gelu = false;
  for (const auto& t : layers) gelu = gelu || (t["type"] == "gelu" && t["torch_module"] == "GELU");
  EXPECT_TRUE(gelu);
  EXPECT_HAS(r.err, "out_features");
}

TEST(Cli, GradcheckPassesAndFailsWithExitCodes) {
  ScratchDir dir;
  auto r = run_cli("gradcheck --model simple_convnet", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["ok"], true);
  EXPECT_HAS(r.err, "0.weight");
  // The book's layers, one by one, check as well.
  r = run_cli("gradcheck --model simple_convnet --engine book", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["ok"], true);
  // An impossible tolerance: the same check must report failure and exit 1.
  r = run_cli("gradcheck --model two_layer_net --tolerance 1e-12", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.json()["ok"], false);
  EXPECT_HAS(r.err, "FAIL");
}

TEST(Cli, AnUnusableRunFolderFailsBeforeTraining) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  ScratchDir dir;
  nnzero_test::spit(dir / "a_file", "not a folder");
  nnzero_test::spit(
      dir / "flat.json",
      R"({"input": [1, 28, 28], "layers": [{"type": "linear", "out_features": 10}]})");
  const auto r = run_cli("train --model two_layer_net --data " + data + " --out a_file/run", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "a_file/run: cannot create the folder");
  EXPECT_EQ(r.err.find("epoch 1"), std::string::npos) << "failed only after training";
  // Shape errors in a spec file name the file and the layer.
  const auto s = run_cli("train --spec flat.json --data " + data, dir);
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_HAS(
      s.err,
      "flat.json: layer 0 (linear): linear: needs features (in) or a sequence of them (T, in)");
}

namespace {
// An MNIST-format folder of `train` and `test` blank 28x28 images labelled 0 (raw IDX files).
void write_tiny_mnist(const std::string& dir, uint32_t train, uint32_t test) {
  std::filesystem::create_directories(dir);
  const auto idx = [](uint8_t rank, std::vector<uint32_t> dims) {
    std::string bytes = {0, 0, 8, static_cast<char>(rank)};
    uint64_t count = 1;
    for (uint32_t d : dims) {
      for (int shift : {24, 16, 8, 0}) bytes += static_cast<char>((d >> shift) & 0xff);
      count *= d;
    }
    return bytes + std::string(count, '\0');
  };
  nnzero_test::spit(dir + "/train-images-idx3-ubyte", idx(3, {train, 28, 28}));
  nnzero_test::spit(dir + "/train-labels-idx1-ubyte", idx(1, {train}));
  nnzero_test::spit(dir + "/t10k-images-idx3-ubyte", idx(3, {test, 28, 28}));
  nnzero_test::spit(dir + "/t10k-labels-idx1-ubyte", idx(1, {test}));
}
}  // namespace

TEST(Cli, RunFoldersAreNeitherReplacedNorMisplaced) {
  ScratchDir dir;
  write_tiny_mnist(dir / "data", 20, 5);
  const std::string train = "train --model two_layer_net --data data --max-steps 2 --batch 10 ";
  ASSERT_EQ(run_cli(train + "--out run", dir).exit_code, 0);
  // Training into a folder that holds a run would replace its model: refused, unless --force.
  auto r = run_cli(train + "--out run", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "run: already holds a run");
  EXPECT_HAS(r.err, "--force");
  EXPECT_EQ(run_cli(train + "--out run --force", dir).exit_code, 0);
  r = run_cli(train + "--out ''", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "--out: give a folder name");
  // A spec's name becomes a folder under runs/, never a path out of it.
  nnzero_test::spit(dir / "escape.json",
                    R"({"name": "../../escape", "input": [784],
                        "layers": [{"type": "linear", "out_features": 10}]})");
  r = run_cli("train --spec escape.json --data data --max-steps 1 --batch 10", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = r.json()["out"];
  EXPECT_EQ(out.rfind("runs/", 0), 0u) << out;
  EXPECT_EQ(out.find(".."), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / out + "/model.safetensors"));
  // A NUL byte in a name shows in the message, which is not cut there; no folder is made.
  nnzero_test::spit(dir / "nul.json",
                    R"({"name": "x\u0000y", "input": [1, 4, 4],
                        "layers": [{"type": "conv2d", "out_channels": 2, "kernel": 3}]})");
  std::filesystem::remove_all(dir / "runs");
  r = run_cli("train --spec nul.json --data data", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "model \"x\\0y\": the last layer outputs");
  EXPECT_FALSE(std::filesystem::exists(dir / "runs"));
}

TEST(Cli, EvalOnAnEmptyTestSetIsAnError) {
  ScratchDir dir;
  write_tiny_mnist(dir / "data", 20, 0);
  ASSERT_EQ(
      run_cli("train --model two_layer_net --data data --max-steps 1 --batch 10 --out run", dir)
          .exit_code,
      0);
  const auto r = run_cli("eval run/model.safetensors --data data", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "t10k-images-idx3-ubyte");
  EXPECT_HAS(r.err, "no images to evaluate");
}

TEST(Cli, TrainWritesTheRunFolderAndTheJsonLine) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  ScratchDir dir;
  const auto r = run_cli("train --model two_layer_net --data " + data +
                             " --epochs 2 --train-samples 6000 --out run --seed 3",
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = r.json();
  for (const char* key : {"model", "epochs", "steps", "train_acc", "test_acc", "test_loss",
                          "seconds", "samples_per_s", "out"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["epochs"], 2);
  EXPECT_EQ(j["steps"], 120);
  EXPECT_GT(j["test_acc"].get<double>(), 0.6);
  EXPECT_HAS(r.err, "epoch 2/2");  // one line per epoch when stderr is not a terminal
  const std::string csv = nnzero_test::slurp(dir.path() / "run/metrics.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "epoch,train_loss,train_acc,test_loss,test_acc,seconds");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "run/checkpoint.safetensors"));

  // eval reproduces the final test accuracy from the saved model.
  const auto e = run_cli("eval run/model.safetensors --data " + data, dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_DOUBLE_EQ(e.json()["accuracy"].get<double>(), j["test_acc"].get<double>());
  EXPECT_EQ(e.json()["confusion"].size(), 10u);

  // --init-from starts from those weights: one more step keeps the accuracy.
  const auto f =
      run_cli("train --model two_layer_net --data " + data +
                  " --init-from run/model.safetensors --max-steps 1 --lr 0.0001 --out run2",
              dir);
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NEAR(f.json()["test_acc"].get<double>(), j["test_acc"].get<double>(), 0.01);
}

namespace {
// Starts nnzero in `dir` with stdout/stderr to files; returns its pid.
pid_t spawn_cli(const std::string& args, const ScratchDir& dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    const std::string command = "exec " + std::string(NNZERO_BINARY_DIR) + "/nnzero " + args +
                                " >bg.stdout 2>bg.stderr </dev/null";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}
}  // namespace

TEST(Cli, CtrlCThenResumeEndsWithTheSameWeights) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  ScratchDir dir;
  const std::string common =
      "train --model multi_layer_net --hidden 64 --batchnorm --dropout 0.2 "
      "--optimizer adam --data " +
      data + " --epochs 4 --train-samples 4000 --threads 1 --seed 5 --quiet";
  // Uninterrupted.
  const auto straight = run_cli(common + " --out straight", dir);
  ASSERT_EQ(straight.exit_code, 0) << straight.err;

  // Interrupted by SIGINT once the first epoch is written, then resumed.
  const pid_t pid = spawn_cli(common + " --out interrupted", dir);
  const auto metrics = dir.path() / "interrupted/metrics.csv";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(metrics) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  const std::string out = nnzero_test::slurp(dir.path() / "bg.stdout");
  if (WEXITSTATUS(status) == 0) {
    GTEST_SKIP() << "the run finished before the signal arrived";
  }
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_HAS(out, "\"interrupted\":true");
  const auto resumed =
      run_cli("train --resume interrupted --data " + data + " --threads 1 --quiet", dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(resumed.json()["steps"], straight.json()["steps"]);
  EXPECT_EQ(nnzero_test::slurp(dir.path() / "interrupted/model.safetensors"),
            nnzero_test::slurp(dir.path() / "straight/model.safetensors"));
  // Resuming cannot change the run's settings.
  const auto bad = run_cli("train --resume interrupted --lr 0.5", dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_HAS(bad.err, "--lr cannot be changed when resuming");
}

// Under an address-space limit (ulimit -v), OpenBLAS used to retry its per-thread buffers
// forever when asked for many threads: the default thread count now stays within the cores and
// the limit, and an explicit --threads beyond the limit is refused with the largest that fits.
TEST(Cli, ThreadsStayWithinTheAddressSpaceLimit) {
  EXPECT_EQ(nnzero::threads_that_fit(int64_t{2} << 30, int64_t{200} << 20), 10);
  EXPECT_EQ(nnzero::threads_that_fit(int64_t{300} << 20, int64_t{200} << 20), 0);
  EXPECT_GE(nnzero::threads_that_fit(), 1);
#if !defined(__SANITIZE_ADDRESS__)  // AddressSanitizer's shadow memory needs no such limit
  // One image through a 784 -> 50 layer: OpenBLAS threads that product (a model file from a
  // tiny data set, and a PGM of a bar).
  ScratchDir dir;
  write_tiny_mnist(dir / "data", 20, 5);
  ASSERT_EQ(run_cli("train --model two_layer_net --data data --max-steps 1 --batch 10 --out m", dir)
                .exit_code,
            0);
  std::string pixels(784, '\0');
  for (int r = 6; r < 22; ++r) pixels.replace(28 * r + 12, 4, 4, '\xff');
  std::string pgm = "P5 28 28 255\n";
  pgm += pixels;
  nnzero_test::spit(dir / "bar.pgm", pgm);
  // sh -c "ulimit -v 2000000; timeout 60 [env OMP_NUM_THREADS=64] nnzero predict ..."
  const auto limited = [](const std::string& command) {
    std::string args = "-c \"ulimit -v 2000000; timeout 60 ";
    args += command;
    args += "\"";
    return args;
  };
  const std::string predict =
      std::string(NNZERO_BINARY_DIR) + "/nnzero predict m/model.safetensors bar.pgm";
  auto r = nnzero_test::run_program("/bin/sh", limited("env OMP_NUM_THREADS=64 " + predict), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = nnzero_test::run_program("/bin/sh", limited(predict + " --threads 64"), dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "--threads 64: 64 threads do not fit");
  EXPECT_HAS(r.err, "use --threads");
#endif
}
