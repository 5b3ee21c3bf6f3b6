#include "risk/feature_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "core/money.h"
#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::Key;
using testing::kT0;
using testing::MakeEvent;

constexpr uint64_t kAlice = 1;
constexpr uint64_t kBob = 2;
constexpr uint64_t kShop = 100;
constexpr GeoPoint kBeijing{39'904'200, 116'407'400};
constexpr GeoPoint kShanghai{31'230'400, 121'473'700};

// Computes, then observes: what the payment flow and training replay do.
FeatureVector Step(FeatureEngine* engine, const PaymentEvent& e) {
  const FeatureVector v = engine->Compute(e);
  engine->Observe(e);
  return v;
}

double Count(const FeatureVector& v, Entity e, Window w) {
  return v[WindowFeature(e, Aggregate::kCount, w)];
}
double Sum(const FeatureVector& v, Entity e, Window w) {
  return v[WindowFeature(e, Aggregate::kSum, w)];
}

TEST(FeatureNamesTest, FixedOrderAndLookup) {
  const auto names = FeatureVector::Names();
  ASSERT_EQ(names.size(), kFeatureCount);
  EXPECT_EQ(names[0], "amount");
  EXPECT_EQ(names.back(), "merchant_sum_30d");
  std::set<std::string_view> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), kFeatureCount);
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(FindFeature(names[i]), static_cast<Feature>(i)) << names[i];
  }
  EXPECT_EQ(FindFeature("customer_count_1h"), Feature::kCustomerCount1h);
  EXPECT_EQ(FindFeature("payee_fan_in_24h"), Feature::kPayeeFanIn24h);
  EXPECT_FALSE(FindFeature("model_score").has_value());
  EXPECT_FALSE(FindFeature("").has_value());
  EXPECT_EQ(kFeatures[static_cast<size_t>(Feature::kNewDevice)].type, FeatureType::kFlag);
  EXPECT_EQ(kFeatures[static_cast<size_t>(Feature::kAmount)].type, FeatureType::kNumber);
}

TEST(FeatureEngineTest, FirstEventOfANewCustomer) {
  FeatureEngine engine;
  PaymentEvent e = MakeEvent(kT0 + 3 * kHourNs, kAlice, kShop, 12'345);  // 03:00 in China
  e.merchant = Key(kShop);
  e.device = DeviceKey("phone-a");
  e.ip = *IpKey("203.0.113.7");
  const FeatureVector v = engine.Compute(e);
  EXPECT_EQ(v[Feature::kAmount], 12'345);
  EXPECT_EQ(v[Feature::kKindPayment], 1);
  EXPECT_EQ(v[Feature::kKindTransfer], 0);
  EXPECT_EQ(v[Feature::kHourOfDayCn], 3);
  EXPECT_EQ(v[Feature::kIsNight], 1);
  EXPECT_EQ(v[Feature::kNewPayee], 1);
  EXPECT_EQ(v[Feature::kNewDevice], 1);
  EXPECT_EQ(v[Feature::kNewIp], 1);
  EXPECT_EQ(v[Feature::kCustomerHistoryCount], 0);
  EXPECT_TRUE(std::isnan(v[Feature::kAmountToMedianRatio]));
  EXPECT_TRUE(std::isnan(v[Feature::kAmountZscore]));
  EXPECT_TRUE(std::isnan(v[Feature::kLocationDistanceKm]));
  EXPECT_TRUE(std::isnan(v[Feature::kCustomerSecondsSinceLast]));
  EXPECT_TRUE(std::isnan(v[Feature::kBalanceBefore]));
  EXPECT_TRUE(std::isnan(v[Feature::kAmountToBalanceRatio]));
  EXPECT_EQ(v[Feature::kCustomerFailed1h], 0);
  EXPECT_EQ(v[Feature::kPayeeFanIn1h], 1);  // this payer
  EXPECT_EQ(v[Feature::kPayeeFanIn24h], 1);
  // The event itself is in every window of every entity it names.
  for (Entity entity :
       {Entity::kCustomer, Entity::kDevice, Entity::kIp, Entity::kPayee, Entity::kMerchant}) {
    for (size_t w = 0; w < kWindowCount; ++w) {
      EXPECT_EQ(Count(v, entity, static_cast<Window>(w)), 1);
      EXPECT_EQ(Sum(v, entity, static_cast<Window>(w)), 12'345);
    }
  }
}

TEST(FeatureEngineTest, MissingEntitiesReadZero) {
  FeatureEngine engine;
  const PaymentEvent e = MakeEvent(kT0, 0, 0, 500);  // no customer, payee, device ...
  engine.Observe(e);
  const FeatureVector v = engine.Compute(e);
  for (Entity entity :
       {Entity::kCustomer, Entity::kDevice, Entity::kIp, Entity::kPayee, Entity::kMerchant}) {
    EXPECT_EQ(Count(v, entity, Window::k30d), 0);
    EXPECT_EQ(Sum(v, entity, Window::k30d), 0);
  }
  EXPECT_EQ(v[Feature::kNewPayee], 0);
  EXPECT_EQ(v[Feature::kNewDevice], 0);
  EXPECT_EQ(v[Feature::kNewIp], 0);
  EXPECT_EQ(v[Feature::kPayeeFanIn1h], 0);
  EXPECT_EQ(engine.Stats().customers.size, 0u);
}

TEST(FeatureEngineTest, WindowEdgesThroughTheEngine) {
  // One earlier event at kT0; the scored event exactly W later sees only
  // itself in that window, one nanosecond earlier it sees both.
  for (size_t w = 0; w < kWindowCount; ++w) {
    SCOPED_TRACE(w);
    const Window win = static_cast<Window>(w);
    FeatureEngine engine;
    engine.Observe(MakeEvent(kT0, kAlice, kShop, 100));
    const FeatureVector inside =
        engine.Compute(MakeEvent(kT0 + kWindowNs[w] - 1, kAlice, kShop, 7));
    EXPECT_EQ(Count(inside, Entity::kCustomer, win), 2);
    EXPECT_EQ(Sum(inside, Entity::kCustomer, win), 107);
    EXPECT_EQ(Count(inside, Entity::kPayee, win), 2);
    const FeatureVector edge = engine.Compute(MakeEvent(kT0 + kWindowNs[w], kAlice, kShop, 7));
    EXPECT_EQ(Count(edge, Entity::kCustomer, win), 1);
    EXPECT_EQ(Sum(edge, Entity::kCustomer, win), 7);
    EXPECT_EQ(Count(edge, Entity::kPayee, win), 1);
  }
}

TEST(FeatureEngineTest, EachEntityHasItsOwnWindows) {
  FeatureEngine engine;
  PaymentEvent a = MakeEvent(kT0, kAlice, kShop, 100);
  a.device = DeviceKey("shared-phone");
  a.ip = *IpKey("198.51.100.1");
  a.merchant = Key(kShop);
  engine.Observe(a);
  PaymentEvent b = MakeEvent(kT0 + kSecondNs, kBob, 200, 1000);  // same device, other IP
  b.device = a.device;
  b.ip = *IpKey("198.51.100.2");
  const FeatureVector v = engine.Compute(b);
  EXPECT_EQ(Count(v, Entity::kCustomer, Window::k1m), 1);
  EXPECT_EQ(Count(v, Entity::kDevice, Window::k1m), 2);
  EXPECT_EQ(Sum(v, Entity::kDevice, Window::k1m), 1100);
  EXPECT_EQ(Count(v, Entity::kIp, Window::k1m), 1);
  EXPECT_EQ(Count(v, Entity::kPayee, Window::k1m), 1);
  EXPECT_EQ(Count(v, Entity::kMerchant, Window::k1m), 0);  // b names no merchant
}

TEST(FeatureEngineTest, ComputeDoesNotChangeState) {
  FeatureEngine engine;
  const PaymentEvent e = MakeEvent(kT0, kAlice, kShop, 100);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Count(engine.Compute(e), Entity::kCustomer, Window::k1m), 1);
  }
  EXPECT_EQ(engine.Stats().events_observed, 0u);
}

TEST(FeatureEngineTest, HourOfDayInChinaTime) {
  FeatureEngine engine;
  struct Case {
    uint64_t ts;
    double hour;
    double night;
  };
  // kT0 is 00:00 in China.
  for (const Case& c : {Case{kT0 - 1, 23, 0}, Case{kT0, 0, 1}, Case{kT0 + 6 * kHourNs - 1, 5, 1},
                        Case{kT0 + 6 * kHourNs, 6, 0}, Case{kT0 + 12 * kHourNs, 12, 0},
                        Case{kT0 + 23 * kHourNs + 59 * kMinuteNs, 23, 0}}) {
    const FeatureVector v = engine.Compute(MakeEvent(c.ts, kAlice, kShop, 1));
    EXPECT_EQ(v[Feature::kHourOfDayCn], c.hour) << c.ts;
    EXPECT_EQ(v[Feature::kIsNight], c.night) << c.ts;
  }
}

TEST(FeatureEngineTest, KindsAreOneHot) {
  FeatureEngine engine;
  const Feature flags[] = {Feature::kKindPayment, Feature::kKindTransfer, Feature::kKindWithdrawal,
                           Feature::kKindTopUp};
  const EventKind kinds[] = {EventKind::kPayment, EventKind::kTransfer, EventKind::kWithdrawal,
                             EventKind::kTopUp};
  for (size_t k = 0; k < 4; ++k) {
    PaymentEvent e = MakeEvent(kT0, kAlice, kShop, 1);
    e.kind = kinds[k];
    const FeatureVector v = engine.Compute(e);
    for (size_t f = 0; f < 4; ++f) EXPECT_EQ(v[flags[f]], f == k ? 1 : 0);
  }
}

TEST(FeatureEngineTest, AmountAgainstTheCustomersHistory) {
  FeatureEngine engine;
  uint64_t t = kT0;
  for (uint64_t amount : {100, 300, 200})
    engine.Observe(MakeEvent(t += kHourNs, kAlice, kShop, amount));
  const FeatureVector v = engine.Compute(MakeEvent(t += kHourNs, kAlice, kShop, 1000));
  EXPECT_EQ(v[Feature::kCustomerHistoryCount], 3);
  EXPECT_DOUBLE_EQ(v[Feature::kAmountToMedianRatio], 5.0);  // 1000 / 200
  EXPECT_DOUBLE_EQ(v[Feature::kAmountZscore], 800 / std::sqrt(20000.0 / 3));
  // Bob always pays 100: a zero deviation, floored at one minor unit.
  engine.Observe(MakeEvent(t, kBob, kShop, 100));
  const FeatureVector one = engine.Compute(MakeEvent(t, kBob, kShop, 150));
  EXPECT_EQ(one[Feature::kAmountToMedianRatio], 1.5);
  EXPECT_TRUE(std::isnan(one[Feature::kAmountZscore]));  // needs two amounts
  engine.Observe(MakeEvent(t, kBob, kShop, 100));
  EXPECT_EQ(engine.Compute(MakeEvent(t, kBob, kShop, 150))[Feature::kAmountZscore], 50);
  EXPECT_EQ(engine.Compute(MakeEvent(t, kBob, kShop, 100))[Feature::kAmountZscore], 0);
}

TEST(FeatureEngineTest, AZeroMedianHasNoRatio) {
  FeatureEngine engine;
  engine.Observe(MakeEvent(kT0, kAlice, kShop, 0));
  EXPECT_TRUE(
      std::isnan(engine.Compute(MakeEvent(kT0, kAlice, kShop, 5))[Feature::kAmountToMedianRatio]));
}

TEST(FeatureEngineTest, NewPayeeDeviceAndIpLearnOnlyFromSuccesses) {
  FeatureEngine engine;
  PaymentEvent e = MakeEvent(kT0, kAlice, kBob, 5000);
  e.kind = EventKind::kTransfer;
  e.device = DeviceKey("new-phone");
  e.ip = *IpKey("192.0.2.1");
  e.location = kShanghai;
  // A denied attempt must not make the device or payee look familiar on retry.
  e.outcome = Outcome::kFailed;
  engine.Observe(e);
  FeatureVector v = engine.Compute(e);
  EXPECT_EQ(v[Feature::kNewPayee], 1);
  EXPECT_EQ(v[Feature::kNewDevice], 1);
  EXPECT_EQ(v[Feature::kNewIp], 1);
  EXPECT_EQ(v[Feature::kCustomerHistoryCount], 0);
  EXPECT_TRUE(std::isnan(v[Feature::kLocationDistanceKm]));
  EXPECT_EQ(v[Feature::kCustomerFailed1h], 1);
  EXPECT_EQ(Count(v, Entity::kCustomer, Window::k1m), 2);  // attempts count in windows
  // Once it succeeds, all three are known.
  e.outcome = Outcome::kSucceeded;
  engine.Observe(e);
  v = engine.Compute(e);
  EXPECT_EQ(v[Feature::kNewPayee], 0);
  EXPECT_EQ(v[Feature::kNewDevice], 0);
  EXPECT_EQ(v[Feature::kNewIp], 0);
  EXPECT_EQ(v[Feature::kCustomerHistoryCount], 1);
  // Another customer's success teaches nothing about Alice.
  PaymentEvent other = e;
  other.customer = Key(3);
  other.payee = Key(4);
  engine.Observe(other);
  PaymentEvent next = e;
  next.payee = Key(4);
  EXPECT_EQ(engine.Compute(next)[Feature::kNewPayee], 1);
}

TEST(FeatureEngineTest, KnownPayeesAreBounded) {
  FeatureEngine engine;
  // Alice pays 33 distinct payees; the first is forgotten (32 remembered).
  for (uint64_t p = 1; p <= 33; ++p) engine.Observe(MakeEvent(kT0 + p, kAlice, 1000 + p, 1));
  EXPECT_EQ(engine.Compute(MakeEvent(kT0 + 40, kAlice, 1001, 1))[Feature::kNewPayee], 1);
  EXPECT_EQ(engine.Compute(MakeEvent(kT0 + 40, kAlice, 1002, 1))[Feature::kNewPayee], 0);
  EXPECT_EQ(engine.Compute(MakeEvent(kT0 + 40, kAlice, 1033, 1))[Feature::kNewPayee], 0);
}

TEST(FeatureEngineTest, FailedAttemptsInTheLastHourAndDay) {
  FeatureEngine engine;
  PaymentEvent failed = MakeEvent(kT0, kAlice, kShop, 100);
  failed.outcome = Outcome::kFailed;
  engine.Observe(failed);
  failed.timestamp_ns = kT0 + 2 * kHourNs;
  engine.Observe(failed);
  engine.Observe(MakeEvent(kT0 + 2 * kHourNs, kAlice, kShop, 100));  // a success: not a failure
  FeatureVector v = engine.Compute(MakeEvent(kT0 + 3 * kHourNs - 1, kAlice, kShop, 1));
  EXPECT_EQ(v[Feature::kCustomerFailed1h], 1);
  EXPECT_EQ(v[Feature::kCustomerFailed24h], 2);
  v = engine.Compute(MakeEvent(kT0 + 3 * kHourNs, kAlice, kShop, 1));  // exactly 1h after
  EXPECT_EQ(v[Feature::kCustomerFailed1h], 0);
  v = engine.Compute(MakeEvent(kT0 + kDayNs, kAlice, kShop, 1));  // the first is 24h old
  EXPECT_EQ(v[Feature::kCustomerFailed24h], 1);
  // Failures are remembered up to 16.
  for (int i = 0; i < 20; ++i) engine.Observe(failed);
  v = engine.Compute(MakeEvent(kT0 + 2 * kHourNs, kAlice, kShop, 1));
  EXPECT_EQ(v[Feature::kCustomerFailed1h], 16);
}

TEST(FeatureEngineTest, DistanceFromTheUsualLocation) {
  FeatureEngine engine;
  PaymentEvent e = MakeEvent(kT0, kAlice, kShop, 100);
  e.location = kBeijing;
  engine.Observe(e);
  e.location = kShanghai;
  EXPECT_NEAR(engine.Compute(e)[Feature::kLocationDistanceKm], 1067.31, 0.01);
  e.location = kBeijing;
  EXPECT_EQ(engine.Compute(e)[Feature::kLocationDistanceKm], 0);
  e.location.reset();
  EXPECT_TRUE(std::isnan(engine.Compute(e)[Feature::kLocationDistanceKm]));
  e.location = GeoPoint{91'000'000, 0};  // not a place on Earth: ignored
  EXPECT_TRUE(std::isnan(engine.Compute(e)[Feature::kLocationDistanceKm]));
  engine.Observe(e);  // and not learnt
  e.location = kBeijing;
  EXPECT_EQ(engine.Compute(e)[Feature::kLocationDistanceKm], 0);
}

TEST(FeatureEngineTest, FanInCountsDistinctPayersOfOnePayee) {
  FeatureEngine engine;
  const uint64_t kMule = 500;
  engine.Observe(MakeEvent(kT0, 1, kMule, 100));
  engine.Observe(MakeEvent(kT0 + kMinuteNs, 2, kMule, 100));
  engine.Observe(MakeEvent(kT0 + 2 * kMinuteNs, 2, kMule, 100));  // the same payer again
  engine.Observe(MakeEvent(kT0 + 2 * kMinuteNs, 3, 501, 100));    // another payee
  FeatureVector v = engine.Compute(MakeEvent(kT0 + 3 * kMinuteNs, 4, kMule, 100));
  EXPECT_EQ(v[Feature::kPayeeFanIn1h], 3);  // payers 1, 2 and this one (4)
  EXPECT_EQ(v[Feature::kPayeeFanIn24h], 3);
  v = engine.Compute(MakeEvent(kT0 + 3 * kMinuteNs, 1, kMule, 100));
  EXPECT_EQ(v[Feature::kPayeeFanIn1h], 2);  // payer 1 again: not a new one
  // Exactly an hour after payer 1's payment it has left the hour.
  v = engine.Compute(MakeEvent(kT0 + kHourNs, 4, kMule, 100));
  EXPECT_EQ(v[Feature::kPayeeFanIn1h], 2);  // payer 2 and this one
  EXPECT_EQ(v[Feature::kPayeeFanIn24h], 3);
  v = engine.Compute(MakeEvent(kT0 + kDayNs + 2 * kMinuteNs, 4, kMule, 100));
  EXPECT_EQ(v[Feature::kPayeeFanIn24h], 1);
}

TEST(FeatureEngineTest, FanInSaturatesAt64) {
  FeatureEngine engine;
  for (uint64_t payer = 1; payer <= 100; ++payer) {
    engine.Observe(MakeEvent(kT0 + payer * kSecondNs, payer, 500, 100));
  }
  const FeatureVector v = engine.Compute(MakeEvent(kT0 + 101 * kSecondNs, 101, 500, 100));
  EXPECT_EQ(v[Feature::kPayeeFanIn1h], 64);
  EXPECT_EQ(v[Feature::kPayeeFanIn24h], 64);
}

TEST(FeatureEngineTest, SecondsSinceTheCustomersLastAttempt) {
  FeatureEngine engine;
  engine.Observe(MakeEvent(kT0, kAlice, kShop, 100));
  EXPECT_EQ(engine.Compute(MakeEvent(kT0 + 90 * kSecondNs, kAlice, kShop,
                                     1))[Feature::kCustomerSecondsSinceLast],
            90);
  EXPECT_EQ(engine.Compute(MakeEvent(kT0 + kSecondNs / 2, kAlice, kShop,
                                     1))[Feature::kCustomerSecondsSinceLast],
            0.5);
}

TEST(FeatureEngineTest, BalanceFeatures) {
  FeatureEngine engine;
  PaymentEvent e = MakeEvent(kT0, kAlice, kBob, 5000);
  e.balance_before_minor = 5000;
  FeatureVector v = engine.Compute(e);
  EXPECT_EQ(v[Feature::kBalanceBefore], 5000);
  EXPECT_EQ(v[Feature::kAmountToBalanceRatio], 1);
  e.balance_before_minor = 0;
  v = engine.Compute(e);
  EXPECT_EQ(v[Feature::kBalanceBefore], 0);
  EXPECT_TRUE(std::isnan(v[Feature::kAmountToBalanceRatio]));
}

TEST(FeatureEngineTest, AnEarlierTimestampIsTakenAsTheLatest) {
  FeatureEngine engine;
  engine.Observe(MakeEvent(kT0 + kHourNs, kAlice, kShop, 100));
  // 1 ms in the past: treated as happening at kT0 + 1h.
  engine.Observe(MakeEvent(kT0 + kHourNs - 1'000'000, kAlice, kShop, 100));
  const FeatureVector v = engine.Compute(MakeEvent(kT0, kAlice, kShop, 1));
  EXPECT_EQ(Count(v, Entity::kCustomer, Window::k1m), 3);
  EXPECT_EQ(v[Feature::kCustomerSecondsSinceLast], 0);
  EXPECT_EQ(engine.Stats().latest_ns, kT0 + kHourNs);
}

TEST(FeatureEngineTest, EntityCapsBoundMemoryAndForgetTheOldest) {
  FeatureEngineOptions options;
  options.customers_max = 3;
  options.payees_max = 2;
  options.devices_max = 1;
  options.ips_max = 1;
  options.merchants_max = 1;
  ASSERT_TRUE(options.Validate().ok());
  FeatureEngine engine(options);
  for (uint64_t c = 1; c <= 5; ++c) {
    PaymentEvent e = MakeEvent(kT0 + c, c, 100 + c, 10);
    e.device = DeviceKey("d" + std::to_string(c));
    engine.Observe(e);
  }
  const FeatureEngineStats stats = engine.Stats();
  EXPECT_EQ(stats.customers.size, 3u);
  EXPECT_EQ(stats.customers.evictions, 2u);
  EXPECT_EQ(stats.payees.size, 2u);
  EXPECT_EQ(stats.payees.evictions, 3u);
  EXPECT_EQ(stats.devices.size, 1u);
  EXPECT_EQ(stats.ips.size, 0u);
  EXPECT_EQ(stats.events_observed, 5u);
  // Customer 1 was forgotten: its payee is new again and its windows empty.
  FeatureVector v = engine.Compute(MakeEvent(kT0 + 10, 1, 101, 10));
  EXPECT_EQ(v[Feature::kNewPayee], 1);
  EXPECT_EQ(Count(v, Entity::kCustomer, Window::k1m), 1);
  // Customer 5 is remembered.
  v = engine.Compute(MakeEvent(kT0 + 10, 5, 105, 10));
  EXPECT_EQ(v[Feature::kNewPayee], 0);
  EXPECT_EQ(Count(v, Entity::kCustomer, Window::k1m), 2);
  EXPECT_LE(FeatureEngine::MemoryBytesMax(options), 20'000u);
  EXPECT_GT(stats.customers.entity_bytes, stats.devices.entity_bytes);
}

TEST(FeatureEngineTest, OptionsAreValidated) {
  FeatureEngineOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.ips_max = 0;
  const core::Status status = options.Validate();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("ips_max"), std::string::npos) << status.message();
}

// A random but repeatable stream of events over a small population, so that
// entities repeat and windows fill.
std::vector<PaymentEvent> RandomEvents(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PaymentEvent> events;
  uint64_t t = kT0;
  for (size_t i = 0; i < n; ++i) {
    t += rng() % (10 * kMinuteNs);
    PaymentEvent e = MakeEvent(t, 1 + rng() % 20, 100 + rng() % 15, rng() % 100'000);
    e.kind = static_cast<EventKind>(1 + rng() % 4);
    e.device = DeviceKey("d" + std::to_string(rng() % 25));
    e.ip = Key(1'000 + rng() % 30);
    if (rng() % 3 == 0) e.merchant = e.payee;
    if (rng() % 2 == 0)
      e.location = GeoPoint{static_cast<int32_t>(rng() % 60'000'000), 100'000'000};
    if (rng() % 2 == 0) e.balance_before_minor = rng() % 200'000;
    e.outcome = rng() % 5 == 0 ? Outcome::kFailed : Outcome::kSucceeded;
    events.push_back(e);
  }
  return events;
}

// Bitwise equality, NaN included.
void ExpectSameFeatures(const FeatureVector& a, const FeatureVector& b) {
  for (size_t i = 0; i < kFeatureCount; ++i) {
    const bool same =
        (std::isnan(a.values[i]) && std::isnan(b.values[i])) || a.values[i] == b.values[i];
    ASSERT_TRUE(same) << FeatureNames()[i] << ": " << a.values[i] << " vs " << b.values[i];
  }
}

TEST(FeatureEngineTest, RebuildReproducesTheLiveState) {
  const std::vector<PaymentEvent> events = RandomEvents(3000, 42);
  FeatureEngine live;
  for (const PaymentEvent& e : events) live.Observe(e);
  FeatureEngine rebuilt;
  rebuilt.Observe(MakeEvent(kT0, 999, 999, 1));  // forgotten by Rebuild
  rebuilt.Rebuild(events);
  EXPECT_EQ(rebuilt.Stats().events_observed, events.size());
  for (const PaymentEvent& probe : RandomEvents(200, 7)) {
    PaymentEvent later = probe;
    later.timestamp_ns = events.back().timestamp_ns + probe.timestamp_ns % kHourNs;
    ExpectSameFeatures(live.Compute(later), rebuilt.Compute(later));
  }
}

TEST(FeatureEngineTest, SnapshotRestoresTheSameFeatures) {
  const std::vector<PaymentEvent> events = RandomEvents(3000, 43);
  FeatureEngine live;
  for (const PaymentEvent& e : events) live.Observe(e);
  const std::string snapshot = live.Snapshot();
  EXPECT_EQ(snapshot, live.Snapshot());  // deterministic
  FeatureEngine restored;
  ASSERT_TRUE(restored.Restore(snapshot).ok());
  EXPECT_EQ(restored.Stats().events_observed, live.Stats().events_observed);
  EXPECT_EQ(restored.Stats().customers.size, live.Stats().customers.size);
  for (const PaymentEvent& probe : RandomEvents(200, 8)) {
    PaymentEvent later = probe;
    later.timestamp_ns = events.back().timestamp_ns + probe.timestamp_ns % kHourNs;
    ExpectSameFeatures(live.Compute(later), restored.Compute(later));
  }
  // Both keep going the same way.
  for (const PaymentEvent& e : RandomEvents(100, 9)) {
    PaymentEvent later = e;
    later.timestamp_ns += events.back().timestamp_ns - kT0;
    ExpectSameFeatures(Step(&live, later), Step(&restored, later));
  }
}

TEST(FeatureEngineTest, RestoreRefusesDamageAndKeepsTheState) {
  FeatureEngine source;
  for (const PaymentEvent& e : RandomEvents(300, 44)) source.Observe(e);
  const std::string snapshot = source.Snapshot();
  FeatureEngine engine;
  engine.Observe(MakeEvent(kT0, kAlice, kShop, 100));
  const PaymentEvent probe = MakeEvent(kT0 + 1, kAlice, kShop, 1);
  const FeatureVector before = engine.Compute(probe);
  std::vector<std::string> bad = {"", "NFRSKSNP", snapshot.substr(0, snapshot.size() - 1),
                                  snapshot + "x"};
  for (size_t at : {size_t{0}, size_t{9}, snapshot.size() / 2, snapshot.size() - 1}) {
    std::string flipped = snapshot;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
    bad.push_back(flipped);
  }
  for (const std::string& b : bad) {
    const core::Status status = engine.Restore(b);
    EXPECT_EQ(status.code(), core::StatusCode::kCorruption) << status.ToString();
    ExpectSameFeatures(engine.Compute(probe), before);
  }
}

// A snapshot edited and sealed again with a valid checksum, as a bug in a
// writer would make one: only Restore's own checks stand in the way.
std::string Reseal(const std::string& snapshot) {
  constexpr size_t kChecksumBytes = 32;
  std::string body = snapshot.substr(0, snapshot.size() - kChecksumBytes);
  core::ChecksumBuilder builder;
  builder.Update(body.data(), body.size());
  const core::Checksum checksum = builder.Final();
  body.append(reinterpret_cast<const char*>(checksum.data()), checksum.size());
  return body;
}

TEST(FeatureEngineTest, RestoreChecksEveryStateNotJustTheChecksum) {
  FeatureEngine source;
  source.Observe(MakeEvent(kT0, kAlice, kShop, 100));
  const std::string snapshot = source.Snapshot();
  // The format (feature_engine_snapshot.cc): magic, version, three sizes,
  // latest_ns, events_observed, the customer count, the first id, its state.
  constexpr size_t kLatestAt = 8 + 4 + 3 * 4;
  constexpr size_t kFirstCustomerAt = kLatestAt + 8 + 8 + 8 + 16;
  FeatureEngine engine;
  ASSERT_TRUE(engine.Restore(Reseal(snapshot)).ok());
  // The customer's amount ring (its first field) names a slot past its end.
  std::string bad_ring = snapshot;
  bad_ring[kFirstCustomerAt] = static_cast<char>(0xff);
  core::Status status = engine.Restore(Reseal(bad_ring));
  EXPECT_EQ(status.code(), core::StatusCode::kCorruption);
  EXPECT_NE(status.message().find("customers entry 0 is inconsistent"), std::string::npos)
      << status.message();
  // latest_ns before the events the states hold.
  std::string bad_latest = snapshot;
  std::fill_n(bad_latest.begin() + kLatestAt, 8, '\0');
  status = engine.Restore(Reseal(bad_latest));
  EXPECT_EQ(status.code(), core::StatusCode::kCorruption);
  EXPECT_NE(status.message().find("is inconsistent"), std::string::npos) << status.message();
  EXPECT_EQ(engine.Stats().latest_ns, kT0);  // still the good restore
}

TEST(FeatureEngineTest, AmountsPastTheLargestReadAsTheLargest) {
  FeatureEngine engine;
  PaymentEvent e = MakeEvent(kT0, kAlice, kShop, UINT64_MAX);
  e.balance_before_minor = UINT64_MAX;
  const double largest = static_cast<double>(core::kAmountMax);
  FeatureVector v = engine.Compute(e);
  EXPECT_EQ(v[Feature::kAmount], largest);
  EXPECT_EQ(v[Feature::kBalanceBefore], largest);
  engine.Observe(e);  // the windows hold it (they refuse more than kAmountMax)
  v = engine.Compute(e);
  EXPECT_EQ(v[Feature::kAmountToMedianRatio], 1);
  EXPECT_EQ(Sum(v, Entity::kCustomer, Window::k1m), 2 * largest);
}

TEST(FeatureEngineTest, RestoreIntoSmallerCapsKeepsTheNewest) {
  FeatureEngine source;
  for (uint64_t c = 1; c <= 10; ++c) source.Observe(MakeEvent(kT0 + c, c, 100 + c, 10));
  FeatureEngineOptions small;
  small.customers_max = 4;
  FeatureEngine engine(small);
  ASSERT_TRUE(engine.Restore(source.Snapshot()).ok());
  EXPECT_EQ(engine.Stats().customers.size, 4u);
  EXPECT_EQ(engine.Compute(MakeEvent(kT0 + 20, 10, 110, 1))[Feature::kNewPayee], 0);
  EXPECT_EQ(engine.Compute(MakeEvent(kT0 + 20, 6, 106, 1))[Feature::kNewPayee], 1);
}

TEST(FeatureEngineTest, ABusyMerchantStaysBounded) {
  // 5,000 payments in 50 s to one merchant: far past the 32-event ring.
  FeatureEngine engine;
  for (uint64_t i = 0; i < 5000; ++i) {
    PaymentEvent e = MakeEvent(kT0 + 10 * kMinuteNs + i * 10'000'000, 1 + i % 500, kShop, 100);
    e.merchant = Key(kShop);
    engine.Observe(e);
  }
  PaymentEvent e = MakeEvent(kT0 + 11 * kMinuteNs, 1, kShop, 100);
  e.merchant = Key(kShop);
  const FeatureVector v = engine.Compute(e);
  // The hour's bucket started 11 minutes ago: 1h and longer are exact; the
  // 1m window reads the 32 newest events (a lower bound), plus this one.
  EXPECT_EQ(Count(v, Entity::kMerchant, Window::k1h), 5001);
  EXPECT_EQ(Sum(v, Entity::kMerchant, Window::k30d), 500'100);
  EXPECT_EQ(Count(v, Entity::kMerchant, Window::k1m), 33);
  EXPECT_EQ(v[Feature::kPayeeFanIn1h], 64);
}

}  // namespace
}  // namespace netfin::risk
