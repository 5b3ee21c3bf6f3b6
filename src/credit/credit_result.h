#pragma once

// The expected outcomes of credit operations: one stable, numbered code per
// rule, so that a refusal names the rule it broke and the API can map each
// to its own error (with an exhaustive switch, no default). Configuration
// errors are not here: a product that breaks a rule is refused at load with
// a core::Status whose message names the product and the rule.

#include <cstdint>
#include <string_view>

namespace netfin::credit {

// DO NOT RENUMBER: the numbers are persisted in logs, metrics and events.
enum class CreditResult : uint8_t {
  kOk = 0,
  kPrincipalOutOfRange = 1,  // 0, or above kPrincipalMinorMax
  kTermsOutOfRange = 2,      // 0, or above kTermsMax
  kRateOutOfRange = 3,       // a rate above its kind's maximum
  kDueDateInvalid = 4,       // first due date not after the start, or too far
  kTermNotOffered = 5,       // the product does not offer that many instalments
  kAmountBelowProductMin = 6,
  kAmountAboveProductMax = 7,
  kAprAboveCap = 8,        // the offer's true APR exceeds the legal cap
  kPersonCapExceeded = 9,  // the person's outstanding credit would pass the cap
  kOverCreditLimit = 10,   // a purchase above the line's available limit
  kLineFrozen = 11,
  kLoanPaidOff = 12,  // a repayment to a closed loan
  kLoanWrittenOff = 13,
  kZeroAmount = 14,
  kExceedsAmountDue = 15,      // a regular repayment above what is billed and unpaid
  kPayoffAmountMismatch = 16,  // an early payoff for other than the quoted amount
  kDateBeforeLastRun = 17,     // a day-end date going backwards
  kDayClosed = 18,             // a repayment dated on a day whose day-end has run
  kDayEndBehind = 19,          // a repayment dated after a day whose day-end has not run
  kCatchUpTooLong = 20,        // RunDay asked to run more than kRunDayCatchUpDaysMax days
  kWrongProductKind = 21,      // e.g. an advance from a product that is not receivable financing
  kBillNotConvertible = 22,    // a bill already due, partly paid, or not a credit-line bill
  kNothingToBill = 23,         // a cycle closed with no purchases
  kNotStatementDay = 24,       // a cycle closed on a day that is not the statement day
};

// The stable snake_case name of a code ("apr_above_cap"), for logs and the API.
std::string_view CreditResultName(CreditResult result);

}  // namespace netfin::credit
