#pragma once

// The calendar (core/civil_date.h) as the credit role names it, and the
// day-count conventions for interest by days.

#include <cstdint>
#include <string_view>

#include "core/civil_date.h"

namespace netfin::credit {

using core::CivilDate;
using core::DaysBetween;
using core::DaysInMonth;
using core::IsLeapYear;
using core::kCivilYearMax;
using core::kCivilYearMin;
using core::YearMonthDay;

// How a day count turns days into a fraction of a year for interest:
// actual days over a 365-day year (Actual/365 Fixed, PBoC practice for RMB
// loans) or over a 360-day year (Actual/360, common for trade finance).
// DO NOT RENUMBER: persisted with each loan.
enum class DayCount : uint8_t {
  kActual365 = 1,
  kActual360 = 2,
};

uint32_t DayCountBasisDays(DayCount day_count);
std::string_view DayCountName(DayCount day_count);  // "act365", "act360"

}  // namespace netfin::credit
