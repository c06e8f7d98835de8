// nnzero serve MODEL...: the classifier as a web page (draw a digit or drop a photo) and an
// HTTP API (src/serve/server.h). Runs until Ctrl-C or SIGTERM, then prints what it served.
#include <cstdio>

#include "common.h"
#include "server.h"

namespace nnzero::cli {

namespace {
void run_serve(serve::ServeOptions options) {
  apply_threads(options.limits.threads);  // checks that they fit; each batch sets them
  const serve::ServeSummary s = serve::serve(options, [&](const std::string& url) {
    std::fprintf(stderr, "nnzero serve: %zu model(s) on %s  (Ctrl-C stops)\n",
                 options.models.size(), url.c_str());
  });
  std::fprintf(stderr, "nnzero serve: stopped\n");
  print_result({{"requests", s.requests},
                {"predictions", s.predictions},
                {"errors", s.errors},
                {"batches", s.batches},
                {"largest_batch", s.largest_batch}});
}
}  // namespace

void add_serve_command(CLI::App& app) {
  auto options = std::make_shared<serve::ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve models as a web page (draw or drop an image) and an HTTP API");
  cmd->add_option("MODEL", options->models, "Model files (model.safetensors)")->required();
  cmd->add_option("--host", options->host,
                  "Address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for "
                  "every interface)");
  cmd->add_option("--port", options->port, "Port (default 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", options->limits.threads,
                  "Threads of each forward pass (default 1; 0: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--connections", options->connections,
                  "Connections served at once, one thread each (default 64)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-batch", options->limits.max_batch,
                  "Most requests answered by one forward pass (default 64; 1: no batching)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-body", options->limits.max_body_bytes,
                  "Largest request body in bytes (default 8 MiB; larger: 413)")
      ->check(CLI::Range(int64_t{1024}, int64_t{1} << 30));
  cmd->add_option("--timeout", options->read_timeout_s,
                  "Seconds a client may stay silent before it is dropped (default 5)")
      ->check(CLI::Range(1, 3600));
  auto precision = std::make_shared<std::string>("fp32");
  add_precision_flag(*cmd, *precision);
  cmd->callback([options, precision] {
    options->limits.precision = parse_precision(*precision, "--precision");
    run_serve(*options);
  });
}

}  // namespace nnzero::cli
