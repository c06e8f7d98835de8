// What `nnzero bench` and its LibTorch peer (bench/libtorch_bench.cpp) measure of their own
// process, the same way in both: wall time, CPU time and peak resident memory. Header-only,
// so the peer uses it without linking nnzero.
#pragma once

#include <sys/resource.h>

#include <chrono>

namespace nnzero {

using BenchClock = std::chrono::steady_clock;

inline double seconds_since(BenchClock::time_point t) {
  return std::chrono::duration<double>(BenchClock::now() - t).count();
}

// CPU time of the whole process (all threads): unlike wall time, barely moved by other
// programs competing for the cores.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

inline double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace nnzero
