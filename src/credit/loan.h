#pragma once

// Loan: one loan as a value, everything the pure credit functions need and
// nothing of the ledger. Repayments (repayment.h) and the day-end (day_end.h)
// are functions that take a Loan and change it; they check everything first
// and change nothing when they refuse. The integration stores a Loan per
// loan id and books the amounts each function reports.
//
// Lifecycle:
//
//     NewLoan / LoanFromOffer --> kActive --(repaid in full)--------> kPaidOff
//                                    |  \---(bill turned into instalments)--> kConverted
//                                    \-----(days past due >= write_off_dpd)--> kWrittenOff
//
// Invariants: per instalment, paid + waived <= scheduled for each part; the
// principal parts sum to the principal; last_run_date only moves forward.

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "credit/civil_date.h"
#include "credit/product.h"
#include "credit/schedule.h"

namespace netfin::credit {

// DO NOT RENUMBER: persisted.
enum class LoanStatus : uint8_t {
  kActive = 1,
  kPaidOff = 2,
  kWrittenOff = 3,
  kConverted = 4,  // a credit-line bill replaced by an instalment loan
};

// Overdue buckets by days past due. DO NOT RENUMBER: persisted and reported.
enum class Bucket : uint8_t {
  kM0 = 0,      // current
  kM1 = 1,      // 1..30 days past due
  kM2 = 2,      // 31..60
  kM3 = 3,      // 61..90
  kM3Plus = 4,  // over 90
};

// The five-category loan classification (五级分类). DO NOT RENUMBER.
enum class LoanClass : uint8_t {
  kNormal = 1,
  kSpecialMention = 2,
  kSubstandard = 3,
  kDoubtful = 4,
  kLoss = 5,
};

std::string_view LoanStatusName(LoanStatus status);
std::string_view BucketName(Bucket bucket);            // "M0" .. "M3+"
Bucket BucketForDaysPastDue(uint32_t days_past_due);
std::string_view LoanClassName(LoanClass loan_class);  // "normal" .. "loss"

struct LoanInstalment {
  Instalment scheduled;
  CivilDate statement_date;  // billed at the day-end of this day
  core::AmountMinor principal_paid_minor = 0;
  core::AmountMinor interest_paid_minor = 0;
  core::AmountMinor fee_paid_minor = 0;
  core::AmountMinor interest_waived_minor = 0;  // not owed after an early payoff
  core::AmountMinor fee_waived_minor = 0;

  core::AmountMinor principal_unpaid_minor() const;
  core::AmountMinor interest_unpaid_minor() const;
  core::AmountMinor fee_unpaid_minor() const;
  bool settled() const;  // nothing unpaid
  friend bool operator==(const LoanInstalment&, const LoanInstalment&) = default;
};

struct Loan {
  ProductKind kind = ProductKind::kCashLoan;
  ScheduleTerms terms;
  uint32_t penalty_daily_ppm = 0;
  std::vector<LoanInstalment> instalments;

  // Penalty interest accrues in fen x ppm; whole fen move to penalty_accrued
  // as they complete and the rest (< 1 fen) carries to the next day, so no
  // day's penalty is rounded. The carry is dropped when the loan closes.
  core::AmountMinor penalty_accrued_minor = 0;
  core::AmountMinor penalty_paid_minor = 0;
  uint32_t penalty_carry_fen_ppm = 0;  // < 1,000,000
  // Contract interest recognised so far by the day-end (spread over each period).
  core::AmountMinor interest_accrued_minor = 0;

  CivilDate last_run_date;         // the last day whose day-end has run
  uint32_t statements_issued = 0;  // instalments billed by the day-end so far
  LoanStatus status = LoanStatus::kActive;
  CivilDate closed_date;  // when status left kActive

  // As of last_run_date's day-end. The bucket follows from days_past_due
  // alone (bucket()); the class is kept, as it follows from the day-end
  // policy of its day, which a later configuration may change.
  uint32_t days_past_due = 0;
  LoanClass loan_class = LoanClass::kNormal;
  core::AmountMinor provision_target_minor = 0;

  Bucket bucket() const { return BucketForDaysPastDue(days_past_due); }

  friend bool operator==(const Loan&, const Loan&) = default;
};

// A loan on `schedule`, opened (disbursed or converted) on `opened_date`:
// its first day-end to run is opened_date's. Statement dates follow
// statement_day (see StatementDateFor). REQUIRES: schedule built from terms.
Loan NewLoan(ProductKind kind, const ScheduleTerms& terms, const Schedule& schedule,
             uint32_t penalty_daily_ppm, uint32_t statement_day, CivilDate opened_date);

core::AmountMinor OutstandingPrincipalMinor(const Loan& loan);
core::AmountMinor PenaltyUnpaidMinor(const Loan& loan);

// Days past due at the end of `date`: days since the due date of the oldest
// instalment still unpaid on a day after its due date; 0 when none.
uint32_t DaysPastDue(const Loan& loan, CivilDate date);

// True when every instalment and the penalty are paid (or waived).
bool IsSettled(const Loan& loan);

}  // namespace netfin::credit
