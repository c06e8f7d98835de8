#include "nnzero/denormals.h"

#include "nnzero/parallel.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace nnzero {

namespace {
bool flush_this_thread() {
#if defined(__SSE__)
  constexpr unsigned kFlushToZero = 1u << 15, kDenormalsAreZero = 1u << 6;  // MXCSR bits
  _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
  return true;
#elif defined(__aarch64__)
  unsigned long fpcr;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(fpcr));
  __asm__ __volatile__("msr fpcr, %0" : : "r"(fpcr | (1ul << 24)));  // FZ
  return true;
#else
  return false;
#endif
}
}  // namespace

bool flush_denormals() {
  const bool ok = flush_this_thread();
  // Workers that already exist; those created later inherit the setting from this thread.
  on_every_thread([](int) { flush_this_thread(); });
  return ok;
}

}  // namespace nnzero
