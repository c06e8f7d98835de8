#include "nnzero/data/table_split.h"

#include <algorithm>
#include <cmath>

#include "nnzero/rng.h"

namespace nnzero {

namespace {
constexpr uint64_t kSplitStream = 0x5441424c45535054ULL;  // the split's own random stream

void sort_rows(TableSplit& s) {
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.val.begin(), s.val.end());
}
}  // namespace

std::vector<int32_t> split_order(int32_t n, std::span<const int32_t> classes, uint64_t seed) {
  Rng rng(seed ^ kSplitStream);
  std::vector<int32_t> order = rng.permutation(n);
  if (!classes.empty()) {
    std::stable_sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
      return classes[static_cast<size_t>(x)] < classes[static_cast<size_t>(y)];
    });
  }
  return order;
}

TableSplit holdout_split(std::span<const int32_t> rows, std::span<const int32_t> order,
                         double fraction) {
  TableSplit s;
  for (size_t i = 0; i < order.size(); ++i) {
    const bool val = std::floor(static_cast<double>(i + 1) * fraction) >
                     std::floor(static_cast<double>(i) * fraction);
    (val ? s.val : s.train).push_back(rows[static_cast<size_t>(order[i])]);
  }
  sort_rows(s);
  return s;
}

std::vector<TableSplit> kfold_splits(std::span<const int32_t> rows, std::span<const int32_t> order,
                                     int64_t k) {
  std::vector<TableSplit> folds(static_cast<size_t>(k));
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t fold = i % static_cast<size_t>(k);
    for (size_t f = 0; f < folds.size(); ++f) {
      (f == fold ? folds[f].val : folds[f].train).push_back(rows[static_cast<size_t>(order[i])]);
    }
  }
  for (TableSplit& s : folds) sort_rows(s);
  return folds;
}

}  // namespace nnzero
