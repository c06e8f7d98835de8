#include "nnzero/train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace nnzero {

Progress::Progress(bool live) : live_(live) {}

bool Progress::stderr_is_terminal() {
  return isatty(STDERR_FILENO) != 0;
}

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

void Progress::start_epoch(int64_t epoch, int64_t epochs, int64_t total_samples) {
  epoch_ = epoch;
  epochs_ = epochs;
  total_ = total_samples;
  epoch_start_ = std::chrono::steady_clock::now();
  last_draw_ = {};
}

void Progress::update(int64_t done, double loss) {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double left = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : kWidth;
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kWidth) bar += '>';
  bar.resize(kWidth, ' ');
  std::fprintf(
      stderr, "\r\033[Kepoch %lld/%lld [%s] %3d%% %lld/%lld  %.0f samples/s  ETA %s  loss %.4f",
      static_cast<long long>(epoch_), static_cast<long long>(epochs_), bar.c_str(),
      total_ > 0 ? static_cast<int>(100 * done / total_) : 100, static_cast<long long>(done),
      static_cast<long long>(total_), rate, format_duration(left).c_str(), loss);
  std::fflush(stderr);
}

void Progress::line(const std::string& text) {
  if (live_) std::fputs("\r\033[K", stderr);
  std::fputs(text.c_str(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace nnzero
