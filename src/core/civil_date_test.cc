#include "core/civil_date.h"

#include <gtest/gtest.h>

namespace netfin::core {
namespace {

CivilDate D(const char* text) { return CivilDate::Parse(text).value(); }

TEST(CivilDateTest, EpochAndKnownDays) {
  EXPECT_EQ(CivilDate().days_since_epoch(), 0);
  EXPECT_EQ(D("1970-01-01").days_since_epoch(), 0);
  EXPECT_EQ(D("2000-03-01").days_since_epoch(), 11017);
  EXPECT_EQ(D("1969-12-31").days_since_epoch(), -1);
  EXPECT_EQ(D("2024-02-29").ToString(), "2024-02-29");
  EXPECT_EQ(D("1900-01-01").ToString(), "1900-01-01");
  EXPECT_EQ(D("9999-12-31").ToString(), "9999-12-31");
}

TEST(CivilDateTest, RoundTripsEveryDayFor200Years) {
  const int32_t first = D("1900-01-01").days_since_epoch();
  const int32_t last = D("2100-12-31").days_since_epoch();
  YearMonthDay previous = CivilDate::FromDaysSinceEpoch(first - 0).ToYmd();
  for (int32_t d = first + 1; d <= last; ++d) {
    const CivilDate date = CivilDate::FromDaysSinceEpoch(d);
    const YearMonthDay ymd = date.ToYmd();
    ASSERT_EQ(CivilDate::FromYmd(ymd.year, ymd.month, ymd.day), date);
    // Consecutive: the next day of the month, or the 1st after the month's last day.
    if (ymd.day != 1) {
      ASSERT_EQ(ymd.day, previous.day + 1);
    } else {
      ASSERT_EQ(previous.day, DaysInMonth(previous.year, previous.month));
    }
    previous = ymd;
  }
}

TEST(CivilDateTest, ParseRefusesAnythingButAnExistingIsoDate) {
  for (const char* bad :
       {"", "2024-1-01", "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01 ", " 2024-01-01",
        "2024-01-01T00:00", "abcd-ef-gh", "2024-00-10", "2024-13-01", "2024-02-30", "2023-02-29",
        "2100-02-29", "1899-12-31", "+024-01-01"}) {
    auto parsed = CivilDate::Parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find('"'), std::string::npos);
    }
  }
  EXPECT_TRUE(CivilDate::Parse("2000-02-29").ok());  // divisible by 400: a leap year
}

TEST(CivilDateTest, AddMonthsClampsToTheEndOfShorterMonths) {
  const CivilDate jan31 = D("2024-01-31");
  EXPECT_EQ(jan31.AddMonths(1), D("2024-02-29"));
  EXPECT_EQ(jan31.AddMonths(2), D("2024-03-31"));  // from the anchor: no drift to the 29th
  EXPECT_EQ(jan31.AddMonths(3), D("2024-04-30"));
  EXPECT_EQ(jan31.AddMonths(13), D("2025-02-28"));
  EXPECT_EQ(jan31.AddMonths(0), jan31);
  EXPECT_EQ(D("2024-03-31").AddMonths(-1), D("2024-02-29"));
  EXPECT_EQ(D("2024-12-15").AddMonths(1), D("2025-01-15"));
  EXPECT_EQ(D("2025-01-15").AddMonths(-13), D("2023-12-15"));
  EXPECT_EQ(D("2024-02-29").AddMonths(12), D("2025-02-28"));
  EXPECT_EQ(D("2024-02-29").AddMonths(48), D("2028-02-29"));
}

TEST(CivilDateTest, DaysBetweenAndAddDays) {
  EXPECT_EQ(DaysBetween(D("2024-01-31"), D("2024-02-29")), 29);
  EXPECT_EQ(DaysBetween(D("2024-02-29"), D("2024-01-31")), -29);
  EXPECT_EQ(DaysBetween(D("2023-01-01"), D("2024-01-01")), 365);
  EXPECT_EQ(DaysBetween(D("2024-01-01"), D("2025-01-01")), 366);
  EXPECT_EQ(D("2024-02-28").AddDays(1), D("2024-02-29"));
  EXPECT_EQ(D("2024-03-01").AddDays(-1), D("2024-02-29"));
  EXPECT_LT(D("2024-03-01"), D("2024-03-02"));
}

TEST(CivilDateTest, LeapYearsAndMonthLengths) {
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_FALSE(IsLeapYear(2023));
  EXPECT_EQ(DaysInMonth(2024, 2), 29u);
  EXPECT_EQ(DaysInMonth(2023, 2), 28u);
  EXPECT_EQ(DaysInMonth(2023, 4), 30u);
  EXPECT_EQ(DaysInMonth(2023, 12), 31u);
}

// 2026-11-25 00:00 China time is 2026-11-24 16:00 UTC.
constexpr uint64_t k20261125ChinaMidnightNs = 1'795'536'000ull * kNanosPerSecond;

TEST(ChinaDateTest, TheChinaDayBeginsAtSixteenUtc) {
  EXPECT_EQ(ChinaDate(k20261125ChinaMidnightNs - 1).ToString(), "2026-11-24");
  EXPECT_EQ(ChinaDate(k20261125ChinaMidnightNs).ToString(), "2026-11-25");
  EXPECT_EQ(ChinaDate(0).ToString(), "1970-01-01");
  EXPECT_EQ(ChinaDayStartNs(D("2026-11-25")), k20261125ChinaMidnightNs);
  for (const char* text : {"1970-01-02", "2000-02-29", "2026-12-31", "2200-01-01"}) {
    const CivilDate date = D(text);
    EXPECT_EQ(ChinaDate(ChinaDayStartNs(date)), date) << text;
    EXPECT_EQ(ChinaDate(ChinaDayStartNs(date) - 1), date.AddDays(-1)) << text;
  }
}

}  // namespace
}  // namespace netfin::core
