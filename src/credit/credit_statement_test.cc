// Statements from a loan's history: which lines each statement takes, its
// totals and balances, the list, and the HTML page's escaping.

#include "credit/credit_statement.h"

#include <gtest/gtest.h>

#include "credit/credit_json.h"

namespace netfin::credit {
namespace {

CivilDate Day(const char* text) { return CivilDate::Parse(text).value(); }

// A 10,000-fen loan of two instalments opened 2026-01-10: billed on 02-03
// and 03-03; 5,100 repaid on 02-06 (100 interest, 5,000 principal).
LoanRecord TwoStatementLoan() {
  LoanRecord r;
  r.id = core::Id128{0, 7};
  r.borrower_id = core::Id128{0, 9};
  r.ledger = 156;
  r.product = "a<b>&\"'";
  r.apr_ppm = 130'342;
  r.apr_effective_ppm = 138'417;
  r.opened_date = Day("2026-01-10");
  r.loan.terms.principal_minor = 10'000;
  r.loan.terms.terms = 2;
  for (uint32_t n = 1; n <= 2; ++n) {
    LoanInstalment& i = r.loan.instalments.emplace_back();
    i.scheduled.number = n;
    i.scheduled.principal_minor = 5'000;
    i.scheduled.interest_minor = 100;
    i.scheduled.due_date = Day(n == 1 ? "2026-02-10" : "2026-03-10");
  }
  Allocation paid;
  paid.interest_minor = 100;
  paid.principal_minor = 5'000;
  r.entries = {
      {Day("2026-01-10"), EntryKind::kDisbursed, 10'000, {}, 0, {}},
      {Day("2026-02-03"), EntryKind::kStatement, 5'100, {}, 1, Day("2026-02-10")},
      {Day("2026-02-03"), EntryKind::kInterest, 80, {}, 0, {}},
      {Day("2026-02-06"), EntryKind::kRepayment, 5'100, paid, 0, {}},
      {Day("2026-02-06"), EntryKind::kInterest, 20, {}, 0, {}},
      {Day("2026-03-03"), EntryKind::kStatement, 5'100, {}, 2, Day("2026-03-10")},
      {Day("2026-03-03"), EntryKind::kInterest, 70, {}, 0, {}},
      {Day("2026-03-04"), EntryKind::kPenalty, 3, {}, 0, {}},
  };
  return r;
}

TEST(CreditStatement, EachStatementTakesTheLinesSinceThePreviousOne) {
  const LoanRecord r = TwoStatementLoan();
  EXPECT_EQ(IssuedStatements(r), (std::vector<uint32_t>{1, 2}));
  const std::optional<LoanStatement> first = BuildStatement(r, 1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->period_start, Day("2026-01-10"));
  EXPECT_EQ(first->statement_date, Day("2026-02-03"));
  EXPECT_EQ(first->due_date, Day("2026-02-10"));
  ASSERT_EQ(first->lines.size(), 2u);  // disbursed, interest of the statement day
  EXPECT_EQ(first->interest_minor, 80u);
  EXPECT_EQ(first->amount_due_minor, 5'100u);
  EXPECT_EQ(first->minimum_payment_minor, 5'100u);
  EXPECT_EQ(first->principal_outstanding_minor, 10'000u);
  EXPECT_EQ(first->balance_outstanding_minor, 10'080u);

  const std::optional<LoanStatement> second = BuildStatement(r, 2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->period_start, Day("2026-02-04"));
  ASSERT_EQ(second->lines.size(), 3u);  // repayment, interest, interest; not the penalty after it
  EXPECT_EQ(second->lines[0].kind, EntryKind::kRepayment);
  EXPECT_EQ(second->repaid_minor, 5'100u);
  EXPECT_EQ(second->interest_minor, 90u);
  EXPECT_EQ(second->penalty_minor, 0u);
  EXPECT_EQ(second->principal_outstanding_minor, 5'000u);
  EXPECT_EQ(second->balance_outstanding_minor, 10'000u + 80 + 20 + 70 - 5'100);
  EXPECT_EQ(BuildStatement(r, 0)->instalment, 2u) << "0 asks for the latest";
  EXPECT_FALSE(BuildStatement(r, 3).has_value());
  LoanRecord unbilled = r;
  unbilled.entries.resize(1);
  EXPECT_FALSE(BuildStatement(unbilled, 0).has_value());
}

TEST(CreditStatement, JsonAndListCarryTheDisclosures) {
  const LoanRecord r = TwoStatementLoan();
  const std::string json = StatementJson(*BuildStatement(r, 2));
  for (const char* field : {R"("instalment":2)", R"("apr_text":"13.03%")", R"("apr_effective_text":"13.84%")",
                            R"("statement_date":"2026-03-03")", R"("due_date":"2026-03-10")",
                            R"("amount_due":5100)", R"("minimum_payment":5100)", R"("kind":"repayment")",
                            R"("allocation":{"penalty":0,"fee":0,"interest":100,"principal":5000})",
                            R"("principal_outstanding":5000)"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  EXPECT_EQ(StatementListJson(r),
            R"({"loan_id":"7","data":[{"instalment":1,"statement_date":"2026-02-03","due_date":"2026-02-10","amount_due":5100},)"
            R"({"instalment":2,"statement_date":"2026-03-03","due_date":"2026-03-10","amount_due":5100}]})");
}

TEST(CreditStatement, TheHtmlPageEscapesEveryText) {
  EXPECT_EQ(HtmlEscape(R"(<a href="x">&'</a>)"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  const std::string html = StatementHtml(*BuildStatement(TwoStatementLoan(), 1));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("a&lt;b&gt;&amp;&quot;&#39;"), std::string::npos) << html;
  EXPECT_EQ(html.find("a<b>"), std::string::npos) << "the product name went out unescaped";
  EXPECT_NE(html.find("<th>Amount due</th><td class=\"n\">51.00</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("13.03%"), std::string::npos);
}

// Offers, loans and statements show a rate one way: to 0.01%, rounded
// half-even like every rounding, the sign kept.
TEST(CreditStatement, RatesShowToABasisPointRoundedHalfEven) {
  EXPECT_EQ(json::PercentText(130'342), "13.03%");
  EXPECT_EQ(json::PercentText(130'250), "13.02%");  // a tie: to the even basis point
  EXPECT_EQ(json::PercentText(130'350), "13.04%");
  EXPECT_EQ(json::PercentText(0), "0.00%");
  EXPECT_EQ(json::PercentText(49), "0.00%");
  EXPECT_EQ(json::PercentText(-1'500), "-0.15%");
}

}  // namespace
}  // namespace netfin::credit
