#include "nnzero/model/spec.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/strings.h"
#include "nnzero/train/lr_schedule.h"

namespace nnzero {

using nlohmann::json;

namespace {

const std::set<std::string> kLayerTypes = {
    "linear",  "conv2d",  "maxpool2d",   "avgpool2d",  "global_avgpool2d",
    "flatten", "relu",    "leaky_relu",  "sigmoid",    "tanh",
    "softmax", "dropout", "batchnorm1d", "batchnorm2d"};

// Reads the fields of one JSON object, remembering which were used, so that anything left
// over can be reported as unknown.
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j.is_object()) throw Error(where_ + ": expected a JSON object, got " + j.dump());
  }
  bool has(const char* key) {
    used_.insert(key);
    return j_.contains(key);
  }
  int64_t integer(const char* key, std::optional<int64_t> fallback = std::nullopt) {
    if (!has(key)) return required(key, fallback);
    const json& v = j_.at(key);
    if (!v.is_number_integer())
      throw Error(where_ + ": \"" + key + "\" must be an integer, got " + v.dump());
    return v.get<int64_t>();
  }
  double number(const char* key, std::optional<double> fallback = std::nullopt) {
    if (!has(key)) return required(key, fallback);
    const json& v = j_.at(key);
    if (!v.is_number()) throw Error(where_ + ": \"" + key + "\" must be a number, got " + v.dump());
    return v.get<double>();
  }
  // A layer's float32 field: 1e39 would become infinity, which the canonical JSON (and so
  // the model file) cannot hold.
  float number_f32(const char* key, double fallback) {
    const double v = number(key, fallback);
    if (!(std::fabs(v) <= std::numeric_limits<float>::max())) {
      throw Error(where_ + ": \"" + key + "\" is out of float32 range, got " + j_.at(key).dump());
    }
    return static_cast<float>(v);
  }
  bool boolean(const char* key, bool fallback) {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean())
      throw Error(where_ + ": \"" + key + "\" must be true or false, got " + v.dump());
    return v.get<bool>();
  }
  std::string string(const char* key, std::optional<std::string> fallback = std::nullopt) {
    if (!has(key)) return required(key, fallback);
    const json& v = j_.at(key);
    if (!v.is_string()) throw Error(where_ + ": \"" + key + "\" must be a string, got " + v.dump());
    return v.get<std::string>();
  }
  const json& at(const char* key) {
    if (!has(key)) throw Error(where_ + ": missing field \"" + key + "\"");
    return j_.at(key);
  }
  void reject_unknown() const {
    for (const auto& [key, value] : j_.items()) {
      if (!used_.contains(key)) throw Error(where_ + ": unknown field \"" + key + "\"");
    }
  }

 private:
  template <class T>
  T required(const char* key, const std::optional<T>& fallback) {
    if (!fallback) throw Error(where_ + ": missing field \"" + key + "\"");
    return *fallback;
  }
  const json& j_;
  std::string where_;
  std::set<std::string> used_;
};

LayerSpec parse_layer(const json& j, const std::string& where) {
  Fields f(j, where);
  LayerSpec l;
  l.type = f.string("type");
  if (!kLayerTypes.contains(l.type)) {
    throw Error(where + ": unknown layer type \"" + l.type +
                "\" (known: " + join(kLayerTypes, ", ") + ")");
  }
  auto positive = [&](const char* key, int64_t v) {
    if (v < 1)
      throw Error(where + " (" + l.type + "): \"" + key + "\" must be at least 1, got " +
                  std::to_string(v));
    return v;
  };
  const std::string& t = l.type;
  if (t == "linear") {
    l.out_features = positive("out_features", f.integer("out_features"));
    l.bias = f.boolean("bias", true);
    if (f.has("in_features")) l.in_features = f.integer("in_features");
    if (f.has("init")) l.init = f.string("init");
  } else if (t == "conv2d") {
    l.out_channels = positive("out_channels", f.integer("out_channels"));
    l.kernel = positive("kernel", f.integer("kernel"));
    l.stride = positive("stride", f.integer("stride", 1));
    l.padding = f.integer("padding", 0);
    l.bias = f.boolean("bias", true);
    if (f.has("in_channels")) l.in_channels = f.integer("in_channels");
    if (f.has("init")) l.init = f.string("init");
  } else if (t == "maxpool2d" || t == "avgpool2d") {
    l.kernel = positive("kernel", f.integer("kernel"));
    l.stride = positive("stride", f.integer("stride", l.kernel));
    l.padding = f.integer("padding", 0);
  } else if (t == "leaky_relu") {
    l.negative_slope = f.number_f32("negative_slope", 0.01);
  } else if (t == "dropout") {
    l.p = f.number_f32("p", 0.5);
    if (!(l.p >= 0.0f && l.p < 1.0f)) throw Error(where + " (dropout): \"p\" must be in [0, 1)");
  } else if (t == "batchnorm1d" || t == "batchnorm2d") {
    l.eps = f.number_f32("eps", 1e-5);
    l.momentum = f.number_f32("momentum", 0.1);
    if (!(l.eps > 0.0f)) throw Error(where + " (" + t + "): \"eps\" must be positive");
    if (!(l.momentum >= 0.0f && l.momentum <= 1.0f)) {
      throw Error(where + " (" + t + "): \"momentum\" must be in [0, 1]");
    }
    if (f.has("num_features")) l.num_features = f.integer("num_features");
  }
  if (l.padding < 0) throw Error(where + " (" + t + "): \"padding\" must be non-negative");
  if (!l.init.empty()) check_init(l.init, where + " (" + t + ")");
  f.reject_unknown();
  return l;
}

json layer_to_json(const LayerSpec& l) {
  json j = {{"type", l.type}};
  const std::string& t = l.type;
  if (t == "linear") {
    j["out_features"] = l.out_features;
    j["bias"] = l.bias;
  } else if (t == "conv2d") {
    j["out_channels"] = l.out_channels;
    j["kernel"] = l.kernel;
    j["stride"] = l.stride;
    j["padding"] = l.padding;
    j["bias"] = l.bias;
  } else if (t == "maxpool2d" || t == "avgpool2d") {
    j["kernel"] = l.kernel;
    j["stride"] = l.stride;
    j["padding"] = l.padding;
  } else if (t == "leaky_relu") {
    j["negative_slope"] = l.negative_slope;
  } else if (t == "dropout") {
    j["p"] = l.p;
  } else if (t == "batchnorm1d" || t == "batchnorm2d") {
    j["eps"] = l.eps;
    j["momentum"] = l.momentum;
  }
  if (!l.init.empty()) j["init"] = l.init;
  return j;
}

TrainDefaults parse_train(const json& j, const std::string& where) {
  Fields f(j, where);
  TrainDefaults d;
  if (f.has("optimizer")) d.optimizer = f.string("optimizer");
  if (f.has("lr")) d.lr = f.number("lr");
  if (f.has("lr_schedule")) {
    d.lr_schedule = f.string("lr_schedule");
    try {
      check_lr_schedule(*d.lr_schedule);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
  if (f.has("weight_decay")) d.weight_decay = f.number("weight_decay");
  if (f.has("batch")) d.batch = f.integer("batch");
  if (f.has("epochs")) d.epochs = f.integer("epochs");
  if (f.has("max_steps")) d.max_steps = f.integer("max_steps");
  f.reject_unknown();
  return d;
}

}  // namespace

void check_init(const std::string& init, const std::string& where) {
  if (init == "he" || init == "xavier") return;
  if (init.rfind("std:", 0) == 0) {
    try {
      size_t used = 0;
      const double s = std::stod(init.substr(4), &used);
      // A positive normal float32 (1e39 and 1e-50 are not): the weights are float32. Or 0:
      // all-zero weights, the book's example of what not to do (section 6.2.1).
      const bool in_range = s == 0.0 || (s >= std::numeric_limits<float>::min() &&
                                         s <= std::numeric_limits<float>::max());
      if (used == init.size() - 4 && in_range) return;
    } catch (const std::exception&) {
    }
  }
  throw Error(where + ": unknown init \"" + init + "\" (use he, xavier or std:<s>, e.g. std:0.01)");
}

float init_std(const std::string& init, int64_t fan_in) {
  if (init == "he") return std::sqrt(2.0f / static_cast<float>(fan_in));
  if (init == "xavier") return std::sqrt(1.0f / static_cast<float>(fan_in));
  return static_cast<float>(std::stod(init.substr(4)));
}

ModelSpec ModelSpec::parse(const std::string& json_text, const std::string& where) {
  // A spec nests 3 deep ({"layers": [{...}]}). nlohmann's parser is iterative but copying
  // and printing a value (error messages show values) recurse, so deeper nesting is refused
  // while parsing: a hostile spec of a million '[' would otherwise overflow the stack.
  constexpr int kMaxDepth = 16;
  const auto limit_depth = [&](int depth, json::parse_event_t, json&) {
    if (depth > kMaxDepth) {
      throw Error(where + ": JSON nests deeper than " + std::to_string(kMaxDepth) +
                  " levels: not a model spec");
    }
    return true;
  };
  json j;
  try {
    j = json::parse(json_text, limit_depth);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
    throw Error(where + ": not valid JSON (" + e.what() + ")");
  }
  Fields f(j, where);
  ModelSpec spec;
  spec.name = f.string("name", "model");
  const json& input = f.at("input");
  if (!input.is_array() || input.empty() || input.size() > 3) {
    throw Error(where + ": \"input\" must be a list of 1 to 3 sizes, e.g. [784] or [1, 28, 28]");
  }
  for (const json& d : input) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1) {
      throw Error(where + ": \"input\" sizes must be positive integers, got " + input.dump());
    }
    spec.input.push_back(d.get<int64_t>());
  }
  const json& layers = f.at("layers");
  if (!layers.is_array() || layers.empty()) {
    throw Error(where + ": \"layers\" must be a non-empty list");
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    spec.layers.push_back(parse_layer(layers[i], where + ": layer " + std::to_string(i)));
  }
  spec.loss = f.string("loss", "softmax_cross_entropy");
  if (spec.loss != "softmax_cross_entropy" && spec.loss != "mse") {
    throw Error(where + ": unknown loss \"" + spec.loss + "\" (use softmax_cross_entropy or mse)");
  }
  spec.init = f.string("init", "he");
  check_init(spec.init, where);
  if (f.has("train")) spec.train = parse_train(j.at("train"), where + ": train");
  f.reject_unknown();
  return spec;
}

ModelSpec ModelSpec::load(const std::string& path) {
  const auto bytes = read_file(path);
  return parse(std::string(bytes.begin(), bytes.end()), path);
}

std::string ModelSpec::to_json(bool pretty) const {
  json j;
  j["name"] = name;
  j["input"] = std::vector<int64_t>(input.begin(), input.end());
  j["layers"] = json::array();
  for (const LayerSpec& l : layers) j["layers"].push_back(layer_to_json(l));
  j["loss"] = loss;
  j["init"] = init;
  json t = json::object();
  if (train.optimizer) t["optimizer"] = *train.optimizer;
  if (train.lr) t["lr"] = *train.lr;
  if (train.lr_schedule) t["lr_schedule"] = *train.lr_schedule;
  if (train.weight_decay) t["weight_decay"] = *train.weight_decay;
  if (train.batch) t["batch"] = *train.batch;
  if (train.epochs) t["epochs"] = *train.epochs;
  if (train.max_steps) t["max_steps"] = *train.max_steps;
  if (!t.empty()) j["train"] = t;
  return j.dump(pretty ? 2 : -1);
}

}  // namespace nnzero
