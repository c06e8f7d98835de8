// libFuzzer target for the model spec: nnzero::ModelSpec::parse on the raw bytes as JSON text
// (what `train --spec`, `info SPEC.json` and every model file's "nnzero.spec" metadata go
// through).
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report or another
// exception; an accepted spec has layers and a sensible input, and its canonical JSON (what
// model files store) parses back to the same canonical JSON.
//
//   scripts/fuzz.sh 60      # builds with clang and runs every target for 60 s
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_checks.h"
#include "nnzero/error.h"
#include "nnzero/model/spec.h"

namespace {
using nnzero_fuzz::check;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nnzero_fuzz::check_spec_text(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
