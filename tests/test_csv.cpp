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

TEST(Csv, AcceptsCrOnlyLineEndingsAsWellAsLfAndCrlf) {
  // Old Mac files end lines in a lone CR; until they were read as such, every row ran into
  // the header and gave duplicate column names.
  const CsvTable cr = parse_csv("a,b\r1,2\r3,4\r", "cr.csv");
  EXPECT_EQ(cr.header, (Row{"a", "b"}));
  ASSERT_EQ(cr.num_rows(), 2);
  EXPECT_EQ(cr.rows[1], (Row{"3", "4"}));
  EXPECT_EQ(cr.lines, (std::vector<int64_t>{2, 3}));
  // The three endings mixed, a blank CR line, and a CR inside quotes kept as data.
  const CsvTable mixed = parse_csv("a,b\n1,2\r\n3,4\r\r5,\"x\ry\"\r6,7", "mixed.csv");
  ASSERT_EQ(mixed.num_rows(), 4);
  EXPECT_EQ(mixed.rows[2], (Row{"5", "x\ry"}));
  EXPECT_EQ(mixed.rows[3], (Row{"6", "7"}));
  EXPECT_EQ(mixed.lines, (std::vector<int64_t>{2, 3, 5, 7}));  // the quoted CR is a line too
}

TEST(Csv, RefusesBytesThatAreNotUtf8NamingTheLineAndColumn) {
  // Latin-1 "café": 0xE9 alone is not UTF-8.
  EXPECT_HAS(error_of([] { parse_csv("a,b\n1,x\n2,caf\xE9\n", "latin.csv"); }),
             "latin.csv:3: column 2: byte 0xE9 is not UTF-8");
  for (const char* bad : {"\xC0\xAF",          // overlong '/'
                          "\xED\xA0\x80",      // a UTF-16 surrogate
                          "\xF4\x90\x80\x80",  // past U+10FFFF
                          "\xE2\x82",          // truncated
                          "\x80"}) {           // a lone continuation byte
    EXPECT_HAS(error_of([&] { parse_csv(std::string("a\n") + bad + "\n", "b.csv"); }),
               "b.csv:2: column 1: byte 0x")
        << bad;
  }
  EXPECT_HAS(error_of([] { parse_csv("a,\xFF\n1,2\n", "header.csv"); }), "header.csv:1: column 2");
  // Valid UTF-8 of every length passes, in quoted fields too.
  const CsvTable ok = parse_csv("name,x\ncaf\xC3\xA9,1\n\"\xE6\x97\xA5, \xF0\x9F\x99\x82\",2\n");
  EXPECT_EQ(ok.rows[1][0], "\xE6\x97\xA5, \xF0\x9F\x99\x82");
}

TEST(Csv, RefusesNulBytesWithAMessageThatIsNotCutShort) {
  const std::string text("a,b\n1,ab\0c\n", 11);
  const std::string msg = error_of([&] { parse_csv(text, "nul.csv"); });
  EXPECT_HAS(msg, "nul.csv:2: column 2: a NUL byte");
  EXPECT_HAS(msg, "must be converted to UTF-8 first");  // the end of the message survives
  EXPECT_EQ(msg.find('\0'), std::string::npos);
  // A control byte after a closing quote is named by value, not printed raw.
  const std::string after = error_of([] { parse_csv("a\n\"x\"\x01\n", "ctl.csv"); });
  EXPECT_HAS(after, "ctl.csv:2: column 1: unexpected byte 0x01 after a closing quote");
}

TEST(Csv, ReadsAHundredThousandColumns) {
  std::string text;
  for (int row = 0; row < 3; ++row) {
    for (int c = 0; c < 100000; ++c) {
      if (c > 0) text += ',';
      if (row == 0) text += 'c';
      text += std::to_string(row == 0 ? c : c * row);
    }
    text += '\n';
  }
  const CsvTable t = parse_csv(text, "wide.csv");
  ASSERT_EQ(t.header.size(), 100000u);
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.header[99999], "c99999");
  EXPECT_EQ(t.rows[1][12345], "24690");
}

TEST(Csv, FileNamesEndingInCsv) {
  EXPECT_TRUE(nnzero::has_csv_extension("a/b.csv"));
  EXPECT_TRUE(nnzero::has_csv_extension("B.CSV.GZ"));
  EXPECT_FALSE(nnzero::has_csv_extension("data/mnist"));
  EXPECT_FALSE(nnzero::has_csv_extension("x.csv.bak"));
  EXPECT_EQ(nnzero::strip_csv_extension("dir/iris.csv"), "dir/iris");
  EXPECT_EQ(nnzero::strip_csv_extension("x.CSV.gz"), "x");
  EXPECT_EQ(nnzero::strip_csv_extension("notes.txt"), "notes.txt");
}

TEST(Csv, AFieldStartingWithAByteOrderMarkReadsBack) {
  // At the start of a file the reader skips a byte-order mark, so a first field that starts
  // with one is written quoted.
  const Row header = {"\xEF\xBB\xBFid", "b"};
  const std::string text = nnzero::csv_line(header) + nnzero::csv_line({"1", "2"});
  EXPECT_EQ(parse_csv(text, "bom").header, header);
}
