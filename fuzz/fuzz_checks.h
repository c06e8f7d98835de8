// What the fuzz targets share: an invariant check that aborts (libFuzzer then reports the
// input and saves it), and the promise of the model spec's parser, which two targets test
// (fuzz_spec on raw JSON, fuzz_safetensors on a model file's "nnzero.spec").
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "nnzero/error.h"
#include "nnzero/model/spec.h"

namespace nnzero_fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// What ModelSpec::parse promises when it accepts: layers, an input of rank 1 to 3 with
// positive sizes, and a canonical JSON (what save_model writes, load_model reads) that parses
// back to itself. Bad text must end in an nnzero::Error.
inline void check_spec_text(const std::string& text) {
  nnzero::ModelSpec spec;
  try {
    spec = nnzero::ModelSpec::parse(text, "fuzz spec");
  } catch (const nnzero::Error&) {
    return;
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
}

}  // namespace nnzero_fuzz
