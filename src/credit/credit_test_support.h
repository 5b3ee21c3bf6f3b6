#pragma once

// What several of the credit tests build alike. Test-only.

#include <gtest/gtest.h>

#include <string>

#include "credit/civil_date.h"
#include "credit/loan.h"
#include "credit/product.h"
#include "credit/schedule.h"

namespace netfin::credit::test_support {

// A small credit table with a categorical column, where "shop" buyers with
// large baskets default: a real model trains on it in well under a second,
// with no data file (label "defaulted", positive "yes", exclude "id").
inline std::string CategoricalCreditCsv() {
  std::string csv = "id,channel,basket,defaulted\n";
  const char* channels[] = {"web", "app", "shop"};
  for (int i = 0; i < 600; ++i) {
    const std::string channel = channels[i % 3];
    const int basket = (i * 37) % 100;
    const bool defaulted = (channel == "shop" && basket > 40) || i % 29 == 0;
    csv += std::to_string(i) + "," + channel + "," + std::to_string(basket) + "," +
           (defaulted ? "yes" : "no") + "\n";
  }
  return csv;
}

// A date the test writes as text; a typo fails the test at once.
inline CivilDate D(const char* text) { return CivilDate::Parse(text).value(); }

// Pay next month: a credit line billed on the 1st, due on the 10th, whose
// bills convert to 3..24 instalments at a flat 0.6% a month.
inline Product PayLater() {
  Product p;
  p.name = "pay_later";
  p.kind = ProductKind::kCreditLine;
  p.method = ScheduleMethod::kFlatFee;
  p.terms = {3, 6, 9, 12, 24};
  p.monthly_fee_bps = 60;
  p.penalty_daily_ppm = 500;
  p.statement_day = 1;
  p.due_day = 10;
  return p;
}

// Schedule terms with anniversary due dates: the first a month after `start`.
inline ScheduleTerms AnniversaryTerms(const char* start, core::AmountMinor principal, uint32_t n,
                                      ScheduleMethod method, uint32_t annual_bps,
                                      uint32_t fee_bps = 0) {
  ScheduleTerms t;
  t.principal_minor = principal;
  t.terms = n;
  t.method = method;
  t.annual_interest_bps = annual_bps;
  t.monthly_fee_bps = fee_bps;
  t.start_date = D(start);
  t.first_due_date = t.start_date.AddMonths(1);
  return t;
}

// 1,000.00 CNY, equal principal over 3 months at 12% with a 0.1% monthly fee,
// lent 2024-01-10 with anniversary due dates, penalty 0.05% a day:
//   1: principal 33,333  interest 1,000  fee 100  due 02-10 (31 days)  billed 02-03
//   2: principal 33,333  interest   667  fee 100  due 03-10 (29 days)  billed 03-03
//   3: principal 33,334  interest   333  fee 100  due 04-10 (31 days)  billed 04-03
inline Loan ThreeMonthLoan() {
  const ScheduleTerms t =
      AnniversaryTerms("2024-01-10", 100'000, 3, ScheduleMethod::kEqualPrincipal, 1'200, 10);
  Schedule s;
  EXPECT_EQ(BuildSchedule(t, &s), CreditResult::kOk);
  return NewLoan(ProductKind::kCashLoan, t, s, 500, 0, t.start_date);
}

}  // namespace netfin::credit::test_support
