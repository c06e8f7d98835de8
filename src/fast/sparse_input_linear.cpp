#include "nnzero/fast/sparse_input_linear.h"

#include <algorithm>

#include "nnzero/parallel.h"

namespace nnzero {

namespace {
// The sparse path pays only for products big enough to split over threads.
constexpr int64_t kMinMacs = 1 << 18;

// Its pieces are split over threads from this many rows of the batch: a batch of 100 is
// faster on one core than split, which moves half the entries, W^T panels and dW rows
// between the cores (docs/benchmarks.md, "the sparse first layer").
constexpr int64_t kSplitMinRows = 256;

int64_t sparse_threads(int64_t rows) {
  return rows >= kSplitMinRows ? num_threads() : 1;
}

// The batch goes in blocks of this many rows: a block's x^T (784 x 128 floats, 400 KB) stays
// in L2 and its rows of out (32 KB) in L1; a whole batch of 1000 did not.
constexpr int64_t kBlockRows = 128;

int64_t sparse_blocks(int64_t n) {
  return (n + kBlockRows - 1) / kBlockRows;
}

// Rows [r0, r1) of the batch's block b.
std::pair<int64_t, int64_t> block_rows(int64_t b, int64_t n) {
  return {b * kBlockRows, std::min(n, (b + 1) * kBlockRows)};
}

// f(thread, b, r0, r1) for every block, split over the threads when the sparse path is.
template <class F>
void for_each_block(int64_t n, F&& f) {
  parallel_pieces(
      sparse_blocks(n),
      [&](int t, int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const auto [r0, r1] = block_rows(b, n);
          f(t, b, r0, r1);
        }
      },
      sparse_threads(n) > 1 ? 1 : kNeverSplit);
}

// The sparse product costs about this many times what OpenBLAS takes per multiply-add, so
// it pays when at most 1 in kSparseRatio inputs is nonzero (MNIST: 1 in 5.3).
constexpr int64_t kSparseRatio = 3;
}  // namespace

SparseInputLinear::SparseInputLinear(const Shape& in_shape, int64_t out_features, bool bias)
    : Linear(in_shape, out_features, bias) {
  set_needs_input_grad(false);
}

// Only where no dx is needed (the sparse path computes none) and the product is big enough.
bool SparseInputLinear::prepares_input(int64_t n) const {
  return !needs_input_grad_ && n * in_features_ * out_features_ >= kMinMacs;
}

const Tensor& SparseInputLinear::forward(const Tensor& x, bool train) {
  check_input(x);
  const int64_t n = x.dim(0), in = in_features_;
  const Tensor* prepared = std::exchange(prepared_, nullptr);
  if (prepared != nullptr && !(prepared->shape() == Shape{in, n})) {
    throw Error("linear: the prepared input has shape " + prepared->shape().str() +
                ", not that of this input transposed, " + Shape{in, n}.str());
  }
  if (prepares_input(n)) reserve_sparse(n);
  // Inference takes x by its rows as it is; training by its columns, which the weight
  // gradient needs (prepared by a data loader, or transposed here).
  by_rows_ = !train && prepared == nullptr;
  if (by_rows_) {
    sparse_input_ = prepares_input(n) && first_row_sparse(x) && compress_by_rows(x);
  } else if (prepared != nullptr) {
    sparse_input_ = compress(*prepared);
  } else {
    sparse_input_ = prepare_input(x, own_xt_) && compress(own_xt_);
  }
  if (!sparse_input_) return Linear::forward(x, train);
  x_ = x;
  out_.resize(Shape{n, out_features_});
  sparse_forward(n);
  return out_;
}

// out = b + the sum over x's nonzero entries x[i, k] of x[i, k] W^T[k, :], block by block of
// rows.
void SparseInputLinear::sparse_forward(int64_t n) {
  const int64_t out = out_features_, width = sparse_padded_width(out);
  transpose_padded(weight_.value.data(), out, in_features_, 0, width, wt_.data());
  const float* bias = has_bias_ ? bias_.value.data() : nullptr;
  float* acc = workspace().per_thread(Workspace::kScratch, kBlockRows * width, num_threads());
  const int64_t acc_stride = Workspace::stride(kBlockRows * width);
  for_each_block(n, [&](int t, int64_t b, int64_t r0, int64_t) {
    const SparseRows& block = blocks_[static_cast<size_t>(b)];
    float* y = out_.data() + r0 * out;
    if (by_rows_) {
      sparse_times_transposed(block, wt_.data(), out, bias, y);
    } else {
      sparse_columns_times_transposed(block, wt_.data(), out, bias, acc + t * acc_stride, y);
    }
  });
}

const Tensor& SparseInputLinear::backward(const Tensor& dout) {
  if (!sparse_input_) return Linear::backward(dout);
  check_dout(dout, x_.dim(0));
  if (by_rows_) {  // after a forward for inference: x by its columns now
    prepare_input(x_, own_xt_);
    compress(own_xt_);
    by_rows_ = false;
  }
  add_sparse_weight_grad(dout);
  if (has_bias_) {
    float* db = bias_.grad.data();
    for (int64_t i = 0; i < dout.dim(0); ++i) {
      const float* row = dout.data() + i * out_features_;
      for (int64_t j = 0; j < out_features_; ++j) db[j] += row[j];
    }
  }
  return dx_;
}

// Thread t of T's share of the output features in the weight gradient: whole vectors, the
// same ones every step, so that its rows of dW stay in its core's cache.
std::pair<int64_t, int64_t> SparseInputLinear::sparse_piece(int64_t t, int64_t threads) const {
  const int64_t lanes = sparse_vector_width();
  const int64_t vecs = sparse_padded_width(out_features_) / lanes;
  return {vecs * t / threads * lanes, vecs * (t + 1) / threads * lanes};
}

bool SparseInputLinear::prepare_input(const Tensor& x, Tensor& xt) const {
  check_input(x);
  const int64_t n = x.dim(0), in = in_features_;
  if (!prepares_input(n)) return false;
  xt.resize(Shape{in, n});  // whether or not this batch is sparse: the path may change
  if (!first_row_sparse(x)) return false;
  for_each_block(n, [&](int, int64_t, int64_t r0, int64_t r1) {
    transpose(x.data() + r0 * in, r1 - r0, in, 0, in, xt.data() + r0 * in);
  });
  return true;
}

bool SparseInputLinear::first_row_sparse(const Tensor& x) const {
  // The first row tells a dense input (table features) from a sparse one cheaply; compress
  // checks the whole batch. (Held to the batch's ratio, one dense digit sent its batch to
  // the dense path, whose parallel product then kept OpenMP's other thread spinning on the
  // core a data loader uses.)
  return count_nonzeros(x.data(), in_features_) * 2 <= in_features_;
}

bool SparseInputLinear::compress_by_rows(const Tensor& x) {
  const int64_t n = x.dim(0), in = in_features_;
  for_each_block(n, [&](int, int64_t b, int64_t r0, int64_t r1) {
    SparseRows& block = blocks_[static_cast<size_t>(b)];
    block.resize(r1 - r0, in);
    compress_rows(x.data() + r0 * in, 0, r1 - r0, block);
  });
  return enough_zeros(n);
}

bool SparseInputLinear::enough_zeros(int64_t n) const {
  int64_t nonzeros = 0;
  for (int64_t b = 0; b < sparse_blocks(n); ++b) {
    nonzeros += blocks_[static_cast<size_t>(b)].nonzeros();
  }
  return nonzeros * kSparseRatio <= n * in_features_;
}

// The sparse path's buffers, sized for a candidate batch before its path is known: a path
// that changes between batches must not allocate.
void SparseInputLinear::reserve_sparse(int64_t n) {
  blocks_.resize(static_cast<size_t>(sparse_blocks(n)));
  for (int64_t b = 0; b < sparse_blocks(n); ++b) {
    const auto [r0, r1] = block_rows(b, n);
    blocks_[static_cast<size_t>(b)].resize(in_features_, r1 - r0);
  }
  wt_.resize(Shape{in_features_, sparse_padded_width(out_features_)});
  dout_padded_.resize(Shape{n, sparse_padded_width(out_features_)});
}

bool SparseInputLinear::compress(const Tensor& xt) {
  const int64_t in = xt.dim(0), n = xt.dim(1);
  for_each_block(n, [&](int, int64_t b, int64_t r0, int64_t r1) {
    SparseRows& block = blocks_[static_cast<size_t>(b)];
    block.resize(in, r1 - r0);
    compress_rows(xt.data() + r0 * in, 0, in, block);
  });
  return enough_zeros(n);
}

void SparseInputLinear::add_sparse_weight_grad(const Tensor& dout) {
  const int64_t n = x_.dim(0), out = out_features_;
  const int64_t width = sparse_padded_width(out);
  for (int64_t i = 0; i < n; ++i) {
    float* row = dout_padded_.data() + i * width;
    std::copy(dout.data() + i * out, dout.data() + (i + 1) * out, row);
    std::fill(row + out, row + width, 0.0f);
  }
  const int64_t threads = sparse_threads(n);
  const int64_t piece = in_features_ * width;  // at most one piece's dW^T per thread
  float* scratch = workspace().per_thread(Workspace::kScratch, piece, static_cast<int>(threads));
  const int64_t scratch_stride = Workspace::stride(piece);
  parallel_for(
      threads,
      [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          const auto [c0, c1] = sparse_piece(t, threads);
          for (int64_t b = 0; b < sparse_blocks(n); ++b) {
            sparse_transposed_times(blocks_[static_cast<size_t>(b)], c0, c1,
                                    dout_padded_.data() + block_rows(b, n).first * width, out,
                                    scratch + t * scratch_stride, weight_.grad.data());
          }
        }
      },
      1);
}

}  // namespace nnzero
