#include "core/civil_date.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/assert.h"

namespace netfin::core {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public domain), for the
// proleptic Gregorian calendar: exact for every year in range.
int32_t DaysFromCivil(int32_t year, uint32_t month, uint32_t day) {
  const int32_t y = year - (month <= 2 ? 1 : 0);
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const uint32_t yoe = static_cast<uint32_t>(y - era * 400);                      // [0, 399]
  const uint32_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;  // [0, 365]
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                     // [0, 146096]
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

YearMonthDay CivilFromDays(int32_t days) {
  const int32_t z = days + 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const uint32_t doe = static_cast<uint32_t>(z - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  YearMonthDay ymd;
  ymd.day = doy - (153 * mp + 2) / 5 + 1;
  ymd.month = mp < 10 ? mp + 3 : mp - 9;
  ymd.year = static_cast<int32_t>(yoe) + era * 400 + (ymd.month <= 2 ? 1 : 0);
  return ymd;
}

const int32_t kDaysMin = DaysFromCivil(kCivilYearMin, 1, 1);
const int32_t kDaysMax = DaysFromCivil(kCivilYearMax, 12, 31);

// Parses exactly `width` ASCII digits.
bool ParseDigits(std::string_view text, size_t width, uint32_t* value) {
  if (text.size() != width) return false;
  uint32_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  *value = v;
  return true;
}

}  // namespace

bool IsLeapYear(int32_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

uint32_t DaysInMonth(int32_t year, uint32_t month) {
  NETFIN_ASSERT(month >= 1 && month <= 12);
  constexpr uint32_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (month == 2 && IsLeapYear(year)) ? 29 : kDays[month - 1];
}

bool CivilDate::IsValid(int32_t year, uint32_t month, uint32_t day) {
  if (year < kCivilYearMin || year > kCivilYearMax) return false;
  if (month < 1 || month > 12) return false;
  return day >= 1 && day <= DaysInMonth(year, month);
}

CivilDate CivilDate::FromYmd(int32_t year, uint32_t month, uint32_t day) {
  NETFIN_ASSERT(IsValid(year, month, day));
  return CivilDate(DaysFromCivil(year, month, day));
}

CivilDate CivilDate::FromDaysSinceEpoch(int32_t days) {
  NETFIN_ASSERT(days >= kDaysMin && days <= kDaysMax);
  return CivilDate(days);
}

Result<CivilDate> CivilDate::Parse(std::string_view text) {
  uint32_t year = 0, month = 0, day = 0;
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                      ParseDigits(text.substr(0, 4), 4, &year) &&
                      ParseDigits(text.substr(5, 2), 2, &month) &&
                      ParseDigits(text.substr(8, 2), 2, &day);
  if (!shaped) {
    return InvalidArgument(fmt::format("date \"{}\": expected YYYY-MM-DD", text));
  }
  if (!IsValid(static_cast<int32_t>(year), month, day)) {
    return InvalidArgument(
        fmt::format("date \"{}\": no such day (years {}..{})", text, kCivilYearMin, kCivilYearMax));
  }
  return FromYmd(static_cast<int32_t>(year), month, day);
}

YearMonthDay CivilDate::ToYmd() const { return CivilFromDays(days_); }

std::string CivilDate::ToString() const {
  const YearMonthDay ymd = ToYmd();
  return fmt::format("{:04}-{:02}-{:02}", ymd.year, ymd.month, ymd.day);
}

CivilDate CivilDate::AddDays(int32_t days) const {
  NETFIN_ASSERT(days >= kDaysMin - kDaysMax && days <= kDaysMax - kDaysMin);
  return FromDaysSinceEpoch(days_ + days);
}

CivilDate CivilDate::AddMonths(int32_t months) const {
  NETFIN_ASSERT(months >= -12 * 10000 && months <= 12 * 10000);
  const YearMonthDay ymd = ToYmd();
  const int32_t index = ymd.year * 12 + static_cast<int32_t>(ymd.month) - 1 + months;
  const int32_t year = index >= 0 ? index / 12 : (index - 11) / 12;
  const uint32_t month = static_cast<uint32_t>(index - year * 12) + 1;
  NETFIN_ASSERT(year >= kCivilYearMin && year <= kCivilYearMax);
  const uint32_t day = std::min(ymd.day, DaysInMonth(year, month));
  return FromYmd(year, month, day);
}

namespace {
constexpr uint64_t kDayNs = 86'400ull * kNanosPerSecond;
}  // namespace

CivilDate ChinaDate(uint64_t timestamp_ns) {
  return CivilDate::FromDaysSinceEpoch(
      static_cast<int32_t>((timestamp_ns + kChinaUtcOffsetNs) / kDayNs));
}

uint64_t ChinaDayStartNs(CivilDate date) {
  NETFIN_ASSERT(date.days_since_epoch() >= 1);
  return static_cast<uint64_t>(date.days_since_epoch()) * kDayNs - kChinaUtcOffsetNs;
}

}  // namespace netfin::core
