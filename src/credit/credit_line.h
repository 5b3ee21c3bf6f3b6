#pragma once

// Credit lines (pay next month): a limit, purchases during a cycle, a bill on
// the statement day, interest-free when the bill is paid in full by its due
// day, and conversion of a bill into instalments.
//
//     Purchase ... Purchase --(statement day: CloseCycle)--> bill Loan
//     bill --(paid by due day)--> kPaidOff, no interest
//     bill --(ConvertBill before its due day)--> kConverted + instalment Loan
//     bill --(unpaid after its due day)--> overdue: penalty, buckets, classes
//
// The line keeps only amounts; the bills and conversions are Loans. The
// integration calls RestoreLimit with the principal of every repayment of a
// loan drawn on the line, so the limit comes back as it is repaid.

#include <cstdint>

#include "core/money.h"
#include "credit/civil_date.h"
#include "credit/credit_result.h"
#include "credit/loan.h"
#include "credit/offer.h"
#include "credit/product.h"

namespace netfin::credit {

// DO NOT RENUMBER: persisted.
enum class LineState : uint8_t {
  kActive = 1,
  kFrozen = 2,  // no new purchases (the monthly review or an overdue bill froze it)
};

struct CreditLine {
  core::AmountMinor limit_minor = 0;
  core::AmountMinor unbilled_minor = 0;  // purchases since the last statement
  core::AmountMinor used_minor = 0;      // unbilled + principal of bills and conversions unpaid
  LineState state = LineState::kActive;

  core::AmountMinor available_minor() const {
    return used_minor >= limit_minor ? 0 : limit_minor - used_minor;
  }
};

// A purchase on credit: kZeroAmount, kLineFrozen, kOverCreditLimit, or kOk
// with the amount added to the cycle.
CreditResult Purchase(core::AmountMinor amount_minor, CreditLine* line);

// Closes the cycle at the end of `statement_date` (which must fall on the
// product's statement day): the cycle's purchases become a bill, a Loan of one
// interest-free instalment due on the next due day, already billed.
// kNothingToBill when there were no purchases, kNotStatementDay,
// kDueDateInvalid (a date out of range), or
// kWrongProductKind for a product that is not a credit line.
CreditResult CloseCycle(const Product& product, CivilDate statement_date, CreditLine* line,
                        Loan* bill);

// Converts an unpaid bill into `terms` instalments on `date` (on or before its
// due date, before any payment): an offer of the product's conversion terms,
// starting on the bill's due date, so the first instalment is due a month
// later and the APR is true. On kOk the bill becomes kConverted and
// *instalments is the new loan. Refuses with kBillNotConvertible, MakeOffer's
// codes, or CheckRepaymentDate's codes, changing nothing; *offer is filled
// whenever MakeOffer ran (to show the APR of a refused conversion).
CreditResult ConvertBill(const Product& product, const CapPolicy& caps, uint32_t terms,
                         CivilDate date, Loan* bill, Offer* offer, Loan* instalments);

// Gives back limit as principal is repaid (or written off).
void RestoreLimit(core::AmountMinor principal_minor, CreditLine* line);

}  // namespace netfin::credit
