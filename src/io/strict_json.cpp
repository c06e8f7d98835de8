#include "nnzero/io/strict_json.h"

#include <unordered_set>
#include <vector>

#include "nnzero/error.h"

namespace nnzero {

using nlohmann::json;

namespace {
// A key as an error message shows it: JSON-quoted (so a NUL or a newline cannot cut or fake
// the message) and at most 80 characters.
std::string quoted_key(const std::string& key) {
  std::string q = json(key).dump(-1, ' ', false, json::error_handler_t::replace);
  if (q.size() > 80) q = q.substr(0, 76) + "...\"";
  return q;
}

// SAX events of one parse, checked as they come: the depth of nesting and, per open object,
// the keys seen so far. Builds nothing.
class StrictChecker {
 public:
  StrictChecker(const std::string& where, int max_depth) : where_(where), max_depth_(max_depth) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) {
    enter();
    keys_.emplace_back();
    return true;
  }
  bool key(std::string& key) {
    if (!keys_.back().insert(key).second) {
      throw Error(where_ + ": the key " + quoted_key(key) + " appears twice in one object");
    }
    return true;
  }
  bool end_object() {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    enter();
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    throw Error(where_ + ": not valid JSON (" + e.what() + ")");
  }

 private:
  void enter() {
    if (++depth_ > max_depth_) {
      throw Error(where_ + ": JSON nests deeper than " + std::to_string(max_depth_) + " levels");
    }
  }

  const std::string& where_;
  int max_depth_;
  int depth_ = 0;
  std::vector<std::unordered_set<std::string>> keys_;  // one set per open object
};
}  // namespace

json parse_strict_json(std::span<const uint8_t> text, const std::string& where, int max_depth) {
  StrictChecker checker(where, max_depth);
  json::sax_parse(text.begin(), text.end(), &checker);
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // not reached: the checker saw the same text
    throw Error(where + ": not valid JSON (" + e.what() + ")");
  }
}

}  // namespace nnzero
