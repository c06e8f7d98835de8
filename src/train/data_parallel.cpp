#include "nnzero/train/data_parallel.h"

#include <chrono>

#include "nnzero/error.h"

namespace nnzero {

RankSlice rank_slice(int64_t count, int rank, int ranks) {
  return {count * rank / ranks, count * (rank + 1) / ranks};
}

std::string broadcast_string(Communicator& comm, const std::string& s) {
  uint64_t length = s.size();
  comm.broadcast(std::as_writable_bytes(std::span<uint64_t>(&length, 1)));
  std::string out = comm.rank() == 0 ? s : std::string(length, '\0');
  comm.broadcast(std::as_writable_bytes(std::span<char>(out.data(), out.size())));
  return out;
}

uint64_t fnv1a(std::span<const std::byte> bytes, uint64_t h) {
  for (std::byte b : bytes) {
    h ^= static_cast<uint64_t>(b);
    h *= 0x100000001b3ULL;
  }
  return h;
}

void check_same_on_all_ranks(Communicator& comm, uint64_t fingerprint, const std::string& what) {
  uint64_t rank0 = fingerprint;
  comm.broadcast(std::as_writable_bytes(std::span<uint64_t>(&rank0, 1)));
  // Every rank learns how many differ, so that all of them stop, not only those that differ.
  float differs = rank0 != fingerprint ? 1.0f : 0.0f;
  comm.allreduce_sum(std::span<float>(&differs, 1));
  if (differs == 0.0f) return;
  const std::string count =
      std::to_string(static_cast<int>(differs)) + " of " + std::to_string(comm.size()) + " ranks";
  throw Error(
      "data-parallel training: " + what + " differ between ranks (" + count +
      " differ from rank 0" +
      (rank0 != fingerprint ? ", this rank " + std::to_string(comm.rank()) + " among them" : "") +
      "); every rank must run the same command on the same data");
}

void broadcast_training_state(Communicator& comm, Model& model, Optimizer& optimizer) {
  for (const NamedTensor& nt : model.state()) comm.broadcast(nt.tensor->span());
  for (Tensor* t : optimizer.state()) comm.broadcast(t->span());
}

GradientAllreduce::GradientAllreduce(Communicator& comm, Model& model) : comm_(comm) {
  for (const NamedParam& np : model.named_params()) params_.push_back(np.param);
}

void GradientAllreduce::reduce(float scale, std::span<float> extras) {
  // Each gradient summed in place, one all-reduce per parameter tensor, the extras last:
  // no copy into a staging buffer and back (docs/scaling.md measures the difference).
  for (Param* p : params_) {
    for (float& g : p->grad.span()) g *= scale;
  }
  const auto start = std::chrono::steady_clock::now();
  for (Param* p : params_) comm_.allreduce_sum(p->grad.span());
  comm_.allreduce_sum(extras);
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace nnzero
