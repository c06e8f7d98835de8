#include "nnzero/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "nnzero/error.h"
#include "nnzero/model/spec.h"

namespace nnzero {

void check_lr_schedule(const std::string& name) {
  const std::vector<std::string>& names = lr_schedule_names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return;
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  throw Error("unknown learning-rate schedule \"" + name + "\" (known: " + known + ")");
}

// Called every step: compares names without building the list (a training step allocates
// nothing), which only an unknown name needs.
double lr_factor(const std::string& schedule, int64_t steps_done, int64_t total_steps,
                 int64_t warmup_steps, double floor) {
  if (schedule != "constant" && schedule != "cosine") check_lr_schedule(schedule);
  if (steps_done < warmup_steps) {
    return static_cast<double>(steps_done + 1) / static_cast<double>(warmup_steps + 1);
  }
  if (schedule == "cosine" && total_steps > warmup_steps) {
    const double progress = std::clamp(
        static_cast<double>(steps_done - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0);
    return floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  }
  return 1.0;
}

}  // namespace nnzero
