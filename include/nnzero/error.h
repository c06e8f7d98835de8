// Errors a person can act on: bad input, bad usage, shape mismatches. The message names the
// file, field, layer or shapes involved. The command line prints "error: <message>" and exits
// with status 2 for these; anything else that escapes is an internal failure (status 1).
#pragma once

#include <stdexcept>
#include <string>

namespace nnzero {

// `text` with control characters (a NUL byte from a file, say) written as \0 or \xHH, so that
// all of it shows in a terminal; newlines and tabs are kept.
std::string printable(const std::string& text);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(printable(message)) {}
};

}  // namespace nnzero
