#include "risk/rule_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/scratch_dir.h"

namespace netfin::risk {
namespace {

// Two rule files that decide differently on the same payment, so a decision
// shows which file made it.
constexpr const char* kDenyLarge = R"(
[[rule]]
name = "large"
condition = "amount >= 100_000"
action = "deny"
reason = "large amounts are refused"
)";

constexpr const char* kChallengeLarge = R"(
[[rule]]
name = "large"
condition = "amount >= 100_000"
action = "challenge"
reason = "large amounts are confirmed"

[[rule]]
name = "risky_model"
condition = "model_score >= 0.5"
action = "deny"
reason = "the model says fraud"
)";

constexpr const char* kBroken = R"(
[[rule]]
name = "large"
condition = "amount >= 100_000 and"
action = "deny"
reason = "never loaded"
)";

FeatureVector Amount(double amount) {
  FeatureVector v;
  v[Feature::kAmount] = amount;
  return v;
}

TEST(RuleEngineTest, StartsEmptyOrWithTheGivenRules) {
  const RuleEngine empty;
  EXPECT_EQ(empty.Decide(Amount(1e9), 1.0).action(), Action::kAllow);
  EXPECT_EQ(empty.generation(), 1u);
  const RuleEngine engine(RuleSet::Parse(kDenyLarge, "deny.toml").value());
  const Decision d = engine.Decide(Amount(200'000), 0);
  EXPECT_EQ(d.action(), Action::kDeny);
  ASSERT_EQ(d.FiredRules().size(), 1u);
  EXPECT_EQ(d.FiredRules()[0]->name, "large");
  EXPECT_EQ(d.FiredRules()[0]->reason, "large amounts are refused");
  EXPECT_EQ(d.rules().source(), "deny.toml");
}

TEST(RuleEngineTest, ModelScoreIsAFeature) {
  RuleEngine engine;
  ASSERT_TRUE(engine.Reload(kChallengeLarge, "challenge.toml").ok());
  EXPECT_EQ(engine.Decide(Amount(10), 0.49).action(), Action::kAllow);
  const Decision d = engine.Decide(Amount(200'000), 0.5);
  EXPECT_EQ(d.action(), Action::kDeny);
  EXPECT_EQ(d.fired_count(), 2u);
  EXPECT_EQ(engine.Decide(Amount(200'000), 0.1).action(), Action::kChallenge);
}

TEST(RuleEngineTest, AFailedReloadKeepsTheRulesInForce) {
  RuleEngine engine(RuleSet::Parse(kDenyLarge, "deny.toml").value());
  const std::shared_ptr<const RuleSet> before = engine.Current();
  const core::Status status = engine.Reload(kBroken, "broken.toml");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("broken.toml:4: ", 0), 0u) << status.message();
  EXPECT_EQ(engine.Current(), before);
  EXPECT_EQ(engine.generation(), 1u);
  EXPECT_EQ(engine.Decide(Amount(200'000), 0).action(), Action::kDeny);
  // A good file then replaces them.
  ASSERT_TRUE(engine.Reload(kChallengeLarge, "challenge.toml").ok());
  EXPECT_EQ(engine.generation(), 2u);
  EXPECT_EQ(engine.Decide(Amount(200'000), 0).action(), Action::kChallenge);
}

TEST(RuleEngineTest, ADecisionOutlivesAReload) {
  RuleEngine engine(RuleSet::Parse(kDenyLarge, "deny.toml").value());
  const Decision d = engine.Decide(Amount(200'000), 0);
  ASSERT_TRUE(engine.Reload(kChallengeLarge, "challenge.toml").ok());
  // The old rule set lives on in the decision that used it.
  EXPECT_EQ(d.rules().source(), "deny.toml");
  EXPECT_EQ(d.FiredRules()[0]->reason, "large amounts are refused");
}

TEST(RuleEngineTest, ReloadsFiles) {
  const core::ScratchDir dir;
  const std::string path = dir.File("rules.toml");
  std::ofstream(path) << kChallengeLarge;
  RuleEngine engine;
  ASSERT_TRUE(engine.ReloadFile(path).ok());
  EXPECT_EQ(engine.Decide(Amount(200'000), 0).action(), Action::kChallenge);
  std::ofstream(path) << kBroken;
  const core::Status status = engine.ReloadFile(path);
  EXPECT_EQ(status.message().rfind(path + ":4: ", 0), 0u) << status.message();
  EXPECT_EQ(engine.ReloadFile(dir.File("missing.toml")).code(), core::StatusCode::kIoError);
  EXPECT_EQ(engine.Decide(Amount(200'000), 0).action(), Action::kChallenge);
}

// Decisions on several threads while another thread keeps reloading good and
// bad files: every decision is consistent with exactly one rule set (the
// one it reports), no decision ever sees the broken file, and nothing races
// (run under TSan or ASan to check the last).
TEST(RuleEngineTest, ConcurrentDecisionsDuringReloads) {
  RuleEngine engine(RuleSet::Parse(kDenyLarge, "deny.toml").value());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> decisions{0};
  std::atomic<uint64_t> inconsistent{0};
  std::vector<std::thread> deciders;
  for (int t = 0; t < 3; ++t) {
    deciders.emplace_back([&] {
      const FeatureVector large = Amount(200'000);
      while (!stop.load(std::memory_order_relaxed)) {
        const Decision d = engine.Decide(large, 0);
        const bool deny_file = d.rules().source() == "deny.toml";
        const Action want = deny_file ? Action::kDeny : Action::kChallenge;
        if (d.action() != want || d.rules().source() == "broken.toml") ++inconsistent;
        ++decisions;
      }
    });
  }
  int reloads = 0;
  int refused = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < deadline || reloads < 50) {
    const int step = reloads % 3;
    const core::Status status = step == 0   ? engine.Reload(kChallengeLarge, "challenge.toml")
                                : step == 1 ? engine.Reload(kBroken, "broken.toml")
                                            : engine.Reload(kDenyLarge, "deny.toml");
    if (!status.ok()) ++refused;
    ++reloads;
  }
  stop = true;
  for (std::thread& t : deciders) t.join();
  EXPECT_EQ(inconsistent.load(), 0u);
  EXPECT_GT(decisions.load(), 0u);
  EXPECT_EQ(refused, (reloads + 1) / 3);
  EXPECT_EQ(engine.generation(), 1u + static_cast<uint64_t>(reloads - refused));
}

}  // namespace
}  // namespace netfin::risk
