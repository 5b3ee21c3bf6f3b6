#include "credit/credit_service.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "credit/credit_service_test_support.h"

namespace netfin::credit {
namespace {

using test_support::CreditOnScratchLedger;
using test_support::Day;
using test_support::ParseJson;

class Harness : public CreditOnScratchLedger {
 public:
  using CreditOnScratchLedger::CreditOnScratchLedger;

  CreditReply Open(const CreditCall& call, uint64_t borrower, std::string product, AmountMinor amount,
                   uint32_t terms, Id128 destination, DisbursementKind kind = DisbursementKind::kWallet) {
    return svc().Await([&](CreditReplyFn done) {
      svc().OpenLoan(call, {Id128{0, borrower}, product, amount, terms, kind, destination, 0}, std::move(done));
    });
  }
  CreditReply Repay(const CreditCall& call, Id128 loan, Id128 source, AmountMinor amount,
                    RepaymentKind kind = RepaymentKind::kRegular) {
    return svc().Await([&](CreditReplyFn done) {
      svc().Repay(call, {loan, source, amount, kind}, std::move(done));
    });
  }
  CreditReply RunTo(const char* date) { return svc().RunDay(Operator(), Day(date)); }
  // Receivable, income and provision balances must match the loans' shares.
  void ExpectBooksMatchLoans() {
    const CreditBooks b = svc().Books(test_support::kLedger).value();
    AmountMinor receivable = 0, provision = 0;
    for (const LoanRecord& r : svc().AllLoanSnapshots()) {
      receivable += r.receivable_minor;
      provision += r.provision_minor;
      if (r.loan.status == LoanStatus::kActive) {
        EXPECT_EQ(r.receivable_minor, BookedBalanceMinor(r));
      }
    }
    EXPECT_EQ(-CreditBalance(b.receivable), static_cast<int64_t>(receivable));
    EXPECT_EQ(CreditBalance(b.loss_provision), static_cast<int64_t>(provision));
    EXPECT_EQ(CreditBalance(b.lending_funds), 0);
  }
};

TEST(CreditService, OpensBooksAndDisbursesToTheWalletOrTheMerchant) {
  Harness h;
  h.OpenAccounts(2);
  EXPECT_EQ(h.svc().OpenDate(), Day("2026-01-01"));
  const CreditReply cash = h.Open(h.Customer(1), 1, "cash_loan", 120'000, 12, h.Account(1));
  ASSERT_OK(cash);
  EXPECT_EQ(cash.http_status, 201);
  EXPECT_EQ(h.CreditBalance(h.Account(1)), 120'000);
  const CreditReply purchase = h.Open(h.Operator(), 1, "instalment", 60'000, 3, h.Account(2),
                                      DisbursementKind::kMerchant);
  ASSERT_OK(purchase);
  EXPECT_EQ(h.CreditBalance(h.Account(2)), 60'000);
  auto d = ParseJson(purchase.body);
  EXPECT_STREQ(d["disbursement"].GetString(), "merchant");
  EXPECT_STREQ(d["status"].GetString(), "active");
  EXPECT_GT(d["apr_ppm"].GetInt64(), 140'000);
  h.ExpectBooksMatchLoans();
}

TEST(CreditService, RefusalsChangeNothing) {
  CreditPolicy policy;
  policy.caps.person_outstanding_max_minor = 200'000;
  Harness h(policy);
  h.OpenAccounts(2);
  EXPECT_CODE(h.Open(h.Operator(), 1, "nope", 120'000, 12, h.Account(1)), "unknown_product");
  EXPECT_CODE(h.Open(h.Operator(), 1, "pay_later", 120'000, 3, h.Account(1)), "wrong_product_kind");
  EXPECT_CODE(h.Open(h.Operator(), 1, "cash_loan", 120'000, 7, h.Account(1)), "term_not_offered");
  EXPECT_CODE(h.Open(h.Operator(), 1, "cash_loan", 120'000, 12, Id128{9, 9}), "unknown_account");
  EXPECT_CODE(h.Open(h.Customer(2), 1, "cash_loan", 120'000, 12, h.Account(1)), "forbidden");
  ASSERT_OK(h.Open(h.Operator(), 1, "cash_loan", 120'000, 12, h.Account(1)));
  EXPECT_CODE(h.Open(h.Operator(), 1, "cash_loan", 90'000, 12, h.Account(1)), "person_cap_exceeded");
  // An over-limit purchase: the borrower's limit is 150,000 and 120,000 is used.
  const CreditReply limit = h.svc().Await([&](CreditReplyFn done) {
    h.svc().SetBorrowerLimit(h.Operator(), Id128{0, 1}, 150'000, std::move(done));
  });
  ASSERT_OK(limit);
  EXPECT_CODE(h.Open(h.Operator(), 1, "instalment", 40'000, 3, h.Account(2), DisbursementKind::kMerchant),
              "over_credit_limit");
  EXPECT_EQ(h.CreditBalance(h.Account(2)), 0);
  EXPECT_EQ(h.svc().AllLoanSnapshots().size(), 1u);
  CreditCall no_key = h.Operator();
  no_key.idempotency_key.clear();
  EXPECT_CODE(h.Open(no_key, 1, "cash_loan", 60'000, 12, h.Account(1)), "idempotency_key_invalid");
  h.ExpectBooksMatchLoans();
}

TEST(CreditService, IdempotencyKeyReplaysOrRefuses) {
  Harness h;
  h.OpenAccounts(1);
  CreditCall call = h.Operator("same");
  const CreditReply first = h.Open(call, 1, "cash_loan", 120'000, 12, h.Account(1));
  ASSERT_OK(first);
  const CreditReply again = h.Open(call, 1, "cash_loan", 120'000, 12, h.Account(1));
  ASSERT_OK(again);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.http_status, first.http_status);
  EXPECT_EQ(h.CreditBalance(h.Account(1)), 120'000);
  // The key is remembered across a restart (replayed from its event).
  h.Restart();
  const CreditReply after_restart = h.Open(call, 1, "cash_loan", 120'000, 12, h.Account(1));
  ASSERT_OK(after_restart);
  EXPECT_TRUE(after_restart.replayed);
  EXPECT_EQ(after_restart.body, first.body);
  EXPECT_EQ(h.svc().AllLoanSnapshots().size(), 1u);
  CreditCall other = call;
  other.fingerprint = "other";
  EXPECT_CODE(h.Open(other, 1, "cash_loan", 130'000, 12, h.Account(1)), "idempotency_key_reused");
  EXPECT_EQ(h.CreditBalance(h.Account(1)), 120'000);
  // Keys are scoped by the API key: another client's same key is a new request.
  CreditCall other_client = call;
  other_client.key_id = "another-api-key";
  const CreditReply second = h.Open(other_client, 1, "cash_loan", 120'000, 12, h.Account(1));
  ASSERT_OK(second);
  EXPECT_FALSE(second.replayed);
  EXPECT_NE(second.loan_id, first.loan_id);
  EXPECT_EQ(h.CreditBalance(h.Account(1)), 240'000);
  h.ExpectBooksMatchLoans();
}

TEST(CreditService, RepaysInOrderEarlyAndPartiallyThenRefusesAClosedLoan) {
  Harness h;
  h.OpenAccounts(1);
  const CreditReply opened = h.Open(h.Operator(), 1, "cash_loan", 120'000, 12, h.Account(1));
  ASSERT_OK(opened);
  const Id128 loan = opened.loan_id;
  // Nothing is billed on the first day: a regular repayment is above what is due.
  EXPECT_CODE(h.Repay(h.Operator(), loan, h.Account(1), 100), "exceeds_amount_due");
  ASSERT_OK(h.RunTo("2026-01-31"));  // the first bill comes a week before 2026-02-01
  const LoanRecord billed = h.svc().LoanSnapshot(loan).value();
  const Allocation due = AmountDue(billed.loan, Day("2026-02-01"));
  ASSERT_GT(due.total_minor(), 0u);
  // Partial: interest first, then principal.
  ASSERT_OK(h.Repay(h.Customer(1), loan, h.Account(1), due.interest_minor + 10));
  LoanRecord after = h.svc().LoanSnapshot(loan).value();
  const LoanEntry& paid = after.entries.back();
  EXPECT_EQ(paid.kind, EntryKind::kRepayment);
  EXPECT_EQ(paid.allocation.interest_minor, due.interest_minor);
  EXPECT_EQ(paid.allocation.principal_minor, 10u);
  h.ExpectBooksMatchLoans();
  EXPECT_CODE(h.Repay(h.Customer(2), loan, h.Account(1), 1), "forbidden");
  EXPECT_CODE(h.Repay(h.Operator(), loan, h.Account(1), 1, RepaymentKind::kPayoff), "payoff_amount_mismatch");
  // Early payoff: interest only to the day (the borrower got paid meanwhile).
  h.Fund(h.Account(1), 50'000);
  const Allocation quote = PayoffQuote(after.loan, Day("2026-02-01"));
  EXPECT_LT(quote.interest_minor, after.loan.terms.principal_minor);
  ASSERT_OK(h.Repay(h.Operator(), loan, h.Account(1), quote.total_minor(), RepaymentKind::kPayoff));
  after = h.svc().LoanSnapshot(loan).value();
  EXPECT_EQ(after.loan.status, LoanStatus::kPaidOff);
  EXPECT_EQ(after.receivable_minor, 0u);
  h.ExpectBooksMatchLoans();
  const int64_t wallet = h.CreditBalance(h.Account(1));
  EXPECT_CODE(h.Repay(h.Operator(), loan, h.Account(1), 100), "loan_paid_off");
  EXPECT_EQ(h.CreditBalance(h.Account(1)), wallet);
}

TEST(CreditService, RepaymentNeedsTheMoney) {
  Harness h;
  h.OpenAccounts(2);
  const CreditReply opened = h.Open(h.Operator(), 1, "cash_loan", 120'000, 12, h.Account(1));
  ASSERT_OK(opened);
  ASSERT_OK(h.RunTo("2026-01-31"));
  EXPECT_CODE(h.Repay(h.Operator(), opened.loan_id, h.Account(2), 100), "insufficient_balance");
  EXPECT_CODE(h.Repay(h.Operator(), Id128{5, 5}, h.Account(1), 100), "unknown_loan");
}

TEST(CreditService, DayEndIsIdempotentAndNeverGoesBack) {
  Harness h;
  h.OpenAccounts(1);
  ASSERT_OK(h.Open(h.Operator(), 1, "cash_loan", 120'000, 12, h.Account(1)));
  const CreditReply first = h.RunTo("2026-01-10");
  ASSERT_OK(first);
  auto d = ParseJson(first.body);
  EXPECT_EQ(d["loans_run"].GetUint(), 1u);
  EXPECT_GT(d["accrued"]["interest"].GetUint64(), 0u);
  const int64_t receivable = h.CreditBalance(h.svc().Books(156)->receivable);
  const CreditReply again = h.RunTo("2026-01-10");
  ASSERT_OK(again);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(h.CreditBalance(h.svc().Books(156)->receivable), receivable);
  const CreditReply back = h.RunTo("2026-01-09");
  EXPECT_CODE(back, "date_before_last_run");
  EXPECT_EQ(h.svc().OpenDate(), Day("2026-01-11"));
  CreditCall customer = h.Customer(1);
  EXPECT_CODE(h.svc().RunDay(customer, Day("2026-01-11")), "forbidden");
}

TEST(CreditService, AnOverdueLoanWalksThroughBucketsAndIsWrittenOff) {
  CreditPolicy policy;
  policy.day_end.write_off_dpd = 180;
  Harness h(policy);
  h.OpenAccounts(1);
  const CreditReply opened = h.Open(h.Operator(), 1, "cash_loan", 120'000, 3, h.Account(1));
  ASSERT_OK(opened);
  ASSERT_OK(h.RunTo("2026-03-15"));
  LoanRecord r = h.svc().LoanSnapshot(opened.loan_id).value();
  EXPECT_EQ(r.loan.bucket(), Bucket::kM2);
  EXPECT_GT(r.loan.penalty_accrued_minor, 0u);
  EXPECT_GT(r.provision_minor, 0u);
  h.ExpectBooksMatchLoans();
  const CreditReply year = h.RunTo("2026-12-31");
  ASSERT_OK(year);
  r = h.svc().LoanSnapshot(opened.loan_id).value();
  EXPECT_EQ(r.loan.status, LoanStatus::kWrittenOff);
  EXPECT_EQ(r.receivable_minor, 0u);
  const CreditBooks b = h.svc().Books(156).value();
  EXPECT_GT(-h.CreditBalance(b.written_off), 120'000);
  h.ExpectBooksMatchLoans();
  EXPECT_CODE(h.Repay(h.Operator(), opened.loan_id, h.Account(1), 100), "loan_written_off");
}

TEST(CreditService, RestartReplaysLoansAndTheCalendar) {
  Harness h;
  h.OpenAccounts(1);
  const CreditReply opened = h.Open(h.Operator(), 1, "instalment", 90'000, 6, h.Account(1));
  ASSERT_OK(opened);
  ASSERT_OK(h.RunTo("2026-02-10"));
  const LoanRecord before = h.svc().LoanSnapshot(opened.loan_id).value();
  ASSERT_GT(before.entries.size(), 1u);  // disbursed, then the day-ends' lines
  EXPECT_EQ(before.entries.front().kind, EntryKind::kDisbursed);
  const CreditReply summary = h.RunTo("2026-02-10");
  h.Restart();
  const LoanRecord after = h.svc().LoanSnapshot(opened.loan_id).value();
  EXPECT_EQ(after, before);  // every field, the history with it
  EXPECT_EQ(h.svc().OpenDate(), Day("2026-02-11"));
  EXPECT_EQ(h.RunTo("2026-02-10").body, summary.body);
  EXPECT_CODE(h.RunTo("2026-02-01"), "date_before_last_run");
  // New ids after a restart never meet the old ones.
  const CreditReply second = h.Open(h.Operator(), 1, "instalment", 30'000, 3, h.Account(1));
  ASSERT_OK(second);
  EXPECT_GT(second.loan_id, opened.loan_id);
  h.ExpectBooksMatchLoans();
}

TEST(CreditService, ListsOwnLoansWithACursor) {
  Harness h;
  h.OpenAccounts(2);
  for (int k = 0; k < 3; ++k) ASSERT_OK(h.Open(h.Operator(), 1, "cash_loan", 60'000, 3, h.Account(1)));
  ASSERT_OK(h.Open(h.Operator(), 2, "cash_loan", 60'000, 3, h.Account(2)));
  auto list = [&](const CreditCall& call, Id128 after) {
    return h.svc().Await([&](CreditReplyFn done) { h.svc().ListLoans(call, after, 2, std::move(done)); });
  };
  const CreditReply page1 = list(h.Customer(1), Id128{});
  ASSERT_OK(page1);
  auto d = ParseJson(page1.body);
  ASSERT_EQ(d["data"].Size(), 2u);
  ASSERT_TRUE(d["next_cursor"].IsString());
  const CreditReply page2 = list(h.Customer(1), *Id128::ParseDecimal(d["next_cursor"].GetString()));
  auto d2 = ParseJson(page2.body);
  EXPECT_EQ(d2["data"].Size(), 1u);
  EXPECT_TRUE(d2["next_cursor"].IsNull());
  EXPECT_EQ(ParseJson(list(h.Operator(), Id128{}).body)["data"].Size(), 2u);
  const Id128 others = *Id128::ParseDecimal(ParseJson(list(h.Customer(2), Id128{}).body)["data"][0]["id"].GetString());
  EXPECT_CODE(h.svc().Await([&](CreditReplyFn done) { h.svc().GetLoan(h.Customer(1), others, std::move(done)); }),
              "forbidden");
}

}  // namespace
}  // namespace netfin::credit
