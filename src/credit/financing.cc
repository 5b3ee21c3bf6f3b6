#include "credit/financing.h"

#include <algorithm>

#include "core/assert.h"
#include "credit/credit_limits.h"

namespace netfin::credit {

CreditResult SalesRepaymentMinor(const Product& product, const Loan& loan, CivilDate date,
                                 core::AmountMinor sales_minor,
                                 core::AmountMinor* repayment_minor) {
  if (product.kind != ProductKind::kMerchantLoan || loan.kind != ProductKind::kMerchantLoan) {
    return CreditResult::kWrongProductKind;
  }
  core::AmountMinor share = 0;
  NETFIN_ASSERT(product.sales_share_bps <= kBpsScale);
  // share <= sales, so it cannot overflow.
  NETFIN_ASSERT(
      core::MultiplyRateRoundHalfEven(sales_minor, product.sales_share_bps, kBpsScale, &share));
  const bool active = loan.status == LoanStatus::kActive;
  *repayment_minor = active ? std::min(share, AmountDue(loan, date).total_minor()) : 0;
  return CreditResult::kOk;
}

CreditResult ReceivableAdvanceMinor(const Product& product, core::AmountMinor receivable_minor,
                                    core::AmountMinor* advance_minor) {
  if (product.kind != ProductKind::kReceivableFinancing) return CreditResult::kWrongProductKind;
  if (receivable_minor == 0) return CreditResult::kZeroAmount;
  NETFIN_ASSERT(product.advance_share_bps <= kBpsScale);
  NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(receivable_minor, product.advance_share_bps,
                                                kBpsScale, advance_minor));
  return CreditResult::kOk;
}

CreditResult SplitBuyerPayment(const Loan& loan, CivilDate date, core::AmountMinor payment_minor,
                               BuyerPaymentSplit* split) {
  const CreditResult date_ok = CheckRepaymentDate(loan, date);
  if (date_ok != CreditResult::kOk) return date_ok;
  if (payment_minor == 0) return CreditResult::kZeroAmount;
  // Point of no return.
  *split = BuyerPaymentSplit{};
  split->payoff = PayoffQuote(loan, date);
  const core::AmountMinor payoff = split->payoff.total_minor();
  if (payment_minor < payoff) {
    split->held_minor = payment_minor;
  } else {
    split->to_loan_minor = payoff;
    split->to_supplier_minor = payment_minor - payoff;
  }
  NETFIN_ASSERT(split->to_loan_minor + split->to_supplier_minor + split->held_minor ==
                payment_minor);
  return CreditResult::kOk;
}

}  // namespace netfin::credit
