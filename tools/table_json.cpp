// The JSON line of `nnzero train --data FILE.csv` (docs/tables.md, "The JSON line").
#include <cmath>

#include "table.h"

namespace nnzero::cli {

namespace {

using nlohmann::json;

json per_class_json(const std::vector<int64_t>& confusion,
                    const std::vector<std::string>& classes) {
  json out = json::array();
  for (const ClassScores& c : class_scores(confusion, classes)) {
    out.push_back({{"class", c.name},
                   {"precision", number_or_null(c.precision)},
                   {"recall", number_or_null(c.recall)},
                   {"support", c.support}});
  }
  return out;
}

json confusion_rows(const std::vector<int64_t>& confusion, size_t k) {
  json rows = json::array();
  for (size_t i = 0; i < k && confusion.size() == k * k; ++i) {
    rows.push_back(std::vector<int64_t>(confusion.begin() + static_cast<ptrdiff_t>(i * k),
                                        confusion.begin() + static_cast<ptrdiff_t>((i + 1) * k)));
  }
  return rows;
}

json fold_rows(const TableTrainResult& r) {
  json folds = json::array();
  for (size_t f = 0; f < r.folds.size(); ++f) {
    const TableScores& s = r.folds[f].val;
    json row = {{"fold", f + 1}, {"val_rows", s.rows}, {"val_loss", number_or_null(s.loss)}};
    if (r.layout.task == TableTask::classify) {
      row["val_acc"] = number_or_null(s.acc);
      row["train_acc"] = number_or_null(r.folds[f].result.train_acc);
    } else {
      row["val_r2"] = number_or_null(s.r2);
      row["val_rmse"] = number_or_null(s.rmse);
      row["val_mae"] = number_or_null(s.mae);
    }
    folds.push_back(row);
  }
  return folds;
}

// The feature columns: how many of each kind, their encoded width over all rows, the
// columns dropped and those that look like IDs.
json features_json(const TableTrainResult& r) {
  return {{"numeric", r.notes.numeric},
          {"categorical", r.notes.categorical},
          {"encoded", r.notes.encoded_features},
          {"dropped", r.notes.dropped},
          {"id_like", r.notes.id_like}};
}

void add_scores(const TableTrainResult& r, json& j) {
  const bool validated = r.validated();
  const auto mean = [&](double TableScores::*score) {
    return validated ? number_or_null(r.mean(score)) : json(nullptr);
  };
  if (r.layout.task == TableTask::classify) {
    j["classes"] = r.layout.classes;
    j["val_acc"] = mean(&TableScores::acc);
    if (validated) {
      j["per_class"] = per_class_json(r.confusion, r.layout.classes);
      j["confusion"] = confusion_rows(r.confusion, r.layout.classes.size());
    }
  } else {
    j["val_r2"] = mean(&TableScores::r2);
    j["val_rmse"] = mean(&TableScores::rmse);
    j["val_mae"] = mean(&TableScores::mae);
  }
}

}  // namespace

json table_result_json(const TableTrainResult& r, const std::string& out_dir) {
  const bool classify = r.layout.task == TableTask::classify;
  const bool validated = r.validated();
  const bool folds = r.validation == "folds";
  json j = {{"model", r.model->spec().name},
            {"epochs", r.result.epochs},
            {"steps", r.result.steps},
            {"train_acc", classify ? number_or_null(r.train_acc()) : json(nullptr)},
            {"test_acc",
             classify && validated ? number_or_null(r.mean(&TableScores::acc)) : json(nullptr)},
            {"test_loss", validated ? number_or_null(r.mean(&TableScores::loss)) : json(nullptr)},
            {"seconds", r.seconds},
            {"samples_per_s", r.result.samples_per_s},
            {"out", out_dir},
            {"task", task_name(r.layout.task)},
            {"target", r.layout.target},
            {"rows", r.rows},
            {"inputs", r.encoding.num_inputs()},
            {"features", features_json(r)},
            {"validation", r.validation},
            {"saved_model", folds || !validated ? "all rows" : "training rows of the split"}};
  if (!folds) {
    j["train_rows"] = r.encoding.training_rows;
    j["val_rows"] = validated ? r.folds[0].val.rows : 0;
  }
  add_scores(r, j);
  if (folds) j["folds"] = fold_rows(r);
  return j;
}

}  // namespace nnzero::cli
