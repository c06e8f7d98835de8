// nnzero gradcheck: backpropagation against numerical differentiation for a whole model.
#include <cstdio>

#include "common.h"
#include "nnzero/train/gradcheck.h"

namespace nnzero::cli {

namespace {
struct GradcheckArgs {
  ModelChoice choice;
  uint64_t seed = 0;
  int64_t batch = 4, max_elements = 30;
  double tolerance = kGradCheckTolerance;
  double h = 1e-3;
  int threads = 0;
};

void run_gradcheck(const GradcheckArgs& a) {
  if (a.batch < 2) throw Error("--batch must be at least 2 (BatchNorm needs two samples)");
  if (!(a.tolerance > 0.0)) throw Error("--tolerance must be positive");
  apply_threads(a.threads);
  ModelSpec spec = a.choice.resolve();
  // With the book's std 0.01 the early layers' gradients are ~1e-4, below what float32
  // central differences resolve; the check is about backward(), so it draws He weights.
  if (a.choice.init.empty()) {
    if (spec.init.rfind("std:", 0) == 0) spec.init = "he";
    for (LayerSpec& l : spec.layers) {
      if (l.init().rfind("std:", 0) == 0) l.fields["init"] = "he";
    }
  }
  Rng rng(a.seed);
  const std::unique_ptr<Model> model = make_model(spec, rng, a.choice.resolve_engine());
  GradCheckOptions o;
  o.max_elements = a.max_elements;
  o.h = a.h;
  const auto results = gradcheck_model(*model, a.batch, rng, o);
  double worst = 0.0;
  nlohmann::json params = nlohmann::json::object();
  std::fprintf(stderr, "%-20s %8s %8s %12s\n", "parameter", "checked", "at kink", "rel. error");
  for (const auto& r : results) {
    std::fprintf(stderr, "%-20s %8lld %8lld %12.3e%s\n", r.name.c_str(),
                 static_cast<long long>(r.elements), static_cast<long long>(r.skipped), r.rel_error,
                 r.rel_error > a.tolerance ? "  FAIL" : "");
    params[r.name] = r.rel_error;
    worst = std::max(worst, r.rel_error);
  }
  const bool ok = worst <= a.tolerance;
  print_result({{"model", spec.name},
                {"max_rel_error", worst},
                {"tolerance", a.tolerance},
                {"ok", ok},
                {"params", params}});
  if (!ok) exit_status = 1;
}
}  // namespace

void add_gradcheck_command(CLI::App& app) {
  auto args = std::make_shared<GradcheckArgs>();
  CLI::App* cmd =
      app.add_subcommand("gradcheck", "Check backpropagation against numerical gradients");
  args->choice.add_flags(*cmd);
  cmd->add_option("--seed", args->seed, "Random seed (weights, inputs, labels)");
  cmd->add_option("--batch", args->batch, "Samples in the random batch (default 4)");
  cmd->add_option("--max-elements", args->max_elements,
                  "Elements checked per tensor, at random (0: all; default 30)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--h", args->h, "Finite-difference step (default 1e-3)");
  cmd->add_option("--tolerance", args->tolerance, "Largest relative error accepted (default 1e-2)");
  cmd->callback([args] { run_gradcheck(*args); });
}

}  // namespace nnzero::cli
