// The credit API end to end: the real `netfin serve` as a child process,
// driven over HTTP with signed requests, as a platform's apps drive it.
//
// - Loans: an offer with its true APR, a loan into the wallet and a purchase
//   on credit to a merchant (the money lands where it should, exactly), a
//   payoff from the wallet, a repayment to a closed loan refused, the
//   borrower's limit, strict bodies, Idempotency-Key replay and reuse.
// - Day-end and statements: the operator's day-end route (the same date
//   twice answers the same summary; an earlier one is refused), the
//   statement the day-end issued as JSON and as escaped printable HTML.
// - Pay next month, merchant loans repaid from sales or from the merchant's
//   account, receivable financing: each moves exactly its money, and the
//   reserve still reconciles.
// - Authorization: every credit route, from a table, refused unsigned, to
//   another customer (a missing loan alike) and to a merchant, and served to
//   its owner.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/api.h"
#include "tests/http_test_support.h"

namespace netfin {
namespace {

using testing::Connection;
using testing::ErrorCodeOf;
using testing::ExpectReconciled;
using testing::Is2xx;
using testing::Json;
using testing::NewIdempotencyKey;
using testing::Platform;
using testing::Request;
using testing::SignatureOf;
using testing::Signer;

// A flat-fee instalment product (0.6% of the principal a month, 12 terms:
// the 10,000.00 CNY example of docs/credit.md, APR about 13.03%) and a cash
// loan. (Product names are [a-z0-9_-]; the HTML escaping itself is
// credit_statement_test's.)
constexpr std::string_view kCreditToml = R"(
[[credit.products]]
name = "flat_fee"
kind = "instalment"
method = "flat_fee"
terms = [12]
monthly_fee_bps = 60
statement_day = 5
due_day = 25
amount_max_minor = 2000000

[[credit.products]]
name = "cash"
kind = "cash_loan"
method = "equal_instalment"
terms = [3, 12]
annual_interest_bps = 1800
penalty_daily_ppm = 500

[[credit.products]]
name = "later"
kind = "credit_line"
method = "flat_fee"
terms = [3, 6]
monthly_fee_bps = 60
statement_day = 1
due_day = 10

[[credit.products]]
name = "shop"
kind = "merchant_loan"
method = "equal_principal"
terms = [3]
annual_interest_bps = 1200
sales_share_bps = 1000

[[credit.products]]
name = "supply"
kind = "receivable_financing"
method = "interest_first"
terms = [1, 2]
annual_interest_bps = 800
interest_basis = "day_count"
day_count = "act360"
advance_share_bps = 8000
)";
constexpr std::string_view kCash = "cash";

struct World {
  std::string a, b, m;  // customers A and B, merchant M
  Signer a_key, b_key, m_key;
};

World MakeWorld(Platform& platform) {
  World w;
  w.a = platform.CreateCustomer();
  w.b = platform.CreateCustomer();
  w.m = platform.CreateMerchant();
  w.a_key = platform.CreateKey("customer", w.a);
  w.b_key = platform.CreateKey("customer", w.b);
  w.m_key = platform.CreateKey("merchant", w.m);
  platform.TopUp(w.a, 500'000);
  return w;
}

std::string LoanBody(const std::string& customer, std::string_view product, uint64_t amount,
                     uint32_t terms, const std::string& merchant = "") {
  std::string body = R"({"customer_id":")" + customer + R"(","product":")" + std::string(product) +
                     R"(","amount":)" + std::to_string(amount) + R"(,"terms":)" +
                     std::to_string(terms);
  if (!merchant.empty()) body += R"(,"merchant_id":")" + merchant + "\"";
  return body + "}";
}

std::string RepayBody(uint64_t amount, std::string_view kind) {
  return R"({"amount":)" + std::to_string(amount) + R"(,"kind":")" + std::string(kind) + "\"}";
}

std::string WalletAccountOf(Platform& platform, const std::string& customer) {
  return Json(platform.Must({"GET", "/v1/customers/" + customer, ""})).Str("wallet_account_id");
}

// ---------------------------------------------------------------------------
// 1. Loans.

TEST(CreditHttp, OfferLoanPurchaseRepaymentAndPayoffMoveExactlyTheirAmounts) {
  Platform platform({.credit_toml = kCreditToml});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const World w = MakeWorld(platform);

  // The offer: every charge and the true APR.
  const Json offer(platform.MustAs(*w.a_key, {"POST", "/v1/credit/offers", LoanBody(w.a, "flat_fee", 1'000'000, 12)}));
  EXPECT_EQ(offer.Str("apr_text"), "13.03%");
  EXPECT_EQ(offer.U64("fee_total"), 72'000u);
  EXPECT_EQ(offer.U64("repay_total"), 1'072'000u);
  EXPECT_EQ(offer.Size("instalments"), 12u);

  // A cash loan into A's wallet: the wallet rises by exactly the amount.
  const uint64_t wallet_before = platform.WalletBalance(w.a);
  const Request open{"POST", "/v1/credit/loans", LoanBody(w.a, kCash, 100'000, 12)};
  Connection a_connection(platform.port());
  const std::string key = NewIdempotencyKey();
  const api::ClientResponse opened = a_connection.Send(open, w.a_key.get(), key);
  ASSERT_EQ(opened.status, 201u) << opened.body;
  const Json loan(opened.body);
  EXPECT_EQ(loan.Str("disbursement"), "wallet");
  EXPECT_EQ(loan.Str("destination_account_id"), WalletAccountOf(platform, w.a));
  EXPECT_EQ(platform.WalletBalance(w.a), wallet_before + 100'000);
  // The same key and body: the same loan, nothing moved again.
  const api::ClientResponse retried = a_connection.Send(open, w.a_key.get(), key);
  EXPECT_EQ(retried.status, 201u);
  EXPECT_EQ(retried.body, opened.body);
  EXPECT_EQ(platform.WalletBalance(w.a), wallet_before + 100'000);
  // The same key with another body.
  const api::ClientResponse reused =
      a_connection.Send({"POST", "/v1/credit/loans", LoanBody(w.a, kCash, 100'001, 12)}, w.a_key.get(), key);
  EXPECT_EQ(reused.status, 409u) << reused.body;
  EXPECT_EQ(ErrorCodeOf(reused), "idempotency_key_reused");

  // A purchase on credit: straight to the merchant.
  const uint64_t merchant_before = platform.MerchantBalance(w.m);
  const Json purchase(platform.MustAs(*w.a_key, {"POST", "/v1/credit/loans", LoanBody(w.a, "flat_fee", 200'000, 12, w.m)}));
  EXPECT_EQ(purchase.Str("disbursement"), "merchant");
  EXPECT_EQ(platform.MerchantBalance(w.m), merchant_before + 200'000);
  EXPECT_EQ(platform.WalletBalance(w.a), wallet_before + 100'000) << "a purchase does not touch the wallet";

  // Lists: A's own; B sees none of them; the operator all.
  EXPECT_EQ(Json(platform.MustAs(*w.a_key, {"GET", "/v1/credit/loans", ""})).Size("data"), 2u);
  EXPECT_EQ(Json(platform.MustAs(*w.b_key, {"GET", "/v1/credit/loans", ""})).Size("data"), 0u);
  const Json page(platform.Must({"GET", "/v1/credit/loans?limit=1", ""}));
  EXPECT_EQ(page.Size("data"), 1u);
  EXPECT_EQ(page.Str("data.0.id"), loan.Str("id"));
  EXPECT_EQ(Json(platform.Must({"GET", "/v1/credit/loans?after=" + page.Str("next_cursor"), ""})).Str("data.0.id"),
            purchase.Str("id"));

  // Nothing is billed yet: a regular repayment is refused as above what is due.
  const std::string repay_target = "/v1/credit/loans/" + loan.Str("id") + "/repayments";
  const api::ClientResponse early = platform.Send(w.a_key, {"POST", repay_target, RepayBody(1'000, "regular")});
  EXPECT_EQ(early.status, 422u) << early.body;
  EXPECT_EQ(ErrorCodeOf(early), "exceeds_amount_due");
  // B may not repay A's loan from anywhere.
  const api::ClientResponse others = platform.Send(w.b_key, {"POST", repay_target, RepayBody(1'000, "payoff")});
  EXPECT_EQ(others.status, 403u) << others.body;
  EXPECT_EQ(ErrorCodeOf(others), "forbidden");

  // The payoff, from A's wallet, for exactly the quote.
  const uint64_t payoff = loan.U64("payoff_quote.total");
  ASSERT_GT(payoff, 0u);
  const uint64_t wallet_loaned = platform.WalletBalance(w.a);
  const Json paid(platform.MustAs(*w.a_key, {"POST", repay_target, RepayBody(payoff, "payoff")}));
  EXPECT_EQ(paid.Str("status"), "paid_off");
  EXPECT_EQ(platform.WalletBalance(w.a), wallet_loaned - payoff);
  const api::ClientResponse closed = platform.Send(w.a_key, {"POST", repay_target, RepayBody(1'000, "regular")});
  EXPECT_EQ(closed.status, 409u) << closed.body;
  EXPECT_EQ(ErrorCodeOf(closed), "loan_paid_off");
  EXPECT_EQ(platform.WalletBalance(w.a), wallet_loaned - payoff) << "a refusal moved money";

  // The borrower's limit (operator only): 200,000 of 250,000 is in use.
  const api::ClientResponse not_operator =
      platform.Send(w.a_key, {"POST", "/v1/credit/limits", R"({"customer_id":")" + w.a + R"(","limit":250000})"});
  EXPECT_EQ(not_operator.status, 403u);
  EXPECT_EQ(ErrorCodeOf(not_operator), "forbidden");
  const Json limit(platform.Must({"POST", "/v1/credit/limits", R"({"customer_id":")" + w.a + R"(","limit":250000})"}));
  EXPECT_EQ(limit.U64("outstanding"), 200'000u);
  const api::ClientResponse over = platform.Send(w.a_key, {"POST", "/v1/credit/loans", LoanBody(w.a, "flat_fee", 100'000, 12, w.m)});
  EXPECT_EQ(over.status, 422u) << over.body;
  EXPECT_EQ(ErrorCodeOf(over), "over_credit_limit");
  EXPECT_EQ(platform.MerchantBalance(w.m), merchant_before + 200'000);
}

TEST(CreditHttp, RequestsAreSignedStrictAndKeyed) {
  Platform platform({.credit_toml = kCreditToml});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const World w = MakeWorld(platform);
  Connection connection(platform.port());
  const Request offer{"POST", "/v1/credit/offers", LoanBody(w.a, "flat_fee", 1'000'000, 12)};
  EXPECT_EQ(connection.Send(offer, nullptr).status, 401u);
  // Another customer's offer, and a merchant's.
  const api::ClientResponse for_a = connection.Send(offer, w.b_key.get());
  EXPECT_EQ(for_a.status, 403u) << for_a.body;
  EXPECT_EQ(ErrorCodeOf(for_a), "forbidden");
  EXPECT_EQ(connection.Send(offer, w.m_key.get()).status, 403u);
  // No Idempotency-Key.
  const api::ClientResponse unkeyed = connection.SendWith(offer, SignatureOf(*w.a_key, offer));
  EXPECT_EQ(unkeyed.status, 400u) << unkeyed.body;
  EXPECT_EQ(ErrorCodeOf(unkeyed), "idempotency_key_invalid");
  struct Case {
    std::string body;
    unsigned status;
    std::string_view code;
  };
  const Case cases[] = {
      {R"({"customer_id":")" + w.a + R"(","product":"flat_fee","amount":1000000,"terms":12,"x":1})", 400, "unknown_field"},
      {R"({"customer_id":")" + w.a + R"(","product":"flat_fee","amount":1000000})", 400, "missing_field"},
      {R"({"customer_id":")" + w.a + R"(","product":"flat_fee","amount":-5,"terms":12})", 400, "invalid_amount"},
      {"{", 400, "malformed_json"},
      {LoanBody(w.a, "no_such_product", 1'000'000, 12), 404, "unknown_product"},
      {LoanBody(w.a, "flat_fee", 1'000'000, 6), 422, "term_not_offered"},
      {LoanBody(w.a, "flat_fee", 1'000'000, 12, "98765432109876543210"), 404, "unknown_merchant"},
  };
  for (const Case& c : cases) {
    const api::ClientResponse r = connection.Send({"POST", "/v1/credit/loans", c.body}, w.a_key.get());
    EXPECT_EQ(r.status, c.status) << c.body << ": " << r.body;
    EXPECT_EQ(ErrorCodeOf(r), c.code) << c.body << ": " << r.body;
  }
  const api::ClientResponse kind = connection.Send({"POST", "/v1/credit/loans/1/repayments", RepayBody(5, "weird")}, w.a_key.get());
  EXPECT_EQ(kind.status, 400u);
  EXPECT_EQ(ErrorCodeOf(kind), "invalid_field");
  // The operator asking for a loan that does not exist.
  const api::ClientResponse missing = connection.Send({"GET", "/v1/credit/loans/98765432109876543210", ""}, platform.operator_signer().get());
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(ErrorCodeOf(missing), "unknown_loan");
}

// ---------------------------------------------------------------------------
// 2. Day-end and statements.

TEST(CreditHttp, DayEndIssuesAStatementShownAsJsonAndPrintableHtml) {
  Platform platform({.credit_toml = kCreditToml});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const World w = MakeWorld(platform);
  const Json loan(platform.MustAs(*w.a_key, {"POST", "/v1/credit/loans", LoanBody(w.a, kCash, 120'000, 3)}));
  const std::string base = "/v1/credit/loans/" + loan.Str("id");
  const api::ClientResponse none = platform.Send(w.a_key, {"GET", base + "/statement", ""});
  EXPECT_EQ(none.status, 404u) << none.body;
  EXPECT_EQ(ErrorCodeOf(none), "unknown_statement");
  EXPECT_EQ(Json(platform.MustAs(*w.a_key, {"GET", base + "/statements", ""})).Size("data"), 0u);

  // The operator runs the day-end up to the first statement date.
  const std::string statement_date = loan.Str("instalments.0.statement_date");
  ASSERT_FALSE(statement_date.empty()) << loan.Str("id");
  const Request day_end{"POST", "/v1/credit/day-end", R"({"date":")" + statement_date + "\"}"};
  const api::ClientResponse customer_day_end = platform.Send(w.a_key, day_end);
  EXPECT_EQ(customer_day_end.status, 403u);
  EXPECT_EQ(ErrorCodeOf(customer_day_end), "forbidden");
  const std::string summary = platform.Must(day_end);
  EXPECT_EQ(Json(summary).Str("date"), statement_date);
  EXPECT_EQ(Json(summary).U64("statements"), 1u) << summary;
  EXPECT_EQ(platform.Must(day_end), summary) << "the same date again answers the same summary";
  const api::ClientResponse earlier =
      platform.Send(platform.operator_signer(), {"POST", "/v1/credit/day-end", R"({"date":"2020-01-01"})"});
  EXPECT_EQ(earlier.status, 409u) << earlier.body;
  EXPECT_EQ(ErrorCodeOf(earlier), "date_before_last_run");
  const api::ClientResponse bad_date =
      platform.Send(platform.operator_signer(), {"POST", "/v1/credit/day-end", R"({"date":"2026-13-01"})"});
  EXPECT_EQ(bad_date.status, 400u) << bad_date.body;
  EXPECT_EQ(ErrorCodeOf(bad_date), "invalid_field");

  // The statement as JSON.
  const Json list(platform.MustAs(*w.a_key, {"GET", base + "/statements", ""}));
  ASSERT_EQ(list.Size("data"), 1u);
  const Json s(platform.MustAs(*w.a_key, {"GET", base + "/statement?instalment=1", ""}));
  EXPECT_EQ(s.Str("object"), "statement");
  EXPECT_EQ(s.U64("instalment"), 1u);
  EXPECT_EQ(s.Str("statement_date"), statement_date);
  EXPECT_EQ(s.Str("due_date"), loan.Str("instalments.0.due_date"));
  EXPECT_EQ(s.Str("apr_text"), loan.Str("apr_text"));
  EXPECT_EQ(s.Str("apr_effective_text"), loan.Str("apr_effective_text"));
  const uint64_t due = loan.U64("instalments.0.principal") + loan.U64("instalments.0.interest") +
                       loan.U64("instalments.0.fee");
  EXPECT_EQ(s.U64("amount_due"), due);
  EXPECT_EQ(s.U64("minimum_payment"), due) << "no revolving: the minimum is the whole amount due";
  EXPECT_EQ(s.U64("principal_outstanding"), 120'000u);
  EXPECT_EQ(s.Str("lines.0.kind"), "disbursed");
  EXPECT_EQ(s.U64("lines.0.amount"), 120'000u);
  EXPECT_GT(s.U64("totals.interest"), 0u);
  EXPECT_EQ(s.U64("balance_outstanding"), 120'000u + s.U64("totals.interest"));
  EXPECT_EQ(platform.MustAs(*w.a_key, {"GET", base + "/statement", ""}), platform.MustAs(*w.a_key, {"GET", base + "/statement?instalment=1&format=json", ""}))
      << "the latest by default";
  const api::ClientResponse not_issued = platform.Send(w.a_key, {"GET", base + "/statement?instalment=2", ""});
  EXPECT_EQ(not_issued.status, 404u);
  EXPECT_EQ(ErrorCodeOf(not_issued), "unknown_statement");
  const api::ClientResponse pdf = platform.Send(w.a_key, {"GET", base + "/statement?format=pdf", ""});
  EXPECT_EQ(pdf.status, 400u);
  EXPECT_EQ(ErrorCodeOf(pdf), "invalid_query");
  const api::ClientResponse others = platform.Send(w.b_key, {"GET", base + "/statement", ""});
  EXPECT_EQ(others.status, 403u);
  EXPECT_EQ(ErrorCodeOf(others), "forbidden");

  // The printable page.
  Connection connection(platform.port());
  const api::ClientResponse html = connection.Send({"GET", base + "/statement?format=html", ""}, w.a_key.get());
  ASSERT_EQ(html.status, 200u) << html.body;
  EXPECT_EQ(html.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(html.body.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.body.find("Loan " + loan.Str("id") + " (cash, cash_loan)"), std::string::npos) << html.body;
  EXPECT_NE(html.body.find(statement_date), std::string::npos);
  EXPECT_NE(html.body.find("<th>Minimum payment</th>"), std::string::npos);
  // An error stays JSON whatever the format asked.
  const api::ClientResponse html_error = connection.Send({"GET", base + "/statement?instalment=3&format=html", ""}, w.a_key.get());
  EXPECT_EQ(html_error.status, 404u);
  EXPECT_EQ(html_error.Header("Content-Type"), "application/json");

  // Paying the statement: the wallet goes down by exactly the amount due.
  const uint64_t wallet_before = platform.WalletBalance(w.a);
  platform.MustAs(*w.a_key, {"POST", base + "/repayments", RepayBody(due, "regular")});
  EXPECT_EQ(platform.WalletBalance(w.a), wallet_before - due);
  // The day-end thread stops with the node, and the journal verifies.
  EXPECT_EQ(platform.Stop(), 0);
  EXPECT_EQ(platform.Verify(), 0);
}

// ---------------------------------------------------------------------------
// 3. Pay next month, merchant loans repaid from sales, receivable financing:
//    each moves exactly its money, and the reserve at the custodian still
//    equals every wallet and merchant balance.

TEST(CreditHttp, LinesMerchantLoansAndReceivablesMoveExactlyTheirMoneyAndKeepTheReserveWhole) {
  Platform platform({.credit_toml = kCreditToml});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const World w = MakeWorld(platform);
  const std::string buyer = platform.CreateMerchant();

  // A pay-next-month line: purchases go straight to the merchant, up to the limit.
  const Json line(platform.Must({"POST", "/v1/credit/lines", R"({"customer_id":")" + w.a + R"(","product":"later","limit":300000})"}));
  const std::string line_id = line.Str("id");
  const uint64_t m_before = platform.MerchantBalance(w.m);
  const Json bought(platform.MustAs(*w.a_key, {"POST", "/v1/credit/lines/" + line_id + "/purchases", R"({"amount":120000,"merchant_id":")" + w.m + "\"}"}));
  EXPECT_EQ(bought.U64("used"), 120'000u);
  EXPECT_EQ(bought.U64("available"), 180'000u);
  EXPECT_EQ(platform.MerchantBalance(w.m), m_before + 120'000);
  const api::ClientResponse over = platform.Send(w.a_key, {"POST", "/v1/credit/lines/" + line_id + "/purchases", R"({"amount":200000,"merchant_id":")" + w.m + "\"}"});
  EXPECT_EQ(over.status, 422u) << over.body;
  EXPECT_EQ(ErrorCodeOf(over), "over_credit_limit");

  // The statement day's day-end bills the cycle: a loan of the line, due
  // interest-free; paid in full, the limit comes back.
  const std::string statement_date = bought.Str("next_statement_date");
  ASSERT_FALSE(statement_date.empty()) << bought.Str("id");
  platform.Must({"POST", "/v1/credit/day-end", R"({"date":")" + statement_date + "\"}"});
  const Json loans(platform.MustAs(*w.a_key, {"GET", "/v1/credit/loans", ""}));
  std::string bill;
  for (size_t i = 0; i < loans.Size("data"); ++i) {
    if (loans.Str("data." + std::to_string(i) + ".line_id") == line_id) bill = loans.Str("data." + std::to_string(i) + ".id");
  }
  ASSERT_FALSE(bill.empty()) << "no bill of the line";
  const Json billed(platform.MustAs(*w.a_key, {"GET", "/v1/credit/loans/" + bill, ""}));
  EXPECT_EQ(billed.U64("amount_due.total"), 120'000u);  // interest-free
  const uint64_t wallet_before = platform.WalletBalance(w.a);
  platform.MustAs(*w.a_key, {"POST", "/v1/credit/loans/" + bill + "/repayments", RepayBody(120'000, "regular")});
  EXPECT_EQ(platform.WalletBalance(w.a), wallet_before - 120'000);
  EXPECT_EQ(Json(platform.MustAs(*w.a_key, {"GET", "/v1/credit/loans/" + bill, ""})).Str("status"), "paid_off");
  EXPECT_EQ(Json(platform.MustAs(*w.a_key, {"GET", "/v1/credit/lines/" + line_id, ""})).U64("available"), 300'000u);

  // A merchant loan into M's account; its first statement's day-end bills
  // an instalment, and a day of sales repays 10% of them, at most what is due.
  const uint64_t m_before_loan = platform.MerchantBalance(w.m);
  const Json shop(platform.Must({"POST", "/v1/credit/merchant-loans", R"({"merchant_id":")" + w.m + R"(","product":"shop","amount":300000,"terms":3})"}));
  EXPECT_EQ(platform.MerchantBalance(w.m), m_before_loan + 300'000);
  platform.Must({"POST", "/v1/credit/day-end", R"({"date":")" + shop.Str("instalments.0.statement_date") + "\"}"});
  const uint64_t due = Json(platform.Must({"GET", "/v1/credit/loans/" + shop.Str("id"), ""})).U64("amount_due.total");
  ASSERT_GT(due, 50'000u);
  const uint64_t m_before_sweep = platform.MerchantBalance(w.m);
  const Json swept(platform.Must({"POST", "/v1/credit/loans/" + shop.Str("id") + "/sales-sweeps", R"({"sales":500000})"}));
  EXPECT_EQ(swept.U64("amount_due.total"), due - 50'000);  // 10% of 5,000.00
  EXPECT_EQ(platform.MerchantBalance(w.m), m_before_sweep - 50'000);
  // A repayment of a merchant loan comes from the merchant's own account.
  const uint64_t m_before_repay = platform.MerchantBalance(w.m);
  const Json repaid(platform.Must({"POST", "/v1/credit/loans/" + shop.Str("id") + "/repayments", RepayBody(1'000, "regular")}));
  EXPECT_EQ(repaid.U64("amount_due.total"), due - 51'000);
  EXPECT_EQ(platform.MerchantBalance(w.m), m_before_repay - 1'000);
  // A buyer's payment needs receivable financing.
  const api::ClientResponse not_receivable = platform.Send(
      platform.operator_signer(), {"POST", "/v1/credit/receivables/" + shop.Str("id") + "/payments", R"({"amount":100})"});
  EXPECT_EQ(not_receivable.status, 400u) << not_receivable.body;
  EXPECT_EQ(ErrorCodeOf(not_receivable), "invalid_field");
  EXPECT_EQ(platform.MerchantBalance(w.m), m_before_repay - 1'000) << "a refusal moved money";
  platform.Must({"POST", "/v1/credit/loans/" + shop.Str("id") + "/sales-sweeps", R"({"sales":100000000})"});
  EXPECT_EQ(Json(platform.Must({"GET", "/v1/credit/loans/" + shop.Str("id"), ""})).U64("amount_due.total"), 0u);

  // Receivable financing: unconfirmed is refused; confirmed, M gets 80%.
  // The buyer (funded by a merchant loan) pays short, which is held, then
  // the rest: the advance is repaid first and M gets what is left.
  platform.Must({"POST", "/v1/credit/merchant-loans", R"({"merchant_id":")" + buyer + R"(","product":"shop","amount":900000,"terms":3})"});
  const std::string receivable = R"({"supplier_id":")" + w.m + R"(","buyer_id":")" + buyer + R"(","product":"supply","amount":500000,"terms":1,"buyer_confirmed":)";
  const api::ClientResponse unconfirmed = platform.Send(platform.operator_signer(), {"POST", "/v1/credit/receivables", receivable + "false}"});
  EXPECT_EQ(unconfirmed.status, 422u) << unconfirmed.body;
  EXPECT_EQ(ErrorCodeOf(unconfirmed), "receivable_not_confirmed");
  const uint64_t m_before_advance = platform.MerchantBalance(w.m);
  const Json advance(platform.Must({"POST", "/v1/credit/receivables", receivable + "true}"}));
  EXPECT_EQ(advance.U64("principal"), 400'000u);
  EXPECT_EQ(platform.MerchantBalance(w.m), m_before_advance + 400'000);
  const Json held(platform.Must({"POST", "/v1/credit/receivables/" + advance.Str("id") + "/payments", R"({"amount":100})"}));
  EXPECT_EQ(held.U64("buyer_payment_held"), 100u);
  EXPECT_EQ(held.Str("status"), "active");
  const uint64_t payoff = held.U64("payoff_quote.total");
  const uint64_t m_before_paid = platform.MerchantBalance(w.m);
  const uint64_t buyer_before = platform.MerchantBalance(buyer);
  const Json paid(platform.Must({"POST", "/v1/credit/receivables/" + advance.Str("id") + "/payments", R"({"amount":499900})"}));
  EXPECT_EQ(paid.Str("status"), "paid_off");
  EXPECT_EQ(platform.MerchantBalance(buyer), buyer_before - 499'900);
  EXPECT_EQ(platform.MerchantBalance(w.m), m_before_paid + 500'000 - payoff);

  // Every yuan credit moved came to or left the custodian with it.
  ExpectReconciled(platform);
  EXPECT_EQ(platform.Stop(), 0);
  EXPECT_EQ(platform.Verify(), 0);
}

// ---------------------------------------------------------------------------
// 4. Authorization, one case per credit route.

struct RouteCase {
  std::string_view method;
  std::string_view path_template;
  std::string target;
  std::string body;
  bool operator_only;
  unsigned other_customer;  // status for customer B (A's resources)
  // What the owner gets, when not a 2xx: past authorization, the role's own
  // refusal (a loan that is no bill to convert; a node without a scorer),
  // with its code.
  unsigned owner_status = 0;
  std::string_view owner_code = {};
};

TEST(CreditHttpAuth, EveryCreditRouteRefusesUnsignedAndOtherPartiesAndServesItsOwner) {
  Platform platform({.credit_toml = kCreditToml});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const World w = MakeWorld(platform);
  const Json loan(platform.MustAs(*w.a_key, {"POST", "/v1/credit/loans", LoanBody(w.a, kCash, 100'000, 3)}));
  const std::string l = loan.Str("id");
  platform.Must({"POST", "/v1/credit/day-end", R"({"date":")" + loan.Str("instalments.0.statement_date") + "\"}"});
  const std::string last_day = loan.Str("instalments.0.statement_date");
  const std::string due = std::to_string(Json(platform.Must({"GET", "/v1/credit/loans/" + l, ""})).U64("amount_due.total"));
  // A's line, a merchant loan to M, and M's advance on a receivable of
  // buyer N (funded by a merchant loan of its own, to pay with).
  const std::string n = platform.CreateMerchant();
  const std::string ln = Json(platform.Must({"POST", "/v1/credit/lines", R"({"customer_id":")" + w.a + R"(","product":"later","limit":300000})"})).Str("id");
  const std::string ml = Json(platform.Must({"POST", "/v1/credit/merchant-loans", R"({"merchant_id":")" + w.m + R"(","product":"shop","amount":100000,"terms":3})"})).Str("id");
  platform.Must({"POST", "/v1/credit/merchant-loans", R"({"merchant_id":")" + n + R"(","product":"shop","amount":100000,"terms":3})"});
  const std::string rl = Json(platform.Must({"POST", "/v1/credit/receivables", R"({"supplier_id":")" + w.m + R"(","buyer_id":")" + n + R"(","product":"supply","amount":50000,"terms":1,"buyer_confirmed":true})"})).Str("id");
  const RouteCase cases[] = {
      {"POST", "/v1/credit/offers", "/v1/credit/offers", LoanBody(w.a, "flat_fee", 1'000'000, 12), false, 403},
      {"POST", "/v1/credit/loans", "/v1/credit/loans", LoanBody(w.a, kCash, 50'000, 3), false, 403},
      {"GET", "/v1/credit/loans", "/v1/credit/loans", "", false, 200},
      {"GET", "/v1/credit/loans/{id}", "/v1/credit/loans/" + l, "", false, 403},
      {"POST", "/v1/credit/loans/{id}/repayments", "/v1/credit/loans/" + l + "/repayments", RepayBody(std::stoull(due), "regular"), false, 403},
      {"GET", "/v1/credit/loans/{id}/statements", "/v1/credit/loans/" + l + "/statements", "", false, 403},
      {"GET", "/v1/credit/loans/{id}/statement", "/v1/credit/loans/" + l + "/statement", "", false, 403},
      {"POST", "/v1/credit/limits", "/v1/credit/limits", R"({"customer_id":")" + w.a + R"(","limit":0})", true, 403},
      {"POST", "/v1/credit/day-end", "/v1/credit/day-end", R"({"date":")" + last_day + "\"}", true, 403},
      {"POST", "/v1/credit/merchant-loans", "/v1/credit/merchant-loans", R"({"merchant_id":")" + w.m + R"(","product":"shop","amount":100000,"terms":3})", true, 403},
      {"POST", "/v1/credit/loans/{id}/sales-sweeps", "/v1/credit/loans/" + ml + "/sales-sweeps", R"({"sales":5000})", true, 403},
      {"POST", "/v1/credit/loans/{id}/conversion", "/v1/credit/loans/" + l + "/conversion", R"({"terms":3})", false, 403, 409, "bill_not_convertible"},
      {"POST", "/v1/credit/lines", "/v1/credit/lines", R"({"customer_id":")" + w.b + R"(","product":"later","limit":100000})", true, 403},
      {"GET", "/v1/credit/lines/{id}", "/v1/credit/lines/" + ln, "", false, 403},
      {"POST", "/v1/credit/lines/{id}/purchases", "/v1/credit/lines/" + ln + "/purchases", R"({"amount":1000,"merchant_id":")" + w.m + "\"}", false, 403},
      {"POST", "/v1/credit/receivables", "/v1/credit/receivables", R"({"supplier_id":")" + w.m + R"(","buyer_id":")" + n + R"(","product":"supply","amount":50000,"terms":1,"buyer_confirmed":true})", true, 403},
      {"POST", "/v1/credit/receivables/{id}/payments", "/v1/credit/receivables/" + rl + "/payments", R"({"amount":100})", true, 403},
      {"POST", "/v1/credit/assessments", "/v1/credit/assessments", R"({"customer_id":")" + w.a + R"(","features":{"income":1.5}})", true, 403, 503, "no_scorer"},
      {"GET", "/v1/credit/borrowers/{id}", "/v1/credit/borrowers/" + w.a, "", false, 403},
  };
  for (const api::RouteInfo& route : api::Router::Routes()) {
    if (route.path_template.rfind("/v1/credit/", 0) != 0) continue;
    const RouteCase* found = nullptr;
    for (const RouteCase& c : cases) {
      if (c.method == route.method && c.path_template == route.path_template) found = &c;
    }
    if (found == nullptr) {
      ADD_FAILURE() << "no authorization case for " << route.method << " " << route.path_template;
      continue;
    }
    const RouteCase& c = *found;
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    Connection connection(platform.port());
    const Request request{std::string(c.method), c.target, c.body};
    const uint64_t a_before = platform.WalletBalance(w.a), m_before = platform.MerchantBalance(w.m);
    const api::ClientResponse unsigned_response = connection.Send(request, nullptr);
    EXPECT_EQ(unsigned_response.status, 401u) << unsigned_response.body;
    EXPECT_EQ(ErrorCodeOf(unsigned_response), "unauthenticated");
    const api::ClientResponse other = connection.Send(request, w.b_key.get());
    EXPECT_EQ(other.status, c.other_customer) << other.body;
    if (c.other_customer == 403) {
      EXPECT_EQ(ErrorCodeOf(other), "forbidden");
    }
    if (c.other_customer == 200) {
      EXPECT_EQ(other.body.find(l), std::string::npos) << "another customer's loan is shown";
    }
    if (c.target.find(l) != std::string::npos) {
      // A loan that does not exist is refused to B the same way.
      std::string missing_target = c.target;
      missing_target.replace(missing_target.find(l), l.size(), "98765432109876543210");
      const api::ClientResponse missing = connection.Send({request.method, missing_target, c.body}, w.b_key.get());
      EXPECT_EQ(missing.status, other.status) << missing.body;
      EXPECT_EQ(ErrorCodeOf(missing), ErrorCodeOf(other));
    }
    const api::ClientResponse merchant = connection.Send(request, w.m_key.get());
    EXPECT_EQ(merchant.status, 403u) << "a merchant: " << merchant.body;
    EXPECT_EQ(ErrorCodeOf(merchant), "forbidden");
    EXPECT_EQ(platform.WalletBalance(w.a), a_before) << "a refusal moved A's money";
    EXPECT_EQ(platform.MerchantBalance(w.m), m_before) << "a refusal moved M's money";
    const api::RequestSigner& owner = c.operator_only ? *platform.operator_signer() : *w.a_key;
    const api::ClientResponse served = connection.Send(request, &owner);
    if (c.owner_status == 0) {
      EXPECT_TRUE(Is2xx(served.status)) << served.status << " " << served.body;
    } else {
      EXPECT_EQ(served.status, c.owner_status) << served.body;
      EXPECT_EQ(ErrorCodeOf(served), c.owner_code);
    }
  }
}

}  // namespace
}  // namespace netfin
