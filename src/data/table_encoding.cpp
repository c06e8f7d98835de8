// TableEncoding as the "nnzero.table" metadata of a model file, and back.
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "nnzero/data/table.h"
#include "nnzero/data/table_columns.h"
#include "nnzero/error.h"

namespace nnzero {

using nlohmann::json;

namespace {

constexpr int kFormat = 1;  // version of the "nnzero.table" JSON

json finite_or_null(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

json feature_json(const FeatureColumn& f) {
  if (f.categorical) {
    return {{"name", f.name},
            {"kind", "categorical"},
            {"categories", f.categories},
            {"fill", f.fill_category}};
  }
  return {
      {"name", f.name}, {"kind", "numeric"}, {"mean", f.mean}, {"std", f.std}, {"fill", f.fill}};
}

// The first name that appears twice in `names`, or nullptr.
const std::string* first_duplicate(const std::vector<std::string>& names) {
  std::unordered_set<std::string_view> seen;
  for (const std::string& n : names) {
    if (!seen.insert(n).second) return &n;
  }
  return nullptr;
}

FeatureColumn feature_from_json(const json& f, const std::string& where) {
  FeatureColumn c;
  c.name = f.at("name").get<std::string>();
  const std::string kind = f.at("kind").get<std::string>();
  if (kind == "categorical") {
    c.categorical = true;
    c.categories = f.at("categories").get<std::vector<std::string>>();
    c.fill_category = f.at("fill").get<std::string>();
    if (const std::string* d = first_duplicate(c.categories)) {
      throw Error(where + ": feature " + in_quotes(c.name) + " lists the category " +
                  in_quotes(*d) + " twice");
    }
  } else if (kind == "numeric") {
    c.mean = f.at("mean").get<double>();
    c.std = f.at("std").get<double>();
    c.fill = f.at("fill").get<double>();
    if (!(c.std > 0.0) || !std::isfinite(c.std) || !std::isfinite(c.mean) ||
        !std::isfinite(c.fill)) {
      throw Error(where + ": feature " + in_quotes(c.name) + " has a bad mean or std");
    }
  } else {
    throw Error(where + ": feature " + in_quotes(c.name) + " has unknown kind " + in_quotes(kind) +
                " (numeric or categorical)");
  }
  return c;
}

void target_from_json(const json& j, TableEncoding& e, const std::string& where) {
  if (e.task == TableTask::classify) {
    e.classes = j.at("classes").get<std::vector<std::string>>();
    if (e.classes.size() < 2) throw Error(where + ": a classifier needs at least two classes");
    if (const std::string* d = first_duplicate(e.classes)) {
      throw Error(where + ": the class " + in_quotes(*d) + " is listed twice");
    }
    return;
  }
  e.standardize_target = j.value("target_standardized", true);
  e.target_mean = j.at("target_mean").get<double>();
  e.target_std = j.at("target_std").get<double>();
  if (!(e.target_std > 0.0) || !std::isfinite(e.target_std) || !std::isfinite(e.target_mean)) {
    throw Error(where + ": target_std must be positive and target_mean finite");
  }
}

}  // namespace

const char* task_name(TableTask task) {
  return task == TableTask::classify ? "classify" : "regress";
}

TableTask parse_task(const std::string& text, const std::string& where) {
  if (text == "classify") return TableTask::classify;
  if (text == "regress") return TableTask::regress;
  throw Error(where + ": unknown task " + in_quotes(text) + " (use classify or regress)");
}

int64_t TableEncoding::num_inputs() const {
  int64_t n = 0;
  for (const FeatureColumn& f : features) n += f.width();
  return n;
}

std::string TableEncoding::to_json() const {
  json features_json = json::array();
  for (const FeatureColumn& f : features) features_json.push_back(feature_json(f));
  json j = {{"format", kFormat},       {"target", target},
            {"task", task_name(task)}, {"features", features_json},
            {"inputs", num_inputs()},  {"training_rows", training_rows}};
  if (task == TableTask::classify) {
    j["classes"] = classes;
  } else {
    j["target_standardized"] = standardize_target;
    j["target_mean"] = finite_or_null(target_mean);
    j["target_std"] = finite_or_null(target_std);
  }
  try {
    return j.dump();
  } catch (const json::exception& ex) {  // a name that is not UTF-8 (read_csv refuses those)
    throw Error("table metadata: " + std::string(ex.what()));
  }
}

TableEncoding TableEncoding::from_json(const std::string& text, const std::string& where) {
  TableEncoding e;
  try {
    const json j = json::parse(text);
    if (j.at("format").get<int>() != kFormat) {
      throw Error(where + ": table format " + j.at("format").dump() +
                  " is not supported (this nnzero reads " + std::to_string(kFormat) + ")");
    }
    e.target = j.at("target").get<std::string>();
    e.task = parse_task(j.at("task").get<std::string>(), where);
    e.training_rows = j.value("training_rows", int64_t{0});
    for (const json& f : j.at("features")) e.features.push_back(feature_from_json(f, where));
    target_from_json(j, e, where);
    if (j.contains("inputs") && j.at("inputs").get<int64_t>() != e.num_inputs()) {
      throw Error(where + ": \"inputs\" is " + j.at("inputs").dump() +
                  " but the features encode to " + std::to_string(e.num_inputs()));
    }
  } catch (const json::exception& ex) {
    throw Error(where + ": bad table metadata (" + ex.what() + ")");
  }
  return e;
}

void check_table_model(const Shape& model_input, const Shape& model_output,
                       const TableEncoding& encoding, const std::string& where) {
  if (model_input.numel() != encoding.num_inputs()) {
    throw Error(where + ": the model's input is " + model_input.str() +
                " but its table metadata encodes " + std::to_string(encoding.num_inputs()) +
                " features");
  }
  const bool classify = encoding.task == TableTask::classify;
  const int64_t want = classify ? static_cast<int64_t>(encoding.classes.size()) : 1;
  if (model_output.rank() != 1 || model_output[0] != want) {
    throw Error(where + ": the model outputs " + model_output.str() + " but its table metadata " +
                (classify ? "lists " + std::to_string(want) + " classes"
                          : std::string("is a regression (one output)")));
  }
}

}  // namespace nnzero
