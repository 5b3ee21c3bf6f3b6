#include "credit/credit_events.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "credit/credit_config.h"
#include "credit/credit_state.h"
#include "credit/offer.h"

namespace netfin::credit {
namespace {

LoanRecord SampleRecord() {
  const CreditPolicy policy;
  Offer offer;
  EXPECT_EQ(MakeOffer(*policy.FindProduct("instalment"), policy.caps,
                      {1'000'000, 12, CivilDate::Parse("2026-03-31").value()}, &offer),
            CreditResult::kOk);
  LoanRecord r;
  r.id = Id128{7, 9};
  r.borrower_id = Id128{0, 42};
  r.destination_account_id = Id128{3, 4};
  r.ledger = 156;
  r.product = "instalment \"quoted\"";
  r.disbursement = DisbursementKind::kMerchant;
  r.apr_ppm = 150'000;
  r.apr_effective_ppm = 160'754;
  r.opened_date = offer.terms.start_date;
  r.loan = LoanFromOffer(offer);
  r.loan.instalments[0].interest_paid_minor = 12;
  r.loan.penalty_accrued_minor = 5;
  r.loan.penalty_paid_minor = 2;
  r.loan.penalty_carry_fen_ppm = 123'456;
  r.loan.interest_accrued_minor = 40;
  r.loan.last_run_date = offer.terms.start_date.AddDays(3);
  r.loan.statements_issued = 1;
  r.loan.days_past_due = 45;
  r.loan.loan_class = LoanClass::kSpecialMention;
  r.loan.provision_target_minor = 20'000;
  r.interest_recognised_minor = 99;
  r.fee_recognised_minor = 17;
  r.receivable_minor = 1'000'087;
  r.provision_minor = 19'000;
  r.line_id = Id128{8, 1};
  r.buyer_id = Id128{0, 43};
  r.receivable_face_minor = 1'250'000;
  r.held_minor = 33;
  return r;
}

LineChanged SampleLineChange() {
  LineChanged c;
  LineRecord& l = c.record;
  l.id = Id128{8, 1};
  l.borrower_id = Id128{0, 42};
  l.ledger = 156;
  l.product = "pay_later";
  l.statement_day = 1;
  l.due_day = 10;
  l.penalty_daily_ppm = 500;
  l.opened_date = CivilDate::Parse("2026-01-03").value();
  l.cycle_start_date = CivilDate::Parse("2026-01-20").value();
  l.line = {500'000, 12'345, 40'000, LineState::kFrozen};
  c.entries = {{CivilDate::Parse("2026-01-20").value(), LineEntryKind::kPurchase, 12'345, {2, 7}},
               {CivilDate::Parse("2026-02-11").value(), LineEntryKind::kFrozen, 0, {}}};
  return c;
}

LimitDecided SampleLimitDecided() {
  LimitDecided d;
  BorrowerRecord& b = d.record;
  b.borrower_id = Id128{0, 42};
  b.basis = LimitBasis::kManual;
  b.limit_minor = 600'000;
  b.manual_ceiling_minor = 1'000'000;
  b.state = LimitState::kFrozen;
  b.graded = true;
  b.grade = Grade::kC;
  b.score = 612;
  b.reasons = {{"PAY_0", 0.8125}, {"LIMIT_BAL \"x\"", 1.0 / 3}};
  b.limited_since = CivilDate::Parse("2026-01-03").value();
  b.last_review_date = CivilDate::Parse("2026-03-01").value();
  d.entry = {CivilDate::Parse("2026-03-01").value(), LimitDecisionKind::kReviewed,
             LimitAction::kLower, LimitReason::kRecentLateness, 1'000'000, 600'000, Grade::kC, 612};
  return d;
}

TEST(CreditEvents, ALimitDecisionRoundTripsWithItsReasons) {
  const LimitDecided d = SampleLimitDecided();
  auto decoded = DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLimitDecided),
                                   EncodeCreditEvent(d));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const LimitDecided& back = std::get<LimitDecided>(decoded.value());
  EXPECT_EQ(back.record.borrower_id, d.record.borrower_id);
  EXPECT_EQ(back.record.basis, d.record.basis);
  EXPECT_EQ(back.record.limit_minor, d.record.limit_minor);
  EXPECT_EQ(back.record.manual_ceiling_minor, d.record.manual_ceiling_minor);
  EXPECT_EQ(back.record.state, d.record.state);
  EXPECT_EQ(back.record.graded, d.record.graded);
  EXPECT_EQ(back.record.grade, d.record.grade);
  EXPECT_EQ(back.record.score, d.record.score);
  ASSERT_EQ(back.record.reasons.size(), 2u);
  EXPECT_EQ(back.record.reasons[1].code, d.record.reasons[1].code);
  EXPECT_EQ(back.record.reasons[1].contribution, d.record.reasons[1].contribution);  // exact
  EXPECT_EQ(back.record.limited_since, d.record.limited_since);
  EXPECT_EQ(back.record.last_review_date, d.record.last_review_date);
  EXPECT_EQ(back.entry, d.entry);
  // A grade outside A..E is corruption, not a value to assert on later.
  std::string bad = EncodeCreditEvent(d);
  const size_t at = bad.find("\"grade\":3");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 9, "\"grade\":9");
  EXPECT_FALSE(DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLimitDecided), bad).ok());
}

TEST(CreditEvents, EveryTypeRoundTrips) {
  LoanChanged change;
  change.record = SampleRecord();
  change.entries = {{CivilDate::Parse("2026-04-01").value(), EntryKind::kRepayment, 300, {1, 2, 3, 294}, 0, {}},
                    {CivilDate::Parse("2026-04-05").value(), EntryKind::kStatement, 9, {}, 1, CivilDate::Parse("2026-04-25").value()}};
  change.day_end = true;
  change.day_end_date = CivilDate::Parse("2026-04-05").value();
  change.bucket_before = Bucket::kM2;
  change.class_before = LoanClass::kSubstandard;
  change.provision_before_minor = 77;
  const std::vector<CreditEvent> events = {
      BooksOpened{{156, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16},
                   {17, 18}, {19, 20}},
                  CivilDate::Parse("2026-01-01").value()},
      LoanOpened{change},
      change,
      DayEndStarted{CivilDate::Parse("2026-04-05").value()},
      DayEndFinished{CivilDate::Parse("2026-04-05").value()},
      BorrowerLimitSet{{0, 42}, 5'000'000},
      CreditIdempotencyRecorded{"k1", "key", "fp", 201, "{\"a\":1}"},
      LineOpened{SampleLineChange()},
      SampleLineChange(),
      BooksExtended{156, {21, 22}, {23, 24}},
      SampleLimitDecided()};
  for (const CreditEvent& e : events) {
    const std::string payload = EncodeCreditEvent(e);
    auto back = DecodeCreditEvent(static_cast<uint16_t>(TypeOf(e)), payload);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(EncodeCreditEvent(back.value()), payload);
  }
  auto opened = DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLoanOpened),
                                  EncodeCreditEvent(LoanOpened{change}));
  const LoanChanged& c = std::get<LoanOpened>(opened.value()).change;
  EXPECT_EQ(c.record, change.record);  // every field of the snapshot
  EXPECT_EQ(c.record.loan.bucket(), Bucket::kM2);  // from days_past_due
  EXPECT_EQ(c.entries, change.entries);
  EXPECT_EQ(c.day_end, change.day_end);
  EXPECT_EQ(c.day_end_date, change.day_end_date);
  EXPECT_EQ(c.bucket_before, change.bucket_before);
  EXPECT_EQ(c.class_before, change.class_before);
  EXPECT_EQ(c.provision_before_minor, change.provision_before_minor);
  const LineChanged line = SampleLineChange();
  auto decoded = DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLineChanged), EncodeCreditEvent(line));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const LineChanged& back = std::get<LineChanged>(decoded.value());
  EXPECT_EQ(back.entries, line.entries);
  EXPECT_EQ(back.record.id, line.record.id);
  EXPECT_EQ(back.record.borrower_id, line.record.borrower_id);
  EXPECT_EQ(back.record.ledger, line.record.ledger);
  EXPECT_EQ(back.record.product, line.record.product);
  EXPECT_EQ(back.record.statement_day, line.record.statement_day);
  EXPECT_EQ(back.record.due_day, line.record.due_day);
  EXPECT_EQ(back.record.penalty_daily_ppm, line.record.penalty_daily_ppm);
  EXPECT_EQ(back.record.opened_date, line.record.opened_date);
  EXPECT_EQ(back.record.cycle_start_date, line.record.cycle_start_date);
  EXPECT_EQ(back.record.line.limit_minor, line.record.line.limit_minor);
  EXPECT_EQ(back.record.line.unbilled_minor, line.record.line.unbilled_minor);
  EXPECT_EQ(back.record.line.used_minor, line.record.line.used_minor);
  EXPECT_EQ(back.record.line.state, line.record.line.state);
}

// Books and loans were stored before lender funding, held buyer payments,
// lines and receivables existed: those payloads still decode, with zeros.
TEST(CreditEvents, PayloadsFromBeforeLinesStillDecode) {
  LoanChanged change;
  change.record = SampleRecord();
  change.record.line_id = change.record.buyer_id = Id128{};
  change.record.receivable_face_minor = change.record.held_minor = 0;
  std::string payload = EncodeCreditEvent(change);
  for (const char* key : {"\"line_id\":\"0\",", "\"buyer_id\":\"0\",", "\"receivable_face\":0,", "\"held\":0,"}) {
    const size_t at = payload.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    payload.erase(at, std::string_view(key).size());
  }
  auto back = DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLoanChanged), payload);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(std::get<LoanChanged>(back.value()).record.line_id.IsZero());
  EXPECT_EQ(std::get<LoanChanged>(back.value()).record.loan, change.record.loan);
  const std::string books =
      R"({"ledger":156,"lending_funds":"1","receivable":"2","interest_income":"3","fee_income":"4",)"
      R"("penalty_income":"5","loss_provision":"6","provision_expense":"7","written_off":"8","first_business_date":1})";
  auto opened = DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kBooksOpened), books);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(std::get<BooksOpened>(opened.value()).books.lender_funding.IsZero());
  // A line entry of the wrong shape is refused.
  std::string line = EncodeCreditEvent(SampleLineChange());
  const size_t at = line.find("\"entries\":[[");
  ASSERT_NE(at, std::string::npos);
  line.insert(at + 12, "1,");
  EXPECT_FALSE(DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLineChanged), line).ok());
}

// Loans were once stored with their bucket beside days_past_due; the bucket
// is now derived, and a payload that still carries it decodes the same.
TEST(CreditEvents, ALoanStoredWithItsBucketStillDecodes) {
  LoanChanged change;
  change.record = SampleRecord();
  std::string payload = EncodeCreditEvent(change);
  const size_t at = payload.find("\"class\":");
  ASSERT_NE(at, std::string::npos);
  payload.insert(at, "\"bucket\":2,");
  auto back = DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLoanChanged), payload);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(std::get<LoanChanged>(back.value()).record.loan, change.record.loan);
}

// BorrowerLimitSet was written before grades and reviews: it replays as the
// manual decision SetBorrowerLimit records now, dated the open day.
TEST(CreditEvents, ALimitSetBeforeGradesReplaysAsAManualDecision) {
  CreditState state;
  BooksOpened books;
  books.books.ledger = 156;
  books.first_business_date = CivilDate::Parse("2026-01-05").value();
  state.Apply(books, 1);
  const Id128 borrower{0, 42};
  state.Apply(BorrowerLimitSet{borrower, 500'000}, 2);
  const BorrowerRecord set = state.BorrowerWithHistory(borrower);
  EXPECT_EQ(set.basis, LimitBasis::kManual);
  EXPECT_EQ(set.limit_minor, 500'000u);
  EXPECT_EQ(set.manual_ceiling_minor, 500'000u);
  EXPECT_EQ(set.state, LimitState::kActive);
  EXPECT_EQ(set.limited_since, CivilDate::Parse("2026-01-05").value());
  ASSERT_EQ(set.entries.size(), 1u);
  const LimitDecisionEntry raised{CivilDate::Parse("2026-01-05").value(), LimitDecisionKind::kManual,
                                  LimitAction::kRaise, LimitReason::kNotYetEligible, 0, 500'000,
                                  Grade::kE, 0};
  EXPECT_EQ(set.entries[0], raised);
  // 0 removes the limit.
  state.Apply(BorrowerLimitSet{borrower, 0}, 3);
  const BorrowerRecord removed = state.BorrowerWithHistory(borrower);
  EXPECT_EQ(removed.basis, LimitBasis::kNone);
  EXPECT_EQ(removed.limit_minor, 0u);
  ASSERT_EQ(removed.entries.size(), 2u);
  EXPECT_EQ(removed.entries[1].action, LimitAction::kLower);
  EXPECT_EQ(removed.entries[1].limit_before_minor, 500'000u);
}

TEST(CreditEvents, CorruptPayloadsAreRefused) {
  EXPECT_FALSE(DecodeCreditEvent(0, "{}").ok());
  EXPECT_FALSE(DecodeCreditEvent(99, "{}").ok());
  EXPECT_FALSE(DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kDayEndStarted), "not json").ok());
  EXPECT_FALSE(DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kDayEndStarted), "{}").ok());
  EXPECT_FALSE(DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kBorrowerLimitSet),
                                 R"({"borrower_id":"x","limit":1})").ok());
  EXPECT_FALSE(DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kBorrowerLimitSet),
                                 R"({"borrower_id":"1","limit":-1})").ok());
  // A list that is not an array, and a list element of the wrong shape.
  LoanChanged change;
  change.record = SampleRecord();
  change.entries = {{CivilDate::Parse("2026-04-01").value(), EntryKind::kInterest, 3, {}, 0, {}}};
  const std::string payload = EncodeCreditEvent(change);
  const auto changed = static_cast<uint16_t>(CreditEventType::kLoanChanged);
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"\"entries\":[", "\"entries\":7,\"x\":["},
                                 {"\"instalments\":[", "\"instalments\":7,\"x\":["},
                                 {"\"entries\":[[", "\"entries\":[[1,"}}) {
    std::string bad = payload;
    const size_t at = bad.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    bad.replace(at, from.size(), to);
    auto decoded = DecodeCreditEvent(changed, bad);
    EXPECT_FALSE(decoded.ok()) << to;
  }
}

}  // namespace
}  // namespace netfin::credit
