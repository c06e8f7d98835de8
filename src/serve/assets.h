// The page's files, built into the binary from src/serve/assets/ (cmake/embed_assets.cmake):
// the server answers only these, by their exact path, never a path from the file system.
#pragma once

#include <string_view>

namespace nnzero::serve {

struct Asset {
  std::string_view path;          // "/", "/app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

// The asset served at `path`, or nullptr.
const Asset* find_asset(std::string_view path);

}  // namespace nnzero::serve
