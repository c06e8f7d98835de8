#include "nnzero/model/spec.h"

#include <cmath>
#include <limits>
#include <set>
#include <tuple>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/io/strict_json.h"
#include "nnzero/model/layer_registry.h"
#include "nnzero/strings.h"

namespace nnzero {

using nlohmann::json;

namespace {

// An integer that int64 holds (2^64 - 1 parses as an unsigned number, which int64 would read
// as -1).
bool is_int64(const json& v) {
  return v.is_number_integer() &&
         !(v.is_number_unsigned() &&
           v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
}

// Reads the fields of one JSON object, remembering which were used, so that anything left
// over can be reported as unknown.
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j.is_object()) throw Error(where_ + ": expected a JSON object, got " + j.dump());
  }
  bool has(const std::string& key) {
    used_.insert(key);
    return j_.contains(key);
  }
  int64_t integer(const std::string& key) {
    const json& v = at(key);
    if (!is_int64(v)) {
      throw Error(where_ + ": \"" + key + "\" must be an integer (below 2^63), got " + v.dump());
    }
    return v.get<int64_t>();
  }
  double number(const std::string& key) {
    const json& v = at(key);
    if (!v.is_number()) throw Error(where_ + ": \"" + key + "\" must be a number, got " + v.dump());
    return v.get<double>();
  }
  // A layer's float32 field: 1e39 would become infinity, which the canonical JSON (and so
  // the model file) cannot hold.
  float number_f32(const std::string& key) {
    const double v = number(key);
    if (!(std::fabs(v) <= std::numeric_limits<float>::max())) {
      throw Error(where_ + ": \"" + key + "\" is out of float32 range, got " + j_.at(key).dump());
    }
    return static_cast<float>(v);
  }
  bool boolean(const std::string& key) {
    const json& v = at(key);
    if (!v.is_boolean())
      throw Error(where_ + ": \"" + key + "\" must be true or false, got " + v.dump());
    return v.get<bool>();
  }
  std::string string(const std::string& key) {
    const json& v = at(key);
    if (!v.is_string()) throw Error(where_ + ": \"" + key + "\" must be a string, got " + v.dump());
    return v.get<std::string>();
  }
  const json& at(const std::string& key) {
    if (!has(key)) throw Error(where_ + ": missing field \"" + key + "\"");
    return j_.at(key);
  }
  void reject_unknown() const {
    for (const auto& [key, value] : j_.items()) {
      if (!used_.contains(key)) throw Error(where_ + ": unknown field \"" + key + "\"");
    }
  }

 private:
  const json& j_;
  std::string where_;
  std::set<std::string> used_;
};

// The field's value as given, checked for its kind, as JSON.
json read_field(Fields& f, const FieldDef& d) {
  switch (d.kind) {
    case FieldDef::integer:
      return f.integer(d.name);
    case FieldDef::number:
      return static_cast<double>(f.number_f32(d.name));
    case FieldDef::boolean:
      return f.boolean(d.name);
    case FieldDef::string:
      return f.string(d.name);
  }
  return nullptr;
}

void check_rule(const FieldDef& d, const json& v, const std::string& where) {
  const std::string field = where + ": \"" + d.name + "\" must be ";
  switch (d.rule) {
    case FieldRule::none:
      return;
    case FieldRule::positive:
      if (v.get<int64_t>() < 1) throw Error(field + "at least 1, got " + v.dump());
      return;
    case FieldRule::non_negative:
      if (v.get<int64_t>() < 0) throw Error(field + "non-negative, got " + v.dump());
      return;
    case FieldRule::probability:
      if (!(v.get<double>() >= 0.0 && v.get<double>() < 1.0)) throw Error(field + "in [0, 1)");
      return;
    case FieldRule::unit_interval:
      if (!(v.get<double>() >= 0.0 && v.get<double>() <= 1.0)) throw Error(field + "in [0, 1]");
      return;
    case FieldRule::positive_number:
      if (!(v.get<double>() > 0.0)) throw Error(field + "positive");
      return;
    case FieldRule::init:
      check_init(v.get<std::string>(), where);
      return;
  }
}

Seq2seqSpec parse_seq2seq(const json& j, const Shape& input, const std::string& where) {
  Fields f(j, where);
  Seq2seqSpec s;
  s.decoder = f.string("decoder");
  if (s.decoder != "plain" && s.decoder != "peeky" && s.decoder != "attention") {
    throw Error(where + ": \"decoder\" must be \"plain\", \"peeky\" or \"attention\", got \"" +
                s.decoder + "\"");
  }
  for (auto [key, value, least] : {std::tuple{"vocab", &s.vocab, 2},
                                   {"wordvec", &s.wordvec, 1},
                                   {"hidden", &s.hidden, 1},
                                   {"question", &s.question, 1},
                                   {"answer", &s.answer, 2}}) {
    *value = f.integer(key);
    if (*value < least || *value > 1'000'000) {
      throw Error(where + ": \"" + key + "\" must be in [" + std::to_string(least) +
                  ", 1000000], got " + std::to_string(*value));
    }
  }
  s.reverse = f.has("reverse") && f.boolean("reverse");
  s.bidirectional = f.has("bidirectional") && f.boolean("bidirectional");
  if (s.bidirectional && s.hidden % 2 != 0) {
    throw Error(where + ": a bidirectional encoder splits \"hidden\" between its two " +
                "directions, so it must be even, got " + std::to_string(s.hidden));
  }
  f.reject_unknown();
  if (input.rank() != 1 || input[0] != s.question + s.answer - 1) {
    throw Error(where + ": \"input\" must be [question + answer - 1] = [" +
                std::to_string(s.question + s.answer - 1) + "] (the question, then the " +
                "decoder's input), got " + input.str());
  }
  return s;
}

// 2^30 float weights, 4 GB (GPT-2 XL has 1.5e9).
constexpr double kMaxGptWeights = 1 << 30;

GptSpec parse_gpt(const json& j, const Shape& input, const std::string& where) {
  Fields f(j, where);
  GptSpec s;
  for (auto [key, value, least] : {std::tuple{"vocab", &s.vocab, 2},
                                   {"context", &s.context, 1},
                                   {"layers", &s.layers, 1},
                                   {"heads", &s.heads, 1},
                                   {"width", &s.width, 1}}) {
    *value = f.integer(key);
    if (*value < least || *value > 1'000'000) {
      throw Error(where + ": \"" + key + "\" must be in [" + std::to_string(least) +
                  ", 1000000], got " + std::to_string(*value));
    }
  }
  if (s.width % s.heads != 0) {
    throw Error(where + ": \"width\" " + std::to_string(s.width) +
                " must be a multiple of \"heads\" " + std::to_string(s.heads) +
                " (each head reads width / heads of every vector)");
  }
  s.bias = f.has("bias") && f.boolean("bias");
  f.reject_unknown();
  // Each size may be large, not all at once: about 12 L C^2 + (V + T) C weights (in double,
  // which holds these products exactly enough to compare).
  const double C = static_cast<double>(s.width);
  const double weights =
      12.0 * static_cast<double>(s.layers) * C * C + static_cast<double>(s.vocab + s.context) * C;
  if (weights > kMaxGptWeights) {
    throw Error(where + ": " + std::to_string(s.layers) + " layers of width " +
                std::to_string(s.width) + " make about " +
                std::to_string(static_cast<int64_t>(weights)) + " weights, more than the " +
                std::to_string(static_cast<int64_t>(kMaxGptWeights)) + " a GPT may have here");
  }
  if (input.rank() != 1 || input[0] != s.context) {
    throw Error(where + ": \"input\" must be [context] = [" + std::to_string(s.context) +
                "], got " + input.str());
  }
  return s;
}

TrainDefaults parse_train(const json& j, const std::string& where) {
  Fields f(j, where);
  TrainDefaults d;
  if (f.has("optimizer")) d.optimizer = f.string("optimizer");
  if (f.has("lr")) d.lr = f.number("lr");
  if (f.has("lr_schedule")) {
    d.lr_schedule = f.string("lr_schedule");
    const auto& known = lr_schedule_names();
    if (std::find(known.begin(), known.end(), *d.lr_schedule) == known.end()) {
      throw Error(where + ": unknown learning-rate schedule \"" + *d.lr_schedule +
                  "\" (known: " + join(known, ", ") + ")");
    }
  }
  if (f.has("weight_decay")) d.weight_decay = f.number("weight_decay");
  if (f.has("batch")) d.batch = f.integer("batch");
  if (f.has("epochs")) d.epochs = f.integer("epochs");
  if (f.has("max_steps")) d.max_steps = f.integer("max_steps");
  if (f.has("crop_padding")) {
    d.crop_padding = f.integer("crop_padding");
    if (*d.crop_padding < 0) throw Error(where + ": \"crop_padding\" must be at least 0");
  }
  if (f.has("horizontal_flip")) d.horizontal_flip = f.boolean("horizontal_flip");
  if (f.has("clip")) {
    d.clip = f.number("clip");
    if (!(*d.clip >= 0.0)) throw Error(where + ": \"clip\" must be at least 0 (0: no clipping)");
  }
  if (f.has("lr_decay")) {
    d.lr_decay = f.number("lr_decay");
    if (!(*d.lr_decay >= 1.0)) throw Error(where + ": \"lr_decay\" must be at least 1 (1: none)");
  }
  if (f.has("warmup_steps")) {
    d.warmup_steps = f.integer("warmup_steps");
    if (*d.warmup_steps < 0) throw Error(where + ": \"warmup_steps\" must be at least 0");
  }
  if (f.has("steps_per_epoch")) {
    d.steps_per_epoch = f.integer("steps_per_epoch");
    if (*d.steps_per_epoch < 1) throw Error(where + ": \"steps_per_epoch\" must be at least 1");
  }
  if (f.has("min_lr")) {
    d.min_lr = f.number("min_lr");
    if (!(*d.min_lr >= 0.0)) throw Error(where + ": \"min_lr\" must be at least 0");
  }
  f.reject_unknown();
  return d;
}

}  // namespace

int64_t LayerSpec::integer(const std::string& key) const {
  return fields.at(key).get<int64_t>();
}

float LayerSpec::number(const std::string& key) const {
  return static_cast<float>(fields.at(key).get<double>());
}

bool LayerSpec::boolean(const std::string& key) const {
  return fields.at(key).get<bool>();
}

std::string LayerSpec::string(const std::string& key, const std::string& fallback) const {
  return has(key) ? fields.at(key).get<std::string>() : fallback;
}

LayerSpec parse_layer_spec(const json& j, const std::string& where) {
  Fields f(j, where);
  LayerSpec l;
  l.type = f.string("type");
  const LayerType& type = [&]() -> const LayerType& {
    try {
      return layer_type(l.type);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }();
  const std::string field_where = where + " (" + l.type + ")";
  for (const FieldDef& d : type.fields) {
    json v;
    if (f.has(d.name)) {
      v = read_field(f, d);
    } else if (!d.fallback_from.empty()) {
      v = l.fields.at(d.fallback_from);
    } else if (!d.fallback.is_null()) {
      v = d.fallback;
    } else if (d.optional) {
      continue;
    } else {
      throw Error(where + ": missing field \"" + d.name + "\"");
    }
    // A float32 field holds the float32 nearest its value, given or default, so that the
    // canonical JSON of a spec read back from a model file is the same text.
    if (d.kind == FieldDef::number) v = static_cast<double>(static_cast<float>(v.get<double>()));
    check_rule(d, v, field_where);
    l.fields[d.name] = v;
  }
  // Any layer may be frozen (transfer learning); kept only when given, so that the canonical
  // JSON of a spec without it is unchanged.
  if (f.has("trainable")) l.fields["trainable"] = f.boolean("trainable");
  f.reject_unknown();
  return l;
}

const std::vector<std::string>& lr_schedule_names() {
  static const std::vector<std::string> names = {"constant", "cosine"};
  return names;
}

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
  throw Error(where + ": unknown init \"" + init +
              "\" (use he, xavier or std:<s>, e.g. std:0.01; std:0 for all-zero weights)");
}

float init_std(const std::string& init, int64_t fan_in) {
  if (init == "he") return std::sqrt(2.0f / static_cast<float>(fan_in));
  if (init == "xavier") return std::sqrt(1.0f / static_cast<float>(fan_in));
  return static_cast<float>(std::stod(init.substr(4)));
}

ModelSpec ModelSpec::parse(const std::string& json_text, const std::string& where) {
  // A spec nests 3 deep ({"layers": [{...}]}); 16 leaves room and refuses a hostile
  // million '['. Two equal keys in one object are refused rather than the last one kept.
  constexpr int kMaxDepth = 16;
  const json j = parse_strict_json(
      std::span(reinterpret_cast<const uint8_t*>(json_text.data()), json_text.size()), where,
      kMaxDepth);
  Fields f(j, where);
  ModelSpec spec;
  spec.name = f.has("name") ? f.string("name") : "model";
  const json& input = f.at("input");
  if (!input.is_array() || input.empty() || input.size() > 3) {
    throw Error(where + ": \"input\" must be a list of 1 to 3 sizes, e.g. [784] or [1, 28, 28]");
  }
  for (const json& d : input) {
    if (!is_int64(d) || d.get<int64_t>() < 1) {
      throw Error(where + ": \"input\" sizes must be positive integers, got " + input.dump());
    }
    spec.input.push_back(d.get<int64_t>());
  }
  if (int(f.has("seq2seq")) + int(f.has("gpt")) + int(f.has("layers")) > 1) {
    throw Error(where + ": give one of \"layers\", \"seq2seq\" and \"gpt\"");
  }
  if (f.has("seq2seq")) {
    spec.seq2seq = parse_seq2seq(j.at("seq2seq"), spec.input, where + ": seq2seq");
  }
  if (f.has("gpt")) spec.gpt = parse_gpt(j.at("gpt"), spec.input, where + ": gpt");
  const bool stack = !spec.seq2seq && !spec.gpt;
  const json& layers = stack ? f.at("layers") : json::array();
  if (stack && (!layers.is_array() || layers.empty())) {
    throw Error(where + ": \"layers\" must be a non-empty list");
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    spec.layers.push_back(parse_layer_spec(layers[i], where + ": layer " + std::to_string(i)));
  }
  spec.loss = f.has("loss") ? f.string("loss") : "softmax_cross_entropy";
  if (spec.loss != "softmax_cross_entropy" && spec.loss != "mse") {
    throw Error(where + ": unknown loss \"" + spec.loss + "\" (use softmax_cross_entropy or mse)");
  }
  spec.init = f.has("init") ? f.string("init") : "he";
  check_init(spec.init, where);
  if (f.has("train")) spec.train = parse_train(j.at("train"), where + ": train");
  spec.tie_weights = f.has("tie_weights") && f.boolean("tie_weights");
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
  if (seq2seq) {
    j["seq2seq"] = {{"decoder", seq2seq->decoder},   {"vocab", seq2seq->vocab},
                    {"wordvec", seq2seq->wordvec},   {"hidden", seq2seq->hidden},
                    {"question", seq2seq->question}, {"answer", seq2seq->answer},
                    {"reverse", seq2seq->reverse},   {"bidirectional", seq2seq->bidirectional}};
  } else if (gpt) {
    j["gpt"] = {{"vocab", gpt->vocab}, {"context", gpt->context}, {"layers", gpt->layers},
                {"heads", gpt->heads}, {"width", gpt->width},     {"bias", gpt->bias}};
  } else {
    j["layers"] = json::array();
    for (const LayerSpec& l : layers) {
      json layer = l.fields;
      layer["type"] = l.type;
      j["layers"].push_back(layer);
    }
  }
  j["loss"] = loss;
  j["init"] = init;
  if (tie_weights) j["tie_weights"] = true;
  json t = json::object();
  if (train.optimizer) t["optimizer"] = *train.optimizer;
  if (train.lr) t["lr"] = *train.lr;
  if (train.lr_schedule) t["lr_schedule"] = *train.lr_schedule;
  if (train.weight_decay) t["weight_decay"] = *train.weight_decay;
  if (train.batch) t["batch"] = *train.batch;
  if (train.epochs) t["epochs"] = *train.epochs;
  if (train.max_steps) t["max_steps"] = *train.max_steps;
  if (train.crop_padding) t["crop_padding"] = *train.crop_padding;
  if (train.horizontal_flip) t["horizontal_flip"] = *train.horizontal_flip;
  if (train.clip) t["clip"] = *train.clip;
  if (train.lr_decay) t["lr_decay"] = *train.lr_decay;
  if (train.warmup_steps) t["warmup_steps"] = *train.warmup_steps;
  if (train.steps_per_epoch) t["steps_per_epoch"] = *train.steps_per_epoch;
  if (train.min_lr) t["min_lr"] = *train.min_lr;
  if (!t.empty()) j["train"] = t;
  return j.dump(pretty ? 2 : -1);
}

}  // namespace nnzero
