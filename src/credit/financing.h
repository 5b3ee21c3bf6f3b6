#pragma once

// Merchant loans repaid from sales, and supply-chain receivable financing.
//
// A merchant loan with a sales share takes that share of each day's sales
// towards what is billed and unpaid (never more), so the merchant repays
// as it sells; what is not covered by the due date is overdue as usual.
//
// Receivable financing: a supplier whose receivable a buyer on the platform
// has confirmed gets an advance of the product's share of it. When the buyer
// pays, the advance and its interest to the day are repaid first and the
// rest goes to the supplier. A buyer payment short of that is held by the
// platform (neither repaid nor passed on) until the rest arrives, so that the
// supplier is never paid ahead of the lender.

#include <cstdint>

#include "core/money.h"
#include "credit/civil_date.h"
#include "credit/credit_result.h"
#include "credit/loan.h"
#include "credit/product.h"
#include "credit/repayment.h"

namespace netfin::credit {

// The day's repayment from `sales_minor` of a merchant loan: the product's
// sales share of the sales, rounded half to even, at most AmountDue. 0 for a
// product without a sales share. kWrongProductKind for other kinds.
CreditResult SalesRepaymentMinor(const Product& product, const Loan& loan, CivilDate date,
                                 core::AmountMinor sales_minor, core::AmountMinor* repayment_minor);

// The advance on a confirmed receivable: its advance share, rounded half to
// even. kWrongProductKind unless receivable financing; kZeroAmount for nothing.
CreditResult ReceivableAdvanceMinor(const Product& product, core::AmountMinor receivable_minor,
                                    core::AmountMinor* advance_minor);

struct BuyerPaymentSplit {
  core::AmountMinor to_loan_minor = 0;      // repay with RepaymentKind::kPayoff
  core::AmountMinor to_supplier_minor = 0;  // the rest of the receivable
  core::AmountMinor held_minor = 0;         // a payment short of the payoff
  Allocation payoff;                        // the quote the split was made against
};

// Splits the buyer's payment on `date` (CheckRepaymentDate's codes, kZeroAmount).
CreditResult SplitBuyerPayment(const Loan& loan, CivilDate date, core::AmountMinor payment_minor,
                               BuyerPaymentSplit* split);

}  // namespace netfin::credit
