#pragma once

// Repayments over a Loan value: what is due, what an early payoff costs, and
// how a payment is split.
//
// Allocation order (docs/credit.md): penalty interest first, then fees, then
// interest, then principal; within each, the oldest instalment first. Only
// billed instalments (statement date on or before the payment date) can be
// paid by a regular repayment; paying more than is due is refused rather than
// guessed at. An early payoff repays everything with interest only to the day:
// the current period's interest for the days elapsed, no interest or fee for
// periods not yet begun, and the fee of the current period only if it has
// been billed. A payoff closes the loan.
//
// Dates: a repayment belongs to the open business day, the day after the
// loan's last day-end (last_run_date + 1). Penalty has accrued up to there.

#include <cstdint>

#include "core/money.h"
#include "credit/civil_date.h"
#include "credit/credit_result.h"
#include "credit/loan.h"

namespace netfin::credit {

struct Allocation {
  core::AmountMinor penalty_minor = 0;
  core::AmountMinor fee_minor = 0;
  core::AmountMinor interest_minor = 0;
  core::AmountMinor principal_minor = 0;

  core::AmountMinor total_minor() const {
    return penalty_minor + fee_minor + interest_minor + principal_minor;
  }
  friend bool operator==(const Allocation&, const Allocation&) = default;
};

// DO NOT RENUMBER: persisted with each repayment.
enum class RepaymentKind : uint8_t {
  kRegular = 1,  // up to what is billed and unpaid; less is a partial repayment
  kPayoff = 2,   // repays the loan in full, early, for exactly PayoffQuote
};

struct Repayment {
  CivilDate date;
  core::AmountMinor amount_minor = 0;
  RepaymentKind kind = RepaymentKind::kRegular;
};

// Billed and unpaid on `date`, penalty included: what keeps the loan current
// (the statement's minimum payment: netfin does not offer revolving credit).
Allocation AmountDue(const Loan& loan, CivilDate date);

// What repays the loan in full on `date`.
Allocation PayoffQuote(const Loan& loan, CivilDate date);

// Whether a repayment may be dated `date`: kLoanPaidOff (also for a converted
// bill), kLoanWrittenOff, kDayClosed (its day-end has run), kDayEndBehind (an
// earlier day-end has not run).
CreditResult CheckRepaymentDate(const Loan& loan, CivilDate date);

// Applies a repayment. Refuses, changing nothing, with CheckRepaymentDate's
// codes, kZeroAmount, kExceedsAmountDue (regular) or kPayoffAmountMismatch.
// *applied receives the split. The loan becomes kPaidOff when nothing is left.
CreditResult ApplyRepayment(const Repayment& repayment, Loan* loan, Allocation* applied);

// Interest of one instalment for the days from its period start to `date`
// (interest to the day), rounded half to even; the whole interest at or after
// the due date, none before the period starts.
core::AmountMinor InterestToDayMinor(const Instalment& instalment, CivilDate date);

}  // namespace netfin::credit
