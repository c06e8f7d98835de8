// nnzero predict MODEL FILE.csv [--out FILE]: the table's rows with one more column,
// "prediction" (a class name or a value in the target's units), computed by the library's
// predict_table (nnzero/train/table_predict.h) with exactly the preprocessing the model was
// trained with. A row that cannot be encoded (wrong number of fields, text in a numeric
// column) is reported on stderr with its line and gets an empty prediction; when no row can
// be predicted the command fails.
#include <filesystem>
#include <iostream>

#include "nnzero/data/table_columns.h"
#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "table.h"

namespace nnzero::cli {

namespace {

// FILE.csv -> FILE.predictions.csv (FILE.csv.gz too), next to the input.
std::string default_out(const std::string& input) {
  return strip_csv_extension(input) + ".predictions.csv";
}

void check_inputs(const std::vector<std::string>& inputs) {
  if (inputs.size() != 1 || !is_table_data(inputs[0])) {
    throw Error(
        "a model trained on a table predicts from one CSV file (nnzero predict MODEL FILE.csv "
        "[--out FILE]), got " +
        std::to_string(inputs.size()) + " input" + (inputs.size() == 1 ? "" : "s") +
        (inputs.empty() ? "" : ": " + inputs[0]));
  }
}

// Bad rows, missing values filled and categories not seen in training, on stderr.
void report(const TablePredictions& p) {
  for (const std::string& problem : p.report.problems) {
    std::cerr << "warning: " << problem << "; no prediction for this row\n";
  }
  const std::string& file = p.csv.name;
  for (size_t k = 0; k < p.encoding.features.size(); ++k) {
    const FeatureColumn& f = p.encoding.features[k];
    const int64_t missing = p.report.missing[k], unseen = p.report.unseen[k];
    if (missing > 0) {
      std::cerr << file << ": column " << in_quotes(f.name) << ": " << missing << " missing value"
                << (missing == 1 ? "" : "s") << " filled with the training "
                << (f.categorical ? "rows' most common category " + in_quotes(f.fill_category)
                                  : "mean " + std::to_string(f.fill))
                << "\n";
    }
    if (unseen > 0) {
      std::cerr << "warning: " << file << ": column " << in_quotes(f.name) << ": " << unseen
                << (unseen == 1 ? " row has a category" : " rows have categories")
                << " not seen in training (encoded as all zeros)\n";
    }
  }
}

int64_t total(const std::vector<int64_t>& counts) {
  int64_t sum = 0;
  for (int64_t c : counts) sum += c;
  return sum;
}

}  // namespace

void predict_table(LoadedModel& loaded, const std::string& model_path,
                   const std::vector<std::string>& inputs, const std::string& out_path) {
  (void)table_encoding_of(loaded, model_path);  // a model that does not fit its metadata
  check_inputs(inputs);
  const std::string& input = inputs[0];
  const std::string out = out_path.empty() ? default_out(input) : out_path;
  std::error_code ec;
  if (std::filesystem::equivalent(input, out, ec)) {
    throw Error(out + ": the output would overwrite the input; give another --out");
  }

  const TablePredictions p = nnzero::predict_table(loaded, model_path, input);
  report(p);
  write_file_atomic(out, predictions_csv(p));
  std::cerr << "wrote " << p.predicted << " predictions";
  if (p.skipped > 0) std::cerr << " (" << p.skipped << " rows skipped)";
  std::cerr << " to " << out << "\n";

  nlohmann::json j = {{"model", loaded.model->spec().name},
                      {"task", task_name(p.encoding.task)},
                      {"target", p.encoding.target},
                      {"input", input},
                      {"rows", p.csv.num_rows()},
                      {"predicted", p.predicted},
                      {"skipped", p.skipped},
                      {"missing_filled", total(p.report.missing)},
                      {"unseen_categories", total(p.report.unseen)},
                      {"out", out}};
  if (p.encoding.task == TableTask::classify) j["predicted_classes"] = p.class_counts;
  print_result(j);
}

}  // namespace nnzero::cli
