// CreditService's credit lines, merchant sales sweeps, receivable financing
// and the cash legs at the custodian, on a real SQLite ledger.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <random>

#include "credit/credit_service.h"
#include "credit/credit_service_test_support.h"
#include "credit/financing.h"
#include "credit/offer.h"

namespace netfin::credit {
namespace {

using test_support::CreditOnScratchLedger;
using test_support::Day;
using test_support::ParseJson;
using test_support::kLedger;

constexpr AmountMinor kLimit = 500'000;

class Lines : public CreditOnScratchLedger {
 public:
  explicit Lines(CreditPolicy policy = {}, std::map<uint32_t, Id128> reserves = {})
      : CreditOnScratchLedger(std::move(policy), Day("2026-01-05"), std::move(reserves)) {
    OpenAccounts(6);
  }

  template <typename Request, typename Method>
  CreditReply Call(Method method, const CreditCall& call, Request request) {
    return svc().Await(
        [&](CreditReplyFn done) { (svc().*method)(call, std::move(request), std::move(done)); });
  }
  CreditReply OpenLine(uint64_t borrower, AmountMinor limit = kLimit) {
    return Call(&CreditService::OpenLine, Operator(),
                LineRequest{Id128{0, borrower}, "pay_later", limit, kLedger});
  }
  CreditReply Buy(const CreditCall& call, Id128 line, AmountMinor amount, uint64_t merchant = 2) {
    return Call(&CreditService::LinePurchase, call,
                LinePurchaseRequest{line, amount, Account(merchant)});
  }
  CreditReply Repay(Id128 loan, uint64_t from, AmountMinor amount,
                    RepaymentKind kind = RepaymentKind::kRegular) {
    return Call(&CreditService::Repay, Operator(),
                RepaymentRequest{loan, Account(from), amount, kind});
  }
  CreditReply Convert(const CreditCall& call, Id128 bill, uint32_t terms) {
    return Call(&CreditService::ConvertBill, call, ConvertBillRequest{bill, terms});
  }
  CreditReply RunTo(const char* date) { return svc().RunDay(Operator(), Day(date)); }
  LineRecord Line(Id128 id) { return svc().LineSnapshot(id).value(); }
  LoanRecord Loan(Id128 id) { return svc().LoanSnapshot(id).value(); }
  // The loans drawn on a line, in opening order.
  std::vector<LoanRecord> LoansOf(Id128 line) {
    std::vector<LoanRecord> out;
    for (LoanRecord& r : svc().AllLoanSnapshots()) {
      if (r.line_id == line) out.push_back(std::move(r));
    }
    return out;
  }

  // The books against the records: the receivable holds every active loan's
  // booked balance and every line's unbilled purchases; held buyer payments
  // and the provision their loans' shares; lending funds nothing; a line
  // uses what is unbilled and its loans' principal unpaid.
  void ExpectBooks() {
    const CreditBooks b = svc().Books(kLedger).value();
    AmountMinor receivable = 0, provision = 0, held = 0;
    for (const LoanRecord& r : svc().AllLoanSnapshots()) {
      receivable += r.receivable_minor;
      provision += r.provision_minor;
      held += r.held_minor;
      if (r.loan.status == LoanStatus::kActive) {
        EXPECT_EQ(r.receivable_minor, BookedBalanceMinor(r));
      } else {
        EXPECT_EQ(r.receivable_minor, 0u);
      }
    }
    for (const LineRecord& l : svc().AllLineSnapshots()) {
      receivable += l.line.unbilled_minor;
      AmountMinor used = l.line.unbilled_minor;
      for (const LoanRecord& r : LoansOf(l.id)) {
        if (r.loan.status == LoanStatus::kActive) used += OutstandingPrincipalMinor(r.loan);
      }
      EXPECT_EQ(l.line.used_minor, used);
    }
    EXPECT_EQ(-CreditBalance(b.receivable), static_cast<int64_t>(receivable));
    EXPECT_EQ(CreditBalance(b.loss_provision), static_cast<int64_t>(provision));
    EXPECT_EQ(CreditBalance(b.held_payments), static_cast<int64_t>(held));
    EXPECT_EQ(CreditBalance(b.lending_funds), 0);
  }

};

TEST(CreditLines, OpeningALineIsTheOperatorsAndOneLinePerProduct) {
  Lines h;
  EXPECT_CODE(h.Call(&CreditService::OpenLine, h.Customer(1),
                     LineRequest{Id128{0, 1}, "pay_later", kLimit, kLedger}),
              "forbidden");
  EXPECT_CODE(h.Call(&CreditService::OpenLine, h.Operator(),
                     LineRequest{Id128{0, 1}, "cash_loan", kLimit, kLedger}),
              "wrong_product_kind");
  EXPECT_CODE(h.Call(&CreditService::OpenLine, h.Operator(),
                     LineRequest{Id128{0, 1}, "nope", kLimit, kLedger}),
              "unknown_product");
  EXPECT_CODE(h.Call(&CreditService::OpenLine, h.Operator(),
                     LineRequest{Id128{0, 1}, "pay_later", kLimit, 840}),
              "no_credit_books");
  EXPECT_CODE(h.OpenLine(1, 0), "invalid_field");
  EXPECT_CODE(h.OpenLine(1, 30'000'001), "person_cap_exceeded");
  const CreditReply opened = h.OpenLine(1);
  ASSERT_OK(opened);
  EXPECT_EQ(opened.http_status, 201);
  auto d = ParseJson(opened.body);
  EXPECT_STREQ(d["state"].GetString(), "active");
  EXPECT_EQ(d["available"].GetUint64(), kLimit);
  EXPECT_CODE(h.OpenLine(1), "line_exists");
  // A customer sees only their own line.
  EXPECT_CODE(h.svc().Await([&](CreditReplyFn done) {
    h.svc().GetLine(h.Customer(2), opened.line_id, std::move(done));
  }),
              "forbidden");
  ASSERT_OK(h.svc().Await([&](CreditReplyFn done) {
    h.svc().GetLine(h.Customer(1), opened.line_id, std::move(done));
  }));
  EXPECT_CODE(h.svc().Await([&](CreditReplyFn done) {
    h.svc().GetLine(h.Operator(), Id128{9, 9}, std::move(done));
  }),
              "unknown_line");
  EXPECT_EQ(h.svc().AllLineSnapshots().size(), 1u);
}

TEST(CreditLines, ABillPaidInFullByItsDueDayCostsNothingAndGivesTheLimitBack) {
  Lines h;
  const Id128 line = h.OpenLine(1).line_id;
  ASSERT_OK(h.Buy(h.Customer(1), line, 30'000));
  ASSERT_OK(h.Buy(h.Operator(), line, 12'345, 3));
  EXPECT_EQ(h.CreditBalance(h.Account(2)), 30'000);  // straight to the merchants
  EXPECT_EQ(h.CreditBalance(h.Account(3)), 12'345);
  EXPECT_CODE(h.Buy(h.Customer(2), line, 100), "forbidden");
  EXPECT_CODE(h.Buy(h.Operator(), line, 0), "zero_amount");
  EXPECT_CODE(h.Buy(h.Operator(), line, kLimit - 42'345 + 1), "over_credit_limit");
  EXPECT_CODE(h.Call(&CreditService::LinePurchase, h.Operator(),
                     LinePurchaseRequest{line, 100, Id128{9, 9}}),
              "unknown_account");
  EXPECT_CODE(h.Call(&CreditService::LinePurchase, h.Operator(),
                     LinePurchaseRequest{Id128{9, 9}, 100, h.Account(2)}),
              "unknown_line");
  LineRecord l = h.Line(line);
  EXPECT_EQ(l.line.unbilled_minor, 42'345u);
  EXPECT_EQ(l.line.available_minor(), kLimit - 42'345);
  h.ExpectBooks();
  // No statement day before 2026-02-01: nothing billed.
  ASSERT_OK(h.RunTo("2026-01-31"));
  EXPECT_TRUE(h.LoansOf(line).empty());
  EXPECT_EQ(h.Line(line).line.unbilled_minor, 42'345u);
  ASSERT_OK(h.RunTo("2026-02-09"));
  std::vector<LoanRecord> bills = h.LoansOf(line);
  ASSERT_EQ(bills.size(), 1u);
  const LoanRecord& bill = bills[0];
  EXPECT_EQ(bill.loan.terms.principal_minor, 42'345u);
  EXPECT_EQ(bill.loan.instalments[0].statement_date, Day("2026-02-01"));
  EXPECT_EQ(bill.loan.instalments[0].scheduled.due_date, Day("2026-02-10"));
  EXPECT_EQ(bill.borrower_id, (Id128{0, 1}));
  EXPECT_EQ(bill.entries.front().kind, EntryKind::kStatement);
  l = h.Line(line);
  EXPECT_EQ(l.line.unbilled_minor, 0u);
  EXPECT_EQ(l.line.used_minor, 42'345u);
  EXPECT_EQ(l.entries.back().kind, LineEntryKind::kBilled);
  EXPECT_EQ(l.entries.back().ref_id, bill.id);
  h.ExpectBooks();
  // Paid in full on its due day: no interest, no penalty, the limit back.
  h.Fund(h.Account(1), 42'345);
  ASSERT_OK(h.Repay(bill.id, 1, 42'345));
  const LoanRecord paid = h.Loan(bill.id);
  EXPECT_EQ(paid.loan.status, LoanStatus::kPaidOff);
  EXPECT_EQ(paid.loan.penalty_accrued_minor, 0u);
  const CreditBooks b = h.svc().Books(kLedger).value();
  EXPECT_EQ(h.CreditBalance(b.interest_income), 0);
  EXPECT_EQ(h.CreditBalance(b.penalty_income), 0);
  l = h.Line(line);
  EXPECT_EQ(l.line.used_minor, 0u);
  EXPECT_EQ(l.line.available_minor(), kLimit);
  EXPECT_EQ(l.entries.back().kind, LineEntryKind::kRestored);
  h.ExpectBooks();
  // The same night again bills nothing more.
  ASSERT_OK(h.RunTo("2026-03-01"));
  EXPECT_EQ(h.LoansOf(line).size(), 1u);
}

TEST(CreditLines, AnUnpaidBillBearsPenaltyAndFreezesTheLineUntilRepaid) {
  Lines h;
  const Id128 line = h.OpenLine(1).line_id;
  ASSERT_OK(h.Buy(h.Customer(1), line, 100'000));
  ASSERT_OK(h.RunTo("2026-02-10"));  // billed 02-01, due 02-10: not yet late
  EXPECT_EQ(h.Line(line).line.state, LineState::kActive);
  ASSERT_OK(h.RunTo("2026-02-15"));
  const Id128 bill = h.LoansOf(line)[0].id;
  LoanRecord r = h.Loan(bill);
  EXPECT_EQ(r.loan.days_past_due, 5u);
  EXPECT_EQ(r.loan.penalty_accrued_minor, 250u);  // 100,000 x 0.05% x 5 days
  LineRecord l = h.Line(line);
  EXPECT_EQ(l.line.state, LineState::kFrozen);
  EXPECT_EQ(l.entries.back().kind, LineEntryKind::kFrozen);
  EXPECT_STREQ(ParseJson(h.svc()
                         .Await([&](CreditReplyFn done) {
                           h.svc().GetLine(h.Customer(1), line, std::move(done));
                         })
                         .body)["state"]
                   .GetString(),
               "frozen");
  EXPECT_CODE(h.Buy(h.Customer(1), line, 100), "line_frozen");
  // A part leaves it past due and frozen; the rest unfreezes it.
  h.Fund(h.Account(1), 100'250);
  ASSERT_OK(h.Repay(bill, 1, 50'000));
  EXPECT_EQ(h.Line(line).line.state, LineState::kFrozen);
  EXPECT_EQ(h.Line(line).line.used_minor, 100'000u - (50'000 - 250));  // penalty first
  ASSERT_OK(h.Repay(bill, 1, 50'250));
  l = h.Line(line);
  EXPECT_EQ(l.line.state, LineState::kActive);
  EXPECT_EQ(l.entries.back().kind, LineEntryKind::kUnfrozen);
  EXPECT_EQ(l.line.used_minor, 0u);
  const CreditBooks b = h.svc().Books(kLedger).value();
  EXPECT_EQ(h.CreditBalance(b.penalty_income), 250);
  EXPECT_EQ(h.CreditBalance(b.interest_income), 0);
  ASSERT_OK(h.Buy(h.Customer(1), line, 100));
  h.ExpectBooks();
}

TEST(CreditLines, AWrittenOffBillGivesTheLimitBackAndKeepsTheLineFrozen) {
  CreditPolicy policy;
  policy.day_end.write_off_dpd = 30;
  Lines h(policy);
  const Id128 line = h.OpenLine(1).line_id;
  ASSERT_OK(h.Buy(h.Customer(1), line, 100'000));
  ASSERT_OK(h.RunTo("2026-03-15"));
  const LoanRecord r = h.Loan(h.LoansOf(line)[0].id);
  EXPECT_EQ(r.loan.status, LoanStatus::kWrittenOff);
  const LineRecord l = h.Line(line);
  EXPECT_EQ(l.line.used_minor, 0u);
  EXPECT_EQ(l.line.state, LineState::kFrozen);
  EXPECT_CODE(h.Buy(h.Customer(1), line, 100), "line_frozen");
  h.ExpectBooks();
}

TEST(CreditLines, ABillConvertsIntoInstalmentsWithTheFeeAndTheTrueApr) {
  Lines h;
  const Id128 line = h.OpenLine(1).line_id;
  ASSERT_OK(h.Buy(h.Customer(1), line, 120'000));
  ASSERT_OK(h.RunTo("2026-02-03"));
  const Id128 bill = h.LoansOf(line)[0].id;
  EXPECT_CODE(h.Convert(h.Customer(2), bill, 6), "forbidden");
  EXPECT_CODE(h.Convert(h.Customer(1), bill, 7), "term_not_offered");
  const CreditReply converted = h.Convert(h.Customer(1), bill, 6);
  ASSERT_OK(converted);
  EXPECT_EQ(h.Loan(bill).loan.status, LoanStatus::kConverted);
  EXPECT_EQ(h.Loan(bill).receivable_minor, 0u);
  const LoanRecord r = h.Loan(converted.loan_id);
  // The offer the product makes for the bill's principal from its due date.
  const CreditPolicy policy;
  Offer offer;
  ASSERT_EQ(MakeOffer(*policy.FindProduct("pay_later"), policy.caps,
                      {120'000, 6, Day("2026-02-10")}, &offer),
            CreditResult::kOk);
  EXPECT_EQ(r.loan.instalments.size(), 6u);
  EXPECT_EQ(r.loan.terms.principal_minor, 120'000u);
  EXPECT_EQ(offer.schedule.fee_total_minor, 6 * 720u);  // 0.6% a month
  EXPECT_EQ(r.apr_ppm, offer.apr.NominalPpm());
  EXPECT_GT(r.apr_ppm, 100'000);
  EXPECT_EQ(r.line_id, line);
  EXPECT_EQ(r.receivable_minor, 120'000u);
  EXPECT_EQ(h.Line(line).line.used_minor, 120'000u);  // moved, not repaid
  EXPECT_CODE(h.Convert(h.Customer(1), bill, 6), "loan_paid_off");
  EXPECT_CODE(h.Convert(h.Customer(1), converted.loan_id, 3), "bill_not_convertible");
  h.ExpectBooks();
  // The first instalment: its fee recognised when billed, its principal
  // gives that much limit back.
  ASSERT_OK(h.RunTo("2026-03-10"));
  const Allocation due = AmountDue(h.Loan(converted.loan_id).loan, Day("2026-03-11"));
  EXPECT_EQ(due.fee_minor, 720u);
  EXPECT_EQ(due.principal_minor, 20'000u);
  h.Fund(h.Account(1), due.total_minor());
  ASSERT_OK(h.Repay(converted.loan_id, 1, due.total_minor()));
  EXPECT_EQ(h.Line(line).line.used_minor, 100'000u);
  EXPECT_EQ(h.CreditBalance(h.svc().Books(kLedger)->fee_income), 720);
  h.ExpectBooks();
}

TEST(CreditLines, AConversionAboveTheCapIsRefusedAndABillPastItsDueDayIsNot) {
  // A cap below the product's APR (the configuration check is skipped to
  // provoke the refusal that a lowered LPR cap would give).
  CreditPolicy policy;
  policy.caps.apr_cap_bps = 1'000;
  Lines h(policy);
  const Id128 line = h.OpenLine(1).line_id;
  ASSERT_OK(h.Buy(h.Customer(1), line, 120'000));
  ASSERT_OK(h.RunTo("2026-02-03"));
  const Id128 bill = h.LoansOf(line)[0].id;
  const CreditReply refused = h.Convert(h.Operator(), bill, 6);
  EXPECT_CODE(refused, "apr_above_cap");
  EXPECT_NE(refused.message.find("above the cap of 1000 bps"), std::string::npos)
      << refused.message;
  EXPECT_EQ(h.Loan(bill).loan.status, LoanStatus::kActive);
  EXPECT_EQ(h.LoansOf(line).size(), 1u);
  ASSERT_OK(h.RunTo("2026-02-10"));
  EXPECT_CODE(h.Convert(h.Operator(), bill, 6), "bill_not_convertible");
  h.ExpectBooks();
}

TEST(CreditLines, RestartReplaysLinesBillsAndConversions) {
  Lines h;
  const Id128 line = h.OpenLine(1).line_id;
  ASSERT_OK(h.Buy(h.Customer(1), line, 70'000));
  ASSERT_OK(h.RunTo("2026-02-02"));
  const Id128 bill = h.LoansOf(line)[0].id;
  const CreditReply converted = h.Convert(h.Customer(1), bill, 3);
  ASSERT_OK(converted);
  ASSERT_OK(h.Buy(h.Customer(1), line, 5'000));
  ASSERT_OK(h.RunTo("2026-03-20"));  // a second bill, and it is late
  const LineRecord before = h.Line(line);
  ASSERT_EQ(before.line.state, LineState::kFrozen);
  const std::vector<LoanRecord> loans_before = h.LoansOf(line);
  ASSERT_EQ(loans_before.size(), 3u);
  h.Restart();
  const LineRecord after = h.Line(line);
  EXPECT_EQ(after.entries, before.entries);
  EXPECT_EQ(after.line.used_minor, before.line.used_minor);
  EXPECT_EQ(after.line.unbilled_minor, before.line.unbilled_minor);
  EXPECT_EQ(after.line.state, before.line.state);
  EXPECT_EQ(after.cycle_start_date, before.cycle_start_date);
  EXPECT_EQ(after.line.limit_minor, before.line.limit_minor);
  EXPECT_EQ(h.LoansOf(line), loans_before);  // every field of every loan, with its history
  EXPECT_CODE(h.Buy(h.Customer(1), line, 100), "line_frozen");
  h.ExpectBooks();
}

// ---------------------------------------------------------------------------
// Merchant loans repaid from sales.

TEST(CreditSweeps, TakeTheShareOfSalesNeverMoreThanDueOrHeld) {
  Lines h;
  const CreditReply opened = h.Call(&CreditService::OpenLoan, h.Operator(),
                                    LoanRequest{Id128{0, 2}, "merchant_loan", 300'000, 3,
                                                DisbursementKind::kMerchant, h.Account(2), 0});
  ASSERT_OK(opened);
  const Id128 loan = opened.loan_id;
  auto sweep = [&](AmountMinor sales, uint64_t from = 2) {
    return h.Call(&CreditService::SweepSales, h.Operator(),
                  SalesSweepRequest{loan, sales, h.Account(from)});
  };
  // Nothing billed yet: a no-op success.
  const int64_t merchant = h.CreditBalance(h.Account(2));
  ASSERT_OK(sweep(50'000));
  EXPECT_EQ(h.CreditBalance(h.Account(2)), merchant);
  ASSERT_OK(h.RunTo("2026-02-04"));
  const AmountMinor due = AmountDue(h.Loan(loan).loan, Day("2026-02-05")).total_minor();
  ASSERT_GT(due, 5'000u);
  ASSERT_OK(sweep(0));
  ASSERT_OK(sweep(50'005));  // 10%, half to even: 5,000
  EXPECT_EQ(h.CreditBalance(h.Account(2)), merchant - 5'000);
  EXPECT_EQ(h.Loan(loan).entries.back().amount_minor, 5'000u);
  // The merchant's other account holds 123: that is all it gives.
  h.Fund(h.Account(4), 123);
  ASSERT_OK(sweep(50'000, 4));
  EXPECT_EQ(h.CreditBalance(h.Account(4)), 0);
  // A big day: exactly what is left due, no more.
  ASSERT_OK(sweep(100'000'000));
  EXPECT_EQ(h.CreditBalance(h.Account(2)), merchant - static_cast<int64_t>(due) + 123);
  EXPECT_EQ(AmountDue(h.Loan(loan).loan, Day("2026-02-05")).total_minor(), 0u);
  const size_t lines = h.Loan(loan).entries.size();
  ASSERT_OK(sweep(100'000));
  EXPECT_EQ(h.Loan(loan).entries.size(), lines);
  // Refusals.
  CreditCall customer = h.Customer(2);
  EXPECT_CODE(
      h.Call(&CreditService::SweepSales, customer, SalesSweepRequest{loan, 1, h.Account(2)}),
      "forbidden");
  EXPECT_CODE(h.Call(&CreditService::SweepSales, h.Operator(),
                     SalesSweepRequest{Id128{9, 9}, 1, h.Account(2)}),
              "unknown_loan");
  const CreditReply cash = h.Call(
      &CreditService::OpenLoan, h.Operator(),
      LoanRequest{Id128{0, 1}, "cash_loan", 60'000, 3, DisbursementKind::kWallet, h.Account(1), 0});
  ASSERT_OK(cash);
  EXPECT_CODE(h.Call(&CreditService::SweepSales, h.Operator(),
                     SalesSweepRequest{cash.loan_id, 1, h.Account(1)}),
              "wrong_product_kind");
  h.ExpectBooks();
}

// ---------------------------------------------------------------------------
// Receivable financing.

TEST(CreditReceivables, AnAdvanceIsRepaidFirstAndAShortPaymentIsHeld) {
  Lines h;
  const uint64_t supplier = 3, buyer = 4;
  ReceivableRequest request{Id128{0, supplier},
                            Id128{0, buyer},
                            "receivable_financing",
                            1'250'000,
                            1,
                            h.Account(supplier),
                            BuyerConfirmation::kUnconfirmed};
  EXPECT_CODE(h.Call(&CreditService::FinanceReceivable, h.Operator(), request),
              "receivable_not_confirmed");
  request.confirmation = BuyerConfirmation::kConfirmed;
  EXPECT_CODE(h.Call(&CreditService::FinanceReceivable, h.Customer(supplier), request),
              "forbidden");
  ReceivableRequest wrong = request;
  wrong.product = "cash_loan";
  EXPECT_CODE(h.Call(&CreditService::FinanceReceivable, h.Operator(), wrong), "wrong_product_kind");
  wrong = request;
  wrong.receivable_minor = 0;
  EXPECT_CODE(h.Call(&CreditService::FinanceReceivable, h.Operator(), wrong), "zero_amount");
  EXPECT_CODE(h.Call(&CreditService::OpenLoan, h.Operator(),
                     LoanRequest{Id128{0, supplier}, "receivable_financing", 1'000'000, 1,
                                 DisbursementKind::kMerchant, h.Account(supplier), 0}),
              "wrong_product_kind");
  const CreditReply opened = h.Call(&CreditService::FinanceReceivable, h.Operator(), request);
  ASSERT_OK(opened);
  const Id128 loan = opened.loan_id;
  EXPECT_EQ(h.CreditBalance(h.Account(supplier)), 1'000'000);  // 80%
  EXPECT_EQ(h.Loan(loan).receivable_face_minor, 1'250'000u);
  h.ExpectBooks();
  ASSERT_OK(h.RunTo("2026-01-24"));  // twenty days at 8% Actual/360
  h.Fund(h.Account(buyer), 2'000'000);
  auto pay = [&](AmountMinor amount) {
    return h.Call(&CreditService::BuyerPays, h.Operator(),
                  BuyerPaymentRequest{loan, amount, h.Account(buyer), h.Account(supplier)});
  };
  EXPECT_CODE(pay(0), "zero_amount");
  // Short of the payoff: held, the supplier gets nothing yet.
  ASSERT_OK(pay(600'000));
  EXPECT_EQ(h.CreditBalance(h.Account(supplier)), 1'000'000);
  EXPECT_EQ(h.CreditBalance(h.svc().Books(kLedger)->held_payments), 600'000);
  EXPECT_EQ(h.Loan(loan).loan.status, LoanStatus::kActive);
  EXPECT_EQ(h.Loan(loan).held_minor, 600'000u);
  h.ExpectBooks();
  // The rest: the lender is paid off to the day, the supplier gets the rest.
  const Allocation payoff = PayoffQuote(h.Loan(loan).loan, Day("2026-01-25"));
  EXPECT_EQ(payoff.principal_minor, 1'000'000u);
  // The period's interest (1,000,000 x 8% x 31/360 = 6,889) for 20 of its
  // 31 days, half to even.
  EXPECT_EQ(payoff.interest_minor, 4'445u);
  ASSERT_OK(pay(650'000));
  const LoanRecord r = h.Loan(loan);
  EXPECT_EQ(r.loan.status, LoanStatus::kPaidOff);
  EXPECT_EQ(r.held_minor, 0u);
  EXPECT_EQ(h.CreditBalance(h.svc().Books(kLedger)->held_payments), 0);
  EXPECT_EQ(h.CreditBalance(h.Account(supplier)),
            1'000'000 + 1'250'000 - static_cast<int64_t>(payoff.total_minor()));
  EXPECT_EQ(h.CreditBalance(h.Account(buyer)), 2'000'000 - 1'250'000);
  EXPECT_EQ(h.CreditBalance(h.svc().Books(kLedger)->interest_income), 4'445);
  EXPECT_CODE(pay(1), "loan_paid_off");
  h.ExpectBooks();
}

TEST(CreditReceivables, ABuyerPaymentInFullAtOnceAndOneThatIsNotThere) {
  Lines h;
  const ReceivableRequest request{
      Id128{0, 3}, Id128{0, 4},  "receivable_financing",       1'000'000,
      2,           h.Account(3), BuyerConfirmation::kConfirmed};
  const CreditReply opened = h.Call(&CreditService::FinanceReceivable, h.Operator(), request);
  ASSERT_OK(opened);
  auto pay = [&](AmountMinor amount) {
    return h.Call(&CreditService::BuyerPays, h.Operator(),
                  BuyerPaymentRequest{opened.loan_id, amount, h.Account(4), h.Account(3)});
  };
  EXPECT_CODE(pay(1'000'000), "insufficient_balance");
  h.Fund(h.Account(4), 1'000'000);
  // Paid on the day of the advance: no interest, all but the advance to the supplier.
  ASSERT_OK(pay(1'000'000));
  EXPECT_EQ(h.CreditBalance(h.Account(3)), 800'000 + 200'000);
  EXPECT_EQ(h.Loan(opened.loan_id).loan.status, LoanStatus::kPaidOff);
  EXPECT_CODE(h.Call(&CreditService::BuyerPays, h.Operator(),
                     BuyerPaymentRequest{Id128{9, 9}, 1, h.Account(4), h.Account(3)}),
              "unknown_loan");
  h.ExpectBooks();
}

// ---------------------------------------------------------------------------
// Cash at the custodian.

// With the reserve configured, every flow into or out of a wallet or a
// merchant account moves the reserve with it: reserve = Σ accounts holds
// after every random operation. (Fund gives accounts cash at the custodian.)
TEST(CreditCustodian, TheReserveFollowsEveryWalletAndMerchantBalance) {
  Lines h({}, {{kLedger, CreditOnScratchLedger::Reserve()}});
  for (uint64_t n = 1; n <= 6; ++n) h.Fund(h.Account(n), 400'000);
  auto expect_reserve = [&] {
    int64_t accounts = 0;
    for (uint64_t n = 1; n <= 6; ++n) accounts += h.CreditBalance(h.Account(n));
    EXPECT_EQ(-h.CreditBalance(CreditOnScratchLedger::Reserve()), accounts);
    const CreditBooks b = h.svc().Books(kLedger).value();
    EXPECT_EQ(h.CreditBalance(b.lending_funds), 0);
  };
  const Id128 line = h.OpenLine(1).line_id;
  std::vector<Id128> loans;
  std::mt19937_64 rng(5);
  for (int step = 0; step < 60; ++step) {
    switch (rng() % 6) {
      case 0: {
        (void)h.Call(&CreditService::OpenLoan, h.Operator(),
                     LoanRequest{Id128{0, 1}, "cash_loan", 50'000 + rng() % 50'000, 3,
                                 DisbursementKind::kWallet, h.Account(1), 0});
        break;
      }
      case 1:
        (void)h.Buy(h.Operator(), line, 1 + rng() % 20'000, 5);
        break;
      case 2: {
        for (const LoanRecord& r : h.svc().AllLoanSnapshots()) {
          const AmountMinor due = r.loan.status == LoanStatus::kActive
                                      ? AmountDue(r.loan, h.svc().OpenDate()).total_minor()
                                      : 0;
          if (due > 0) (void)h.Repay(r.id, 1, due);
        }
        break;
      }
      case 3: {
        const ReceivableRequest rq{
            Id128{0, 3}, Id128{0, 4},  "receivable_financing",       100'000 + rng() % 100'000,
            1,           h.Account(3), BuyerConfirmation::kConfirmed};
        const CreditReply r = h.Call(&CreditService::FinanceReceivable, h.Operator(), rq);
        ASSERT_OK(r);
        // Sometimes short, then the rest.
        const AmountMinor face = h.Loan(r.loan_id).receivable_face_minor;
        const AmountMinor first = rng() % 2 == 0 ? face / 3 : face;
        ASSERT_OK(h.Call(&CreditService::BuyerPays, h.Operator(),
                         BuyerPaymentRequest{r.loan_id, first, h.Account(4), h.Account(3)}));
        if (first < face) {
          ASSERT_OK(
              h.Call(&CreditService::BuyerPays, h.Operator(),
                     BuyerPaymentRequest{r.loan_id, face - first, h.Account(4), h.Account(3)}));
        }
        h.Fund(h.Account(4), face);
        break;
      }
      case 4: {
        const CreditReply r =
            h.Call(&CreditService::OpenLoan, h.Operator(),
                   LoanRequest{Id128{0, 2}, "merchant_loan", 50'000 + rng() % 50'000, 3,
                               DisbursementKind::kMerchant, h.Account(2), 0});
        if (r.ok()) loans.push_back(r.loan_id);
        for (const Id128& id : loans) {
          ASSERT_OK(h.Call(&CreditService::SweepSales, h.Operator(),
                           SalesSweepRequest{id, 10'000 + rng() % 90'000, h.Account(2)}));
        }
        break;
      }
      default:
        ASSERT_OK(h.svc().RunDay(h.Operator(),
                                 h.svc().OpenDate().AddDays(static_cast<int32_t>(rng() % 20))));
        break;
    }
    expect_reserve();
    h.ExpectBooks();
    if (::testing::Test::HasFailure()) FAIL() << "at step " << step;
  }
  // Without the reserve (the other tests), nothing touches it.
  Lines plain;
  plain.Fund(plain.Account(1), 10'000);
  ASSERT_OK(plain.Call(&CreditService::OpenLoan, plain.Operator(),
                       LoanRequest{Id128{0, 1}, "cash_loan", 60'000, 3, DisbursementKind::kWallet,
                                   plain.Account(1), 0}));
  EXPECT_EQ(-plain.CreditBalance(CreditOnScratchLedger::Reserve()), 10'000);
  EXPECT_EQ(plain.CreditBalance(plain.svc().Books(kLedger)->lender_funding), 0);
}

}  // namespace
}  // namespace netfin::credit
