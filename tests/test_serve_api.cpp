// `nnzero serve` over loopback: the real binary, started on a free port, asked by an HTTP
// client. Every answer for good input; 400, 404, 413, 415 for bad requests, after each of
// which the server keeps answering; a silent client does not hold up the others; SIGTERM
// stops it with status 0 and its JSON summary.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "nnzero/model/builtin.h"
#include "nnzero/model/classifier.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "test_support.h"

extern char** environ;

namespace {

using nnzero_test::CliResult;
using nnzero_test::ScratchDir;
using nnzero_test::slurp;
using nnzero_test::spit;

// A 28 x 28 grey PGM (P5) of a plus sign, white on black.
std::string plus_pgm() {
  std::string pgm = "P5\n28 28\n255\n";
  for (int y = 0; y < 28; ++y) {
    for (int x = 0; x < 28; ++x)
      pgm += (x == 14 || y == 14) && x > 6 && x < 22 && y > 6 && y < 22 ? '\xff' : '\0';
  }
  return pgm;
}

// `nnzero serve` on a free port of 127.0.0.1, for the life of the object.
class Server {
 public:
  Server(const ScratchDir& dir, const std::vector<std::string>& args) : dir_(dir) {
    std::vector<std::string> argv = {
        std::string(NNZERO_BINARY_DIR) + "/nnzero", "serve", "--port", "0", "--timeout", "2"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (std::string& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, (dir / "serve.stdout").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&files, 2, (dir / "serve.stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_EQ(posix_spawn(&pid_, c_argv[0], &files, nullptr, c_argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&files);
    port_ = wait_for_port();
  }
  ~Server() {
    if (pid_ > 0) stop();
  }

  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  // SIGTERM, then the exit status and stdout.
  CliResult stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir_ / "serve.stdout");
    r.err = slurp(dir_ / "serve.stderr");
    return r;
  }

 private:
  // The port from "... on http://127.0.0.1:PORT/" on stderr.
  int wait_for_port() {
    for (int tries = 0; tries < 6000; ++tries) {
      const std::string err = slurp(dir_ / "serve.stderr");
      const size_t at = err.find("http://127.0.0.1:");
      if (at != std::string::npos && err.find('/', at + 17) != std::string::npos) {
        return std::stoi(err.substr(at + 17));
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        ADD_FAILURE() << "nnzero serve exited: " << err;
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "nnzero serve did not start listening";
    return -1;
  }

  const ScratchDir& dir_;
  pid_t pid_ = -1;
  int port_ = -1;
};

class ServeApi : public ::testing::Test {
 protected:
  void SetUp() override {
    nnzero::Rng rng(3);
    auto model = nnzero::make_model(nnzero::builtin_spec("simple_convnet"), rng);
    model_path_ = dir_ / "digits.safetensors";
    nnzero::save_model(*model, model_path_,
                       {{"nnzero.metrics", R"({"epochs": 2, "test_acc": 0.5})"}});
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{model_path_});
  }

  httplib::Result post(const std::string& path, const std::string& body, const std::string& type) {
    return server_->client().Post(path, body, type);
  }
  // The server still answers (after a bad request).
  void expect_alive() {
    const httplib::Result r = server_->client().Get("/healthz");
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, 200);
  }
  void expect_error(const httplib::Result& r, int status, const std::string& part) {
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    const nlohmann::json j = nlohmann::json::parse(r->body);
    EXPECT_NE(j.at("error").get<std::string>().find(part), std::string::npos) << r->body;
    expect_alive();
  }

  ScratchDir dir_;
  std::string model_path_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServeApi, HealthModelsAndThePage) {
  httplib::Client c = server_->client();
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(nlohmann::json::parse(health->body), nlohmann::json({{"status", "ok"}, {"models", 1}}));

  auto models = c.Get("/api/models");
  ASSERT_TRUE(models);
  const nlohmann::json card = nlohmann::json::parse(models->body).at("models").at(0);
  EXPECT_EQ(card.at("name"), "digits");
  EXPECT_EQ(card.at("input"), nlohmann::json({1, 28, 28}));
  EXPECT_EQ(card.at("classes").size(), 10u);
  EXPECT_EQ(card.at("preprocess"), "mnist");
  EXPECT_EQ(card.at("params"), 433890);
  EXPECT_EQ(card.at("layers").size(), 7u);
  EXPECT_EQ(card.at("metrics").at("test_acc"), 0.5);

  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<canvas id=\"pad\""), std::string::npos);
  auto script = c.Get("/app.js");
  ASSERT_TRUE(script);
  EXPECT_NE(script->body.find("/api/predict"), std::string::npos);
  // Only the embedded files: nothing from the disk, whatever the path says.
  for (const char* path : {"/index.html/..", "/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt",
                           "/etc/passwd", "/src/serve/assets/app.js"}) {
    expect_error(c.Get(path), 404, "no such page");
  }
}

TEST_F(ServeApi, PredictsPixelsAsTheClassifierDoes) {
  std::vector<float> pixels(784);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i % 29) / 28.0f;
  auto r = post("/api/predict?model=digits", nlohmann::json({{"pixels", pixels}}).dump(),
                "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const nlohmann::json j = nlohmann::json::parse(r->body);
  nnzero::Classifier local(model_path_);
  const nnzero::Classification want = local.classify(std::span<const float>(pixels));
  EXPECT_EQ(j.at("model"), "digits");
  EXPECT_EQ(j.at("label"), want.label);
  EXPECT_EQ(j.at("class"), std::to_string(want.label));
  ASSERT_EQ(j.at("probabilities").size(), 10u);
  for (size_t k = 0; k < 10; ++k) {
    EXPECT_NEAR(j.at("probabilities")[k].get<double>(), want.probabilities[k], 1e-6);
  }
  EXPECT_EQ(j.at("classes").size(), 10u);
  EXPECT_FALSE(j.contains("input"));
}

TEST_F(ServeApi, PredictsAnImageFileAndShowsWhatTheNetworkSaw) {
  const std::string pgm = plus_pgm();
  auto r = post("/api/predict?input=1", pgm, "image/x-portable-graymap");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const nlohmann::json j = nlohmann::json::parse(r->body);
  // The MNIST preprocessing of `nnzero predict`, computed here in-process.
  const std::vector<float> want = nnzero::mnist_digit(nnzero::decode_image(
      std::span(reinterpret_cast<const uint8_t*>(pgm.data()), pgm.size()), "plus"));
  ASSERT_EQ(j.at("input").size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(j.at("input")[i].get<int>(), std::lround(want[i] * 255.0f)) << i;
  }
  // The raw preprocessing only resizes: a 28 x 28 image comes back as it is.
  auto raw = post("/api/predict?input=1&preprocess=raw", pgm, "image/x-portable-graymap");
  ASSERT_TRUE(raw);
  const nlohmann::json input = nlohmann::json::parse(raw->body).at("input");
  EXPECT_EQ(input[14 * 28 + 10], 255);
  EXPECT_EQ(input[0], 0);
}

TEST_F(ServeApi, BadRequestsGetTheirStatusAndTheServerKeepsAnswering) {
  const std::string pgm = plus_pgm();
  expect_error(post("/api/predict", "\x89PNG\r\n\x1a\n garbage", "image/png"), 400, "the image");
  expect_error(post("/api/predict", pgm.substr(0, 40), "image/x-portable-graymap"), 400,
               "the image");
  expect_error(post("/api/predict", std::string(784, '\0'), "image/png"), 400, "the image");
  expect_error(post("/api/predict", pgm, "text/plain"), 415, "Content-Type");
  expect_error(post("/api/predict", pgm, ""), 415, "Content-Type");
  expect_error(post("/api/predict?model=cats", pgm, "image/png"), 404, "no model named 'cats'");
  expect_error(post("/api/predict", "{\"pixels\": [1, 2]}", "application/json"), 400, "784");
  expect_error(post("/api/predict", "{\"pixels\": ", "application/json"), 400, "JSON");
  std::vector<float> too_bright(784, 0.0f);
  too_bright[5] = 2.0f;
  expect_error(
      post("/api/predict", nlohmann::json({{"pixels", too_bright}}).dump(), "application/json"),
      400, "[0, 1]");
  // A blank image has no digit to find.
  std::string blank = "P5\n28 28\n255\n" + std::string(784, '\0');
  expect_error(post("/api/predict", blank, "image/x-portable-graymap"), 400, "blank");
  // Too large: the body (over 8 MiB), and an image whose header claims 5000 x 5000 pixels
  // (refused from the header: the few bytes sent are never decoded).
  expect_error(post("/api/predict", std::string((8 << 20) + 1, 'x'), "image/png"), 413,
               "too large");
  expect_error(post("/api/predict", "P5\n5000 5000\n255\n\x01\x02", "image/x-portable-graymap"),
               413, "5000 x 5000");
}

TEST_F(ServeApi, ASilentClientDoesNotHoldUpTheOthers) {
  // Three connections that send nothing.
  std::vector<int> silent;
  for (int k = 0; k < 3; ++k) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    silent.push_back(fd);
  }
  // Answered while they are still connected: recv() would return 0 once the server dropped
  // them (after --timeout seconds), -1 with EAGAIN while they are open.
  auto r = post("/api/predict", plus_pgm(), "image/x-portable-graymap");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  char byte;
  for (int fd : silent) {
    EXPECT_EQ(recv(fd, &byte, 1, MSG_DONTWAIT), -1);
    EXPECT_EQ(errno, EAGAIN);
  }
  // The server drops them once they stay silent past its timeout.
  for (int fd : silent) {
    EXPECT_EQ(recv(fd, &byte, 1, 0), 0);
    close(fd);
  }
  expect_alive();
}

TEST_F(ServeApi, ConcurrentClientsAreAllAnsweredAndSigtermStopsCleanly) {
  constexpr int kClients = 8, kEach = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) {
    clients.emplace_back([&] {
      httplib::Client c = server_->client();
      for (int i = 0; i < kEach; ++i) {
        auto r = c.Post("/api/predict", plus_pgm(), "image/x-portable-graymap");
        if (r && r->status == 200) ok += 1;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok, kClients * kEach);
  const CliResult stopped = server_->stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  const nlohmann::json summary = stopped.json();
  EXPECT_EQ(summary.at("predictions"), kClients * kEach);
  EXPECT_EQ(summary.at("errors"), 0);
  EXPECT_GE(summary.at("batches").get<int>(), 1);
  EXPECT_LE(summary.at("batches").get<int>(), kClients * kEach);
  EXPECT_NE(stopped.err.find("stopped"), std::string::npos);
}

TEST(ServeCli, BadModelsAndFlagsExitWithStatus2) {
  ScratchDir dir;
  EXPECT_EQ(nnzero_test::run_cli("serve missing.safetensors --port 0", dir).exit_code, 2);
  spit(dir / "junk.safetensors", "not a model");
  const CliResult junk = nnzero_test::run_cli("serve junk.safetensors --port 0", dir);
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_NE(junk.err.find("junk.safetensors"), std::string::npos) << junk.err;
  EXPECT_EQ(nnzero_test::run_cli("serve junk.safetensors --port 70000", dir).exit_code, 2);
  // A model that does not take 28 x 28 images cannot be served.
  nnzero::Rng rng(1);
  auto table = nnzero::make_model(
      nnzero::ModelSpec::parse(
          R"({"input": [4], "layers": [{"type": "linear", "out_features": 3}]})"),
      rng);
  nnzero::save_model(*table, dir / "table.safetensors");
  const CliResult wrong = nnzero_test::run_cli("serve table.safetensors --port 0", dir);
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("28"), std::string::npos) << wrong.err;
  // Class names that disagree with the outputs.
  auto digits = nnzero::make_model(nnzero::builtin_spec("two_layer_net"), rng);
  nnzero::save_model(*digits, dir / "cats.safetensors", {{"nnzero.classes", R"(["cat", "dog"])"}});
  const CliResult classes = nnzero_test::run_cli("serve cats.safetensors --port 0", dir);
  EXPECT_EQ(classes.exit_code, 2);
  EXPECT_NE(classes.err.find("nnzero.classes names 2 classes"), std::string::npos) << classes.err;
}

TEST(ServeCli, APortInUseIsAClearError) {
  ScratchDir dir;
  nnzero::Rng rng(1);
  auto model = nnzero::make_model(nnzero::builtin_spec("two_layer_net"), rng);
  nnzero::save_model(*model, dir / "a.safetensors");
  Server first(dir, {dir / "a.safetensors"});
  const CliResult second =
      nnzero_test::run_cli("serve a.safetensors --port " + std::to_string(first.port()), dir);
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_NE(second.err.find("cannot listen"), std::string::npos) << second.err;
}

}  // namespace
