// What a table run leaves behind (the run folder), and the spec files it reads.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/model/model_file.h"
#include "nnzero/train/table_training.h"

namespace nnzero {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A spec nests 3 deep; anything much deeper is not one (and would recurse when copied).
constexpr int kMaxSpecDepth = 16;

std::vector<std::string> string_list(const json& j, const std::string& where) {
  if (!j.is_array()) throw Error(where + ": expected a list of column names");
  std::vector<std::string> out;
  for (const json& item : j) {
    if (!item.is_string()) throw Error(where + ": expected a list of column names");
    out.push_back(item.get<std::string>());
  }
  return out;
}

TableSection parse_table_section(const json& t, const std::string& where) {
  if (!t.is_object()) throw Error(where + ": \"table\" must be an object");
  TableSection s;
  for (const auto& [key, value] : t.items()) {
    const std::string at = where + ": table." + key;
    if (key == "target" && value.is_string()) {
      s.target = value.get<std::string>();
    } else if (key == "task" && value.is_string()) {
      s.task = parse_task(value.get<std::string>(), at);
    } else if (key == "drop") {
      s.drop = string_list(value, at);
    } else if (key == "max_categories" && value.is_number_integer() && value.get<int64_t>() >= 0) {
      s.max_categories = value.get<int64_t>();
    } else if (key == "target" || key == "task" || key == "max_categories") {
      throw Error(at + ": expected " +
                  (key == "max_categories" ? "an integer >= 0" : std::string("a string")) +
                  ", got " + value.dump());
    } else {
      throw Error(where + ": unknown field \"table." + key +
                  "\" (known: target, task, drop, max_categories)");
    }
  }
  return s;
}

}  // namespace

std::string table_metrics_csv(const TableTrainResult& r) {
  std::vector<const std::vector<EpochMetrics>*> histories;
  if (r.validation == "folds") {
    for (const TableFold& f : r.folds) histories.push_back(&f.result.history);
  } else {
    histories.push_back(&r.result.history);
  }
  std::string csv = "epoch,train_loss,train_acc,test_loss,test_acc,seconds\n";
  size_t epochs = 0;
  for (const auto* h : histories) epochs = std::max(epochs, h->size());
  for (size_t e = 0; e < epochs; ++e) {
    EpochMetrics m;
    double count = 0;
    for (const auto* h : histories) {
      if (e >= h->size()) continue;
      const EpochMetrics& x = (*h)[e];
      m.train_loss += x.train_loss, m.train_acc += x.train_acc, m.test_loss += x.test_loss;
      m.test_acc += x.test_acc, m.seconds += x.seconds, count += 1;
    }
    char row[256];
    std::snprintf(row, sizeof row, "%zu,%.6f,%.6f,%.6f,%.6f,%.3f\n", e + 1, m.train_loss / count,
                  m.train_acc / count, m.test_loss / count, m.test_acc / count, m.seconds / count);
    csv += row;
  }
  return csv;
}

void write_table_run(const TableTrainResult& r, const std::string& dir) {
  if (r.interrupted || !r.model) throw Error(dir + ": the run was interrupted: nothing to save");
  // Everything that can fail on the content is made before the folder.
  const std::string metrics = table_metrics_csv(r);
  const std::map<std::string, std::string> metadata = {{"nnzero.table", r.encoding.to_json()}};
  std::error_code ec;
  const bool existed = fs::exists(dir, ec);
  make_directories(dir);
  const std::string model_path = (fs::path(dir) / "model.safetensors").string();
  const std::string metrics_path = (fs::path(dir) / "metrics.csv").string();
  try {
    save_model(*r.model, model_path, metadata);
    write_file_atomic(metrics_path, metrics);
  } catch (...) {
    fs::remove(model_path, ec);
    fs::remove(metrics_path, ec);
    if (!existed) fs::remove(dir, ec);  // only when empty
    throw;
  }
}

TableSpecFile load_table_spec(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  const std::string text(bytes.begin(), bytes.end());
  const auto limit_depth = [&](int depth, json::parse_event_t, json&) {
    if (depth > kMaxSpecDepth) throw Error(path + ": nests too deep");
    return true;
  };
  json j;
  try {
    j = json::parse(text, limit_depth);
  } catch (const std::exception&) {  // not JSON, or too deep: ModelSpec::parse says which
    return {ModelSpec::parse(text, path), {}};
  }
  if (!j.is_object() || !j.contains("table")) return {ModelSpec::parse(text, path), {}};
  TableSpecFile f;
  f.table = parse_table_section(j.at("table"), path);
  j.erase("table");
  f.spec = ModelSpec::parse(j.dump(), path);
  return f;
}

}  // namespace nnzero
