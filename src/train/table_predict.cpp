#include "nnzero/train/table_predict.h"

#include <algorithm>
#include <numeric>

#include "nnzero/error.h"
#include "nnzero/io/csv.h"

namespace nnzero {

namespace {

constexpr int64_t kBatch = 256;

// The rows of `x` (n x inputs) through the network, kBatch at a time: one text per row.
std::vector<std::string> predict_rows(Model& model, const TableEncoding& e,
                                      const std::vector<float>& x, int64_t n) {
  const int64_t inputs = e.num_inputs();
  std::vector<std::string> out(static_cast<size_t>(n));
  for (int64_t start = 0; start < n; start += kBatch) {
    const int64_t count = std::min(kBatch, n - start);
    const Tensor batch(
        model.input_shape().with_batch(count),
        std::span<const float>(x.data() + start * inputs, static_cast<size_t>(count * inputs)));
    const Tensor& y = model.forward(batch, false);  // scores: the largest is the class
    const int64_t k = y.numel() / count;
    for (int64_t i = 0; i < count; ++i) {
      out[static_cast<size_t>(start + i)] =
          prediction_text(e, std::span<const float>(y.data() + i * k, static_cast<size_t>(k)));
    }
  }
  return out;
}

}  // namespace

TableEncoding table_encoding_of(const LoadedModel& loaded, const std::string& model_name) {
  const auto it = loaded.metadata.find("nnzero.table");
  if (it == loaded.metadata.end()) throw Error(model_name + ": not a table model");
  TableEncoding e = TableEncoding::from_json(it->second, model_name + ": nnzero.table metadata");
  check_table_model(loaded.model->input_shape(), loaded.model->output_shape(), e, model_name);
  return e;
}

TablePredictions predict_table(LoadedModel& loaded, const std::string& model_name,
                               const std::string& csv_path) {
  TablePredictions p;
  p.encoding = table_encoding_of(loaded, model_name);
  p.csv = read_csv(csv_path);
  if (p.csv.rows.empty()) throw Error(p.csv.name + ": no data rows after the header (line 1)");
  std::vector<int32_t> rows(p.csv.rows.size());
  std::iota(rows.begin(), rows.end(), 0);
  const std::vector<float> x = encode_features(p.csv, rows, p.encoding, p.report, false);
  const auto n = static_cast<int64_t>(rows.size());
  p.skipped = static_cast<int64_t>(p.report.problems.size());
  p.predicted = n - p.skipped;
  if (p.predicted == 0) {
    throw Error(p.report.problems.front() +
                (n > 1 ? " (and no other row could be predicted either)" : ""));
  }
  p.predictions = predict_rows(*loaded.model, p.encoding, x, n);
  for (size_t i = 0; i < p.predictions.size(); ++i) {
    if (p.report.row_ok[i] == 0) {
      p.predictions[i].clear();
    } else if (p.encoding.task == TableTask::classify) {
      ++p.class_counts[p.predictions[i]];
    }
  }
  return p;
}

std::string predictions_csv(const TablePredictions& p) {
  std::vector<std::string> header = p.csv.header;
  std::string column = "prediction";
  while (std::find(header.begin(), header.end(), column) != header.end()) {
    column = "nnzero_" + column;
  }
  header.push_back(column);
  std::string text = csv_line(header);
  for (size_t i = 0; i < p.csv.rows.size(); ++i) {
    // A ragged row keeps its fields, cut or padded to the header's width, so that the
    // prediction stays in its column.
    std::vector<std::string> fields = p.csv.rows[i];
    fields.resize(p.csv.header.size());
    fields.push_back(p.predictions[i]);
    text += csv_line(fields);
  }
  return text;
}

}  // namespace nnzero
