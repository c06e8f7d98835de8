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

#include "nnzero/error.h"
#include "nnzero/model/spec.h"

namespace {
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_spec: invariant broken: %s\n", what);
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nnzero::ModelSpec spec;
  try {
    spec = nnzero::ModelSpec::parse(text, "fuzz spec");
  } catch (const nnzero::Error&) {
    return 0;
  }
  check(!spec.layers.empty(), "a spec has layers");
  check(spec.input.rank() >= 1 && spec.input.rank() <= 3, "input rank");
  for (int64_t d : spec.input) check(d >= 1, "input sizes are positive");
  const std::string canonical = spec.to_json();
  nnzero::ModelSpec again;
  try {
    again = nnzero::ModelSpec::parse(canonical, "canonical spec");
  } catch (const nnzero::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    check(false, "the canonical JSON of an accepted spec parses");
  }
  check(again.to_json() == canonical, "the canonical JSON round-trips");
  return 0;
}
