#include "credit/credit_events.h"

#include <gtest/gtest.h>

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
  r.interest_recognised_minor = 99;
  r.receivable_minor = 1'000'087;
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
  EXPECT_EQ(c.entries, change.entries);
  EXPECT_EQ(c.record.product, change.record.product);
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
}

}  // namespace
}  // namespace netfin::credit
