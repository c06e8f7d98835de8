#include "nnzero/layers/linear.h"

#include <limits>
#include <utility>

#include "nnzero/blas_setup.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/kernels/implicit_gemm.h"
#include "nnzero/kernels/sparse_rows.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
Shape check_flat(const Shape& in) {
  if (in.rank() != 1) {
    throw Error("linear: needs a flat input (features), got sample shape " + in.str() +
                "; put a flatten layer before it");
  }
  return in;
}
}  // namespace

Linear::Linear(const Shape& in_shape, int64_t out_features, bool bias)
    : Layer(check_flat(in_shape), Shape{out_features}),
      in_features_(in_shape[0]),
      out_features_(out_features),
      has_bias_(bias) {
  if (out_features < 1) throw Error("linear: out_features must be at least 1");
  weight_ = Param{"weight", Tensor(Shape{out_features_, in_features_}),
                  Tensor(Shape{out_features_, in_features_}), in_features_, true};
  if (has_bias_) {
    bias_ = Param{"bias", Tensor(Shape{out_features_}), Tensor(Shape{out_features_}), 0, false};
  }
}

namespace {
// The batch-100 products of the book's networks are too small for OpenBLAS to thread well
// (two_layer_net's first layer: 106 us forward on two threads inside OpenBLAS, 56 us as two
// one-thread products over halves of the batch). So they are split here: over the rows of
// the batch for out and dx, over the input features for dW, each piece one GEMM on one
// thread. Products below this many multiply-adds stay whole; in backward so do batches with
// fewer rows than threads (OpenBLAS then threads over the columns).
constexpr int64_t kSplitMinMacs = 1 << 18;

// parallel_for's minimum length: 1 to split, "never" to keep the product whole.
int64_t split_threshold(int64_t rows, int64_t cols, int64_t depth) {
  const bool split = rows * cols * depth >= kSplitMinMacs && rows >= num_threads();
  return split ? 1 : std::numeric_limits<int64_t>::max();
}

// The sparse path's pieces are split over threads from this many rows of the batch. At batch
// 100 two_layer_net's first layer takes about 40 us on one core (compression, forward and dW);
// split, each step moved half the entries, W^T panels and dW rows between the cores, and two
// threads trained at 430k samples/s where one trained at 640k (2-core AMD EPYC VM, where a
// parallel region alone costs 2.8 us).
constexpr int64_t kSparseSplitMinRows = 256;

int64_t sparse_threads(int64_t rows) {
  return rows >= kSparseSplitMinRows ? num_threads() : 1;
}

// The sparse path takes the batch in blocks of this many rows: a block's x^T (784 x 128
// floats, 400 KB) stays in L2 and its rows of out (32 KB) in L1; a whole batch of 1000 (3 MB
// of x^T) did not, and inference at batch 1000 ran at half the speed.
constexpr int64_t kSparseBlockRows = 128;

int64_t sparse_blocks(int64_t n) {
  return (n + kSparseBlockRows - 1) / kSparseBlockRows;
}

// Rows [r0, r1) of the batch's block b.
std::pair<int64_t, int64_t> block_rows(int64_t b, int64_t n) {
  return {b * kSparseBlockRows, std::min(n, (b + 1) * kSparseBlockRows)};
}

// parallel_for over the blocks: split when the sparse path is.
template <class F>
void for_each_block(int64_t n, F&& f) {
  parallel_for(
      sparse_blocks(n),
      [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const auto [r0, r1] = block_rows(b, n);
          f(b, r0, r1);
        }
      },
      sparse_threads(n) > 1 ? 1 : std::numeric_limits<int64_t>::max());
}

// The sparse product (kernels/sparse_rows.h) costs about this many times what OpenBLAS
// takes per multiply-add, so it pays when at most 1 in kSparseRatio inputs is nonzero
// (MNIST: 1 in 5.3).
constexpr int64_t kSparseRatio = 3;

int to_int(int64_t v) {
  return static_cast<int>(v);
}
}  // namespace

const Tensor& Linear::forward(const Tensor& x, bool train) {
  check_input(x);
  x_ = x;
  const int64_t n = x.dim(0), in = in_features_, out = out_features_;
  out_.resize(Shape{n, out});
  const Tensor* prepared = std::exchange(prepared_, nullptr);
  if (prepared != nullptr && !(prepared->shape() == Shape{in, n})) {
    throw Error("linear: the prepared input has shape " + prepared->shape().str() +
                ", not that of this input transposed, " + Shape{in, n}.str());
  }
  if (sparse_candidate(n)) reserve_sparse(n);
  // Inference takes x by its rows as it is; training by its columns, which the weight
  // gradient needs (prepared by a BatchLoader, or transposed here).
  by_rows_ = !train && prepared == nullptr;
  if (by_rows_) {
    sparse_input_ = sparse_candidate(n) && first_row_sparse(x) && compress_by_rows(x);
  } else if (prepared != nullptr) {
    sparse_input_ = compress(*prepared);
  } else {
    sparse_input_ = prepare(x, own_xt_) && compress(own_xt_);
  }
  if (sparse_input_) {
    // out = b + the sum over x's nonzero entries x[i, k] of x[i, k] W^T[k, :], block by
    // block of rows.
    transpose_padded(weight_.value.data(), out, in, 0, sparse_padded_width(out), wt_.data());
    const float* bias = has_bias_ ? bias_.value.data() : nullptr;
    for_each_block(n, [&](int64_t b, int64_t r0, int64_t) {
      const SparseRows& block = blocks_[static_cast<size_t>(b)];
      float* y = out_.data() + r0 * out;
      if (by_rows_) {
        sparse_times_transposed(block, wt_.data(), out, bias, y);
      } else {
        sparse_columns_times_transposed(block, wt_.data(), out, bias, y);
      }
    });
    return out_;
  }
  // Rows [r0, r1), columns [c0, c1): out = b (broadcast), then out += x W^T.
  const auto product = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    float* y = out_.data() + r0 * out + c0;
    for (int64_t i = 0; i < (r1 - r0) && has_bias_; ++i) {
      std::copy(bias_.value.begin() + c0, bias_.value.begin() + c1, y + i * out);
    }
    gemm(Trans::No, Trans::Yes, to_int(r1 - r0), to_int(c1 - c0), to_int(in), 1.0f,
         x.data() + r0 * in, to_int(in), weight_.value.data() + c0 * in, to_int(in),
         has_bias_ ? 1.0f : 0.0f, y, to_int(out));
  };
  if (n < num_threads() && n * out * in >= kSplitMinMacs) {
    // Fewer images than threads (single-image inference): split the output features, so
    // each thread reads its own rows of W (simple_convnet's 4320 x 100 layer: 1.7 MB, half
    // of it per core stays in that core's L2).
    parallel_for(
        out, [&](int64_t c0, int64_t c1) { product(0, n, c0, c1); }, 1);
    return out_;
  }
  if (own_gemm(n)) {
    // out = b, then out[i, o] += the dot product of row i of x and row o of W, in chunks of
    // the input features: a chunk of W (100 rows x 4 KB for simple_convnet) stays in L2
    // while every block of rows of x goes by. 1.3x OpenBLAS's Haswell kernels.
    constexpr int64_t kChunk = 1024;
    ensure_offsets(out);
    parallel_for(
        n,
        [&](int64_t r0, int64_t r1) {
          float* y = out_.data() + r0 * out;
          for (int64_t i = 0; i < r1 - r0; ++i) {
            if (has_bias_) {
              std::copy(bias_.value.begin(), bias_.value.end(), y + i * out);
            } else {
              std::fill(y + i * out, y + (i + 1) * out, 0.0f);
            }
          }
          for (int64_t q0 = 0; q0 < in; q0 += kChunk) {
            implicit_gemm_d_colt(r1 - r0, out, std::min(kChunk, in - q0), x.data() + r0 * in + q0,
                                 in, offsets_.data(), weight_.value.data() + q0, y, out);
          }
        },
        split_threshold(n, out, in));
    return out_;
  }
  parallel_for(
      n, [&](int64_t r0, int64_t r1) { product(r0, r1, 0, out); }, split_threshold(n, out, in));
  return out_;
}

// offsets_[k] = k * in for k < count: where implicit_gemm reads row k of x or of W.
void Linear::ensure_offsets(int64_t count) {
  if (static_cast<int64_t>(offsets_.size()) >= count) return;
  offsets_.resize(static_cast<size_t>(count));
  for (size_t k = 0; k < offsets_.size(); ++k) offsets_[k] = static_cast<int64_t>(k) * in_features_;
}

const Tensor& Linear::backward(const Tensor& dout) {
  const int64_t n = x_.dim(0), in = in_features_, out = out_features_;
  check_dout(dout, n);
  const int64_t split = split_threshold(n, out, in);
  if (own_gemm(n)) {
    backward_own_gemm(dout);
  } else if (sparse_input_) {
    if (by_rows_) {  // after a forward for inference: x by its columns now
      prepare(x_, own_xt_);
      compress(own_xt_);
      by_rows_ = false;
    }
    add_sparse_weight_grad(dout);
  } else {
    // Columns [c0, c1) of dW (out, in) += dout^T (out, N) x (N, in).
    parallel_for(
        in,
        [&](int64_t c0, int64_t c1) {
          gemm(Trans::Yes, Trans::No, to_int(out), to_int(c1 - c0), to_int(n), 1.0f, dout.data(),
               to_int(out), x_.data() + c0, to_int(in), 1.0f, weight_.grad.data() + c0, to_int(in));
        },
        split);
  }
  if (has_bias_) {
    float* db = bias_.grad.data();
    for (int64_t i = 0; i < n; ++i) {
      const float* row = dout.data() + i * out;
      for (int64_t j = 0; j < out; ++j) db[j] += row[j];
    }
  }
  if (!needs_input_grad_) return dx_;
  // Rows [r0, r1) of dx (N, in) = dout (N, out) W (out, in).
  dx_.resize(Shape{n, in});
  if (own_gemm(n)) {
    parallel_for(
        n,
        [&](int64_t r0, int64_t r1) {
          implicit_gemm(r1 - r0, out, in, dout.data() + r0 * out, out, offsets_.data(),
                        weight_.value.data(), nullptr, dx_.data() + r0 * in, in);
        },
        split);
    return dx_;
  }
  parallel_for(
      n,
      [&](int64_t r0, int64_t r1) {
        gemm(Trans::No, Trans::No, to_int(r1 - r0), to_int(in), to_int(out), 1.0f,
             dout.data() + r0 * out, to_int(out), weight_.value.data(), to_int(in), 0.0f,
             dx_.data() + r0 * in, to_int(in));
      },
      split);
  return dx_;
}

// Through implicit_gemm when it beats OpenBLAS here (blas_setup.h), in_features is whole
// blocks of its columns (it writes and reads whole blocks) and the batch fills its register
// block of 8 rows (single images go through SGEMV, see gemm.cpp); a sparse first layer has
// its own products.
bool Linear::own_gemm(int64_t n) const {
  return !sparse_input_ && own_gemm_is_faster() && in_features_ % implicit_gemm_block() == 0 &&
         n >= 8 && n * in_features_ * out_features_ >= kSplitMinMacs;
}

// dW += dout^T x as implicit_gemm_add: A = dout^T (out, N), src = x read from row k's start
// (offset k * in), over pieces of whole column blocks of dW; offsets_ serves dx too.
void Linear::backward_own_gemm(const Tensor& dout) {
  const int64_t n = x_.dim(0), in = in_features_, out = out_features_;
  const int64_t block = implicit_gemm_block();
  ensure_offsets(std::max(n, out));
  dout_t_.resize(Shape{out, n});
  transpose(dout.data(), n, out, 0, out, dout_t_.data());
  parallel_for(
      in / block,
      [&](int64_t b0, int64_t b1) {
        implicit_gemm_add(out, n, (b1 - b0) * block, dout_t_.data(), n, offsets_.data(),
                          x_.data() + b0 * block, weight_.grad.data() + b0 * block, in);
      },
      split_threshold(n, out, in));
}

bool Linear::sparse_candidate(int64_t n) const {
  // Only in a network's first layer (the one that needs no dx): its input is the data, zero
  // where the data set is (MNIST's background), batch after batch. After a ReLU about half
  // the inputs are zero, too few to pay, and a share that varies between batches. Worth it
  // only for products big enough to split over threads.
  return !needs_input_grad_ && n * in_features_ * out_features_ >= kSplitMinMacs;
}

// Thread t of T's share of the output features in the weight gradient: whole vectors, the
// same ones every step, so that its rows of dW stay in its core's cache.
std::pair<int64_t, int64_t> Linear::sparse_piece(int64_t t, int64_t threads) const {
  const int64_t lanes = sparse_vector_width();
  const int64_t vecs = sparse_padded_width(out_features_) / lanes;
  return {vecs * t / threads * lanes, vecs * (t + 1) / threads * lanes};
}

bool Linear::prepare(const Tensor& x, Tensor& xt) const {
  check_input(x);
  const int64_t n = x.dim(0), in = in_features_;
  if (!sparse_candidate(n)) return false;
  xt.resize(Shape{in, n});  // whether or not this batch is sparse: the path may change
  if (!first_row_sparse(x)) return false;
  for_each_block(n, [&](int64_t, int64_t r0, int64_t r1) {
    transpose(x.data() + r0 * in, r1 - r0, in, 0, in, xt.data() + r0 * in);
  });
  return true;
}

bool Linear::first_row_sparse(const Tensor& x) const {
  // The first row tells a dense input (table features) from a sparse one cheaply; compress
  // checks the whole batch. Held to the batch's ratio, one dense digit (1 batch in 300 of
  // MNIST starts with one of more than 261 pixels) sent its batch to the dense path, whose
  // parallel product then kept OpenMP's other thread spinning for milliseconds, on the core
  // a BatchLoader uses.
  return count_nonzeros(x.data(), in_features_) * 2 <= in_features_;
}

bool Linear::compress_by_rows(const Tensor& x) {
  const int64_t n = x.dim(0), in = in_features_;
  for_each_block(n, [&](int64_t b, int64_t r0, int64_t r1) {
    SparseRows& block = blocks_[static_cast<size_t>(b)];
    block.resize(r1 - r0, in);
    compress_rows(x.data() + r0 * in, 0, r1 - r0, block);
  });
  return enough_zeros(n);
}

bool Linear::enough_zeros(int64_t n) const {
  int64_t nonzeros = 0;
  for (int64_t b = 0; b < sparse_blocks(n); ++b) {
    nonzeros += blocks_[static_cast<size_t>(b)].nonzeros();
  }
  return nonzeros * kSparseRatio <= n * in_features_;
}

// The sparse path's buffers, sized for a candidate batch before its path is known: a
// path that changes between batches must not allocate.
void Linear::reserve_sparse(int64_t n) {
  blocks_.resize(static_cast<size_t>(sparse_blocks(n)));
  for (int64_t b = 0; b < sparse_blocks(n); ++b) {
    const auto [r0, r1] = block_rows(b, n);
    blocks_[static_cast<size_t>(b)].resize(in_features_, r1 - r0);
  }
  wt_.resize(Shape{in_features_, sparse_padded_width(out_features_)});
  dout_padded_.resize(Shape{n, sparse_padded_width(out_features_)});
}

bool Linear::compress(const Tensor& xt) {
  const int64_t in = xt.dim(0), n = xt.dim(1);
  for_each_block(n, [&](int64_t b, int64_t r0, int64_t r1) {
    SparseRows& block = blocks_[static_cast<size_t>(b)];
    block.resize(in, r1 - r0);
    compress_rows(xt.data() + r0 * in, 0, in, block);
  });
  return enough_zeros(n);
}

void Linear::add_sparse_weight_grad(const Tensor& dout) {
  const int64_t n = x_.dim(0), out = out_features_;
  const int64_t width = sparse_padded_width(out);
  for (int64_t i = 0; i < n; ++i) {
    float* row = dout_padded_.data() + i * width;
    std::copy(dout.data() + i * out, dout.data() + (i + 1) * out, row);
    std::fill(row + out, row + width, 0.0f);
  }
  const int64_t threads = sparse_threads(n);
  parallel_for(
      threads,
      [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          const auto [c0, c1] = sparse_piece(t, threads);
          for (int64_t b = 0; b < sparse_blocks(n); ++b) {
            sparse_transposed_times(blocks_[static_cast<size_t>(b)], c0, c1,
                                    dout_padded_.data() + block_rows(b, n).first * width, out,
                                    weight_.grad.data());
          }
        }
      },
      1);
}

std::vector<Param*> Linear::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

double Linear::flops() const {
  return 2.0 * static_cast<double>(in_features_ * out_features_);
}

}  // namespace nnzero
