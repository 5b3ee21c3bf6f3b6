#include "payments/payments_state.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "core/limits.h"

namespace netfin::payments {
namespace {

constexpr uint64_t kSecondNs = 1'000'000'000ull;
constexpr uint64_t kHourNs = 3600 * kSecondNs;
constexpr uint64_t kDayNs = 24 * kHourNs;
// 2026-11-24T16:00:00Z: midnight of 2026-11-25 in China (UTC+8).
constexpr uint64_t k20261125ChinaMidnightNs = 1'795'536'000'000'000'000ull;

// Applies an event with its stored form, as the service does live and at
// replay.
void Apply(PaymentsState& state, const Event& event, uint64_t sequence, uint64_t timestamp_ns) {
  state.Apply(event, sequence, timestamp_ns);
}

// The same calendar, computed independently with <chrono>.
uint64_t ChronoNs(int y, unsigned m, unsigned d, int h = 0) {
  using namespace std::chrono;
  const sys_days day = year{y} / month{m} / std::chrono::day{d};
  return static_cast<uint64_t>(duration_cast<nanoseconds>(day.time_since_epoch()).count()) +
         static_cast<uint64_t>(h) * kHourNs;
}

TEST(ChinaBusinessDateTest, EdgesOfTheChinaDay) {
  EXPECT_EQ(ChinaBusinessDate(k20261125ChinaMidnightNs - 1), 20261124);  // 15:59:59.999999999Z
  EXPECT_EQ(ChinaBusinessDate(k20261125ChinaMidnightNs), 20261125);      // 16:00:00Z
  EXPECT_EQ(ChinaBusinessDate(k20261125ChinaMidnightNs + kDayNs - 1), 20261125);
  EXPECT_EQ(ChinaBusinessDate(k20261125ChinaMidnightNs + kDayNs), 20261126);
  EXPECT_EQ(k20261125ChinaMidnightNs, ChronoNs(2026, 11, 24, 16));
  // UTC midnight is already 08:00 in China.
  EXPECT_EQ(ChinaBusinessDate(ChronoNs(2026, 11, 25)), 20261125);
  EXPECT_EQ(ChinaBusinessDate(ChronoNs(2026, 12, 31, 16)), 20270101);
  EXPECT_EQ(ChinaBusinessDate(ChronoNs(2026, 12, 31, 16) - 1), 20261231);
  EXPECT_EQ(ChinaBusinessDate(ChronoNs(2028, 2, 28, 16)), 20280229);
  EXPECT_EQ(ChinaBusinessDate(ChronoNs(2027, 2, 28, 16)), 20270301);
  EXPECT_EQ(ChinaBusinessDate(0), 19700101);
}

TEST(ChinaBusinessDateTest, IsValidBusinessDate) {
  struct Case {
    int32_t date;
    bool valid;
  };
  for (const Case& c : {Case{20240229, true}, Case{20250229, false}, Case{20000229, true},
                        Case{21000229, false}, Case{20280229, true}, Case{20261231, true},
                        Case{20261131, false}, Case{20261301, false}, Case{20260001, false},
                        Case{20260100, false}, Case{20260132, false}, Case{20260431, false},
                        Case{19700101, true}, Case{19691231, false}, Case{0, false},
                        Case{-20261124, false}, Case{2026112, false}, Case{202611240, false}}) {
    EXPECT_EQ(IsValidBusinessDate(c.date), c.valid) << c.date;
  }
}

TEST(ChinaBusinessDateTest, DayEndIsTheNextChinaMidnight) {
  EXPECT_EQ(ChinaDayEndNs(20261124), k20261125ChinaMidnightNs);
  EXPECT_EQ(ChinaDayEndNs(20261231), ChronoNs(2026, 12, 31, 16));
  EXPECT_EQ(ChinaDayEndNs(20280228), ChronoNs(2028, 2, 28, 16));
  EXPECT_EQ(ChinaDayEndNs(20280229), ChronoNs(2028, 2, 29, 16));
  // Every day of four years, leap day included: the last ns of the day is
  // the day, the day end is the next day, and days are 24 hours apart.
  uint64_t t = ChronoNs(2026, 1, 1, 4);
  for (int i = 0; i < 4 * 366; ++i, t += kDayNs) {
    const int32_t d = ChinaBusinessDate(t);
    ASSERT_TRUE(IsValidBusinessDate(d)) << d;
    const uint64_t end = ChinaDayEndNs(d);
    ASSERT_GT(end, t);
    ASSERT_LE(end - t, kDayNs);
    ASSERT_EQ(ChinaBusinessDate(end - 1), d);
    ASSERT_NE(ChinaBusinessDate(end), d);
    ASSERT_EQ(ChinaDayEndNs(ChinaBusinessDate(end)), end + kDayNs);
  }
}

TEST(PaymentsStateTest, NextIdIsStrictlyIncreasingWhenTheClockGoesBack) {
  PaymentsConfig config;
  PaymentsState state(config);
  const uint64_t t = ChronoNs(2026, 11, 25, 2);
  Id128 last = state.NextId(t);
  EXPECT_EQ(last.hi, t);  // time-ordered: hi is the clock
  for (uint64_t now : {t, t - 1, t - kHourNs, t + 5, t + 5, t + 4, uint64_t{1}, t + 6}) {
    const Id128 next = state.NextId(now);
    EXPECT_GT(next, last) << now;
    last = next;
  }
  EXPECT_EQ(last.hi, t + 6);
  EXPECT_EQ(state.NextId(t + 1000).hi, t + 1000);
}

TEST(PaymentsStateTest, NextIdPassesEveryReplayedId) {
  PaymentsConfig config;
  PaymentsState state(config);
  const uint64_t t = ChronoNs(2026, 11, 25, 2);
  CustomerCreated created;
  created.customer.id = Id128{t + kHourNs, 40};
  created.customer.wallet_account_id = Id128{9, 9};
  created.customer.ledger = 156;
  Apply(state, created, 1, t + kHourNs);
  // The clock is behind the replayed id: the next id still comes after it.
  EXPECT_GT(state.NextId(t), created.customer.id);
}

TEST(PaymentsStateTest, FenceIdsPassesEveryReplayedTimestamp) {
  PaymentsConfig config;
  PaymentsState state(config);
  const uint64_t t = ChronoNs(2026, 11, 25, 2);
  PaymentCreated created;
  created.payment.id = Id128{t - kSecondNs, 1};
  created.payment.merchant_id = Id128{1, 1};
  created.payment.ledger = 156;
  created.payment.amount = 5;
  created.payment.expires_at_ns = t + kHourNs;
  Apply(state, created, 1, t - kSecondNs);
  // Paid at t: the command's transfers took ids {t, 1} and {t, 2}, which no
  // event names.
  Apply(state, PaymentProcessing{created.payment.id, Id128{2, 2}}, 2, t);
  state.FenceIds();
  const Id128 next = state.NextId(t);  // the clock has not moved
  EXPECT_GT(next, (Id128{t, 2}));
  EXPECT_GT(state.NextId(t - kHourNs), next);
  // A fresh state starts at the clock.
  PaymentsState fresh(config);
  fresh.FenceIds();
  EXPECT_EQ(fresh.NextId(t), (Id128{t, 1}));
}

// Builds a state with one customer and one merchant, through events.
class StateFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    Apply(state_, PlatformOpened{156, Id128{1, 1}, Id128{1, 2}}, ++seq_, t0_);
    for (uint8_t tier : {uint8_t{1}, uint8_t{2}}) {
      CustomerCreated c;
      c.customer.id = state_.NextId(t0_);
      c.customer.wallet_account_id = Id128{2, tier};
      c.customer.ledger = 156;
      c.customer.tier = tier;
      Apply(state_, c, ++seq_, t0_);
      customers_.push_back(c.customer.id);
    }
    MerchantCreated m;
    m.merchant.id = state_.NextId(t0_);
    m.merchant.merchant_account_id = Id128{3, 1};
    m.merchant.payable_account_id = Id128{3, 2};
    m.merchant.ledger = 156;
    m.merchant.fee_bps = 60;
    Apply(state_, m, ++seq_, t0_);
    merchant_ = m.merchant.id;
  }

  // A payment order of merchant, created at `at`.
  Id128 Create(AmountMinor amount, uint64_t at, uint64_t expires_at_ns, const Id128& merchant) {
    PaymentCreated created;
    created.payment.id = state_.NextId(at);
    created.payment.merchant_id = merchant;
    created.payment.ledger = 156;
    created.payment.amount = amount;
    created.payment.expires_at_ns = expires_at_ns;
    Apply(state_, created, ++seq_, at);
    return created.payment.id;
  }
  Id128 Create(AmountMinor amount, uint64_t at, uint64_t expires_at_ns) {
    return Create(amount, at, expires_at_ns, merchant_);
  }

  Id128 Pay(const Id128& customer, AmountMinor amount, uint64_t at,
            const std::optional<Id128>& merchant = std::nullopt) {
    const Id128 to = merchant.value_or(merchant_);
    const Id128 id = Create(amount, at, at + 900 * kSecondNs, to);
    Apply(state_, PaymentProcessing{id, customer}, ++seq_, at);
    Apply(state_, PaymentSucceeded{id, customer, to, amount, 0}, ++seq_, at);
    return id;
  }

  PaymentsConfig config_;
  PaymentsState state_{config_};
  uint64_t seq_ = 0;
  const uint64_t t0_ = ChronoNs(2026, 12, 31, 10);  // 18:00 on 2026-12-31 in China
  std::vector<Id128> customers_;
  Id128 merchant_;
};

TEST_F(StateFixture, YearlyAllowanceStartsAgainInTheNewChinaYear) {
  const Customer& yearly = *state_.FindCustomer(customers_[1]);  // tier II
  Pay(yearly.id, 4'000'000, t0_);
  EXPECT_EQ(state_.AllowanceUsed(yearly, t0_), 4'000'000u);
  EXPECT_EQ(state_.AllowanceLeft(yearly, t0_), 6'000'000u);
  const uint64_t new_year = ChronoNs(2026, 12, 31, 16);  // 2027-01-01 00:00 in China
  EXPECT_EQ(state_.AllowanceUsed(yearly, new_year - 1), 4'000'000u);
  EXPECT_EQ(state_.AllowanceUsed(yearly, new_year), 0u);
  EXPECT_EQ(state_.AllowanceLeft(yearly, new_year), 10'000'000u);
  Pay(yearly.id, 1'000, new_year);
  EXPECT_EQ(state_.AllowanceUsed(yearly, new_year), 1'000u);
}

TEST_F(StateFixture, LifetimeAllowanceNeverStartsAgain) {
  const Customer& lifetime = *state_.FindCustomer(customers_[0]);  // tier I
  Pay(lifetime.id, 60'000, t0_);
  const uint64_t next_year = ChronoNs(2027, 6, 1);
  Pay(lifetime.id, 30'000, next_year);
  EXPECT_EQ(state_.AllowanceUsed(lifetime, next_year), 90'000u);
  EXPECT_EQ(state_.AllowanceLeft(lifetime, next_year), 10'000u);
  Pay(lifetime.id, 20'000, next_year);  // the state counts; the service refuses
  EXPECT_EQ(state_.AllowanceLeft(lifetime, next_year), 0u);
}

TEST_F(StateFixture, WalletTransfersCountForTheSenderOnly) {
  MovementSucceeded m;
  m.movement = {state_.NextId(t0_), MovementKind::kWalletTransfer, customers_[0], customers_[1],
                156, 500, 0};
  Apply(state_, m, ++seq_, t0_);
  EXPECT_EQ(state_.AllowanceUsed(*state_.FindCustomer(customers_[0]), t0_), 500u);
  EXPECT_EQ(state_.AllowanceUsed(*state_.FindCustomer(customers_[1]), t0_), 0u);
  MovementSucceeded top_up;
  top_up.movement = {state_.NextId(t0_), MovementKind::kTopUp, customers_[1], {}, 156, 900, 0};
  Apply(state_, top_up, ++seq_, t0_);
  EXPECT_EQ(state_.AllowanceUsed(*state_.FindCustomer(customers_[1]), t0_), 0u);
  ASSERT_NE(state_.MovementsOf(customers_[1]), nullptr);
  EXPECT_EQ(state_.MovementsOf(customers_[1])->size(), 2u);  // received and top-up
}

TEST_F(StateFixture, SettlementTakesItemsBeforeTheCutoff) {
  const Id128 early = Pay(customers_[1], 100, t0_);
  const uint64_t next_day = t0_ + kDayNs;
  const Id128 late = Pay(customers_[1], 200, next_day);
  SettlementCreated s;
  s.settlement.id = state_.NextId(next_day);
  s.settlement.merchant_id = merchant_;
  s.settlement.ledger = 156;
  s.settlement.business_date = 20261231;
  s.settlement.gross = 100;
  s.settlement.amount = 100;
  s.settlement.payment_count = 1;
  Apply(state_, s, ++seq_, next_day);
  EXPECT_TRUE(state_.FindPayment(early)->settled);
  EXPECT_FALSE(state_.FindPayment(late)->settled);
  ASSERT_NE(state_.UnsettledPayments(merchant_), nullptr);
  EXPECT_EQ(state_.UnsettledPayments(merchant_)->size(), 1u);
  EXPECT_EQ(state_.SettlementFor(merchant_, 20261231), state_.FindSettlement(s.settlement.id));
  EXPECT_EQ(state_.SettlementFor(merchant_, 20270101), nullptr);
}

TEST_F(StateFixture, WebhookOutboxKeepsTheStoredEvent) {
  MerchantCreated hooked;
  hooked.merchant.id = state_.NextId(t0_);
  hooked.merchant.merchant_account_id = Id128{4, 1};
  hooked.merchant.payable_account_id = Id128{4, 2};
  hooked.merchant.ledger = 156;
  hooked.merchant.webhook_url = "http://shop.example/hook";
  Apply(state_, hooked, ++seq_, t0_);
  Pay(customers_[1], 100, t0_);  // to the merchant without a webhook_url
  EXPECT_EQ(state_.outbox_size(), 0u);
  // Of created, processing and succeeded, only succeeded is a webhook.
  const uint64_t at = t0_ + kSecondNs;
  const Id128 paid = Pay(customers_[1], 250, at, hooked.merchant.id);
  ASSERT_EQ(state_.outbox_size(), 1u);
  const OutboxItem* item = state_.FindOutboxItem(seq_);
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->event_sequence, seq_);
  EXPECT_EQ(item->type, EventType::kPaymentSucceeded);
  EXPECT_EQ(item->merchant_id, hooked.merchant.id);
  EXPECT_EQ(item->payload,
            EventJson(PaymentSucceeded{paid, customers_[1], hooked.merchant.id, 250, 0}));
  EXPECT_EQ(item->event_timestamp_ns, at);
  EXPECT_EQ(item->next_attempt_ns, at);
  EXPECT_EQ(item->attempts, 0u);
  // A transition that names only the payment reaches its merchant too.
  const Id128 open = Create(5, at, at + kHourNs, hooked.merchant.id);
  Apply(state_, PaymentCancelled{open}, ++seq_, at);
  ASSERT_NE(state_.FindOutboxItem(seq_), nullptr);
  EXPECT_EQ(state_.FindOutboxItem(seq_)->merchant_id, hooked.merchant.id);
  EXPECT_EQ(state_.FindOutboxItem(seq_)->payload, EventJson(PaymentCancelled{open}));
  EXPECT_EQ(state_.outbox_size(), 2u);
}

TEST_F(StateFixture, PaymentsOfACustomerAreSortedById) {
  const Id128 older = Create(5, t0_, t0_ + kHourNs);
  const Id128 newer = Pay(customers_[1], 7, t0_ + kSecondNs);
  Apply(state_, PaymentProcessing{older, customers_[1]}, ++seq_, t0_ + 2 * kSecondNs);
  ASSERT_NE(state_.PaymentsOf(customers_[1]), nullptr);
  EXPECT_EQ(*state_.PaymentsOf(customers_[1]), (std::vector<Id128>{older, newer}));
  EXPECT_EQ(*state_.PaymentsOf(merchant_), (std::vector<Id128>{older, newer}));
}

TEST_F(StateFixture, OnlyCreatedPaymentsExpire) {
  const Id128 open = Create(5, t0_, t0_ + 60 * kSecondNs);
  Pay(customers_[1], 7, t0_);  // expires at t0 + 900 s, but is paid
  EXPECT_TRUE(state_.ExpiredPayments(t0_ + 60 * kSecondNs - 1, 10).empty());
  EXPECT_EQ(state_.ExpiredPayments(t0_ + 60 * kSecondNs, 10), std::vector<Id128>{open});
  EXPECT_EQ(state_.ExpiredPayments(t0_ + kDayNs, 10), std::vector<Id128>{open});
  EXPECT_TRUE(state_.ExpiredPayments(t0_ + kDayNs, 0).empty());
  Apply(state_, PaymentCancelled{open}, ++seq_, t0_ + kSecondNs);
  EXPECT_TRUE(state_.ExpiredPayments(t0_ + kDayNs, 10).empty());
}

TEST_F(StateFixture, IdempotencyKeysExpireAfterTheirTtl) {
  IdempotencyRecorded r{"key-1", "k", "fp", 201, "{}", false};
  Apply(state_, r, ++seq_, t0_);
  const uint64_t ttl_ns = config_.idempotency_ttl_s * kSecondNs;
  EXPECT_NE(state_.FindIdempotency("key-1", "k", t0_ + ttl_ns - 1), nullptr);
  EXPECT_EQ(state_.FindIdempotency("key-1", "k", t0_ + ttl_ns), nullptr);
  EXPECT_EQ(state_.FindIdempotency("key-2", "k", t0_), nullptr);  // scoped by API key
  EXPECT_EQ(state_.idempotency_size(), 1u);
  state_.PruneIdempotency(t0_ + ttl_ns - 1);
  EXPECT_EQ(state_.idempotency_size(), 1u);
  state_.PruneIdempotency(t0_ + ttl_ns);
  EXPECT_EQ(state_.idempotency_size(), 0u);
}

TEST_F(StateFixture, AKeyRecordedAgainAfterItExpiredReplacesItsRecordAndOutlivesTheOldOne) {
  const uint64_t ttl_ns = config_.idempotency_ttl_s * kSecondNs;
  Apply(state_, IdempotencyRecorded{"key-1", "k", "fp-old", 201, "{\"old\":1}", false}, ++seq_, t0_);
  const uint64_t later = t0_ + ttl_ns + kSecondNs;  // the first record has expired
  Apply(state_, IdempotencyRecorded{"key-1", "k", "fp-new", 200, "{\"new\":1}", false}, ++seq_, later);
  EXPECT_EQ(state_.idempotency_size(), 1u);
  // Pruning the first record's age leaves the younger record of the same key.
  state_.PruneIdempotency(later);
  const IdempotencyEntry* seen = state_.FindIdempotency("key-1", "k", later);
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->fingerprint, "fp-new");
  EXPECT_EQ(seen->body, "{\"new\":1}");
  state_.PruneIdempotency(later + ttl_ns);
  EXPECT_EQ(state_.idempotency_size(), 0u);
}

TEST_F(StateFixture, IdempotencyKeysAreTheirApiKeyAndKeyExactly) {
  Apply(state_, IdempotencyRecorded{"ab", "c", "fp", 201, "{}", false}, ++seq_, t0_);
  EXPECT_NE(state_.FindIdempotency("ab", "c", t0_), nullptr);
  EXPECT_EQ(state_.FindIdempotency("a", "bc", t0_), nullptr);
  EXPECT_EQ(state_.FindIdempotency("ab", "", t0_), nullptr);
  EXPECT_EQ(state_.FindIdempotency("abc", "", t0_), nullptr);
}

}  // namespace
}  // namespace netfin::payments
