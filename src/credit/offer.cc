#include "credit/offer.h"

#include "core/assert.h"

namespace netfin::credit {
namespace {

CreditResult CheckRequest(const Product& product, const OfferRequest& request) {
  if (!product.OffersTerm(request.terms)) return CreditResult::kTermNotOffered;
  if (request.amount_minor < product.amount_min_minor) return CreditResult::kAmountBelowProductMin;
  if (request.amount_minor > product.amount_max_minor) return CreditResult::kAmountAboveProductMax;
  if (!IsLoanStartDateInRange(request.start_date)) return CreditResult::kDueDateInvalid;
  return CreditResult::kOk;
}

}  // namespace

CreditResult MakeOffer(const Product& product, const CapPolicy& caps, const OfferRequest& request,
                       Offer* offer) {
  const CreditResult request_ok = CheckRequest(product, request);
  if (request_ok != CreditResult::kOk) return request_ok;
  const ScheduleTerms terms =
      ProductScheduleTerms(product, request.amount_minor, request.terms, request.start_date);
  // BuildSchedule checks the terms and refuses without writing the schedule.
  const CreditResult built = BuildSchedule(terms, &offer->schedule);
  if (built != CreditResult::kOk) return built;
  // Point of no return: the rest of *offer is written from here on.
  offer->product_name = product.name;
  offer->kind = product.kind;
  offer->terms = terms;
  offer->penalty_daily_ppm = product.penalty_daily_ppm;
  offer->statement_day = product.statement_day;
  // A schedule repays at least its principal in one sign change: the IRR exists.
  auto monthly = MonthlyApr(offer->schedule, terms.principal_minor);
  NETFIN_ASSERT(monthly.ok());
  offer->apr = monthly.value();
  ScheduleFlowBuffer flows;
  auto daily =
      DailyApr(ScheduleFlows(offer->schedule, terms.start_date, terms.principal_minor, &flows));
  NETFIN_ASSERT(daily.ok());
  offer->apr_daily = daily.value();
  if (caps.AprExceedsCap(offer->apr.NominalPpm())) {
    return CreditResult::kAprAboveCap;
  }
  return CreditResult::kOk;
}

Loan LoanFromOffer(const Offer& offer) {
  return NewLoan(offer.kind, offer.terms, offer.schedule, offer.penalty_daily_ppm,
                 offer.statement_day, offer.terms.start_date);
}

}  // namespace netfin::credit
