#pragma once

// CivilDate: a calendar day with no time and no zone (the platform's business
// day, China time), stored as days since 1970-01-01 so that the difference of
// two dates is a subtraction; and China time, in which business days begin.
//
// Years 1900..9999 only: parsing refuses the rest, and arithmetic asserts it
// stays inside, so every conversion is exact in 32-bit integers.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/status.h"

namespace netfin::core {

inline constexpr int32_t kCivilYearMin = 1900;
inline constexpr int32_t kCivilYearMax = 9999;

bool IsLeapYear(int32_t year);
// REQUIRES: 1 <= month <= 12.
uint32_t DaysInMonth(int32_t year, uint32_t month);

struct YearMonthDay {
  int32_t year = 1970;
  uint32_t month = 1;  // 1..12
  uint32_t day = 1;    // 1..DaysInMonth
};

class CivilDate {
 public:
  constexpr CivilDate() = default;  // 1970-01-01

  // REQUIRES: the date exists and its year is in range (IsValid).
  static CivilDate FromYmd(int32_t year, uint32_t month, uint32_t day);
  static CivilDate FromDaysSinceEpoch(int32_t days);
  static bool IsValid(int32_t year, uint32_t month, uint32_t day);
  // Strictly "YYYY-MM-DD" (ISO 8601 calendar date); anything else is refused
  // with a message that quotes the text.
  static Result<CivilDate> Parse(std::string_view text);

  int32_t days_since_epoch() const { return days_; }
  YearMonthDay ToYmd() const;
  uint32_t day() const { return ToYmd().day; }
  std::string ToString() const;  // "YYYY-MM-DD"

  CivilDate AddDays(int32_t days) const;
  // The same day `months` months later (or earlier), clamped to the end of a
  // shorter month: 2024-01-31 + 1 month = 2024-02-29. Schedules always add to
  // one anchor (anchor + k months), never month by month, so a 31st anchor
  // gives 31st, 29th/28th, 31st, 30th... and does not drift to the 28th.
  CivilDate AddMonths(int32_t months) const;

  friend constexpr auto operator<=>(CivilDate, CivilDate) = default;

 private:
  explicit constexpr CivilDate(int32_t days) : days_(days) {}
  int32_t days_ = 0;
};

// to - from, in days (negative when to is earlier).
inline int32_t DaysBetween(CivilDate from, CivilDate to) {
  return to.days_since_epoch() - from.days_since_epoch();
}

// China Standard Time is UTC+8 all year (no daylight saving since 1991):
// the platform's business day, settlement cut-offs and hours of the day.
inline constexpr uint64_t kChinaUtcOffsetNs = 8ull * 3600 * kNanosPerSecond;

// The business day (China time) of a moment given in ns since the Unix epoch.
CivilDate ChinaDate(uint64_t timestamp_ns);
// The moment (ns since the Unix epoch) a business day begins in China time.
// REQUIRES: date >= 1970-01-02 (earlier days begin before the epoch).
uint64_t ChinaDayStartNs(CivilDate date);

}  // namespace netfin::core
