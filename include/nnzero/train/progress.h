// Progress of a training run on stderr: a live bar on a terminal (rewritten in place at
// most ten times a second, with samples/s and the time left), or nothing between the
// per-epoch lines when stderr is a file or a pipe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nnzero {

class Progress {
 public:
  // live: draw the bar (default: when stderr is a terminal).
  explicit Progress(bool live);
  static bool stderr_is_terminal();

  void start_epoch(int64_t epoch, int64_t epochs, int64_t total_samples);
  void update(int64_t samples_done, double loss);
  // Clears the bar and prints one line.
  void line(const std::string& text);

 private:
  bool live_;
  int64_t epoch_ = 0, epochs_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point epoch_start_, last_draw_;
};

// "1:02:03" or "02:03"
std::string format_duration(double seconds);

}  // namespace nnzero
