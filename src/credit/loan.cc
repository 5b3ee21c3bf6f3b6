#include "credit/loan.h"

#include "core/assert.h"

namespace netfin::credit {

std::string_view LoanStatusName(LoanStatus status) {
  switch (status) {
    case LoanStatus::kActive:
      return "active";
    case LoanStatus::kPaidOff:
      return "paid_off";
    case LoanStatus::kWrittenOff:
      return "written_off";
    case LoanStatus::kConverted:
      return "converted";
  }
  return "unknown";
}

std::string_view BucketName(Bucket bucket) {
  switch (bucket) {
    case Bucket::kM0:
      return "M0";
    case Bucket::kM1:
      return "M1";
    case Bucket::kM2:
      return "M2";
    case Bucket::kM3:
      return "M3";
    case Bucket::kM3Plus:
      return "M3+";
  }
  return "unknown";
}

Bucket BucketForDaysPastDue(uint32_t days_past_due) {
  if (days_past_due == 0) return Bucket::kM0;
  if (days_past_due <= 30) return Bucket::kM1;
  if (days_past_due <= 60) return Bucket::kM2;
  if (days_past_due <= 90) return Bucket::kM3;
  return Bucket::kM3Plus;
}

std::string_view LoanClassName(LoanClass loan_class) {
  switch (loan_class) {
    case LoanClass::kNormal:
      return "normal";
    case LoanClass::kSpecialMention:
      return "special_mention";
    case LoanClass::kSubstandard:
      return "substandard";
    case LoanClass::kDoubtful:
      return "doubtful";
    case LoanClass::kLoss:
      return "loss";
  }
  return "unknown";
}

core::AmountMinor LoanInstalment::principal_unpaid_minor() const {
  NETFIN_ASSERT(principal_paid_minor <= scheduled.principal_minor);
  return scheduled.principal_minor - principal_paid_minor;
}

core::AmountMinor LoanInstalment::interest_unpaid_minor() const {
  NETFIN_ASSERT(interest_paid_minor + interest_waived_minor <= scheduled.interest_minor);
  return scheduled.interest_minor - interest_paid_minor - interest_waived_minor;
}

core::AmountMinor LoanInstalment::fee_unpaid_minor() const {
  NETFIN_ASSERT(fee_paid_minor + fee_waived_minor <= scheduled.fee_minor);
  return scheduled.fee_minor - fee_paid_minor - fee_waived_minor;
}

bool LoanInstalment::settled() const {
  return principal_unpaid_minor() == 0 && interest_unpaid_minor() == 0 && fee_unpaid_minor() == 0;
}

Loan NewLoan(ProductKind kind, const ScheduleTerms& terms, const Schedule& schedule,
             uint32_t penalty_daily_ppm, uint32_t statement_day, CivilDate opened_date) {
  NETFIN_ASSERT(schedule.instalments.size() == terms.terms);
  NETFIN_ASSERT(schedule.principal_total_minor == terms.principal_minor);
  Loan loan;
  loan.kind = kind;
  loan.terms = terms;
  loan.penalty_daily_ppm = penalty_daily_ppm;
  loan.instalments.reserve(schedule.instalments.size());
  for (const Instalment& line : schedule.instalments) {
    LoanInstalment& instalment = loan.instalments.emplace_back();
    instalment.scheduled = line;
    instalment.statement_date = StatementDateFor(statement_day, line.period_start, line.due_date);
  }
  loan.last_run_date = opened_date.AddDays(-1);
  return loan;
}

core::AmountMinor OutstandingPrincipalMinor(const Loan& loan) {
  core::AmountMinor outstanding = 0;
  for (const LoanInstalment& i : loan.instalments) outstanding += i.principal_unpaid_minor();
  NETFIN_ASSERT(outstanding <= loan.terms.principal_minor);
  return outstanding;
}

core::AmountMinor PenaltyUnpaidMinor(const Loan& loan) {
  NETFIN_ASSERT(loan.penalty_paid_minor <= loan.penalty_accrued_minor);
  return loan.penalty_accrued_minor - loan.penalty_paid_minor;
}

uint32_t DaysPastDue(const Loan& loan, CivilDate date) {
  for (const LoanInstalment& i : loan.instalments) {
    if (i.scheduled.due_date >= date) return 0;  // later ones are due later still
    if (!i.settled()) return static_cast<uint32_t>(DaysBetween(i.scheduled.due_date, date));
  }
  return 0;
}

bool IsSettled(const Loan& loan) {
  for (const LoanInstalment& i : loan.instalments) {
    if (!i.settled()) return false;
  }
  return PenaltyUnpaidMinor(loan) == 0;
}

}  // namespace netfin::credit
