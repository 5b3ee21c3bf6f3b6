// The default rules file, end to end: events through the feature engine,
// features through the default rules, for the attack patterns it is meant
// to stop and for ordinary payments it must let through.

#include "risk/default_rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "risk/feature_engine.h"
#include "risk/rule_engine.h"
#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::Key;
using testing::kT0;
using testing::MakeEvent;

constexpr double kNoModel = std::numeric_limits<double>::quiet_NaN();
constexpr uint64_t kAlice = 1;
constexpr uint64_t kShop = 100;
// 14:00 in China on the day after kT0.
constexpr uint64_t kAfternoon = kT0 + kDayNs + 14 * kHourNs;

class DefaultRulesTest : public ::testing::Test {
 protected:
  DefaultRulesTest() : rules_(RuleSet::Parse(DefaultRulesToml(), kDefaultRulesSource).value()) {}

  // Scores the event, then records it as it ended (allowed payments succeed,
  // the rest fail), as the payment flow does.
  Decision Pay(PaymentEvent e, double model_score = kNoModel) {
    const Decision d = rules_.Decide(engine_.Compute(e), model_score);
    e.outcome = d.action() == Action::kAllow ? Outcome::kSucceeded : Outcome::kFailed;
    engine_.Observe(e);
    return d;
  }

  // Alice's ordinary life: ten afternoon payments to her usual shop from her
  // phone, one a day.
  void AliceHabits() {
    for (uint64_t day = 0; day < 10; ++day) {
      PaymentEvent e = AliceAtShop(kAfternoon + day * kDayNs, 5'000);
      ASSERT_EQ(Pay(e).action(), Action::kAllow) << day;
    }
  }

  static PaymentEvent AliceAtShop(uint64_t ts, uint64_t amount) {
    PaymentEvent e = MakeEvent(ts, kAlice, kShop, amount);
    e.merchant = Key(kShop);
    e.device = DeviceKey("alice-phone");
    e.ip = *IpKey("203.0.113.10");
    return e;
  }

  static std::vector<std::string> Fired(const Decision& d) {
    std::vector<std::string> names;
    for (const Rule* rule : d.FiredRules()) names.push_back(rule->name);
    return names;
  }

  static bool HasFired(const Decision& d, const std::string& name) {
    const std::vector<std::string> names = Fired(d);
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  FeatureEngine engine_;
  RuleEngine rules_;
};

TEST_F(DefaultRulesTest, Loads) {
  const std::shared_ptr<const RuleSet> set = rules_.Current();
  EXPECT_GE(set->rules().size(), 10u);
  EXPECT_EQ(set->source(), "default_rules.toml");
  for (const char* name : {"ato_new_device_new_payee_night", "card_testing_customer_burst",
                           "mule_fan_in_hour", "model_score_very_high", "model_score_high"}) {
    EXPECT_NE(set->Find(name), nullptr) << name;
  }
}

TEST_F(DefaultRulesTest, OrdinaryPaymentsPass) {
  AliceHabits();
  const Decision d = Pay(AliceAtShop(kAfternoon + 11 * kDayNs, 6'000));
  EXPECT_EQ(d.action(), Action::kAllow);
  EXPECT_EQ(Fired(d), std::vector<std::string>{"familiar_small_payment"});
  // A first payment to a new shop in the daytime, a moderate amount: fine.
  PaymentEvent other = AliceAtShop(kAfternoon + 12 * kDayNs, 30'000);
  other.payee = other.merchant = Key(101);
  EXPECT_EQ(Pay(other).action(), Action::kAllow);
}

TEST_F(DefaultRulesTest, AccountTakeoverIsChallenged) {
  AliceHabits();
  // 02:00 in China, a phone Alice never used, a wallet she never paid,
  // 3,000 CNY where she usually spends 50.
  PaymentEvent e = MakeEvent(kT0 + 12 * kDayNs + 2 * kHourNs, kAlice, 777, 300'000);
  e.kind = EventKind::kTransfer;
  e.device = DeviceKey("attacker-phone");
  e.ip = *IpKey("198.51.100.66");
  const Decision d = Pay(e);
  EXPECT_EQ(d.action(), Action::kChallenge);
  EXPECT_TRUE(HasFired(d, "ato_new_device_new_payee_night")) << ::testing::PrintToString(Fired(d));
  EXPECT_TRUE(HasFired(d, "amount_spike"));
  // The same at 14:00 is not the night pattern.
  e.timestamp_ns = kAfternoon + 13 * kDayNs;
  EXPECT_FALSE(HasFired(Pay(e), "ato_new_device_new_payee_night"));
}

TEST_F(DefaultRulesTest, CardTestingIsDenied) {
  // Ten 1-CNY payments within 30 seconds: the tenth is denied.
  for (uint64_t i = 0; i < 9; ++i) {
    PaymentEvent e = MakeEvent(kAfternoon + i * 3 * kSecondNs, 42, 200 + i, 100);
    e.merchant = e.payee;
    ASSERT_EQ(Pay(e).action(), Action::kAllow) << i;
  }
  PaymentEvent tenth = MakeEvent(kAfternoon + 27 * kSecondNs, 42, 300, 100);
  const Decision d = Pay(tenth);
  EXPECT_EQ(d.action(), Action::kDeny);
  EXPECT_TRUE(HasFired(d, "card_testing_customer_burst"));
  // Ten minutes later the burst has left the minute window.
  tenth.timestamp_ns = kAfternoon + 10 * kMinuteNs;
  EXPECT_EQ(Pay(tenth).action(), Action::kAllow);
}

TEST_F(DefaultRulesTest, CardTestingAcrossAccountsFromOneDevice) {
  Decision last = Pay(MakeEvent(kAfternoon, 1000, 300, 100));
  for (uint64_t i = 0; i < 20; ++i) {
    PaymentEvent e = MakeEvent(kAfternoon + i * kSecondNs, 1000 + i, 300, 100);
    e.device = DeviceKey("farm-phone");
    last = Pay(e);
  }
  EXPECT_EQ(last.action(), Action::kDeny);
  EXPECT_TRUE(HasFired(last, "card_testing_device_burst"));
}

TEST_F(DefaultRulesTest, MuleFanInIsDenied) {
  const uint64_t kMule = 666;
  for (uint64_t payer = 1; payer <= 9; ++payer) {
    PaymentEvent e = MakeEvent(kAfternoon + payer * kMinuteNs, 5000 + payer, kMule, 50'000);
    e.kind = EventKind::kTransfer;
    ASSERT_EQ(Pay(e).action(), Action::kAllow) << payer;
  }
  PaymentEvent tenth = MakeEvent(kAfternoon + 10 * kMinuteNs, 5010, kMule, 50'000);
  tenth.kind = EventKind::kTransfer;
  const Decision d = Pay(tenth);
  EXPECT_EQ(d.action(), Action::kDeny);
  EXPECT_TRUE(HasFired(d, "mule_fan_in_hour"));
  // A merchant with many payers is not a mule: payments are not transfers.
  for (uint64_t payer = 1; payer <= 12; ++payer) {
    PaymentEvent e = MakeEvent(kAfternoon + payer * kMinuteNs, 7000 + payer, kShop, 5'000);
    e.merchant = Key(kShop);
    EXPECT_EQ(Pay(e).action(), Action::kAllow) << payer;
  }
}

TEST_F(DefaultRulesTest, ModelScoreThresholds) {
  const PaymentEvent e = AliceAtShop(kAfternoon, 5'000);
  const FeatureVector v = engine_.Compute(e);
  EXPECT_EQ(rules_.Decide(v, 0.1).action(), Action::kAllow);
  EXPECT_EQ(rules_.Decide(v, 0.5).action(), Action::kChallenge);
  EXPECT_EQ(rules_.Decide(v, 0.95).action(), Action::kDeny);
  EXPECT_EQ(rules_.Decide(v, kNoModel).action(), Action::kAllow);
  // Exactly at the thresholds the file and `netfin eval fraud` share.
  const auto below = [](double score) { return std::nextafter(score, 0.0); };
  EXPECT_EQ(rules_.Decide(v, below(kDefaultModelChallengeScore)).action(), Action::kAllow);
  EXPECT_EQ(rules_.Decide(v, kDefaultModelChallengeScore).action(), Action::kChallenge);
  EXPECT_EQ(rules_.Decide(v, below(kDefaultModelDenyScore)).action(), Action::kChallenge);
  EXPECT_EQ(rules_.Decide(v, kDefaultModelDenyScore).action(), Action::kDeny);
}

}  // namespace
}  // namespace netfin::risk
