// `nnzero serve`: the image classifier as a web page and an HTTP API, on cpp-httplib.
//
//   GET  /                        the page (assets.h)
//   GET  /api/models              {"models": [card, ...]}
//   POST /api/predict?model=NAME  body: an image file (Content-Type image/*) or
//                                 {"pixels": [...]} (application/json); answers
//                                 {"model", "label", "class", "probabilities", "classes"}
//   GET  /healthz                 {"status": "ok", "models": N}
//
// Errors are {"error": "..."} with 400 (bad image or JSON), 404 (unknown model or path),
// 413 (body or image too large), 415 (another Content-Type), 503 (queue full).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "served_model.h"

namespace nnzero::serve {

struct ServeOptions {
  std::vector<std::string> models;  // model files
  std::string host = "127.0.0.1";   // loopback unless told otherwise
  int port = 8080;                  // 0: any free port
  int64_t connections = 64;         // connections served at once (one thread each)
  int64_t read_timeout_s = 5;       // a client silent this long is dropped
  ServeLimits limits;
};

// What the server did, printed as the command's JSON when it stops.
struct ServeSummary {
  int64_t requests = 0, predictions = 0, errors = 0, batches = 0, largest_batch = 0;
};

// Loads the models, listens, and serves until SIGINT or SIGTERM; then stops accepting,
// answers the requests in flight and returns. `on_listening(url)` is called once the socket
// listens. Throws an nnzero::Error when a model cannot be loaded or the port not bound.
ServeSummary serve(const ServeOptions& options,
                   const std::function<void(const std::string& url)>& on_listening);

}  // namespace nnzero::serve
