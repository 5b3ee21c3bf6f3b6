#pragma once

// Repayment schedules: the instalments of a loan, each split into principal,
// interest and fee in whole fen.
//
// Methods (formulas and worked examples in docs/credit.md):
//   equal instalment  (等额本息) the annuity payment A each month, exact and
//                     rounded once; interest on the balance, principal = A - interest
//   equal principal   (等额本金) principal P/n each month, interest on the balance
//   interest first    (先息后本) interest on the full principal, principal at the end
//   flat fee          (分期手续费) fee = P x monthly fee rate each month, principal P/n,
//                     no interest
// Interest per period is either a month's rate on the balance (annual / 12) or
// the rate over the period's actual days by a day-count convention.
//
// Rounding: every rounded figure goes through core::MultiplyRateRoundHalfEven
// or core::DivideRoundHalfEven (half to even). Equal principal parts are
// floor(P / n), an exact split; whatever is left over (the remainder, and in
// an annuity the drift of rounded interest) is put on the last instalment, so
// the principal parts always sum exactly to the principal and none is negative.

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "credit/civil_date.h"
#include "credit/credit_result.h"

namespace netfin::credit {

// DO NOT RENUMBER: persisted with each loan and product.
enum class ScheduleMethod : uint8_t {
  kEqualInstalment = 1,
  kEqualPrincipal = 2,
  kInterestFirst = 3,
  kFlatFee = 4,
};

// DO NOT RENUMBER: persisted with each loan and product.
enum class InterestBasis : uint8_t {
  kMonthlyRate = 1,  // a period's interest = balance x annual rate / 12
  kDayCount = 2,     // a period's interest = balance x annual rate x days / basis days
};

std::string_view ScheduleMethodName(ScheduleMethod method);  // "equal_instalment", ...
std::string_view InterestBasisName(InterestBasis basis);     // "monthly_rate", "day_count"

struct ScheduleTerms {
  core::AmountMinor principal_minor = 0;
  uint32_t terms = 0;  // instalments, one a month
  ScheduleMethod method = ScheduleMethod::kEqualInstalment;
  uint32_t annual_interest_bps = 0;
  uint32_t monthly_fee_bps = 0;  // of the original principal, each month
  InterestBasis interest_basis = InterestBasis::kMonthlyRate;
  DayCount day_count = DayCount::kActual365;
  CivilDate start_date;  // disbursement: interest runs from this day
  // Instalment k is due k - 1 months after the first due date. When the first
  // due date is the start plus one month (anniversary dates), instalment k is
  // due the start plus k months instead, so that a loan of the 31st falls due
  // on the 31st or the month's last day and never drifts to the 28th.
  CivilDate first_due_date;

  friend bool operator==(const ScheduleTerms&, const ScheduleTerms&) = default;
};

struct Instalment {
  uint32_t number = 0;     // 1..terms
  CivilDate period_start;  // the previous due date (the start date for the first)
  CivilDate due_date;
  core::AmountMinor principal_minor = 0;
  core::AmountMinor interest_minor = 0;
  core::AmountMinor fee_minor = 0;
  core::AmountMinor balance_after_minor = 0;  // principal still owed after it is paid

  // The days of interest: due_date - period_start.
  uint32_t period_days() const {
    return static_cast<uint32_t>(DaysBetween(period_start, due_date));
  }
  core::AmountMinor total_minor() const { return principal_minor + interest_minor + fee_minor; }
  friend bool operator==(const Instalment&, const Instalment&) = default;
};

struct Schedule {
  std::vector<Instalment> instalments;
  core::AmountMinor principal_total_minor = 0;
  core::AmountMinor interest_total_minor = 0;
  core::AmountMinor fee_total_minor = 0;

  core::AmountMinor total_minor() const {
    return principal_total_minor + interest_total_minor + fee_total_minor;
  }
};

// Whether a loan may start on `date`: its schedule, statements and billing
// days (a month before, up to kTermsMax months and more after) must stay in
// the years CivilDate supports. 1901..9989.
bool IsLoanStartDateInRange(CivilDate date);

// Checks terms: principal 1..kPrincipalMinorMax (kPrincipalOutOfRange), terms
// 1..kTermsMax (kTermsOutOfRange), rates within their maxima (kRateOutOfRange),
// the first due date 1..kFirstPeriodDaysMax days after a start date in range
// (kDueDateInvalid).
CreditResult CheckScheduleTerms(const ScheduleTerms& terms);

// Builds the schedule into *schedule (replacing its content). Refuses, leaving
// *schedule untouched, with CheckScheduleTerms's codes.
CreditResult BuildSchedule(const ScheduleTerms& terms, Schedule* schedule);

// The due date of instalment k (1-based), as described at first_due_date.
CivilDate DueDateOf(const ScheduleTerms& terms, uint32_t k);

// One period's interest on `balance` (see InterestBasis), rounded half to even.
// REQUIRES: the terms passed CheckScheduleTerms; balance <= principal.
core::AmountMinor PeriodInterestMinor(const ScheduleTerms& terms, core::AmountMinor balance_minor,
                                      uint32_t period_days);

}  // namespace netfin::credit
