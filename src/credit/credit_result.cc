#include "credit/credit_result.h"

namespace netfin::credit {

std::string_view CreditResultName(CreditResult result) {
  switch (result) {
    case CreditResult::kOk:
      return "ok";
    case CreditResult::kPrincipalOutOfRange:
      return "principal_out_of_range";
    case CreditResult::kTermsOutOfRange:
      return "terms_out_of_range";
    case CreditResult::kRateOutOfRange:
      return "rate_out_of_range";
    case CreditResult::kDueDateInvalid:
      return "due_date_invalid";
    case CreditResult::kTermNotOffered:
      return "term_not_offered";
    case CreditResult::kAmountBelowProductMin:
      return "amount_below_product_min";
    case CreditResult::kAmountAboveProductMax:
      return "amount_above_product_max";
    case CreditResult::kAprAboveCap:
      return "apr_above_cap";
    case CreditResult::kPersonCapExceeded:
      return "person_cap_exceeded";
    case CreditResult::kOverCreditLimit:
      return "over_credit_limit";
    case CreditResult::kLineFrozen:
      return "line_frozen";
    case CreditResult::kLoanPaidOff:
      return "loan_paid_off";
    case CreditResult::kLoanWrittenOff:
      return "loan_written_off";
    case CreditResult::kZeroAmount:
      return "zero_amount";
    case CreditResult::kExceedsAmountDue:
      return "exceeds_amount_due";
    case CreditResult::kPayoffAmountMismatch:
      return "payoff_amount_mismatch";
    case CreditResult::kDateBeforeLastRun:
      return "date_before_last_run";
    case CreditResult::kDayClosed:
      return "day_closed";
    case CreditResult::kDayEndBehind:
      return "day_end_behind";
    case CreditResult::kCatchUpTooLong:
      return "catch_up_too_long";
    case CreditResult::kWrongProductKind:
      return "wrong_product_kind";
    case CreditResult::kBillNotConvertible:
      return "bill_not_convertible";
    case CreditResult::kNothingToBill:
      return "nothing_to_bill";
    case CreditResult::kNotStatementDay:
      return "not_statement_day";
  }
  return "unknown";
}

}  // namespace netfin::credit
