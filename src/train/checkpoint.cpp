#include "nnzero/train/checkpoint.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "nnzero/error.h"
#include "nnzero/train/lr_schedule.h"

namespace nnzero {

using nlohmann::json;

namespace {

// A 64-bit word as decimal text (JSON numbers are doubles, which hold 53 bits).
std::string word_to_json(uint64_t w) {
  return std::to_string(w);
}

uint64_t word_from_json(const json& j, const std::string& what) {
  const std::string text = j.is_string() ? j.get<std::string>() : "";
  if (text.empty() || text.size() > 20 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    throw Error(what + " must be a decimal number as a string, got " + j.dump());
  }
  try {
    return std::stoull(text);
  } catch (const std::out_of_range&) {
    throw Error(what + " is beyond 2^64: " + text);
  }
}

json rng_to_json(const Rng::State& s) {
  json j = json::array();
  for (uint64_t w : s) j.push_back(word_to_json(w));
  return j;
}

Rng::State rng_from_json(const json& j, const std::string& what) {
  if (!j.is_array() || j.size() != 4) throw Error(what + " must be a list of 4 words");
  Rng::State s{};
  for (size_t i = 0; i < 4; ++i) s[i] = word_from_json(j[i], what);
  if (s == Rng::State{}) throw Error(what + " is all zero, which no generator reaches");
  return s;
}

// JSON has no NaN (a metric without a test set): it travels as null.
json metric_to_json(double v) {
  return std::isnan(v) ? json(nullptr) : json(v);
}

// Reads the fields of the state object, each checked for its kind and range.
class Reader {
 public:
  explicit Reader(const json& j) : j_(j) {
    if (!j.is_object()) throw Error("the state is not a JSON object");
  }
  bool has(const char* key) const { return j_.contains(key); }
  const json& at(const char* key) const {
    if (!j_.contains(key)) throw Error(std::string("missing \"") + key + "\"");
    return j_.at(key);
  }
  int64_t integer(const char* key, int64_t min) const {
    const json& v = at(key);
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX) ||
        v.get<int64_t>() < min) {
      throw Error(std::string("\"") + key + "\" must be an integer of at least " +
                  std::to_string(min) + ", got " + v.dump());
    }
    return v.get<int64_t>();
  }
  double number(const char* key, double min, bool min_allowed) const {
    const json& v = at(key);
    const double x = v.is_number() ? v.get<double>() : std::nan("");
    if (!std::isfinite(x) || x < min || (!min_allowed && x == min)) {
      throw Error(std::string("\"") + key + "\" must be a finite number " +
                  (min_allowed ? "of at least " : "above ") + std::to_string(min) + ", got " +
                  v.dump());
    }
    return x;
  }
  std::string string(const char* key) const {
    const json& v = at(key);
    if (!v.is_string()) throw Error(std::string("\"") + key + "\" must be a string");
    return v.get<std::string>();
  }
  bool boolean(const char* key) const {
    const json& v = at(key);
    if (!v.is_boolean()) throw Error(std::string("\"") + key + "\" must be true or false");
    return v.get<bool>();
  }

 private:
  const json& j_;
};

double metric_from_json(const json& v) {
  if (v.is_null()) return std::nan("");
  if (!v.is_number() || !std::isfinite(v.get<double>())) {
    throw Error("a metric must be a finite number or null, got " + v.dump());
  }
  return v.get<double>();
}

EpochMetrics epoch_from_json(const json& row) {
  if (!row.is_array() || row.size() != 6 || !row[0].is_number_integer() ||
      row[0].get<int64_t>() < 1 || !row[5].is_number() || !(row[5].get<double>() >= 0.0)) {
    throw Error("\"history\" rows must be [epoch >= 1, 4 metrics, seconds >= 0], got " +
                row.dump());
  }
  return {row[0].get<int64_t>(),    metric_from_json(row[1]), metric_from_json(row[2]),
          metric_from_json(row[3]), metric_from_json(row[4]), row[5].get<double>()};
}

TrainOptions options_from_json(const Reader& r) {
  TrainOptions o;
  o.epochs = r.integer("epochs", 1);
  o.batch = r.integer("batch", 1);
  o.max_steps = r.integer("max_steps", 0);
  o.shuffle = r.boolean("shuffle");
  o.seed = word_from_json(r.at("seed"), "\"seed\"");
  o.optimizer = r.string("optimizer");
  o.lr = static_cast<float>(r.number("lr", 0.0, false));
  o.lr_schedule = r.has("lr_schedule") ? r.string("lr_schedule") : "constant";  // older ones
  check_lr_schedule(o.lr_schedule);
  o.weight_decay = static_cast<float>(r.number("weight_decay", 0.0, true));
  o.precision = r.has("precision") ? parse_precision(r.string("precision"), "\"precision\"")
                                   : Precision::fp32;  // older ones
  o.train_eval_samples = r.integer("train_eval_samples", 0);
  o.data_dir = r.string("data");
  o.train_samples = r.integer("train_samples", 0);
  o.val_split = r.has("val_split") ? r.number("val_split", 0.0, true) : 0.0;  // older ones
  o.augmentation.crop_padding = r.has("crop_padding") ? r.integer("crop_padding", 0) : 0;
  o.augmentation.horizontal_flip = r.has("horizontal_flip") && r.boolean("horizontal_flip");
  return o;
}

}  // namespace

std::string CheckpointState::to_json() const {
  json dropout = json::array();
  for (const Rng::State& s : dropout_rngs) dropout.push_back(rng_to_json(s));
  json rows = json::array();
  for (const EpochMetrics& m : history) {
    rows.push_back({m.epoch, metric_to_json(m.train_loss), metric_to_json(m.train_acc),
                    metric_to_json(m.test_loss), metric_to_json(m.test_acc), m.seconds});
  }
  const TrainOptions& o = options;
  return json{{"epoch", epoch},
              {"batch_in_epoch", batch_in_epoch},
              {"step", step},
              {"seconds", seconds},
              {"optimizer", o.optimizer},
              {"lr", o.lr},
              {"lr_schedule", o.lr_schedule},
              {"iterations", iterations},
              {"weight_decay", o.weight_decay},
              {"precision", precision_name(o.precision)},
              {"epochs", o.epochs},
              {"batch", o.batch},
              {"max_steps", o.max_steps},
              {"shuffle", o.shuffle},
              {"seed", word_to_json(o.seed)},
              {"train_eval_samples", o.train_eval_samples},
              {"data", o.data_dir},
              {"train_samples", o.train_samples},
              {"val_split", o.val_split},
              {"crop_padding", o.augmentation.crop_padding},
              {"horizontal_flip", o.augmentation.horizontal_flip},
              {"epoch_rng", rng_to_json(epoch_rng)},
              {"dropout_rngs", dropout},
              {"history", rows}}
      .dump();
}

CheckpointState CheckpointState::parse(const std::string& json_text, const std::string& where) {
  CheckpointState s;
  try {
    const json j = json::parse(json_text);
    const Reader r(j);
    s.options = options_from_json(r);
    s.epoch = r.integer("epoch", 0);
    s.batch_in_epoch = r.integer("batch_in_epoch", 0);
    s.step = r.integer("step", 0);
    s.seconds = r.number("seconds", 0.0, true);
    s.iterations = r.integer("iterations", 0);
    s.epoch_rng = rng_from_json(r.at("epoch_rng"), "\"epoch_rng\"");
    const json& dropout = r.at("dropout_rngs");
    if (!dropout.is_array()) throw Error("\"dropout_rngs\" must be a list");
    for (const json& d : dropout) s.dropout_rngs.push_back(rng_from_json(d, "\"dropout_rngs\""));
    const json& history = r.at("history");
    if (!history.is_array()) throw Error("\"history\" must be a list");
    for (const json& row : history) s.history.push_back(epoch_from_json(row));
  } catch (const json::exception& e) {
    throw Error(where + ": corrupt checkpoint state (" + e.what() + ")");
  } catch (const Error& e) {
    throw Error(where + ": corrupt checkpoint state: " + e.what());
  }
  return s;
}

}  // namespace nnzero
