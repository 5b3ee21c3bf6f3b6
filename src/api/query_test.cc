#include "api/query.h"

#include <gtest/gtest.h>

#include "core/limits.h"

namespace netfin::api {
namespace {

PageQuery Parse(std::string_view query, PageKind kind = PageKind::kTransfers) {
  PageQuery page;
  ApiError error;
  EXPECT_TRUE(ParsePageQuery(query, kind, &page, &error)) << query << ": " << error.message;
  return page;
}

ApiError Refused(std::string_view query, PageKind kind = PageKind::kTransfers) {
  PageQuery page;
  ApiError error;
  EXPECT_FALSE(ParsePageQuery(query, kind, &page, &error)) << query;
  EXPECT_EQ(error.code, ErrorCode::kInvalidQuery) << query;
  return error;
}

TEST(Query, DefaultsAreEverythingAscendingOneDefaultPage) {
  const PageQuery page = Parse("");
  EXPECT_EQ(page.filter.limit, core::kQueryLimitDefault);
  EXPECT_EQ(page.filter.timestamp_min, 0u);
  EXPECT_EQ(page.filter.timestamp_max, 0u);
  EXPECT_TRUE(page.filter.debits);
  EXPECT_TRUE(page.filter.credits);
  EXPECT_FALSE(page.filter.reversed);
  EXPECT_FALSE(page.exhausted);
}

TEST(Query, EveryParameterIsRead) {
  const PageQuery page = Parse("timestamp_min=5&timestamp_max=9&limit=8190&side=debits&order=desc");
  EXPECT_EQ(page.filter.timestamp_min, 5u);
  EXPECT_EQ(page.filter.timestamp_max, 9u);
  EXPECT_EQ(page.filter.limit, core::kQueryLimitMax);
  EXPECT_TRUE(page.filter.debits);
  EXPECT_FALSE(page.filter.credits);
  EXPECT_TRUE(page.filter.reversed);
  EXPECT_FALSE(Parse("side=credits").filter.debits);
  EXPECT_TRUE(Parse("side=both").filter.debits);
  EXPECT_EQ(Parse("limit=1").filter.limit, 1u);
  EXPECT_EQ(Parse("timestamp_min=7&timestamp_max=7").filter.timestamp_min, 7u);
}

TEST(Query, MalformedParametersAreInvalidQuery) {
  for (const char* query : {"limit=0", "limit=8191", "limit=-1", "limit=1x", "limit=", "limit",
                            "limit=1&limit=2", "page=2", "side=left", "order=up", "timestamp_min=a",
                            "timestamp_min=9&timestamp_max=5", "timestamp_max=18446744073709551616",
                            "cursor=zz", "&", "limit=%31", "a=1&b=2&c=3&d=4&e=5&f=6&g=7"}) {
    Refused(query);
  }
  EXPECT_EQ(Refused("side=debits", PageKind::kBalances).message,
            "parameter \"side\" applies to transfers only");
}

TEST(Query, CursorsRoundTrip) {
  for (const Cursor cursor : {Cursor{false, 0}, Cursor{true, 1}, Cursor{false, UINT64_MAX},
                              Cursor{true, 0x0123456789abcdefull}}) {
    const std::optional<Cursor> decoded = DecodeCursor(EncodeCursor(cursor));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->reversed, cursor.reversed);
    EXPECT_EQ(decoded->timestamp_last, cursor.timestamp_last);
  }
  EXPECT_FALSE(DecodeCursor(""));
  EXPECT_FALSE(DecodeCursor("1a000000000000000"));   // short
  EXPECT_FALSE(DecodeCursor("2a0000000000000000"));  // other version
  EXPECT_FALSE(DecodeCursor("1x0000000000000000"));  // direction
  EXPECT_FALSE(DecodeCursor("1a000000000000000G"));  // not hex
  EXPECT_FALSE(DecodeCursor("1a000000000000000A"));  // upper case is not ours
}

TEST(Query, CursorContinuesAfterItsItem) {
  const std::string asc = EncodeCursor({false, 100});
  PageQuery page = Parse("cursor=" + asc + "&timestamp_min=50");
  EXPECT_EQ(page.filter.timestamp_min, 101u);
  EXPECT_FALSE(page.filter.reversed);
  page = Parse("cursor=" + asc + "&timestamp_min=500");
  EXPECT_EQ(page.filter.timestamp_min, 500u);  // the tighter bound wins

  const std::string desc = EncodeCursor({true, 100});
  page = Parse("cursor=" + desc);
  EXPECT_TRUE(page.filter.reversed);  // the cursor carries the order
  EXPECT_EQ(page.filter.timestamp_max, 99u);
  page = Parse("cursor=" + desc + "&order=desc&timestamp_max=20");
  EXPECT_EQ(page.filter.timestamp_max, 20u);
  EXPECT_EQ(Refused("cursor=" + desc + "&order=asc").message, "cursor belongs to the other order");
}

TEST(Query, CursorPastTheRangeIsExhausted) {
  EXPECT_TRUE(Parse("cursor=" + EncodeCursor({false, UINT64_MAX})).exhausted);
  EXPECT_TRUE(Parse("cursor=" + EncodeCursor({true, 1})).exhausted);
  EXPECT_FALSE(Parse("cursor=" + EncodeCursor({true, 2})).exhausted);
  EXPECT_TRUE(Parse("timestamp_max=100&cursor=" + EncodeCursor({false, 100})).exhausted);
  EXPECT_FALSE(Parse("timestamp_max=101&cursor=" + EncodeCursor({false, 100})).exhausted);
  EXPECT_TRUE(Parse("timestamp_min=100&cursor=" + EncodeCursor({true, 100})).exhausted);
}

TEST(Query, NextCursorOnlyAfterAFullPage) {
  store::AccountFilter filter;
  filter.limit = 3;
  EXPECT_FALSE(NextCursor(filter, 0, 0));
  EXPECT_FALSE(NextCursor(filter, 2, 10));
  const std::optional<std::string> next = NextCursor(filter, 3, 10);
  ASSERT_TRUE(next);
  EXPECT_EQ(DecodeCursor(*next)->timestamp_last, 10u);
}

}  // namespace
}  // namespace netfin::api
