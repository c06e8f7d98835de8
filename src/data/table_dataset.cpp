// table_dataset: encoded rows of a table with their class indices or standardised targets.
#include <cmath>
#include <filesystem>
#include <unordered_map>

#include "nnzero/data/table.h"
#include "nnzero/data/table_columns.h"
#include "nnzero/error.h"

namespace nnzero {

namespace {

void add_targets(const CsvTable& csv, std::span<const int32_t> rows, int64_t t,
                 const TableEncoding& encoding, Dataset& d) {
  d.target_size = 1;
  for (int32_t r : rows) {
    const std::string_view v = trimmed_field(csv, r, t);
    double y = 0;
    if (!parse_number(v, y)) {
      throw Error(field_at(csv, r, encoding.target) + in_quotes(v) +
                  " is not a number, but a regression target must be");
    }
    const double z = standardised(y, encoding.target_mean, encoding.target_std);
    if (std::isnan(z)) {
      throw Error(field_at(csv, r, encoding.target) + in_quotes(v) +
                  " is too far from the training targets to be a float32 target");
    }
    d.targets.push_back(static_cast<float>(z));
  }
}

}  // namespace

std::vector<int32_t> class_indices(const CsvTable& csv, std::span<const int32_t> rows,
                                   const TableEncoding& encoding) {
  const int64_t t = ColumnIndex(csv).find(encoding.target);
  if (t < 0)
    throw Error(csv.name + ":1: no column " + in_quotes(encoding.target) + " (the target)");
  std::unordered_map<std::string_view, int32_t> index;
  for (size_t k = 0; k < encoding.classes.size(); ++k) {
    index.emplace(encoding.classes[k], static_cast<int32_t>(k));
  }
  std::vector<int32_t> labels;
  labels.reserve(rows.size());
  for (int32_t r : rows) {
    const std::string_view v = trimmed_field(csv, r, t);
    const auto it = index.find(v);
    if (it == index.end()) {
      throw Error(field_at(csv, r, encoding.target) + "class " + in_quotes(v) +
                  " is not one of the model's classes");
    }
    labels.push_back(it->second);
  }
  return labels;
}

Dataset table_dataset(const CsvTable& csv, std::span<const int32_t> rows,
                      const TableEncoding& encoding, EncodeReport& report) {
  Dataset d;
  d.name = std::filesystem::path(csv.name).stem().string();
  d.sample_shape = Shape{encoding.num_inputs()};
  d.features = encode_features(csv, rows, encoding, report, true);
  const int64_t t = ColumnIndex(csv).find(encoding.target);
  if (t < 0)
    throw Error(csv.name + ":1: no column " + in_quotes(encoding.target) + " (the target)");
  if (encoding.task == TableTask::classify) {
    d.labels = class_indices(csv, rows, encoding);
    d.num_classes = static_cast<int32_t>(encoding.classes.size());
  } else {
    add_targets(csv, rows, t, encoding, d);
  }
  return d;
}

}  // namespace nnzero
