#include "credit/offer.h"

#include <gtest/gtest.h>

#include <set>

#include "credit/credit_test_support.h"

namespace netfin::credit {
namespace {

using test_support::D;

// Pay later's pricing sold as purchase instalments, up to 50,000.00 CNY.
Product FlatFee() {
  Product p = test_support::PayLater();
  p.name = "instalments";
  p.kind = ProductKind::kInstalment;
  p.amount_max_minor = 5'000'000;
  return p;
}

TEST(OfferTest, TheIssueExampleAsAnOffer) {
  Offer offer;
  ASSERT_EQ(MakeOffer(FlatFee(), CapPolicy{}, {1'000'000, 12, D("2024-03-20")}, &offer),
            CreditResult::kOk);
  EXPECT_EQ(offer.product_name, "instalments");
  EXPECT_EQ(offer.kind, ProductKind::kInstalment);
  ASSERT_EQ(offer.schedule.instalments.size(), 12u);
  EXPECT_EQ(offer.schedule.fee_total_minor, 72'000u);
  EXPECT_EQ(offer.terms.first_due_date, D("2024-04-10"));  // billed 04-01
  EXPECT_EQ(offer.schedule.instalments[11].due_date, D("2025-03-10"));
  EXPECT_NEAR(offer.apr.nominal, 0.1303, 0.0001);
  // The first period is 21 days, charged a full month's fee: the XIRR shows it.
  EXPECT_GT(offer.apr_daily.nominal, offer.apr.nominal);
}

TEST(OfferTest, RefusalsNameTheRule) {
  Offer offer;
  const Product p = FlatFee();
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {1'000'000, 5, D("2024-03-20")}, &offer),
            CreditResult::kTermNotOffered);
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {9'999, 3, D("2024-03-20")}, &offer),
            CreditResult::kAmountBelowProductMin);
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {10'000, 3, D("2024-03-20")}, &offer), CreditResult::kOk);
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {5'000'000, 3, D("2024-03-20")}, &offer), CreditResult::kOk);
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {5'000'001, 3, D("2024-03-20")}, &offer),
            CreditResult::kAmountAboveProductMax);
  // Dates whose schedule or billing would leave the calendar are refused, not asserted.
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {1'000'000, 24, D("9999-12-01")}, &offer),
            CreditResult::kDueDateInvalid);
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {1'000'000, 24, D("1900-01-05")}, &offer),
            CreditResult::kDueDateInvalid);
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {1'000'000, 24, D("9989-12-31")}, &offer), CreditResult::kOk);
  EXPECT_EQ(MakeOffer(p, CapPolicy{}, {1'000'000, 24, D("1901-01-01")}, &offer), CreditResult::kOk);
}

TEST(OfferTest, AnOfferAboveTheCapIsRefusedAtIssueAndStillShowsItsApr) {
  // A cap lowered after the product was loaded (say the LPR fell): each loan
  // is checked again when it is issued.
  CapPolicy caps;
  caps.apr_cap_bps = 1'300;
  Offer offer;
  EXPECT_EQ(MakeOffer(FlatFee(), caps, {1'000'000, 12, D("2024-03-20")}, &offer),
            CreditResult::kAprAboveCap);
  EXPECT_NEAR(offer.apr.nominal, 0.1303, 0.0001);
  EXPECT_EQ(offer.schedule.instalments.size(), 12u);
  EXPECT_EQ(MakeOffer(FlatFee(), caps, {1'000'000, 3, D("2024-03-20")}, &offer),
            CreditResult::kOk);  // 3 months costs less: under 13%
  EXPECT_LT(offer.apr.nominal, 0.13);
}

TEST(OfferTest, LoanFromOfferCarriesTheScheduleAndStatementDates) {
  Offer offer;
  ASSERT_EQ(MakeOffer(FlatFee(), CapPolicy{}, {1'000'000, 3, D("2024-03-20")}, &offer),
            CreditResult::kOk);
  const Loan loan = LoanFromOffer(offer);
  ASSERT_EQ(loan.instalments.size(), 3u);
  EXPECT_EQ(loan.kind, ProductKind::kInstalment);
  EXPECT_EQ(loan.status, LoanStatus::kActive);
  EXPECT_EQ(loan.penalty_daily_ppm, 500u);
  EXPECT_EQ(loan.last_run_date, D("2024-03-19"));  // its first day-end is the start date's
  EXPECT_EQ(loan.instalments[0].statement_date, D("2024-04-01"));
  EXPECT_EQ(loan.instalments[0].scheduled.due_date, D("2024-04-10"));
  EXPECT_EQ(loan.instalments[1].statement_date, D("2024-05-01"));
  EXPECT_EQ(loan.instalments[2].statement_date, D("2024-06-01"));
  EXPECT_EQ(OutstandingPrincipalMinor(loan), 1'000'000u);
}

}  // namespace
}  // namespace netfin::credit

namespace netfin::credit {
namespace {

TEST(CreditResultTest, EveryCodeHasItsOwnStableName) {
  std::set<std::string_view> names;
  for (int code = 0; code <= static_cast<int>(CreditResult::kNotStatementDay); ++code) {
    const std::string_view name = CreditResultName(static_cast<CreditResult>(code));
    EXPECT_NE(name, "unknown") << code;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_EQ(CreditResultName(CreditResult::kAprAboveCap), "apr_above_cap");
  EXPECT_EQ(CreditResultName(CreditResult::kDateBeforeLastRun), "date_before_last_run");
}

}  // namespace
}  // namespace netfin::credit
