#include "credit/schedule.h"

#include <algorithm>

#include "core/assert.h"
#include "credit/annuity.h"
#include "credit/credit_limits.h"

namespace netfin::credit {
namespace {

constexpr uint64_t kMonthsPerYear = 12;

// Multiplies by a rate; the limits make overflow impossible, so it is a bug.
core::AmountMinor MultiplyRate(core::AmountMinor amount, uint64_t rate, uint64_t scale) {
  core::AmountMinor result = 0;
  NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(amount, rate, scale, &result));
  return result;
}

// The principal part of instalment `number` before the last-instalment
// remainder: equal parts of floor(P / n), an exact split.
core::AmountMinor EqualPart(core::AmountMinor principal, uint32_t terms) {
  NETFIN_ASSERT(terms > 0);
  return principal / terms;
}

// The principal to repay in instalment k (1-based) under `method`, given the
// balance before it and that instalment's interest. The last instalment takes
// the whole balance, which is where remainders land.
core::AmountMinor PrincipalPart(const ScheduleTerms& terms, uint32_t k, core::AmountMinor balance,
                                core::AmountMinor interest, core::AmountMinor annuity) {
  if (k == terms.terms) return balance;
  switch (terms.method) {
    case ScheduleMethod::kEqualInstalment:
      // Interest above the payment (extreme rates with a long day-count period)
      // repays nothing that month rather than a negative amount.
      return std::min(annuity > interest ? annuity - interest : 0, balance);
    case ScheduleMethod::kEqualPrincipal:
    case ScheduleMethod::kFlatFee:
      return std::min(EqualPart(terms.principal_minor, terms.terms), balance);
    case ScheduleMethod::kInterestFirst:
      return 0;
  }
  NETFIN_ASSERT(false);
  return 0;
}

}  // namespace

std::string_view ScheduleMethodName(ScheduleMethod method) {
  switch (method) {
    case ScheduleMethod::kEqualInstalment:
      return "equal_instalment";
    case ScheduleMethod::kEqualPrincipal:
      return "equal_principal";
    case ScheduleMethod::kInterestFirst:
      return "interest_first";
    case ScheduleMethod::kFlatFee:
      return "flat_fee";
  }
  return "unknown";
}

std::string_view InterestBasisName(InterestBasis basis) {
  switch (basis) {
    case InterestBasis::kMonthlyRate:
      return "monthly_rate";
    case InterestBasis::kDayCount:
      return "day_count";
  }
  return "unknown";
}

CreditResult CheckScheduleTerms(const ScheduleTerms& terms) {
  if (terms.principal_minor == 0 || terms.principal_minor > kPrincipalMinorMax) {
    return CreditResult::kPrincipalOutOfRange;
  }
  if (terms.terms == 0 || terms.terms > kTermsMax) return CreditResult::kTermsOutOfRange;
  if (terms.annual_interest_bps > kAnnualInterestBpsMax ||
      terms.monthly_fee_bps > kMonthlyFeeBpsMax) {
    return CreditResult::kRateOutOfRange;
  }
  const int32_t first_days = DaysBetween(terms.start_date, terms.first_due_date);
  if (first_days < 1 || first_days > static_cast<int32_t>(kFirstPeriodDaysMax)) {
    return CreditResult::kDueDateInvalid;
  }
  if (!IsLoanStartDateInRange(terms.start_date)) return CreditResult::kDueDateInvalid;
  return CreditResult::kOk;
}

bool IsLoanStartDateInRange(CivilDate date) {
  // A month before (statement dates) and kTermsMax months plus two cycles
  // after (due dates) stay within kCivilYearMin..kCivilYearMax.
  static_assert(kTermsMax <= 12 * 8);
  const int32_t year = date.ToYmd().year;
  return year > kCivilYearMin && year < kCivilYearMax - 9;
}

CivilDate DueDateOf(const ScheduleTerms& terms, uint32_t k) {
  NETFIN_ASSERT(k >= 1 && k <= kTermsMax);
  if (terms.first_due_date == terms.start_date.AddMonths(1)) {
    return terms.start_date.AddMonths(static_cast<int32_t>(k));
  }
  return terms.first_due_date.AddMonths(static_cast<int32_t>(k - 1));
}

core::AmountMinor PeriodInterestMinor(const ScheduleTerms& terms, core::AmountMinor balance_minor,
                                      uint32_t period_days) {
  NETFIN_ASSERT(balance_minor <= terms.principal_minor);
  NETFIN_ASSERT(period_days <= kFirstPeriodDaysMax);
  switch (terms.interest_basis) {
    case InterestBasis::kMonthlyRate:
      return MultiplyRate(balance_minor, terms.annual_interest_bps, kBpsScale * kMonthsPerYear);
    case InterestBasis::kDayCount:
      return MultiplyRate(balance_minor, uint64_t{terms.annual_interest_bps} * period_days,
                          kBpsScale * DayCountBasisDays(terms.day_count));
  }
  NETFIN_ASSERT(false);
  return 0;
}

CreditResult BuildSchedule(const ScheduleTerms& terms, Schedule* schedule) {
  const CreditResult checked = CheckScheduleTerms(terms);
  if (checked != CreditResult::kOk) return checked;
  core::AmountMinor annuity = 0;
  if (terms.method == ScheduleMethod::kEqualInstalment) {
    NETFIN_ASSERT(AnnuityPaymentMinor(terms.principal_minor, terms.annual_interest_bps, terms.terms,
                                      &annuity));
  }
  const core::AmountMinor fee =
      MultiplyRate(terms.principal_minor, terms.monthly_fee_bps, kBpsScale);
  // Point of no return.
  schedule->instalments.clear();
  schedule->instalments.reserve(terms.terms);
  schedule->principal_total_minor = 0;
  schedule->interest_total_minor = 0;
  schedule->fee_total_minor = 0;
  core::AmountMinor balance = terms.principal_minor;
  CivilDate period_start = terms.start_date;
  for (uint32_t k = 1; k <= terms.terms; ++k) {
    Instalment& line = schedule->instalments.emplace_back();
    line.number = k;
    line.period_start = period_start;
    line.due_date = DueDateOf(terms, k);
    line.interest_minor = PeriodInterestMinor(terms, balance, line.period_days());
    line.principal_minor = PrincipalPart(terms, k, balance, line.interest_minor, annuity);
    line.fee_minor = fee;
    balance -= line.principal_minor;
    line.balance_after_minor = balance;
    schedule->principal_total_minor += line.principal_minor;
    schedule->interest_total_minor += line.interest_minor;
    schedule->fee_total_minor += line.fee_minor;
    period_start = line.due_date;
  }
  NETFIN_ASSERT(balance == 0);
  NETFIN_ASSERT(schedule->principal_total_minor == terms.principal_minor);
  return CreditResult::kOk;
}

}  // namespace netfin::credit
