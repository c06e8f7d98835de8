// Holding rows of a table out for validation: a seeded split, or k folds for
// cross-validation. Both deal the rows out from one order: a seeded shuffle, then for
// classification the shuffled rows grouped by class (keeping the shuffled order within each
// class), so that every class gets its share of validation rows.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nnzero {

// Row numbers of the CSV (from 0), each list sorted.
struct TableSplit {
  std::vector<int32_t> train, val;
};

// The order in which `n` rows are dealt out: positions 0..n-1 shuffled with `seed` (a random
// stream of its own, apart from the weights' and the batches'), then stably sorted by
// classes[position] when `classes` (one class index per row) is not empty.
std::vector<int32_t> split_order(int32_t n, std::span<const int32_t> classes, uint64_t seed);

// Position i of `order` is a validation row when floor((i+1) f) > floor(i f): floor(n f)
// validation rows spread evenly over the order. `rows` maps positions to CSV rows.
TableSplit holdout_split(std::span<const int32_t> rows, std::span<const int32_t> order,
                         double fraction);

// Position i of `order` goes to fold i mod k: fold sizes differ by at most one row. Split f
// validates on fold f and trains on the others.
std::vector<TableSplit> kfold_splits(std::span<const int32_t> rows, std::span<const int32_t> order,
                                     int64_t k);

}  // namespace nnzero
