// The safetensors parser (io/safetensors.h) against headers a hostile or damaged file may
// hold, found by the adversarial pass of issue 17: many entries, duplicate keys, 2^64 - 1
// in sizes and offsets, shapes whose element count overflows. Each is refused with a message
// that names the file and the problem, or parsed in time linear in the header's size.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "nnzero/io/safetensors.h"
#include "nnzero/io/strict_json.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;

namespace {
// A safetensors file from a header (JSON text) and a data section of `data_bytes` bytes.
std::vector<uint8_t> craft(const std::string& header, size_t data_bytes) {
  std::vector<uint8_t> out(8 + header.size() + data_bytes, 1);
  const uint64_t len = header.size();
  std::memcpy(out.data(), &len, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  return out;
}

std::string parse_error(const std::string& header, size_t data_bytes) {
  return error_of([&] { SafetensorsFile::parse(craft(header, data_bytes), "m.safetensors"); });
}

std::vector<uint8_t> text_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}
}  // namespace

// nlohmann's parser callback (used to limit nesting) scanned the parent object at the end of
// every entry: 100,000 entries took minutes. The header is now checked in one SAX pass and
// parsed without a callback, and tensors are looked up by name in a hash map. (The suite's
// per-test timeout is what would catch a return to quadratic time; nothing here is timed.)
TEST(Safetensors, AHundredThousandEntriesParse) {
  constexpr int kEntries = 100000;
  std::string header = "{";
  for (int i = 0; i < kEntries; ++i) {
    header += (i > 0 ? ",\"t" : "\"t") + std::to_string(i) +
              "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[" + std::to_string(i) + "," +
              std::to_string(i + 1) + "]}";
  }
  header += "}";
  const SafetensorsFile f = SafetensorsFile::parse(craft(header, kEntries), "many.safetensors");
  ASSERT_EQ(f.entries().size(), static_cast<size_t>(kEntries));
  for (int i : {0, 4242, kEntries - 1}) {
    const SafetensorsEntry* e = f.find("t" + std::to_string(i));
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->begin, static_cast<uint64_t>(i));
  }
  EXPECT_EQ(f.find("t100000"), nullptr);
}

// nlohmann keeps the last of two equal keys silently: a file could show one tensor to nnzero
// and another to a reader that keeps the first.
TEST(Safetensors, DuplicateKeysAreRefused) {
  const std::string entry = R"({"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
  EXPECT_HAS(parse_error("{\"a\": " + entry + ", \"a\": " + entry + "}", 4),
             "m.safetensors: header: the key \"a\" appears twice in one object");
  EXPECT_HAS(parse_error(R"({"a": {"dtype": "F32", "dtype": "U8", "shape": [1], )"
                         R"("data_offsets": [0, 4]}})",
                         4),
             "the key \"dtype\" appears twice");
  EXPECT_HAS(parse_error(R"({"__metadata__": {"k": "1", "k": "2"}})", 0),
             "the key \"k\" appears twice");
  // The same key in two different objects is fine.
  EXPECT_NO_THROW(SafetensorsFile::parse(
      craft(R"({"__metadata__": {"dtype": "x"}, "a": )" + entry + "}", 4), "ok.safetensors"));
}

TEST(Safetensors, MaxUint64InShapesAndOffsetsIsNotMinusOne) {
  const std::string max = "18446744073709551615";
  EXPECT_HAS(
      parse_error(R"({"a": {"dtype": "F32", "shape": [)" + max + R"(], "data_offsets": [0, 4]}})",
                  4),
      "shape [" + max + "] is too large");
  EXPECT_HAS(
      parse_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, )" + max + "]}}", 4),
      max + " bytes of data for F32 shape [1] (needs 4)");
  EXPECT_HAS(parse_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [)" + max + ", " +
                             max + "]}}",
                         4),
             "0 bytes of data for F32 shape [1] (needs 4)");
  // One more than 2^64 - 1 is not an integer JSON can hold here: invalid, not wrapped.
  EXPECT_HAS(parse_error(R"({"a": {"dtype": "F32", "shape": [18446744073709551616], )"
                         R"("data_offsets": [0, 4]}})",
                         4),
             "shape must hold non-negative integers");
}

TEST(Safetensors, ShapesWhoseElementCountOverflowsAreRefused) {
  // 2^31 cubed is 2^93: it would wrap to 0 elements in 64 bits and match 0 bytes of data.
  EXPECT_HAS(parse_error(R"({"a": {"dtype": "F32", "shape": [2147483648, 2147483648, )"
                         R"(2147483648], "data_offsets": [0, 0]}})",
                         0),
             "shape [2147483648,2147483648,2147483648] is too large");
  // A product that fits 64 bits but not the byte count: 2^62 F64 values are 2^65 bytes.
  EXPECT_HAS(parse_error(R"({"a": {"dtype": "F64", "shape": [4611686018427387904], )"
                         R"("data_offsets": [0, 0]}})",
                         0),
             "is too large");
}

TEST(StrictJson, RefusesDuplicatesDeepNestingAndInvalidText) {
  EXPECT_EQ(parse_strict_json(text_bytes(R"({"a": [1, {"b": 2}], "c": {"a": 3}})"), "x", 4)
                .at("c")
                .at("a"),
            3);
  EXPECT_HAS(error_of([] { parse_strict_json(text_bytes(R"({"a": 1, "a": 1})"), "x.json", 4); }),
             "x.json: the key \"a\" appears twice in one object");
  EXPECT_HAS(error_of([] { parse_strict_json(text_bytes("[[[[[1]]]]]"), "x.json", 4); }),
             "x.json: JSON nests deeper than 4 levels");
  EXPECT_NO_THROW(parse_strict_json(text_bytes("[[[[1]]]]"), "x.json", 4));
  EXPECT_HAS(error_of([] { parse_strict_json(text_bytes("{\"a\": "), "x.json", 4); }),
             "x.json: not valid JSON");
  // A key with a NUL and a newline is shown escaped, so it cannot cut or fake the message.
  const std::string nul_key = std::string("{\"a\\u0000\\nb\": 1, \"a\\u0000\\nb\": 2}");
  EXPECT_HAS(error_of([&] { parse_strict_json(text_bytes(nul_key), "x.json", 4); }),
             "the key \"a\\u0000\\nb\" appears twice");
}
