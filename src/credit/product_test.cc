#include "credit/product.h"

#include <gtest/gtest.h>

#include "credit/credit_config.h"
#include "credit/credit_limits.h"
#include "credit/credit_test_support.h"

namespace netfin::credit {
namespace {

using test_support::D;

Product CashLoan() {
  Product p;
  p.name = "cash";
  p.kind = ProductKind::kCashLoan;
  p.method = ScheduleMethod::kEqualInstalment;
  p.terms = {3, 6, 12};
  p.annual_interest_bps = 1'800;
  p.penalty_daily_ppm = 500;
  return p;
}

using test_support::PayLater;

// Expects ValidateProduct to refuse with a message naming the product and containing `words`.
void ExpectRefused(const Product& p, const char* words, const CapPolicy& caps = CapPolicy{}) {
  const core::Status s = ValidateProduct(p, caps);
  ASSERT_FALSE(s.ok()) << words;
  EXPECT_NE(s.message().find("credit.products[\"" + p.name + "\"]"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
}

TEST(ProductTest, DefaultProductsAreValidUnderTheDefaultCaps) {
  const CapPolicy caps;
  for (const Product& p : CreditPolicy::DefaultProducts()) {
    EXPECT_TRUE(ValidateProduct(p, caps).ok()) << ValidateProduct(p, caps).ToString();
  }
  EXPECT_TRUE(ValidateProduct(CashLoan(), caps).ok());
  EXPECT_TRUE(ValidateProduct(PayLater(), caps).ok());
}

TEST(ProductTest, InconsistentSchedulesAreRefusedWithTheReason) {
  Product p = CashLoan();
  p.terms = {};
  ExpectRefused(p, "zero terms");
  p.terms = {0};
  ExpectRefused(p, "terms: 0 not in 1..60");
  p.terms = {61};
  ExpectRefused(p, "terms: 61 not in 1..60");
  p.terms = {3, 3};
  ExpectRefused(p, "terms: 3 twice");
  p.terms.assign(kTermsPerProductMax + 1, 1);
  ExpectRefused(p, "at most 16 terms");

  p = CashLoan();
  p.method = ScheduleMethod::kInterestFirst;
  p.monthly_fee_bps = 10;
  ExpectRefused(p, "interest_first with a monthly fee");
  p = CashLoan();
  p.method = ScheduleMethod::kFlatFee;
  ExpectRefused(p, "flat_fee needs a monthly_fee_bps and no annual_interest_bps");
  p.monthly_fee_bps = 50;
  ExpectRefused(p, "flat_fee needs a monthly_fee_bps and no annual_interest_bps");

  p = PayLater();
  p.terms = {3, 5};
  ExpectRefused(p, "5 is not one of 3, 6, 9, 12, 24");
  p = PayLater();
  p.method = ScheduleMethod::kInterestFirst;
  p.monthly_fee_bps = 0;
  p.annual_interest_bps = 1'000;
  ExpectRefused(p, "interest_first for purchase instalments");

  p = CashLoan();
  p.kind = ProductKind::kReceivableFinancing;
  p.advance_share_bps = 8'000;
  ExpectRefused(p, "receivable financing is interest_first");
}

TEST(ProductTest, StatementAndDueDayRules) {
  Product p = PayLater();
  p.due_day = 1;
  ExpectRefused(p, "due_day equals statement_day");
  p = PayLater();
  p.statement_day = 10;
  p.due_day = 12;
  ExpectRefused(p, "due_day 12 comes 2 days after statement_day 10");
  p.statement_day = 25;
  p.due_day = 1;  // 1 + 28 - 25 = 4 days in February
  ExpectRefused(p, "due_day 1 comes 4 days after statement_day 25 in February");
  p.due_day = 2;  // 5 days: enough
  EXPECT_TRUE(ValidateProduct(p, CapPolicy{}).ok()) << ValidateProduct(p, CapPolicy{}).ToString();
  p = PayLater();
  p.due_day = 29;
  ExpectRefused(p, "statement_day and due_day: 1..28");
  p = PayLater();
  p.statement_day = 0;
  ExpectRefused(p, "both set, or both 0");
  p.due_day = 0;
  ExpectRefused(p, "required for this kind");
  p = CashLoan();  // anniversary dates are fine for a cash loan
  p.statement_day = 5;
  p.due_day = 25;
  EXPECT_TRUE(ValidateProduct(p, CapPolicy{}).ok());
}

TEST(ProductTest, KindSpecificFields) {
  Product p = PayLater();
  EXPECT_EQ(InterestFreeDaysMax(1, 10), 39u);  // purchase on the 2nd, due the 10th next month
  p.interest_free_days = 39;
  EXPECT_TRUE(ValidateProduct(p, CapPolicy{}).ok());
  p.interest_free_days = 41;
  ExpectRefused(p, "interest_free_days 41 but statement day 1 and due day 10 give at most 39");
  p = CashLoan();
  p.interest_free_days = 30;
  ExpectRefused(p, "only credit lines have an interest-free period");

  p = CashLoan();
  p.kind = ProductKind::kReceivableFinancing;
  p.method = ScheduleMethod::kInterestFirst;
  p.advance_share_bps = 10'001;
  ExpectRefused(p, "advance above 100%");
  p.advance_share_bps = 0;
  ExpectRefused(p, "advance above 100%");
  p.advance_share_bps = 10'000;
  EXPECT_TRUE(ValidateProduct(p, CapPolicy{}).ok());
  p = CashLoan();
  p.advance_share_bps = 5'000;
  ExpectRefused(p, "only receivable financing");

  p = CashLoan();
  p.sales_share_bps = 1'000;
  ExpectRefused(p, "only merchant loans are repaid from sales");
  p.kind = ProductKind::kMerchantLoan;
  EXPECT_TRUE(ValidateProduct(p, CapPolicy{}).ok());
  p.sales_share_bps = 10'001;
  ExpectRefused(p, "sales_share_bps: above 10000");
}

TEST(ProductTest, NamesRatesAndAmounts) {
  Product p = CashLoan();
  p.name = "";
  EXPECT_FALSE(ValidateProduct(p, CapPolicy{}).ok());
  p.name = "Cash Loan";
  ExpectRefused(p, "name: 1..64 of a-z 0-9 _ -");
  p = CashLoan();
  p.annual_interest_bps = kAnnualInterestBpsMax + 1;
  ExpectRefused(p, "annual_interest_bps: above 10000");
  p = CashLoan();
  p.monthly_fee_bps = kMonthlyFeeBpsMax + 1;
  ExpectRefused(p, "monthly_fee_bps: above 1000");
  p = CashLoan();
  p.penalty_daily_ppm = kPenaltyDailyPpmMax + 1;
  ExpectRefused(p, "penalty_daily_ppm: above 10000");
  p = CashLoan();
  p.amount_min_minor = 0;
  ExpectRefused(p, "1 <= min <= max");
  p.amount_min_minor = p.amount_max_minor + 1;
  ExpectRefused(p, "1 <= min <= max");
  p = CashLoan();
  p.amount_max_minor = kPrincipalMinorMax + 1;
  ExpectRefused(p, "1 <= min <= max");
}

TEST(ProductTest, AprAboveTheCapIsRefusedWithTheCase) {
  Product p = CashLoan();
  p.annual_interest_bps = 2'500;
  ExpectRefused(p, "worst-case APR 25.");
  ExpectRefused(p, "on_time");
  ExpectRefused(p, "exceeds the APR cap 24.00%");
  // Exactly the cap: 100.00 CNY over 3 months at 2% a month is 34.675 CNY a
  // month, rounded to 34.68: a fen of rounding makes it 24.02%, and the APR of
  // the actual cash flows is what counts.
  p.annual_interest_bps = 2'400;
  ExpectRefused(p, "worst-case APR 24.02% (on_time, 3 terms, 10000 minor units");
  p.amount_min_minor = 1'000'000;  // from 10,000.00 CNY the rounding is below 0.01%
  EXPECT_TRUE(ValidateProduct(p, CapPolicy{}).ok()) << ValidateProduct(p, CapPolicy{}).ToString();
  const CapPolicy caps;
  EXPECT_FALSE(caps.AprExceedsCap(240'049));  // 24.0049% shows as 24.00%
  EXPECT_FALSE(caps.AprExceedsCap(240'050));  // 24.005%: a tie, to even: 24.00%
  EXPECT_TRUE(caps.AprExceedsCap(240'150));   // 24.015%: to even, 24.02%
  EXPECT_TRUE(caps.AprExceedsCap(240'051));
  EXPECT_FALSE(caps.AprExceedsCap(-5));

  // A flat fee of 1.5% a month looks like 18% a year but costs over 30%.
  p = PayLater();
  p.monthly_fee_bps = 150;
  ExpectRefused(p, "exceeds the APR cap");
  p.penalty_daily_ppm = 0;
  p.terms = {24};
  ExpectRefused(p, "(on_time, 24 terms");

  // The penalty rate itself: 0.07% a day is 25.55% a year.
  p = CashLoan();
  p.penalty_daily_ppm = 700;
  ExpectRefused(p, "worst-case APR 25.55% (penalty_rate, penalty_daily_ppm 700 for a year)");

  // Late payment with penalty, measured by XIRR over the actual dates: it
  // also sees a short first period (a loan taken just before the statement
  // day) charged a full month's interest.
  p = PayLater();
  p.kind = ProductKind::kInstalment;
  p.method = ScheduleMethod::kEqualInstalment;
  p.monthly_fee_bps = 0;
  p.annual_interest_bps = 2'300;
  p.penalty_daily_ppm = 600;  // 21.9% a year alone, under the cap
  ExpectRefused(p, "(late,");
  CapPolicy lenient;
  lenient.late_days_checked = 0;  // not checking lateness lets it through
  EXPECT_TRUE(ValidateProduct(p, lenient).ok());

  // Day count over actual days at 24%: a 31-day month costs more than 2%.
  p = CashLoan();
  p.annual_interest_bps = 2'400;
  p.interest_basis = InterestBasis::kDayCount;
  p.day_count = DayCount::kActual360;
  ExpectRefused(p, "exceeds the APR cap");
}

TEST(ProductTest, FourTimesLprLowersTheCap) {
  CapPolicy caps;
  caps.lpr_one_year_bps = 300;  // 3.00%
  caps.lpr_multiple = 4;        // the SPC's 2020 rule: 12%
  EXPECT_EQ(caps.EffectiveAprCapBps(), 1'200u);
  ExpectRefused(CashLoan(), "exceeds the APR cap 12.00%", caps);
  caps.lpr_one_year_bps = 700;  // 4 x 7% = 28% is above the 24% cap: 24% stands
  EXPECT_EQ(caps.EffectiveAprCapBps(), 2'400u);
  caps.lpr_one_year_bps = 0;
  EXPECT_FALSE(caps.Validate().ok());
}

TEST(ProductTest, WorstCaseAprReportsItsCase) {
  auto worst = ComputeWorstCaseApr(PayLater(), CapPolicy{});
  ASSERT_TRUE(worst.ok());
  // 0.6% a month flat: 13.03% over 12 months, more over 24, less over 3;
  // paying each 30 days late at 0.05% a day does not beat 24 months on time.
  EXPECT_EQ(worst->worst_case, WorstCase::kPenaltyRate);  // 18.25% is the highest
  EXPECT_EQ(worst->nominal_ppm, 182'500);
  EXPECT_EQ(worst->terms, 0u);  // the rate alone, no schedule
  Product no_penalty = PayLater();
  no_penalty.penalty_daily_ppm = 0;
  worst = ComputeWorstCaseApr(no_penalty, CapPolicy{});
  ASSERT_TRUE(worst.ok());
  EXPECT_EQ(worst->worst_case, WorstCase::kOnTime);
  EXPECT_EQ(worst->terms, 24u);
  EXPECT_GT(worst->nominal_ppm, 130'342);
  EXPECT_LT(worst->nominal_ppm, 140'000);
}

TEST(ProductTest, DueAndStatementDates) {
  Product p = PayLater();                                        // statement 1st, due 10th
  EXPECT_EQ(FirstDueDate(p, D("2024-01-15")), D("2024-02-10"));  // billed 02-01
  EXPECT_EQ(FirstDueDate(p, D("2024-01-31")), D("2024-02-10"));
  EXPECT_EQ(FirstDueDate(p, D("2024-02-01")), D("2024-03-10"));  // 02-01's bill is closed
  EXPECT_EQ(StatementDateFor(1, D("2024-01-15"), D("2024-02-10")), D("2024-02-01"));
  p.statement_day = 25;  // due the 10th of the next month
  EXPECT_EQ(FirstDueDate(p, D("2024-01-24")), D("2024-02-10"));
  EXPECT_EQ(FirstDueDate(p, D("2024-01-25")), D("2024-03-10"));
  EXPECT_EQ(StatementDateFor(25, D("2024-01-24"), D("2024-02-10")), D("2024-01-25"));
  // Anniversary: a month later, clamped; billed a week before.
  p.statement_day = 0;
  p.due_day = 0;
  EXPECT_EQ(FirstDueDate(p, D("2024-01-31")), D("2024-02-29"));
  EXPECT_EQ(StatementDateFor(0, D("2024-01-31"), D("2024-02-29")), D("2024-02-22"));
  EXPECT_EQ(StatementDateFor(0, D("2024-02-25"), D("2024-02-29")), D("2024-02-25"));
}

TEST(ProductTest, PersonCaps) {
  CapPolicy caps;
  EXPECT_EQ(PersonCapMinor(caps, 0), 30'000'000u);
  EXPECT_EQ(PersonCapMinor(caps, 30'000'000), 10'000'000u);  // a third of the income
  EXPECT_EQ(PersonCapMinor(caps, 101), 33u);                 // 33.67: cut down, never rounded up
  EXPECT_EQ(CheckPersonCap(caps, 0, 29'000'000, 1'000'000), CreditResult::kOk);
  EXPECT_EQ(CheckPersonCap(caps, 0, 29'000'000, 1'000'001), CreditResult::kPersonCapExceeded);
  EXPECT_EQ(CheckPersonCap(caps, 30'000'000, 9'000'000, 1'000'001),
            CreditResult::kPersonCapExceeded);
  EXPECT_EQ(CheckPersonCap(caps, 0, core::kAmountMax, 1), CreditResult::kPersonCapExceeded);
  caps.person_outstanding_max_minor = 0;  // no cap
  EXPECT_EQ(CheckPersonCap(caps, 0, 1'000'000'000'000, 1), CreditResult::kOk);
}

TEST(ProductTest, Names) {
  EXPECT_EQ(ProductKindName(ProductKind::kCreditLine), "credit_line");
  EXPECT_EQ(ProductKindName(ProductKind::kInstalment), "instalment");
  EXPECT_EQ(ProductKindName(ProductKind::kCashLoan), "cash_loan");
  EXPECT_EQ(ProductKindName(ProductKind::kMerchantLoan), "merchant_loan");
  EXPECT_EQ(ProductKindName(ProductKind::kReceivableFinancing), "receivable_financing");
  EXPECT_EQ(WorstCaseName(WorstCase::kOnTime), "on_time");
  EXPECT_EQ(WorstCaseName(WorstCase::kLate), "late");
  EXPECT_EQ(WorstCaseName(WorstCase::kPenaltyRate), "penalty_rate");
}

}  // namespace
}  // namespace netfin::credit
