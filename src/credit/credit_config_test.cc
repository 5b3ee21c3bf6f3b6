#include "credit/credit_config.h"

#include <gtest/gtest.h>

#include <string>

namespace netfin::credit {
namespace {

core::Status ParseStatus(const std::string& text) { return ParseCreditConfig(text).status(); }

void ExpectRefused(const std::string& text, const char* words) {
  const core::Status s = ParseStatus(text);
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
}

TEST(CreditConfigTest, EmptyTextGivesValidDefaults) {
  for (const char* text : {"", "[other]\nx = 1\n", "[credit]\n"}) {
    auto parsed = ParseCreditConfig(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->caps.apr_cap_bps, 2'400u);
    EXPECT_EQ(parsed->caps.person_outstanding_max_minor, 30'000'000u);
    EXPECT_EQ(parsed->products.size(), 5u);
    EXPECT_NE(parsed->FindProduct("pay_later"), nullptr);
    EXPECT_NE(parsed->FindProduct("receivable_financing"), nullptr);
    EXPECT_EQ(parsed->FindProduct("nope"), nullptr);
  }
}

TEST(CreditConfigTest, AFullSection) {
  const std::string text = R"(
[credit]
apr_cap_bps = 3600
lpr_one_year_bps = 500
lpr_multiple = 4
late_days_checked = 60
person_outstanding_max_minor = 20000000

[credit.day_end]
special_mention_dpd_min = 1
substandard_dpd_min = 91
doubtful_dpd_min = 271
loss_dpd_min = 361
provision_normal_bps = 150
provision_special_mention_bps = 300
provision_substandard_bps = 3000
provision_doubtful_bps = 6000
provision_loss_bps = 10000
write_off_dpd = 540

[credit.limit_review]
raise_months_min = 3
raise_utilisation_bps_min = 5000
raise_step_bps = 3000
lower_dpd_min = 15
lower_step_bps = 7000
limit_granularity_minor = 100
review_day = 5

[[credit.grades]]
grade = "A"
score_min = 900
limit_minor = 8000000
[[credit.grades]]
grade = "B"
score_min = 750
limit_minor = 3000000
[[credit.grades]]
grade = "C"
score_min = 600
limit_minor = 1000000
[[credit.grades]]
grade = "D"
score_min = 450
limit_minor = 100000
[[credit.grades]]
grade = "E"
score_min = 0
limit_minor = 0

[[credit.products]]
name = "huabei_like"
kind = "credit_line"
method = "flat_fee"
terms = [3, 6, 9, 12]
monthly_fee_bps = 60
penalty_daily_ppm = 300
statement_day = 1
due_day = 10
interest_free_days = 39
amount_min_minor = 10000
amount_max_minor = 5000000

[[credit.products]]
name = "supplier_advance"
kind = "receivable_financing"
method = "interest_first"
terms = [1, 2, 3]
annual_interest_bps = 600
interest_basis = "day_count"
day_count = "act360"
advance_share_bps = 9000
)";
  auto parsed = ParseCreditConfig(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const CreditPolicy& c = parsed.value();
  EXPECT_EQ(c.caps.apr_cap_bps, 3'600u);
  EXPECT_EQ(c.caps.EffectiveAprCapBps(), 2'000u);  // 4 x 5.00%
  EXPECT_EQ(c.caps.late_days_checked, 60u);
  EXPECT_EQ(c.caps.person_outstanding_max_minor, 20'000'000u);
  EXPECT_EQ(c.day_end.doubtful_dpd_min, 271u);
  EXPECT_EQ(c.day_end.provision_normal_bps, 150u);
  EXPECT_EQ(c.day_end.write_off_dpd, 540u);
  EXPECT_EQ(c.limit_review.raise_months_min, 3u);
  EXPECT_EQ(c.limit_review.limit_granularity_minor, 100u);
  EXPECT_EQ(c.limit_review.review_day, 5u);
  EXPECT_EQ(c.grades.bands[0].score_min, 900u);
  EXPECT_EQ(c.grades.bands[3].limit_minor, 100'000u);
  ASSERT_EQ(c.products.size(), 2u);  // replaces the defaults
  const Product* line = c.FindProduct("huabei_like");
  ASSERT_NE(line, nullptr);
  EXPECT_EQ(line->kind, ProductKind::kCreditLine);
  EXPECT_EQ(line->method, ScheduleMethod::kFlatFee);
  EXPECT_EQ(line->terms, (std::vector<uint32_t>{3, 6, 9, 12}));
  EXPECT_EQ(line->interest_free_days, 39u);
  EXPECT_EQ(line->amount_max_minor, 5'000'000u);
  const Product* advance = c.FindProduct("supplier_advance");
  ASSERT_NE(advance, nullptr);
  EXPECT_EQ(advance->interest_basis, InterestBasis::kDayCount);
  EXPECT_EQ(advance->day_count, DayCount::kActual360);
  EXPECT_EQ(advance->advance_share_bps, 9'000u);
}

TEST(CreditConfigTest, RefusalsNameTheKeyOrTheProductAndTheRule) {
  ExpectRefused("[credit]\nsurprise = 1\n", "credit: unknown key surprise");
  ExpectRefused("[credit]\napr_cap_bps = -1\n", "credit.apr_cap_bps: a non-negative integer");
  ExpectRefused("[credit]\napr_cap_bps = \"24%\"\n", "credit.apr_cap_bps");
  ExpectRefused("[credit]\napr_cap_bps = 0\n", "credit.apr_cap_bps: 1..10000");
  ExpectRefused("[credit]\nlpr_multiple = 4\n", "set credit.lpr_one_year_bps too");
  ExpectRefused("[credit]\nday_end = 3\n", "credit.day_end: a table");
  ExpectRefused("[credit.day_end]\nloss_dpd_min = 100\n", "credit.day_end");
  ExpectRefused("[credit.day_end]\nbogus = 1\n", "credit.day_end: unknown key bogus");
  ExpectRefused("[credit.limit_review]\nbogus = 1\n", "credit.limit_review: unknown key bogus");
  ExpectRefused("[[credit.grades]]\ngrade = \"A\"\n", "five [[credit.grades]] tables");
  ExpectRefused("[credit]\nproducts = 1\n", "[[credit.products]] tables");
  ExpectRefused("[[credit.products]]\nkind = \"cash_loan\"\n", "a product without a name");
  ExpectRefused("[credit\n", "config:");

  const std::string base =
      "[[credit.products]]\nname = \"p\"\nkind = \"cash_loan\"\nmethod = \"equal_instalment\"\n"
      "terms = [3, 6]\nannual_interest_bps = 1000\n";
  ASSERT_TRUE(ParseStatus(base).ok()) << ParseStatus(base).ToString();
  ExpectRefused(base + "kind2 = 1\n", "credit.products: unknown key kind2 (product \"p\")");
  ExpectRefused(base + "day_count = \"act366\"\n",
                "\"act366\" is not one of \"act365\", \"act360\"");
  ExpectRefused("[[credit.products]]\nname = \"p\"\nkind = \"payday\"\n",
                "credit.products.kind: \"payday\" is not one of \"credit_line\", \"instalment\", "
                "\"cash_loan\", \"merchant_loan\", \"receivable_financing\" (product \"p\")");
  ExpectRefused(base + "annual_interest_bps = 3000\n", "config:");  // a key repeated
  const std::string over_cap =
      "[[credit.products]]\nname = \"pricey\"\nkind = \"cash_loan\"\nterms = [12]\n"
      "annual_interest_bps = 3000\n";
  ExpectRefused(over_cap, "credit.products[\"pricey\"]: worst-case APR 30.");
  ExpectRefused(over_cap, "exceeds the APR cap 24.00%");
  ASSERT_TRUE(ParseStatus("[credit]\napr_cap_bps = 3600\n" + over_cap).ok());
  ExpectRefused("[[credit.products]]\nname = \"p\"\nkind = \"cash_loan\"\nterms = []\n",
                "credit.products[\"p\"]: terms: at least one term (zero terms offered)");
  ExpectRefused("[[credit.products]]\nname = \"p\"\nkind = \"cash_loan\"\nterms = [3, -1]\n",
                "credit.products.terms: a non-negative integer");
  ExpectRefused(base + "[[credit.products]]\nname = \"p\"\nkind = \"cash_loan\"\nterms = [3]\n",
                "credit.products[\"p\"]: name used twice");
  ExpectRefused(
      "[[credit.products]]\nname = \"r\"\nkind = \"receivable_financing\"\n"
      "method = \"interest_first\"\nterms = [3]\nadvance_share_bps = 12000\n",
      "credit.products[\"r\"]: advance_share_bps: 1..10000 (an advance above 100% of the "
      "receivable)");
  ExpectRefused(
      "[[credit.products]]\nname = \"i\"\nkind = \"instalment\"\nmethod = \"interest_first\"\n"
      "terms = [3]\nmonthly_fee_bps = 50\nstatement_day = 1\ndue_day = 10\n",
      "credit.products[\"i\"]: interest_first with a monthly fee");
}

}  // namespace
}  // namespace netfin::credit
