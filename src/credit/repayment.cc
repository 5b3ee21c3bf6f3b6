#include "credit/repayment.h"

#include <algorithm>

#include "core/assert.h"

namespace netfin::credit {
namespace {

bool Billed(const LoanInstalment& i, CivilDate date) { return i.statement_date <= date; }

// Takes up to *left from `owed` into *paid and *part.
void Take(core::AmountMinor owed, core::AmountMinor* left, core::AmountMinor* paid,
          core::AmountMinor* part) {
  const core::AmountMinor take = std::min(owed, *left);
  *left -= take;
  *paid += take;
  *part += take;
}

// Pays billed fees, then interest, then principal, oldest first: the regular
// allocation after the penalty.
void AllocateBilled(CivilDate date, core::AmountMinor* left, Loan* loan, Allocation* applied) {
  for (LoanInstalment& i : loan->instalments) {
    if (!Billed(i, date)) break;
    Take(i.fee_unpaid_minor(), left, &i.fee_paid_minor, &applied->fee_minor);
  }
  for (LoanInstalment& i : loan->instalments) {
    if (!Billed(i, date)) break;
    Take(i.interest_unpaid_minor(), left, &i.interest_paid_minor, &applied->interest_minor);
  }
  for (LoanInstalment& i : loan->instalments) {
    if (!Billed(i, date)) break;
    Take(i.principal_unpaid_minor(), left, &i.principal_paid_minor, &applied->principal_minor);
  }
}

// The interest and fee an early payoff owes for instalment i on `date`.
void PayoffOwed(const LoanInstalment& i, CivilDate date, core::AmountMinor* interest,
                core::AmountMinor* fee) {
  const core::AmountMinor to_day = InterestToDayMinor(i.scheduled, date);
  const core::AmountMinor interest_settled = i.interest_paid_minor + i.interest_waived_minor;
  // Interest paid ahead (a billed instalment paid before its due date) is kept.
  *interest = to_day > interest_settled
                  ? std::min(to_day - interest_settled, i.interest_unpaid_minor())
                  : 0;
  *fee = Billed(i, date) ? i.fee_unpaid_minor() : 0;
}

void CloseLoan(CivilDate date, Loan* loan) {
  loan->status = LoanStatus::kPaidOff;
  loan->closed_date = date;
  loan->penalty_carry_fen_ppm = 0;  // the sub-fen remainder is the borrower's
}

}  // namespace

core::AmountMinor InterestToDayMinor(const Instalment& instalment, CivilDate date) {
  const uint32_t period_days = instalment.period_days();
  NETFIN_ASSERT(period_days > 0);
  const int32_t days = DaysBetween(instalment.period_start, date);
  if (days <= 0) return 0;
  if (static_cast<uint32_t>(days) >= period_days) return instalment.interest_minor;
  core::AmountMinor interest = 0;
  NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(
      instalment.interest_minor, static_cast<uint64_t>(days), period_days, &interest));
  NETFIN_ASSERT(interest <= instalment.interest_minor);
  return interest;
}

Allocation AmountDue(const Loan& loan, CivilDate date) {
  Allocation due;
  due.penalty_minor = PenaltyUnpaidMinor(loan);
  for (const LoanInstalment& i : loan.instalments) {
    if (!Billed(i, date)) break;
    due.fee_minor += i.fee_unpaid_minor();
    due.interest_minor += i.interest_unpaid_minor();
    due.principal_minor += i.principal_unpaid_minor();
  }
  return due;
}

Allocation PayoffQuote(const Loan& loan, CivilDate date) {
  Allocation quote;
  quote.penalty_minor = PenaltyUnpaidMinor(loan);
  for (const LoanInstalment& i : loan.instalments) {
    quote.principal_minor += i.principal_unpaid_minor();
    core::AmountMinor interest = 0, fee = 0;
    PayoffOwed(i, date, &interest, &fee);
    quote.interest_minor += interest;
    quote.fee_minor += fee;
  }
  return quote;
}

CreditResult CheckRepaymentDate(const Loan& loan, CivilDate date) {
  switch (loan.status) {
    case LoanStatus::kActive:
      break;
    case LoanStatus::kPaidOff:
    case LoanStatus::kConverted:
      return CreditResult::kLoanPaidOff;
    case LoanStatus::kWrittenOff:
      return CreditResult::kLoanWrittenOff;
  }
  if (date <= loan.last_run_date) return CreditResult::kDayClosed;
  if (DaysBetween(loan.last_run_date, date) > 1) return CreditResult::kDayEndBehind;
  return CreditResult::kOk;
}

CreditResult ApplyRepayment(const Repayment& repayment, Loan* loan, Allocation* applied) {
  const CreditResult date_ok = CheckRepaymentDate(*loan, repayment.date);
  if (date_ok != CreditResult::kOk) return date_ok;
  if (repayment.amount_minor == 0) return CreditResult::kZeroAmount;
  const bool payoff = repayment.kind == RepaymentKind::kPayoff;
  // A payoff is checked against its quote, a regular repayment against what
  // is due: each kind computes only its own.
  const Allocation owed =
      payoff ? PayoffQuote(*loan, repayment.date) : AmountDue(*loan, repayment.date);
  if (payoff && repayment.amount_minor != owed.total_minor()) {
    return CreditResult::kPayoffAmountMismatch;
  }
  if (!payoff && repayment.amount_minor > owed.total_minor()) {
    return CreditResult::kExceedsAmountDue;
  }
  // Point of no return.
  *applied = Allocation{};
  if (payoff) {
    for (LoanInstalment& i : loan->instalments) {
      core::AmountMinor interest = 0, fee = 0;
      PayoffOwed(i, repayment.date, &interest, &fee);
      i.interest_paid_minor += interest;
      i.interest_waived_minor += i.interest_unpaid_minor();
      i.fee_paid_minor += fee;
      i.fee_waived_minor += i.fee_unpaid_minor();
      i.principal_paid_minor += i.principal_unpaid_minor();
    }
    loan->penalty_paid_minor = loan->penalty_accrued_minor;
    *applied = owed;
  } else {
    core::AmountMinor left = repayment.amount_minor;
    const core::AmountMinor penalty = std::min(PenaltyUnpaidMinor(*loan), left);
    left -= penalty;
    loan->penalty_paid_minor += penalty;
    applied->penalty_minor = penalty;
    AllocateBilled(repayment.date, &left, loan, applied);
    NETFIN_ASSERT(left == 0);  // checked against AmountDue above
  }
  NETFIN_ASSERT(applied->total_minor() == repayment.amount_minor);
  if (IsSettled(*loan)) CloseLoan(repayment.date, loan);
  return CreditResult::kOk;
}

}  // namespace netfin::credit
