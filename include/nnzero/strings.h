// Small string helpers for messages.
#pragma once

#include <string>
#include <vector>

namespace nnzero {

// join({"a", "b"}, ", ") == "a, b"
template <class Range>
std::string join(const Range& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

}  // namespace nnzero
