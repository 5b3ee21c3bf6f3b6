#pragma once

// Offers: what a customer sees before accepting a loan (the schedule, every
// charge, the true APR), checked against the product and the legal cap, and
// the Loan made from an accepted offer.

#include <cstdint>
#include <string>

#include "core/money.h"
#include "credit/apr.h"
#include "credit/civil_date.h"
#include "credit/credit_result.h"
#include "credit/loan.h"
#include "credit/product.h"
#include "credit/schedule.h"

namespace netfin::credit {

struct OfferRequest {
  core::AmountMinor amount_minor = 0;  // the principal
  uint32_t terms = 0;
  CivilDate start_date;  // disbursement
};

struct Offer {
  std::string product_name;
  ProductKind kind = ProductKind::kCashLoan;
  ScheduleTerms terms;
  Schedule schedule;
  uint32_t penalty_daily_ppm = 0;
  uint32_t statement_day = 0;
  // The disclosed APR: monthly IRR x 12 (and its effective rate), which the
  // cap applies to. Beside it, the XIRR over the actual dates.
  AnnualRate apr;
  AnnualRate apr_daily;
};

// Builds an offer. Refuses with kTermNotOffered, kAmountBelowProductMin,
// kAmountAboveProductMax, kDueDateInvalid (a start date out of range),
// BuildSchedule's codes, or kAprAboveCap; for
// kAprAboveCap *offer is filled, so the refusal can show the APR. REQUIRES:
// the product passed ValidateProduct.
CreditResult MakeOffer(const Product& product, const CapPolicy& caps, const OfferRequest& request,
                       Offer* offer);

// The loan of an accepted offer, opened on its start date.
Loan LoanFromOffer(const Offer& offer);

}  // namespace netfin::credit
