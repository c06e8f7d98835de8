// nnzero predict MODEL FILE.csv [--out FILE]: the table's rows with one more column,
// "prediction" (a class name or a value in the target's units), computed with exactly the
// preprocessing the model was trained with (its "nnzero.table" metadata). A row that cannot
// be encoded (wrong number of fields, text in a numeric column) is reported on stderr with
// its line and gets an empty prediction; when no row can be predicted the command fails.
#include <algorithm>
#include <iostream>
#include <map>

#include "nnzero/data/table.h"
#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "table.h"

namespace nnzero::cli {

namespace {

constexpr int64_t kBatch = 256;

// FILE.csv -> FILE.predictions.csv (FILE.csv.gz too), next to the input.
std::string default_out(const std::string& input) {
  return strip_csv_extension(input) + ".predictions.csv";
}

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

void predict_table(LoadedModel& loaded, const std::vector<std::string>& inputs,
                   const std::string& out_path) {
  const TableEncoding e =
      TableEncoding::from_json(loaded.metadata.at("nnzero.table"), "nnzero.table metadata");
  Model& model = *loaded.model;
  if (model.input_shape().numel() != e.num_inputs()) {
    throw Error("the model's input is " + model.input_shape().str() +
                " but its table metadata encodes " + std::to_string(e.num_inputs()) + " features");
  }
  if (inputs.size() != 1 || !is_table_data(inputs[0])) {
    throw Error(
        "a model trained on a table predicts from one CSV file (nnzero predict MODEL FILE.csv "
        "[--out FILE]), got " +
        std::to_string(inputs.size()) + " input" + (inputs.size() == 1 ? "" : "s") +
        (inputs.empty() ? "" : ": " + inputs[0]));
  }
  const std::string& input = inputs[0];
  const std::string out = out_path.empty() ? default_out(input) : out_path;
  std::error_code ec;
  if (std::filesystem::equivalent(input, out, ec)) {
    throw Error(out + ": the output would overwrite the input; give another --out");
  }

  const CsvTable csv = read_csv(input);
  if (csv.rows.empty()) throw Error(csv.name + ": no data rows after the header (line 1)");
  std::vector<int32_t> rows(csv.rows.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int32_t>(i);
  EncodeReport report;
  const std::vector<float> x = encode_features(csv, rows, e, report, /*strict=*/false);
  const auto n = static_cast<int64_t>(rows.size());
  const auto skipped = static_cast<int64_t>(report.problems.size());
  if (skipped == n) {
    throw Error(report.problems.front() +
                (n > 1 ? " (and no other row could be predicted either)" : ""));
  }
  for (const std::string& p : report.problems)
    std::cerr << "warning: " << p << "; no prediction for this row\n";
  int64_t missing = 0, unseen = 0;
  for (size_t k = 0; k < e.features.size(); ++k) {
    const FeatureColumn& f = e.features[k];
    missing += report.missing[k];
    unseen += report.unseen[k];
    if (report.missing[k] > 0) {
      std::cerr << csv.name << ": column \"" << f.name << "\": " << report.missing[k]
                << " missing value" << (report.missing[k] == 1 ? "" : "s")
                << " filled with the training "
                << (f.categorical ? "rows' most common category \"" + f.fill_category + "\""
                                  : "mean " + std::to_string(f.fill))
                << "\n";
    }
    if (report.unseen[k] > 0) {
      std::cerr << "warning: " << csv.name << ": column \"" << f.name << "\": " << report.unseen[k]
                << (report.unseen[k] == 1 ? " row has a category" : " rows have categories")
                << " not seen in training (encoded as all zeros)\n";
    }
  }

  const std::vector<std::string> predictions = predict_rows(model, e, x, n);
  std::vector<std::string> header = csv.header;
  std::string column = "prediction";
  while (std::find(header.begin(), header.end(), column) != header.end())
    column = "nnzero_" + column;
  header.push_back(column);
  std::string text = csv_line(header);
  std::map<std::string, int64_t> counts;
  for (int64_t i = 0; i < n; ++i) {
    // A ragged row keeps its fields, cut or padded to the header's width, so that the
    // prediction stays in its column.
    std::vector<std::string> fields = csv.rows[static_cast<size_t>(i)];
    fields.resize(csv.header.size());
    const bool ok = report.row_ok[static_cast<size_t>(i)] != 0;
    fields.push_back(ok ? predictions[static_cast<size_t>(i)] : "");
    if (ok && e.task == TableTask::classify) ++counts[fields.back()];
    text += csv_line(fields);
  }
  write_file_atomic(out, text);
  std::cerr << "wrote " << n - skipped << " predictions";
  if (skipped > 0) std::cerr << " (" << skipped << " rows skipped)";
  std::cerr << " to " << out << "\n";

  nlohmann::json j = {{"model", model.spec().name},
                      {"task", task_name(e.task)},
                      {"target", e.target},
                      {"input", input},
                      {"rows", n},
                      {"predicted", n - skipped},
                      {"skipped", skipped},
                      {"missing_filled", missing},
                      {"unseen_categories", unseen},
                      {"out", out}};
  if (e.task == TableTask::classify) j["predicted_classes"] = counts;
  print_result(j);
}

}  // namespace nnzero::cli
