#include "credit/day_end.h"

#include <algorithm>

#include "core/assert.h"
#include "credit/credit_limits.h"
#include "credit/repayment.h"

namespace netfin::credit {
namespace {

// Bills every instalment whose statement date is on or before `date`.
void IssueStatements(CivilDate date, Loan* loan, DayEvents* events) {
  while (loan->statements_issued < loan->instalments.size()) {
    const LoanInstalment& i = loan->instalments[loan->statements_issued];
    if (i.statement_date > date) return;
    StatementEvent& s = events->statements.emplace_back();
    s.instalment_number = i.scheduled.number;
    s.statement_date = i.statement_date;
    s.due_date = i.scheduled.due_date;
    s.principal_minor = i.scheduled.principal_minor;
    s.interest_minor = i.scheduled.interest_minor;
    s.fee_minor = i.scheduled.fee_minor;
    s.amount_due_minor = AmountDue(*loan, date).total_minor();
    ++loan->statements_issued;
  }
}

// The day's share of the current period's interest: the interest earned by
// the end of `date` less that earned by the end of the day before, both
// rounded from the period's interest, so the shares sum exactly to it.
core::AmountMinor AccrueInterest(CivilDate date, Loan* loan) {
  for (const LoanInstalment& i : loan->instalments) {
    if (i.scheduled.due_date <= date) continue;
    if (i.scheduled.period_start > date) return 0;  // before the loan starts
    const core::AmountMinor through_today = InterestToDayMinor(i.scheduled, date.AddDays(1));
    const core::AmountMinor through_yesterday = InterestToDayMinor(i.scheduled, date);
    NETFIN_ASSERT(through_today >= through_yesterday);
    loan->interest_accrued_minor += through_today - through_yesterday;
    return through_today - through_yesterday;
  }
  return 0;
}

// Penalty for `date` on principal and interest unpaid after their due date.
core::AmountMinor AccruePenalty(CivilDate date, Loan* loan) {
  if (loan->penalty_daily_ppm == 0) return 0;
  core::AmountMinor base = 0;
  for (const LoanInstalment& i : loan->instalments) {
    if (i.scheduled.due_date >= date) break;
    base += i.principal_unpaid_minor() + i.interest_unpaid_minor();
  }
  // base <= a loan's total, so base x ppm fits (credit_limits.h).
  const uint64_t carry = loan->penalty_carry_fen_ppm + base * loan->penalty_daily_ppm;
  const core::AmountMinor whole = carry / kPpmScale;
  loan->penalty_carry_fen_ppm = static_cast<uint32_t>(carry % kPpmScale);
  NETFIN_ASSERT(
      core::TryAddAmount(loan->penalty_accrued_minor, whole, &loan->penalty_accrued_minor));
  return whole;
}

core::AmountMinor ProvisionTarget(const Loan& loan, const DayEndPolicy& policy) {
  core::AmountMinor target = 0;
  NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(
      OutstandingPrincipalMinor(loan), ProvisionBps(loan.loan_class, policy), kBpsScale, &target));
  return target;
}

void WriteOff(CivilDate date, Loan* loan, DayEvents* events) {
  events->written_off_principal_minor = OutstandingPrincipalMinor(*loan);
  loan->status = LoanStatus::kWrittenOff;
  loan->closed_date = date;
  loan->provision_target_minor = 0;  // the loss is taken; nothing left to provide for
}

void RunOneDay(const DayEndPolicy& policy, CivilDate date, Loan* loan, DayEvents* events) {
  NETFIN_ASSERT(date == loan->last_run_date.AddDays(1));
  if (loan->status == LoanStatus::kActive) {
    events->interest_accrued_minor += AccrueInterest(date, loan);
    events->penalty_accrued_minor += AccruePenalty(date, loan);
    IssueStatements(date, loan, events);  // after accrual: the statement shows the day's penalty
    ClassifyLoan(policy, date, loan);
    if (policy.write_off_dpd > 0 && loan->days_past_due >= policy.write_off_dpd) {
      WriteOff(date, loan, events);
    }
  } else {
    loan->provision_target_minor = 0;
  }
  loan->last_run_date = date;
}

}  // namespace

core::Status DayEndPolicy::Validate() const {
  const bool ordered = special_mention_dpd_min >= 1 &&
                       special_mention_dpd_min < substandard_dpd_min &&
                       substandard_dpd_min < doubtful_dpd_min && doubtful_dpd_min < loss_dpd_min &&
                       loss_dpd_min <= kRunDayCatchUpDaysMax;
  if (!ordered) {
    return core::InvalidArgument(
        "credit.day_end: 1 <= special_mention_dpd_min < substandard_dpd_min < doubtful_dpd_min "
        "< loss_dpd_min <= 3660");
  }
  const uint32_t rates[] = {provision_normal_bps, provision_special_mention_bps,
                            provision_substandard_bps, provision_doubtful_bps, provision_loss_bps};
  for (size_t k = 0; k < std::size(rates); ++k) {
    if (rates[k] > kBpsScale || (k > 0 && rates[k] < rates[k - 1])) {
      return core::InvalidArgument(
          "credit.day_end: provision rates 0..10000 bps, never lower for a worse class");
    }
  }
  if (write_off_dpd != 0 &&
      (write_off_dpd < loss_dpd_min || write_off_dpd > kRunDayCatchUpDaysMax)) {
    return core::InvalidArgument("credit.day_end.write_off_dpd: 0, or loss_dpd_min..3660");
  }
  return core::Status::Ok();
}

LoanClass ClassForDaysPastDue(uint32_t days_past_due, const DayEndPolicy& policy) {
  if (days_past_due >= policy.loss_dpd_min) return LoanClass::kLoss;
  if (days_past_due >= policy.doubtful_dpd_min) return LoanClass::kDoubtful;
  if (days_past_due >= policy.substandard_dpd_min) return LoanClass::kSubstandard;
  if (days_past_due >= policy.special_mention_dpd_min) return LoanClass::kSpecialMention;
  return LoanClass::kNormal;
}

void ClassifyLoan(const DayEndPolicy& policy, CivilDate date, Loan* loan) {
  loan->days_past_due = DaysPastDue(*loan, date);
  loan->loan_class = ClassForDaysPastDue(loan->days_past_due, policy);
  loan->provision_target_minor = ProvisionTarget(*loan, policy);
}

uint32_t ProvisionBps(LoanClass loan_class, const DayEndPolicy& policy) {
  switch (loan_class) {
    case LoanClass::kNormal:
      return policy.provision_normal_bps;
    case LoanClass::kSpecialMention:
      return policy.provision_special_mention_bps;
    case LoanClass::kSubstandard:
      return policy.provision_substandard_bps;
    case LoanClass::kDoubtful:
      return policy.provision_doubtful_bps;
    case LoanClass::kLoss:
      return policy.provision_loss_bps;
  }
  NETFIN_ASSERT(false);
  return kBpsScale;
}

CreditResult RunDay(const DayEndPolicy& policy, CivilDate date, Loan* loan, DayEvents* events) {
  const int32_t days = DaysBetween(loan->last_run_date, date);
  if (days < 0) return CreditResult::kDateBeforeLastRun;
  if (static_cast<uint32_t>(days) > kRunDayCatchUpDaysMax) return CreditResult::kCatchUpTooLong;
  // Point of no return.
  events->days_run = 0;
  events->statements.clear();
  events->interest_accrued_minor = 0;
  events->penalty_accrued_minor = 0;
  events->written_off_principal_minor = 0;
  events->bucket_before = loan->bucket();
  events->class_before = loan->loan_class;
  events->provision_before_minor = loan->provision_target_minor;
  for (int32_t d = 1; d <= days; ++d) {
    RunOneDay(policy, loan->last_run_date.AddDays(1), loan, events);
    ++events->days_run;
  }
  events->bucket_after = loan->bucket();
  events->class_after = loan->loan_class;
  events->provision_after_minor = loan->provision_target_minor;
  return CreditResult::kOk;
}

}  // namespace netfin::credit
