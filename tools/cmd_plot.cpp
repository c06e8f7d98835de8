// nnzero plot RUN_DIR...: several training runs in one picture (plot/compare_runs.h): the
// smoothed loss per step and the accuracy per epoch, each run named by the settings in which
// it differs from the others.
#include "commands.h"
#include "nnzero/error.h"
#include "nnzero/plot/compare_runs.h"

namespace nnzero::cli {

namespace {
struct PlotArgs {
  std::vector<std::string> runs;
  std::string out = "runs.png";
};

void run_plot(const PlotArgs& a) {
  std::vector<plot::RunRecord> runs;
  for (const std::string& dir : a.runs) runs.push_back(plot::read_run(dir));
  const std::string shared = plot::label_runs(runs);
  plot::draw_run_comparison(a.out, runs, shared);
  nlohmann::json listed = nlohmann::json::array();
  for (const plot::RunRecord& r : runs) {
    listed.push_back({{"dir", r.dir},
                      {"label", r.label},
                      {"epochs", r.history.size()},
                      {"steps", r.losses.size()}});
  }
  print_result({{"out", a.out}, {"shared", shared}, {"runs", listed}});
}
}  // namespace

void add_plot_command(CLI::App& app) {
  auto args = std::make_shared<PlotArgs>();
  CLI::App* cmd = app.add_subcommand(
      "plot", "Draw the loss and accuracy curves of one or more run folders in one picture");
  cmd->add_option("RUN_DIR", args->runs, "Run folders of nnzero train")->required();
  cmd->add_option("--out", args->out, "PNG file to write (default runs.png)");
  cmd->callback([args] { run_plot(*args); });
}

}  // namespace nnzero::cli
