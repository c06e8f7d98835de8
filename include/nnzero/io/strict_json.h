// JSON parsed strictly (model-file headers, model specs), for files a hostile or damaged source may
// have written. nlohmann's parser accepts two things nnzero must refuse: an object that holds the
// same key twice (it keeps the last one silently, so two readers may see two different files) and
// unbounded nesting (the parser is iterative, but copying or printing a value recurses, so a
// million
// '[' would overflow the stack). Both are checked in one linear pass before the value is
// built, without nlohmann's parser callback, which costs time quadratic in the number of
// entries of an object (it scans the parent for a discarded value at every object's end).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

namespace nnzero {

// `text` parsed as JSON; throws nnzero::Error starting with `where` (e.g. "m.safetensors:
// header") when it is not valid JSON, holds a key twice in one object, or nests more than
// `max_depth` arrays and objects.
nlohmann::json parse_strict_json(std::span<const uint8_t> text, const std::string& where,
                                 int max_depth);

}  // namespace nnzero
