// The CSV reader: RFC 4180 quoting, line endings, blank lines, line numbers in errors, and
// writing fields back so that they read the same.
#include <gtest/gtest.h>

#include "nnzero/io/csv.h"
#include "test_support.h"

using nnzero::CsvTable;
using nnzero::parse_csv;
using nnzero_test::error_of;
using Row = std::vector<std::string>;

TEST(Csv, ReadsHeaderAndRowsWithTheirLines) {
  const CsvTable t = parse_csv("a,b,c\n1,2,3\n4,5,6\n", "t.csv");
  EXPECT_EQ(t.header, (Row{"a", "b", "c"}));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.rows[0], (Row{"1", "2", "3"}));
  EXPECT_EQ(t.rows[1], (Row{"4", "5", "6"}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.where(1), "t.csv:3");
}

TEST(Csv, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  const CsvTable t = parse_csv(
      "name,quote\n"
      "\"Smith, John\",\"he said \"\"hi\"\"\"\n"
      "\"two\nlines\",x\n"
      "after,\"\"\n",
      "q.csv");
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.rows[0], (Row{"Smith, John", "he said \"hi\""}));
  EXPECT_EQ(t.rows[1], (Row{"two\nlines", "x"}));
  EXPECT_EQ(t.rows[2], (Row{"after", ""}));
  // The record after a field with a line break starts a line later.
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3, 5}));
}

TEST(Csv, ToleratesCrlfAndAMissingLastNewline) {
  const CsvTable t = parse_csv("a,b\r\n1,\"x\"\r\n\"q,\r\nr\",3", "crlf.csv");
  EXPECT_EQ(t.header, (Row{"a", "b"}));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.rows[0], (Row{"1", "x"}));
  EXPECT_EQ(t.rows[1], (Row{"q,\r\nr", "3"}));  // inside quotes the bytes are kept
  EXPECT_EQ(parse_csv("a\r\n1\r", "cr").rows[0], (Row{"1"}));
}

TEST(Csv, SkipsBlankLinesAndAByteOrderMark) {
  const CsvTable t = parse_csv("\xEF\xBB\xBFx,y\n\n1,2\r\n\r\n\n3,4\n\n", "blank.csv");
  EXPECT_EQ(t.header, (Row{"x", "y"}));
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.lines, (std::vector<int64_t>{3, 6}));
  // A quoted empty field is a value, not a blank line.
  const CsvTable one = parse_csv("v\n\"\"\n", "one.csv");
  ASSERT_EQ(one.num_rows(), 1);
  EXPECT_EQ(one.rows[0], (Row{""}));
}

TEST(Csv, KeepsEmptyFieldsSpacesAndStrayQuotes) {
  const CsvTable t = parse_csv("a,b,c\n,, \n1,,\n ab\"c ,d,e\n", "e.csv");
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.rows[0], (Row{"", "", " "}));
  EXPECT_EQ(t.rows[1], (Row{"1", "", ""}));
  EXPECT_EQ(t.rows[2], (Row{" ab\"c ", "d", "e"}));
}

TEST(Csv, RaggedRowsAreKeptUntilChecked) {
  const CsvTable t = parse_csv("a,b,c\n1,2,3\n4,5\n6,7,8,9\n", "r.csv");
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(nnzero::ragged_problem(t, 0), "");
  const std::string short_row = error_of([&] { nnzero::check_rectangular(t); });
  EXPECT_HAS(short_row, "r.csv:3: 2 fields but the header has 3 columns");
  EXPECT_HAS(short_row, "no value for column \"c\"");
  const CsvTable extra = parse_csv("a,b\n1,2\n3,4,5\n", "x.csv");
  const std::string long_row = error_of([&] { nnzero::check_rectangular(extra); });
  EXPECT_HAS(long_row, "x.csv:3: 3 fields but the header has 2 columns");
  EXPECT_HAS(long_row, "column 3");
}

TEST(Csv, ErrorsNameTheFileLineAndColumn) {
  EXPECT_HAS(error_of([] { parse_csv("", "empty.csv"); }), "empty.csv: empty file");
  EXPECT_HAS(error_of([] { parse_csv("\n\r\n\n", "blank.csv"); }), "blank.csv: empty file");
  const std::string open = error_of([] { parse_csv("a,b\n1,2\n3,\"never\nends\n", "open.csv"); });
  EXPECT_HAS(open, "open.csv:3: column 2: the quoted field never ends");
  const std::string after = error_of([] { parse_csv("a,b\n\"x\"y,2\n", "after.csv"); });
  EXPECT_HAS(after, "after.csv:2: column 1: unexpected 'y' after a closing quote");
  EXPECT_HAS(error_of([] { nnzero::read_csv("no/such/file.csv"); }), "no/such/file.csv");
}

TEST(Csv, WrittenFieldsReadBackTheSame) {
  const std::vector<Row> rows = {{"plain", "with,comma", "with \"quote\""},
                                 {"two\nlines", "", " padded "},
                                 {"crlf\r\ninside", "-1.5e3", "\"\""}};
  std::string text = nnzero::csv_line({"a", "b", "c"});
  for (const Row& r : rows) text += nnzero::csv_line(r);
  const CsvTable t = parse_csv(text, "round.csv");
  EXPECT_EQ(t.rows, rows);
  EXPECT_EQ(nnzero::csv_field("simple"), "simple");
  EXPECT_EQ(nnzero::csv_field("a\"b"), "\"a\"\"b\"");
  // A lone empty field must not turn into a blank line, which the reader would skip.
  EXPECT_EQ(parse_csv("v\n" + nnzero::csv_line({""}), "e").num_rows(), 1);
}
