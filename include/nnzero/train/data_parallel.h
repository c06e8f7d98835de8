// Data-parallel training (the book's section 8.2.3: "distributed training"): N processes
// ("ranks") hold the same weights; each global batch of B samples is split into N contiguous
// parts, every rank runs forward and backward on its part, and the gradients are summed
// across ranks so that every rank applies the same update, the one a single process would
// apply to the whole batch:
//   dL/dW = (1/B) sum_i dl_i/dW = sum_r (B_r/B) g_r,   g_r = (1/B_r) sum_{i in part r} dl_i/dW
// so each rank scales its gradient by B_r/B before the sum.
//
// The Trainer talks to the other ranks through a Communicator only; the MPI implementation
// lives with the command (tools/mpi/), so the library never includes mpi.h. SingleProcess is
// the communicator of a run without peers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nnzero/model/model.h"
#include "nnzero/train/optimizer.h"

namespace nnzero {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every rank's `data` becomes rank 0's (same length everywhere).
  virtual void broadcast(std::span<float> data) = 0;
  virtual void broadcast(std::span<std::byte> data) = 0;
  // Every rank's `data` becomes the element-wise sum over all ranks (same length everywhere).
  virtual void allreduce_sum(std::span<float> data) = 0;
  virtual void barrier() = 0;
};

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void broadcast(std::span<float>) override {}
  void broadcast(std::span<std::byte>) override {}
  void allreduce_sum(std::span<float>) override {}
  void barrier() override {}
};

// The samples [begin, end) of a global batch of `count` that `rank` of `ranks` trains on:
// contiguous parts whose sizes differ by at most one.
struct RankSlice {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};
RankSlice rank_slice(int64_t count, int rank, int ranks);

// Rank 0's string on every rank.
std::string broadcast_string(Communicator& comm, const std::string& s);

// Refuses (throws nnzero::Error on every rank) when `fingerprint` differs between ranks;
// `what` names what it summarises ("the flags and data").
void check_same_on_all_ranks(Communicator& comm, uint64_t fingerprint, const std::string& what);

// FNV-1a, 64 bits: the fingerprint of bytes (chain calls through `h`).
uint64_t fnv1a(std::span<const std::byte> bytes, uint64_t h = 0xcbf29ce484222325ULL);

// Rank 0's weights, saved state (BatchNorm's running statistics) and optimizer state on every
// rank: the start of a run (fresh, --init-from or --resume) is rank 0's.
void broadcast_training_state(Communicator& comm, Model& model, Optimizer& optimizer);

// Sums the scaled gradients of all ranks after the backward pass, one all-reduce per
// parameter tensor in place, with a few scalars (the loss, the stop request) after them.
class GradientAllreduce {
 public:
  GradientAllreduce(Communicator& comm, Model& model);
  // grad <- sum over ranks of scale_r * grad_r; extras likewise (summed, unscaled).
  void reduce(float scale, std::span<float> extras);
  double seconds() const { return seconds_; }  // spent in the all-reduces themselves

 private:
  Communicator& comm_;
  std::vector<Param*> params_;
  double seconds_ = 0.0;
};

}  // namespace nnzero
