// CreditService's limits and grades on a real SQLite ledger: assessments
// (a fake scorer, and a GbmScorer trained on a small synthetic table),
// manual limits, the monthly review in the day-end, and the reads.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#include "credit/credit_service.h"
#include "credit/credit_service_test_support.h"
#include "credit/credit_test_support.h"
#include "credit/gbm_scorer.h"
#include "credit/repayment.h"
#include "ml/ml.h"

namespace netfin::credit {
namespace {

using test_support::CreditOnScratchLedger;
using test_support::Day;
using test_support::ParseJson;
using test_support::kLedger;

// A scorer by rule: the feature "score" is the score; "nan_reason" makes
// an answer out of contract; a missing "score" or a text one is refused by
// name, as GbmScorer does. Records the thread it ran on.
class FakeScorer final : public CreditScorer {
 public:
  core::Result<ScoreResult> Score(const std::vector<Feature>& features) const override {
    thread_ = std::this_thread::get_id();
    ++calls_;
    const double* score = nullptr;
    bool nan_reason = false;
    for (const Feature& f : features) {
      if (f.name == "score") {
        score = std::get_if<double>(&f.value);
        if (score == nullptr) return core::InvalidArgument("feature score: a number");
      }
      if (f.name == "nan_reason") nan_reason = true;
    }
    if (score == nullptr) return core::InvalidArgument("feature score: missing");
    ScoreResult r;
    r.score = static_cast<uint32_t>(*score);
    r.grade = GradeForScore(std::min(r.score, kScoreMax), GradePolicy{});
    r.reasons = {{"utilisation", 0.75}, {"age", 0.125}};
    if (nan_reason) r.reasons[0].contribution = std::numeric_limits<double>::quiet_NaN();
    return r;
  }
  mutable std::thread::id thread_;
  mutable int calls_ = 0;
};

// Grades' limits as configured for these tests (not the defaults).
CreditPolicy TestPolicy() {
  CreditPolicy p;
  p.grades.bands = {{{Grade::kA, 800, 2'000'000},
                     {Grade::kB, 700, 1'000'000},
                     {Grade::kC, 600, 500'000},
                     {Grade::kD, 500, 200'000},
                     {Grade::kE, 0, 0}}};
  p.limit_review.raise_months_min = 2;
  p.limit_review.review_day = 1;
  return p;
}

class Limits : public CreditOnScratchLedger {
 public:
  explicit Limits(const CreditScorer* scorer, CreditPolicy policy = TestPolicy())
      : CreditOnScratchLedger(std::move(policy), Day("2026-01-01"), {}, scorer) {
    OpenAccounts(6);
  }

  CreditReply Assess(uint64_t borrower, std::vector<Feature> features,
                     std::optional<CreditCall> call = std::nullopt) {
    return svc().Await([&](CreditReplyFn done) {
      svc().AssessBorrower(call.value_or(Operator()), {Id128{0, borrower}, std::move(features)},
                           std::move(done));
    });
  }
  CreditReply AssessScore(uint64_t borrower, double score) {
    return Assess(borrower, {{"score", score}});
  }
  CreditReply SetLimit(uint64_t borrower, AmountMinor limit) {
    return svc().Await([&](CreditReplyFn done) {
      svc().SetBorrowerLimit(Operator(), Id128{0, borrower}, limit, std::move(done));
    });
  }
  CreditReply Get(const CreditCall& call, uint64_t borrower) {
    return svc().Await([&](CreditReplyFn done) {
      svc().GetBorrower(call, Id128{0, borrower}, std::move(done));
    });
  }
  CreditReply OpenLine(uint64_t borrower, AmountMinor limit) {
    return svc().Await([&](CreditReplyFn done) {
      svc().OpenLine(Operator(), {Id128{0, borrower}, "pay_later", limit, kLedger},
                     std::move(done));
    });
  }
  CreditReply Buy(Id128 line, AmountMinor amount) {
    return svc().Await([&](CreditReplyFn done) {
      svc().LinePurchase(Operator(), {line, amount, Account(6)}, std::move(done));
    });
  }
  CreditReply CashLoan(uint64_t borrower, AmountMinor amount) {
    return svc().Await([&](CreditReplyFn done) {
      svc().OpenLoan(Operator(),
                     {Id128{0, borrower}, "cash_loan", amount, 12, DisbursementKind::kWallet,
                      Account(borrower), 0},
                     std::move(done));
    });
  }
  // Pays everything due on the loan today from the borrower's account.
  CreditReply PayDue(Id128 loan, uint64_t borrower) {
    const AmountMinor due =
        AmountDue(svc().LoanSnapshot(loan)->loan, svc().OpenDate()).total_minor();
    Fund(Account(borrower), due);
    return svc().Await([&](CreditReplyFn done) {
      svc().Repay(Operator(), {loan, Account(borrower), due, RepaymentKind::kRegular},
                  std::move(done));
    });
  }
  CreditReply RunTo(const char* date) { return svc().RunDay(Operator(), Day(date)); }
  BorrowerRecord Borrower(uint64_t n) { return svc().BorrowerSnapshot(Id128{0, n}).value(); }
  // The line's bills, in opening order.
  std::vector<LoanRecord> BillsOf(Id128 line) {
    std::vector<LoanRecord> out;
    for (LoanRecord& r : svc().AllLoanSnapshots()) {
      if (r.line_id == line) out.push_back(std::move(r));
    }
    return out;
  }

};

// ---------------------------------------------------------------------------
// Assessment.

TEST(CreditLimits, AnAssessmentGivesTheGradesConfiguredLimit) {
  FakeScorer scorer;
  Limits h(&scorer);
  struct Case {
    uint64_t borrower;
    double score;
    const char* grade;
    AmountMinor limit;
  };
  const Case cases[] = {{1, 1000, "A", 2'000'000}, {2, 800, "A", 2'000'000},
                        {3, 799, "B", 1'000'000},  {4, 650, "C", 500'000},
                        {5, 500, "D", 200'000},    {6, 499, "E", 0}};
  for (const Case& c : cases) {
    const CreditReply r = h.AssessScore(c.borrower, c.score);
    ASSERT_OK(r);
    EXPECT_EQ(r.http_status, 201);
    auto d = ParseJson(r.body);
    EXPECT_EQ(d["score"].GetUint(), static_cast<uint32_t>(c.score));
    EXPECT_STREQ(d["grade"].GetString(), c.grade) << c.score;
    EXPECT_EQ(d["limit"].GetUint64(), c.limit) << c.score;
    ASSERT_EQ(d["reasons"].Size(), 2u);
    EXPECT_STREQ(d["reasons"][0]["code"].GetString(), "utilisation");
    EXPECT_EQ(d["reasons"][0]["contribution"].GetDouble(), 0.75);
    const BorrowerRecord b = h.Borrower(c.borrower);
    EXPECT_EQ(b.basis, LimitBasis::kGrade);
    EXPECT_EQ(b.limit_minor, c.limit);
    ASSERT_EQ(b.entries.size(), 1u);
    EXPECT_EQ(b.entries[0].kind, LimitDecisionKind::kAssessed);
    EXPECT_EQ(b.entries[0].date, Day("2026-01-01"));
    EXPECT_EQ(b.entries[0].limit_after_minor, c.limit);
  }
  // The model ran on the caller's thread, never the ledger's applier.
  EXPECT_EQ(scorer.thread_, std::this_thread::get_id());
  // Grade E's limit of 0 declines: every loan is over it.
  EXPECT_CODE(h.CashLoan(6, 50'000), "over_credit_limit");
  // D's 2,000.00: one of 1,500.00 fits, another does not.
  ASSERT_OK(h.CashLoan(5, 150'000));
  EXPECT_CODE(h.CashLoan(5, 50'001), "over_credit_limit");
  ASSERT_OK(h.CashLoan(5, 50'000));
  // The read: limit, grade, used, available, the decisions.
  auto d = ParseJson(h.Get(h.Customer(5), 5).body);
  EXPECT_EQ(d["limit"].GetUint64(), 200'000u);
  EXPECT_STREQ(d["grade"].GetString(), "D");
  EXPECT_EQ(d["score"].GetUint(), 500u);
  EXPECT_EQ(d["used"].GetUint64(), 200'000u);
  EXPECT_EQ(d["available"].GetUint64(), 0u);
  EXPECT_STREQ(d["state"].GetString(), "active");
  ASSERT_EQ(d["decisions"].Size(), 1u);
  EXPECT_STREQ(d["decisions"][0]["kind"].GetString(), "assessment");
  EXPECT_STREQ(d["decisions"][0]["reason"].GetString(), "assessed");
  EXPECT_STREQ(d["decisions"][0]["action"].GetString(), "raise");
  // A re-assessment replaces the grade and the limit, and is recorded.
  ASSERT_OK(h.AssessScore(5, 720));
  EXPECT_EQ(h.Borrower(5).limit_minor, 1'000'000u);
  EXPECT_EQ(h.Borrower(5).entries.size(), 2u);
  // Survives a restart.
  const std::string before = h.Get(h.Operator(), 5).body;
  h.Restart();
  EXPECT_EQ(h.Get(h.Operator(), 5).body, before);
  EXPECT_CODE(h.CashLoan(6, 50'000), "over_credit_limit");
}

TEST(CreditLimits, AssessmentRefusalsRecordNothing) {
  FakeScorer scorer;
  Limits h(&scorer);
  // Only the operator assesses; the checks come before the model runs.
  EXPECT_CODE(h.Assess(1, {{"score", 900.0}}, h.Customer(1)), "forbidden");
  EXPECT_CODE(h.Assess(0, {{"score", 900.0}}), "invalid_field");
  EXPECT_CODE(h.Assess(1, {}), "invalid_field");
  CreditCall no_key = h.Operator();
  no_key.idempotency_key.clear();
  EXPECT_CODE(h.Assess(1, {{"score", 900.0}}, no_key), "idempotency_key_invalid");
  EXPECT_EQ(scorer.calls_, 0);
  // The scorer's refusal names the feature; nothing is recorded.
  CreditReply r = h.Assess(1, {{"income", 1.0}});
  EXPECT_CODE(r, "invalid_feature");
  EXPECT_NE(r.message.find("score"), std::string::npos) << r.message;
  r = h.Assess(1, {{"score", std::string("high")}});
  EXPECT_CODE(r, "invalid_feature");
  EXPECT_NE(r.message.find("score"), std::string::npos) << r.message;
  // An answer out of contract (a NaN contribution, a score above 1000).
  EXPECT_CODE(h.Assess(1, {{"score", 900.0}, {"nan_reason", 1.0}}), "scoring_failed");
  EXPECT_CODE(h.AssessScore(1, 1001), "scoring_failed");
  EXPECT_FALSE(h.svc().BorrowerSnapshot(Id128{0, 1}).has_value());
  EXPECT_CODE(h.Get(h.Operator(), 1), "unknown_borrower");
  EXPECT_CODE(h.Get(h.Customer(1), 1), "unknown_borrower");
  EXPECT_CODE(h.Get(h.Customer(2), 1), "forbidden");
  // The same key twice: the first answer, once recorded.
  CreditCall call = h.Operator();
  ASSERT_OK(h.Assess(1, {{"score", 750.0}}, call));
  const CreditReply again = h.Assess(1, {{"score", 750.0}}, call);
  ASSERT_OK(again);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(h.Borrower(1).entries.size(), 1u);
}

TEST(CreditLimits, WithoutAScorerAssessmentAnswersNoScorer) {
  Limits h(nullptr);
  EXPECT_CODE(h.AssessScore(1, 900), "no_scorer");
  EXPECT_FALSE(h.svc().BorrowerSnapshot(Id128{0, 1}).has_value());
  // Manual limits still work, recorded as the operator's decision.
  ASSERT_OK(h.SetLimit(1, 300'000));
  BorrowerRecord b = h.Borrower(1);
  EXPECT_EQ(b.basis, LimitBasis::kManual);
  EXPECT_EQ(b.limit_minor, 300'000u);
  ASSERT_EQ(b.entries.size(), 1u);
  EXPECT_EQ(LimitDecisionReasonName(b.entries[0]), "manual");
  auto d = ParseJson(h.Get(h.Operator(), 1).body);
  EXPECT_TRUE(d["grade"].IsNull());
  EXPECT_STREQ(d["basis"].GetString(), "manual");
  EXPECT_STREQ(d["decisions"][0]["reason"].GetString(), "manual");
  EXPECT_EQ(d["available"].GetUint64(), 300'000u);
  // 0 removes it: only the person cap is left.
  ASSERT_OK(h.SetLimit(1, 0));
  b = h.Borrower(1);
  EXPECT_EQ(b.basis, LimitBasis::kNone);
  EXPECT_EQ(b.entries.size(), 2u);
  EXPECT_EQ(b.entries[1].action, LimitAction::kLower);
  EXPECT_TRUE(ParseJson(h.Get(h.Operator(), 1).body)["limit"].IsNull());
  ASSERT_OK(h.CashLoan(1, 500'000));
}

// A small table with a categorical column ("shop" buyers with large
// baskets default), as gbm_scorer_test trains: a real model in well under
// a second, no data file needed.
GbmScorer TrainSmallScorer() {
  const std::string csv = test_support::CategoricalCreditCsv();
  core::Result<ml::Dataset> data = ml::ParseCsv(csv, "defaulted", "yes", {.exclude = {"id"}});
  NETFIN_ASSERT(data.ok());
  std::vector<size_t> all(data.value().row_count);
  std::iota(all.begin(), all.end(), size_t{0});
  core::Result<ml::GbmModel> model = ml::GbmModel::Train(
      data.value(), all, {.rounds = 40, .max_depth = 3, .eta = 0.2, .nthread = 1, .seed = 1});
  NETFIN_ASSERT(model.ok());
  core::Result<GbmScorer> scorer =
      GbmScorer::Create(std::move(model).value(), {.grades = TestPolicy().grades});
  NETFIN_ASSERT(scorer.ok());
  return std::move(scorer).value();
}

TEST(CreditLimits, AnAssessmentByTheGradientBoostedScorer) {
  const GbmScorer scorer = TrainSmallScorer();
  Limits h(&scorer);
  CreditReply r = h.Assess(1, {{"channel", std::string("shop")}, {"basket", 90.0}});
  ASSERT_OK(r);
  auto d = ParseJson(r.body);
  EXPECT_LT(d["score"].GetUint(), 300u);
  EXPECT_STREQ(d["grade"].GetString(), "E");
  EXPECT_EQ(d["limit"].GetUint64(), 0u);
  ASSERT_GT(d["reasons"].Size(), 0u);
  EXPECT_STREQ(d["reasons"][0]["code"].GetString(), "channel");
  r = h.Assess(2, {{"channel", std::string("app")}, {"basket", 90.0}});
  ASSERT_OK(r);
  d = ParseJson(r.body);
  EXPECT_GT(d["score"].GetUint(), 700u);
  EXPECT_EQ(d["limit"].GetUint64(), LimitForGrade(h.Borrower(2).grade, TestPolicy().grades));
  // A feature the model needs and did not get: named, nothing recorded.
  r = h.Assess(3, {{"channel", std::string("app")}});
  EXPECT_CODE(r, "invalid_feature");
  EXPECT_NE(r.message.find("basket"), std::string::npos) << r.message;
  EXPECT_FALSE(h.svc().BorrowerSnapshot(Id128{0, 3}).has_value());
  // The reasons are kept with the borrower, and survive a restart.
  const BorrowerRecord before = h.Borrower(1);
  h.Restart();
  const BorrowerRecord after = h.Borrower(1);
  ASSERT_EQ(after.reasons.size(), before.reasons.size());
  for (size_t k = 0; k < before.reasons.size(); ++k) {
    EXPECT_EQ(after.reasons[k].code, before.reasons[k].code);
    EXPECT_EQ(after.reasons[k].contribution, before.reasons[k].contribution);
  }
}

// ---------------------------------------------------------------------------
// The monthly review.

// Three borrowers on pay-later lines of 10,000.00 (review day 1, raise
// after 2 months): 1, graded A with a manual 10,000.00, uses 80% and pays
// on time; 2 pays January's bill 31 days late; 3 never pays.
class Reviewed : public Limits {
 public:
  Reviewed() : Limits(&scorer_) {
    NETFIN_ASSERT(AssessScore(1, 900).ok());
    NETFIN_ASSERT(SetLimit(1, 1'000'000).ok());
    NETFIN_ASSERT(AssessScore(2, 750).ok());
    NETFIN_ASSERT(AssessScore(3, 750).ok());
    for (uint64_t n = 1; n <= 3; ++n) lines_[n] = OpenLine(n, 1'000'000).line_id;
  }
  Id128 line(uint64_t n) { return lines_[n]; }

 private:
  FakeScorer scorer_;
  std::map<uint64_t, Id128> lines_;
};

// The decision of the review of `date`, the borrower's last.
const LimitDecisionEntry& LastDecision(const BorrowerRecord& b) {
  NETFIN_ASSERT(!b.entries.empty());
  return b.entries.back();
}

TEST(CreditLimits, TheMonthlyReviewRaisesLowersAndFreezes) {
  Reviewed h;
  ASSERT_OK(h.Buy(h.line(2), 400'000));
  ASSERT_OK(h.Buy(h.line(3), 300'000));
  ASSERT_OK(h.RunTo("2026-01-01"));  // billed today, due 01-10
  // No review day in this day-end's range besides its own 01-01? The books
  // opened on 01-01, itself a review day: everyone is reviewed, too new.
  for (uint64_t n = 1; n <= 3; ++n) {
    EXPECT_EQ(LastDecision(h.Borrower(n)).kind, LimitDecisionKind::kReviewed) << n;
    EXPECT_EQ(LastDecision(h.Borrower(n)).reason, LimitReason::kNotYetEligible) << n;
  }
  ASSERT_OK(h.RunTo("2026-01-31"));             // no review day: nothing decided
  EXPECT_EQ(h.Borrower(1).entries.size(), 3u);  // assessed, manual, reviewed
  ASSERT_OK(h.RunTo("2026-02-01"));
  // 2 and 3 are 22 days late: frozen. 1 has been on book one month.
  for (uint64_t n : {2, 3}) {
    const BorrowerRecord b = h.Borrower(n);
    EXPECT_EQ(b.state, LimitState::kFrozen) << n;
    EXPECT_EQ(LastDecision(b).action, LimitAction::kFreeze) << n;
    EXPECT_EQ(LastDecision(b).reason, LimitReason::kCurrentlyOverdue) << n;
    EXPECT_EQ(b.limit_minor, 1'000'000u) << n;  // a freeze keeps the amount
  }
  EXPECT_EQ(LastDecision(h.Borrower(1)).reason, LimitReason::kNotYetEligible);
  auto summary = ParseJson(h.RunTo("2026-02-01").body);  // the same date again: nothing new
  EXPECT_EQ(summary["limit_reviews"]["frozen"].GetUint(), 2u);
  EXPECT_EQ(summary["limit_reviews"]["kept"].GetUint(), 1u);
  EXPECT_EQ(h.Borrower(1).entries.size(), 4u);
  // Frozen: no purchases and no loans, with the limit's code.
  EXPECT_CODE(h.Buy(h.line(3), 100), "limit_frozen");
  EXPECT_CODE(h.CashLoan(3, 50'000), "limit_frozen");
  // 1 spends 80% of the limit; 2 pays once 31 days late.
  ASSERT_OK(h.Buy(h.line(1), 800'000));
  ASSERT_OK(h.RunTo("2026-02-10"));
  const Id128 bill2 = h.BillsOf(h.line(2)).at(0).id;
  EXPECT_EQ(h.svc().LoanSnapshot(bill2)->loan.days_past_due, 31u);
  ASSERT_OK(h.PayDue(bill2, 2));
  // The line is past due no more, but the limit stays frozen until the review.
  EXPECT_EQ(h.svc().LineSnapshot(h.line(2))->line.state, LineState::kActive);
  EXPECT_CODE(h.Buy(h.line(2), 100), "limit_frozen");
  const std::string before_review = h.Get(h.Operator(), 2).body;
  h.Restart();
  EXPECT_EQ(h.Get(h.Operator(), 2).body, before_review);
  ASSERT_OK(h.RunTo("2026-03-01"));
  // 1: on time two months, 80% used: raised by 20%, within grade A's 20,000.00.
  BorrowerRecord b = h.Borrower(1);
  EXPECT_EQ(LastDecision(b).action, LimitAction::kRaise);
  EXPECT_EQ(LastDecision(b).reason, LimitReason::kGoodRepaymentHighUse);
  EXPECT_EQ(LastDecision(b).limit_before_minor, 1'000'000u);
  EXPECT_EQ(b.limit_minor, 1'200'000u);
  EXPECT_EQ(h.svc().LineSnapshot(h.line(1))->line.limit_minor, 1'200'000u);  // the line follows
  EXPECT_EQ(h.svc().LineSnapshot(h.line(1))->entries.back().kind, LineEntryKind::kLimitReviewed);
  // 2: 31 days late in the window: halved, and no longer frozen.
  b = h.Borrower(2);
  EXPECT_EQ(LastDecision(b).action, LimitAction::kLower);
  EXPECT_EQ(LastDecision(b).reason, LimitReason::kRecentLateness);
  EXPECT_EQ(b.limit_minor, 500'000u);
  EXPECT_EQ(b.state, LimitState::kActive);
  EXPECT_EQ(h.svc().LineSnapshot(h.line(2))->line.limit_minor, 500'000u);
  ASSERT_OK(h.Buy(h.line(2), 100));
  // 3: still overdue: frozen again.
  b = h.Borrower(3);
  EXPECT_EQ(LastDecision(b).action, LimitAction::kFreeze);
  EXPECT_EQ(b.state, LimitState::kFrozen);
  EXPECT_CODE(h.Buy(h.line(3), 100), "limit_frozen");
  // The summary: one each, and the bill cut today counted as a statement.
  summary = ParseJson(h.RunTo("2026-03-01").body);
  EXPECT_EQ(summary["limit_reviews"]["raised"].GetUint(), 1u);
  EXPECT_EQ(summary["limit_reviews"]["lowered"].GetUint(), 1u);
  EXPECT_EQ(summary["limit_reviews"]["frozen"].GetUint(), 1u);
  EXPECT_EQ(summary["limit_reviews"]["kept"].GetUint(), 0u);
  EXPECT_GE(summary["statements"].GetUint(), 1u);
  // Every decision, with its reason, as the borrower reads it.
  auto d = ParseJson(h.Get(h.Customer(2), 2).body);
  EXPECT_EQ(d["limit"].GetUint64(), 500'000u);
  EXPECT_STREQ(d["last_review_date"].GetString(), "2026-03-01");
  const auto& decisions = d["decisions"];
  ASSERT_EQ(decisions.Size(), 4u);  // assessed, 01-01, 02-01, 03-01
  EXPECT_STREQ(decisions[2]["action"].GetString(), "freeze");
  EXPECT_STREQ(decisions[2]["reason"].GetString(), "currently_overdue");
  EXPECT_STREQ(decisions[3]["action"].GetString(), "lower");
  EXPECT_STREQ(decisions[3]["reason"].GetString(), "recent_lateness");
  EXPECT_EQ(decisions[3]["limit_before"].GetUint64(), 1'000'000u);
  EXPECT_EQ(decisions[3]["limit_after"].GetUint64(), 500'000u);
  EXPECT_CODE(h.Get(h.Customer(1), 2), "forbidden");
  // Running the date again, and a restart, change nothing.
  std::vector<std::string> bodies;
  for (uint64_t n = 1; n <= 3; ++n) bodies.push_back(h.Get(h.Operator(), n).body);
  ASSERT_OK(h.RunTo("2026-03-01"));
  h.Restart();
  ASSERT_OK(h.RunTo("2026-03-01"));
  for (uint64_t n = 1; n <= 3; ++n) EXPECT_EQ(h.Get(h.Operator(), n).body, bodies[n - 1]) << n;
  // The next month: 2 has no lateness in the window but is not yet back on
  // time for two months: kept.
  ASSERT_OK(h.RunTo("2026-04-01"));
  EXPECT_EQ(LastDecision(h.Borrower(2)).reason, LimitReason::kNotYetEligible);
  EXPECT_EQ(h.Borrower(2).limit_minor, 500'000u);
}

// A crash after the day-end of the review day started (its start durable,
// nothing else): the next Start runs it to the end, review included, once.
TEST(CreditLimits, AReviewACrashInterruptedIsFinishedAtStart) {
  FakeScorer scorer;
  Limits h(&scorer);
  ASSERT_OK(h.AssessScore(1, 900));
  ASSERT_OK(h.AssessScore(2, 650));
  ASSERT_OK(h.RunTo("2026-01-31"));
  const core::Status started = h.ledger().RunCommand(
      [](ledger::CommandContext& ctx) {
        const CreditEvent e = DayEndStarted{Day("2026-02-01")};
        ctx.AppendEvent(ledger::Role::kCredit, static_cast<uint16_t>(TypeOf(e)), Id128{}, Id128{},
                        EncodeCreditEvent(e));
      },
      0);
  ASSERT_TRUE(started.ok()) << started.ToString();
  h.Restart();  // replays the start; Start finishes the day
  EXPECT_EQ(h.svc().OpenDate(), Day("2026-02-02"));
  for (uint64_t n = 1; n <= 2; ++n) {
    const BorrowerRecord b = h.Borrower(n);
    ASSERT_EQ(b.entries.size(), 3u) << n;  // assessed, 01-01, 02-01
    EXPECT_EQ(b.last_review_date, Day("2026-02-01"));
  }
  auto summary = ParseJson(h.RunTo("2026-02-01").body);
  EXPECT_TRUE(summary["finished"].GetBool());
  EXPECT_EQ(summary["limit_reviews"]["kept"].GetUint(), 2u);
  h.Restart();
  EXPECT_EQ(h.Borrower(1).entries.size(), 3u);
}

TEST(CreditLimits, AReviewCanBeMovedToAnotherDayOfTheMonth) {
  FakeScorer scorer;
  CreditPolicy policy = TestPolicy();
  policy.limit_review.review_day = 15;
  Limits h(&scorer, policy);
  ASSERT_OK(h.AssessScore(1, 900));
  ASSERT_OK(h.RunTo("2026-01-14"));
  EXPECT_EQ(h.Borrower(1).entries.size(), 1u);
  // A catch-up over two review days reviews once, dated its own day.
  ASSERT_OK(h.RunTo("2026-02-20"));
  const BorrowerRecord b = h.Borrower(1);
  ASSERT_EQ(b.entries.size(), 2u);
  EXPECT_EQ(b.entries[1].date, Day("2026-02-20"));
  EXPECT_EQ(b.entries[1].action, LimitAction::kKeep);
  EXPECT_EQ(b.last_review_date, Day("2026-02-20"));
}

}  // namespace
}  // namespace netfin::credit
