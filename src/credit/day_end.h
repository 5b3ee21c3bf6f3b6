#pragma once

// The day-end run of one loan, as a pure function: RunDay(policy, date, loan)
// brings the loan to the end of `date` and reports what the ledger must book.
// For each day from last_run_date + 1 to `date`, in order:
//
//   1. interest accrual: the day's share of the current period's interest
//   2. penalty accrual: penalty_daily_ppm on principal and interest unpaid
//      after their due date (fees bear no penalty)
//   3. statements: every instalment whose statement date has come is billed,
//      with everything due at the end of the day
//   4. days past due, overdue bucket (M0..M3+) and class (normal..loss)
//   5. provision target: outstanding principal x the class's provision rate
//   6. write-off when days past due reach write_off_dpd (if set)
//
// Idempotent: running a date equal to last_run_date changes nothing and
// reports days_run = 0; an earlier date is refused (kDateBeforeLastRun) and
// changes nothing. A later date catches up day by day, up to
// kRunDayCatchUpDaysMax days (kCatchUpTooLong beyond, nothing changed).
// A loan that is no longer active only moves its last_run_date.

#include <cstdint>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "credit/civil_date.h"
#include "credit/credit_result.h"
#include "credit/loan.h"

namespace netfin::credit {

struct DayEndPolicy {
  // The first day past due of each class; normal below special mention.
  // Defaults: normal 0, special mention 1-90, substandard 91-180, doubtful
  // 181-360, loss over 360 (the retail-loan practice of the 2007 CBRC
  // classification guidance; docs/credit.md has the 2023 rule's 90/270/360).
  uint32_t special_mention_dpd_min = 1;
  uint32_t substandard_dpd_min = 91;
  uint32_t doubtful_dpd_min = 181;
  uint32_t loss_dpd_min = 361;
  // Provision rates of outstanding principal per class (PBoC 2002 guideline:
  // general 1%, special mention 2%, substandard 25%, doubtful 50%, loss 100%).
  uint32_t provision_normal_bps = 100;
  uint32_t provision_special_mention_bps = 200;
  uint32_t provision_substandard_bps = 2'500;
  uint32_t provision_doubtful_bps = 5'000;
  uint32_t provision_loss_bps = 10'000;
  // Days past due at which a loan is written off against its provision; 0: never.
  uint32_t write_off_dpd = 0;

  core::Status Validate() const;
};

LoanClass ClassForDaysPastDue(uint32_t days_past_due, const DayEndPolicy& policy);
uint32_t ProvisionBps(LoanClass loan_class, const DayEndPolicy& policy);

// Steps 4 and 5 at the end of `date`: the loan's days past due, class and
// provision target (its bucket follows from the days). RunDay does this each
// day; code that builds a loan's state directly (the credit bench) calls it
// to leave what RunDay would.
void ClassifyLoan(const DayEndPolicy& policy, CivilDate date, Loan* loan);

// An instalment billed by the day-end.
struct StatementEvent {
  uint32_t instalment_number = 0;
  CivilDate statement_date;
  CivilDate due_date;
  core::AmountMinor principal_minor = 0;
  core::AmountMinor interest_minor = 0;
  core::AmountMinor fee_minor = 0;
  // All billed and unpaid at the statement, overdue amounts and penalty included.
  core::AmountMinor amount_due_minor = 0;
};

// What one RunDay did, for the ledger to book. Sums over every day run.
struct DayEvents {
  uint32_t days_run = 0;  // 0: the date had already run; nothing changed
  std::vector<StatementEvent> statements;
  core::AmountMinor interest_accrued_minor = 0;
  core::AmountMinor penalty_accrued_minor = 0;
  Bucket bucket_before = Bucket::kM0;
  Bucket bucket_after = Bucket::kM0;
  LoanClass class_before = LoanClass::kNormal;
  LoanClass class_after = LoanClass::kNormal;
  core::AmountMinor provision_before_minor = 0;
  core::AmountMinor provision_after_minor = 0;
  core::AmountMinor written_off_principal_minor = 0;  // > 0 on the day of write-off
};

// REQUIRES: policy.Validate() passed. Refuses with kDateBeforeLastRun or
// kCatchUpTooLong, changing nothing. *events is overwritten.
CreditResult RunDay(const DayEndPolicy& policy, CivilDate date, Loan* loan, DayEvents* events);

}  // namespace netfin::credit
