#include "credit/credit_events.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "credit/offer.h"
#include "credit/credit_config.h"

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
  return r;
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
      BooksOpened{{156, {1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}, {13, 14}, {15, 16}},
                  CivilDate::Parse("2026-01-01").value()},
      LoanOpened{change},
      change,
      DayEndStarted{CivilDate::Parse("2026-04-05").value()},
      DayEndFinished{CivilDate::Parse("2026-04-05").value()},
      BorrowerLimitSet{{0, 42}, 5'000'000},
      CreditIdempotencyRecorded{"k1", "key", "fp", 201, "{\"a\":1}"}};
  for (const CreditEvent& e : events) {
    const std::string payload = EncodeCreditEvent(e);
    auto back = DecodeCreditEvent(static_cast<uint16_t>(TypeOf(e)), payload);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(EncodeCreditEvent(back.value()), payload);
  }
  auto opened = DecodeCreditEvent(static_cast<uint16_t>(CreditEventType::kLoanOpened),
                                  EncodeCreditEvent(LoanOpened{change}));
  const LoanChanged& c = std::get<LoanOpened>(opened.value()).change;
  EXPECT_EQ(c.record.loan, change.record.loan);
  EXPECT_EQ(c.record.loan.bucket(), Bucket::kM2);  // from days_past_due
  EXPECT_EQ(c.entries, change.entries);
  EXPECT_EQ(c.record.id, change.record.id);
  EXPECT_EQ(c.record.borrower_id, change.record.borrower_id);
  EXPECT_EQ(c.record.destination_account_id, change.record.destination_account_id);
  EXPECT_EQ(c.record.ledger, change.record.ledger);
  EXPECT_EQ(c.record.product, change.record.product);
  EXPECT_EQ(c.record.disbursement, change.record.disbursement);
  EXPECT_EQ(c.record.apr_ppm, change.record.apr_ppm);
  EXPECT_EQ(c.record.apr_effective_ppm, change.record.apr_effective_ppm);
  EXPECT_EQ(c.record.opened_date, change.record.opened_date);
  EXPECT_EQ(c.record.interest_recognised_minor, change.record.interest_recognised_minor);
  EXPECT_EQ(c.record.fee_recognised_minor, change.record.fee_recognised_minor);
  EXPECT_EQ(c.record.receivable_minor, change.record.receivable_minor);
  EXPECT_EQ(c.record.provision_minor, change.record.provision_minor);
  EXPECT_EQ(c.day_end, change.day_end);
  EXPECT_EQ(c.day_end_date, change.day_end_date);
  EXPECT_EQ(c.bucket_before, change.bucket_before);
  EXPECT_EQ(c.class_before, change.class_before);
  EXPECT_EQ(c.provision_before_minor, change.provision_before_minor);
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
