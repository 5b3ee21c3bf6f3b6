#include "ml/csv_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace netfin::ml {
namespace {

std::vector<std::string> RowOf(const CsvTable& table, size_t row) {
  const auto fields = table.Row(row);
  return std::vector<std::string>(fields.begin(), fields.end());
}

CsvTable MustParse(std::string text) {
  core::Result<CsvTable> table = CsvTable::Parse(std::move(text));
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return std::move(table).value();
}

TEST(CsvReader, QuotedHeaderAndFieldsWithCommasQuotesAndLineBreaks) {
  const CsvTable table = MustParse(
      "\"id\",\"note, with comma\",plain\n"
      "1,\"say \"\"hi\"\"\",x\n"
      "2,\"two\nlines\",\"\"\n"
      "3,,\"\"\"\"\n");
  EXPECT_EQ(table.header(), (std::vector<std::string>{"id", "note, with comma", "plain"}));
  ASSERT_EQ(table.row_count(), 3u);
  EXPECT_EQ(RowOf(table, 0), (std::vector<std::string>{"1", "say \"hi\"", "x"}));
  EXPECT_EQ(RowOf(table, 1), (std::vector<std::string>{"2", "two\nlines", ""}));
  EXPECT_EQ(RowOf(table, 2), (std::vector<std::string>{"3", "", "\""}));
  EXPECT_EQ(table.LineOfRow(0), 2u);
  EXPECT_EQ(table.LineOfRow(1), 3u);
  EXPECT_EQ(table.LineOfRow(2), 5u);  // the quoted line break took line 4
}

TEST(CsvReader, CrlfByteOrderMarkBlankLinesAndNoFinalNewline) {
  const CsvTable table = MustParse(
      "\xEF\xBB\xBF"
      "a,b\r\n1,2\r\n\r\n\n3,\"4\"\r\n5,6");
  EXPECT_EQ(table.header(), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(table.row_count(), 3u);
  EXPECT_EQ(RowOf(table, 0), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(RowOf(table, 1), (std::vector<std::string>{"3", "4"}));
  EXPECT_EQ(RowOf(table, 2), (std::vector<std::string>{"5", "6"}));
  EXPECT_EQ(table.LineOfRow(1), 5u);
  EXPECT_EQ(MustParse("\n\nh\n1\n").header_line(), 3u);
}

TEST(CsvReader, TrailingCommaIsAnEmptyLastField) {
  const CsvTable table = MustParse("a,b\n1,\n");
  EXPECT_EQ(RowOf(table, 0), (std::vector<std::string>{"1", ""}));
}

TEST(CsvReader, MovingAShortTableKeepsItsFieldsValid) {
  CsvTable moved = MustParse("a\n\"x\"\"\"\n");  // short enough for std::string's SSO
  CsvTable table = std::move(moved);
  EXPECT_EQ(table.header()[0], "a");
  EXPECT_EQ(table.Row(0)[0], "x\"");
}

struct ErrorCase {
  const char* text;
  const char* message;  // a part of the expected message
};

TEST(CsvReader, MalformedInputIsAnErrorNamingTheLine) {
  const ErrorCase cases[] = {
      {"", "empty file"},
      {"\n\r\n\n", "empty file"},
      {"\xEF\xBB\xBF", "empty file"},
      {"a,b\n1,2\n3\n", "line 3: 1 fields, but the header has 2"},
      {"a,b\n1,2,3\n", "line 2: 3 fields, but the header has 2"},
      {"a,b\n1,\"open\n", "line 2: unterminated quoted field"},
      {"a,b\n\"x\"y,2\n", "line 2: unexpected character after a closing quote"},
  };
  for (const ErrorCase& c : cases) {
    core::Result<CsvTable> table = CsvTable::Parse(c.text);
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(table.status().message().find(c.message), std::string::npos)
        << table.status().message();
  }
}

TEST(CsvReader, TooManyColumnsIsAnError) {
  std::string header = "c0";
  for (size_t i = 1; i <= kCsvColumnsMax; ++i) header += ",c" + std::to_string(i);
  core::Result<CsvTable> table = CsvTable::Parse(header + "\n");
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("line 1: more than"), std::string::npos);
}

}  // namespace
}  // namespace netfin::ml
