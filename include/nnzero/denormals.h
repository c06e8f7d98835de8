// Denormal (subnormal) floats, those below 1.2e-38, take a slow microcode path on x86:
// 10-100x the time of a normal multiply-add. Training makes them: Adam's moment estimates for
// a unit whose gradient is zero (a dead ReLU) decay geometrically through the denormal range,
// and weight decay drives such a unit's weights there too: simple_convnet with Adam and
// weight decay slowed several-fold after a few epochs, in GEMM and the Adam update on denormal
// operands (docs/benchmarks.md, "denormals").
//
// Flush-to-zero (results) and denormals-are-zero (inputs) make such values exactly 0: a
// change of less than 1.2e-38 in any value, below anything float32 training can notice
// (PyTorch offers the same as torch.set_flush_denormal(True)). The setting is per thread and
// inherited by threads created afterwards, so a program sets it first thing in main, as the
// nnzero command does.
#pragma once

namespace nnzero {

// Sets flush-to-zero and denormals-are-zero on the calling thread and on OpenMP's worker
// threads. Returns false where the CPU has no such mode (then nothing changes).
bool flush_denormals();

}  // namespace nnzero
