// libFuzzer target for checkpoints: the bytes as a checkpoint.safetensors file that
// `nnzero train --resume` reads (its tensors and the "nnzero.checkpoint" training state) into
// a small network with a dropout layer, and as a bare training-state JSON
// (CheckpointState::parse). Bad input must end in an nnzero::Error; what is accepted must be
// a state the trainer can run from (checked by training one step).
//
//   scripts/fuzz.sh 60 checkpoint
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "nnzero/error.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/train/checkpoint.h"
#include "nnzero/train/trainer.h"

namespace {

const char* kSpec = R"({"name": "tiny", "input": [4], "layers": [
    {"type": "linear", "out_features": 8}, {"type": "relu"}, {"type": "dropout", "p": 0.2},
    {"type": "linear", "out_features": 3}]})";

nnzero::Dataset tiny_dataset() {
  nnzero::Dataset d;
  d.name = "tiny";
  d.sample_shape = nnzero::Shape{4};
  for (int i = 0; i < 40; ++i) {
    for (int k = 0; k < 4; ++k) d.features.push_back(static_cast<float>((i * 7 + k) % 5) / 5);
    d.labels.push_back(i % 3);
  }
  d.num_classes = 3;
  return d;
}

std::string scratch_file() {
  static const std::string path = [] {
    char name[] = "/tmp/fuzz-checkpoint-XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    return std::string(name);
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] {
    nnzero::set_num_threads(1);
    return true;
  }();
  (void)once;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nnzero::CheckpointState::parse(text, "fuzz state");
  } catch (const nnzero::Error&) {
  }
  FILE* f = std::fopen(scratch_file().c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  static const nnzero::Dataset train = tiny_dataset();
  nnzero::Rng rng(1);
  nnzero::Sequential model(nnzero::ModelSpec::parse(kSpec), rng);
  nnzero::TrainOptions o;
  o.epochs = 3;
  o.batch = 8;
  o.optimizer = "adam";
  o.log_epochs = false;
  nnzero::Trainer trainer(model, train, nullptr, o);
  try {
    trainer.load_checkpoint(scratch_file());
  } catch (const nnzero::Error&) {
    return 0;
  }
  // Accepted: the run goes on from there (one more step at most).
  nnzero::clear_stop_request();
  try {
    trainer.run();
  } catch (const nnzero::Error&) {  // e.g. a checkpoint's weights that make the loss NaN
  }
  return 0;
}
