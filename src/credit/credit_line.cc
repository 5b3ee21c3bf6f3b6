#include "credit/credit_line.h"

#include <algorithm>

#include "core/assert.h"
#include "credit/repayment.h"

namespace netfin::credit {

CreditResult Purchase(core::AmountMinor amount_minor, CreditLine* line) {
  if (amount_minor == 0) return CreditResult::kZeroAmount;
  if (line->state == LineState::kFrozen) return CreditResult::kLineFrozen;
  if (amount_minor > line->available_minor()) return CreditResult::kOverCreditLimit;
  // Point of no return.
  line->unbilled_minor += amount_minor;
  line->used_minor += amount_minor;
  NETFIN_ASSERT(line->used_minor <= line->limit_minor);
  return CreditResult::kOk;
}

CreditResult CloseCycle(const Product& product, CivilDate statement_date, CreditLine* line,
                        Loan* bill) {
  if (product.kind != ProductKind::kCreditLine) return CreditResult::kWrongProductKind;
  if (statement_date.day() != product.statement_day) return CreditResult::kNotStatementDay;
  if (!IsLoanStartDateInRange(statement_date)) return CreditResult::kDueDateInvalid;
  if (line->unbilled_minor == 0) return CreditResult::kNothingToBill;
  ScheduleTerms terms;
  terms.principal_minor = line->unbilled_minor;
  terms.terms = 1;
  terms.method = ScheduleMethod::kEqualPrincipal;
  terms.start_date = statement_date;
  terms.first_due_date = FirstDueDate(product, statement_date.AddDays(-1));
  Schedule schedule;
  const CreditResult built = BuildSchedule(terms, &schedule);
  if (built != CreditResult::kOk) return built;
  // Point of no return.
  *bill = NewLoan(ProductKind::kCreditLine, terms, schedule, product.penalty_daily_ppm,
                  product.statement_day, statement_date.AddDays(1));
  NETFIN_ASSERT(bill->instalments[0].statement_date == statement_date);
  bill->statements_issued = 1;  // this is the statement
  line->unbilled_minor = 0;
  return CreditResult::kOk;
}

CreditResult ConvertBill(const Product& product, const CapPolicy& caps, uint32_t terms,
                         CivilDate date, Loan* bill, Offer* offer, Loan* instalments) {
  if (product.kind != ProductKind::kCreditLine || bill->kind != ProductKind::kCreditLine) {
    return CreditResult::kWrongProductKind;
  }
  const CreditResult date_ok = CheckRepaymentDate(*bill, date);
  if (date_ok != CreditResult::kOk) return date_ok;
  const bool convertible = bill->instalments.size() == 1 && bill->terms.annual_interest_bps == 0 &&
                           bill->instalments[0].principal_paid_minor == 0 &&
                           PenaltyUnpaidMinor(*bill) == 0 &&
                           date <= bill->instalments[0].scheduled.due_date;
  if (!convertible) return CreditResult::kBillNotConvertible;
  const CivilDate due = bill->instalments[0].scheduled.due_date;
  const OfferRequest request{bill->terms.principal_minor, terms, due};
  const CreditResult offered = MakeOffer(product, caps, request, offer);
  if (offered != CreditResult::kOk) return offered;
  // Point of no return.
  *instalments = NewLoan(offer->kind, offer->terms, offer->schedule, offer->penalty_daily_ppm,
                         offer->statement_day, date);
  bill->instalments[0].principal_paid_minor = bill->instalments[0].scheduled.principal_minor;
  bill->status = LoanStatus::kConverted;
  bill->closed_date = date;
  return CreditResult::kOk;
}

void RestoreLimit(core::AmountMinor principal_minor, CreditLine* line) {
  NETFIN_ASSERT(principal_minor <= line->used_minor);
  line->used_minor -= principal_minor;
  NETFIN_ASSERT(line->unbilled_minor <= line->used_minor);
}

}  // namespace netfin::credit
