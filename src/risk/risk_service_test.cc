#include "risk/risk_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/assert.h"
#include "core/scratch_dir.h"
#include "ml/split.h"
#include "risk/default_rules.h"
#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::kT0;

// Three rules, one per action; "huge" and "big" overlap so precedence shows.
constexpr std::string_view kRules = R"(version = 1

[[rule]]
name = "big"
condition = "amount >= 10_000"
action = "challenge"
reason = "big payment"

[[rule]]
name = "huge"
condition = "amount >= 100_000"
action = "deny"
reason = "huge payment"

[[rule]]
name = "small"
condition = "amount <= 100"
action = "allow"
reason = "small payment"
)";

RuleSet ParseRules(std::string_view text) {
  core::Result<RuleSet> rules = RuleSet::Parse(text, "test.toml");
  NETFIN_ASSERT(rules.ok());
  return std::move(rules).value();
}

void WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

TEST(RiskServiceTest, DecidesByActionWithTheRulesThatFired) {
  struct Case {
    uint64_t amount_minor;
    Action action;
    std::vector<std::string> rules;
    std::string reasons;
  };
  const std::vector<Case> cases = {
      {100, Action::kAllow, {"small"}, "rule:small"},
      {101, Action::kAllow, {}, ""},
      {9'999, Action::kAllow, {}, ""},
      {10'000, Action::kChallenge, {"big"}, "rule:big"},
      {99'999, Action::kChallenge, {"big"}, "rule:big"},
      {100'000, Action::kDeny, {"big", "huge"}, "rule:big,rule:huge"},
  };
  RiskService service(ParseRules(kRules));
  EXPECT_FALSE(service.has_model());
  uint64_t t = kT0;
  for (const Case& c : cases) {
    const PaymentEvent event = testing::MakeEvent(t += kSecondNs, 1, 2, c.amount_minor);
    const Assessment a = service.Assess(event);
    EXPECT_EQ(a.action(), c.action) << c.amount_minor;
    EXPECT_EQ(a.FiredRuleNames(), c.rules) << c.amount_minor;
    EXPECT_TRUE(a.features.empty());
    EXPECT_TRUE(std::isnan(a.score));
    EXPECT_EQ(a.ReasonsText(), c.reasons);
  }
  const RiskStats stats = service.Stats();
  EXPECT_EQ(stats.allow, 3u);
  EXPECT_EQ(stats.challenge, 2u);
  EXPECT_EQ(stats.deny, 1u);
  EXPECT_EQ(stats.observed, 0u);
  EXPECT_EQ(stats.rules_generation, 1u);
}

// Each bound is inclusive: a decision of exactly 5 us is in the first slot,
// one nanosecond more in the second; past the last bound, the overflow slot.
TEST(RiskServiceTest, LatencyBucketsAreInclusiveOfTheirUpperBound) {
  EXPECT_EQ(LatencyBucketOf(0), 0u);
  for (size_t i = 0; i < kDecisionLatencyBoundsUs.size(); ++i) {
    const uint64_t bound_ns = kDecisionLatencyBoundsUs[i] * 1000;
    EXPECT_EQ(LatencyBucketOf(bound_ns), i) << bound_ns;
    EXPECT_EQ(LatencyBucketOf(bound_ns + 1), i + 1) << bound_ns;
  }
  EXPECT_EQ(LatencyBucketOf(UINT64_MAX), kDecisionLatencyBoundsUs.size());
}

TEST(RiskServiceTest, StatsCountEveryDecisionInTheLatencyHistogram) {
  RiskService service(ParseRules(kRules));
  for (uint64_t i = 0; i < 7; ++i) service.Assess(testing::MakeEvent(kT0 + i, 1, 2, 500));
  const RiskStats stats = service.Stats();
  uint64_t counted = 0;
  for (const uint64_t n : stats.latency_buckets) counted += n;
  EXPECT_EQ(counted, 7u);
  EXPECT_EQ(stats.allow, 7u);
  EXPECT_GT(stats.latency_sum_ns, 0u);
}

TEST(RiskServiceTest, ObserveTeachesTheFeaturesAndAssessDoesNot) {
  RiskService service(ParseRules(R"(version = 1
[[rule]]
name = "known_customer_new_payee"
condition = "customer_history_count >= 1 and new_payee"
action = "challenge"
reason = "a new payee"
)"));
  PaymentEvent first = testing::MakeEvent(kT0, 1, 2, 500);
  EXPECT_EQ(service.Assess(first).action(), Action::kAllow);  // no history yet
  PaymentEvent to_new = testing::MakeEvent(kT0 + kSecondNs, 1, 3, 500);
  EXPECT_EQ(service.Assess(to_new).action(), Action::kAllow);  // first not observed
  service.Observe(first);
  EXPECT_EQ(service.Assess(to_new).action(), Action::kChallenge);
  PaymentEvent to_known = testing::MakeEvent(kT0 + kSecondNs, 1, 2, 500);
  EXPECT_EQ(service.Assess(to_known).action(), Action::kAllow);
  // A failed attempt does not make its payee familiar.
  to_new.outcome = Outcome::kFailed;
  service.Observe(to_new);
  EXPECT_EQ(service.Assess(to_new).action(), Action::kChallenge);
  EXPECT_EQ(service.Stats().observed, 2u);
}

TEST(RiskServiceTest, OpensWithTheDefaultRules) {
  core::Result<std::unique_ptr<RiskService>> service = RiskService::Open({});
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  EXPECT_FALSE((*service)->has_model());
  EXPECT_NE((*service)->rules().Current()->Find("mule_fan_in_hour"), nullptr);
  EXPECT_EQ((*service)->rules().Current()->source(), kDefaultRulesSource);
  // Nothing to reload, nothing to watch.
  EXPECT_EQ((*service)->ReloadRules().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_FALSE((*service)->PollRulesFile());
  (*service)->StartWatchingRules();
  (*service)->StopWatchingRules();
}

TEST(RiskServiceTest, RefusesAMalformedRulesFileWithTheLineAndReason) {
  core::ScratchDir dir;
  const std::string path = dir.File("rules.toml");
  WriteFile(path, R"(version = 1

[[rule]]
name = "bad"
condition = "amount >= "
action = "deny"
reason = "unfinished"
)");
  RiskServiceOptions options;
  options.rules_path = path;
  core::Result<std::unique_ptr<RiskService>> service = RiskService::Open(options);
  ASSERT_FALSE(service.ok());
  EXPECT_EQ(service.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(service.status().message().find(path + ":5:"), std::string::npos)
      << service.status().message();
  options.rules_path = dir.File("absent.toml");
  EXPECT_EQ(RiskService::Open(options).status().code(), core::StatusCode::kIoError);
}

// Hot reload: a changed file is put in force; a malformed one is refused,
// reported with its line, and the rules in force stay; an unchanged file is
// not read again.
TEST(RiskServiceTest, ReloadPutsAGoodFileInForceAndKeepsTheRulesOnABadOne) {
  core::ScratchDir dir;
  const std::string path = dir.File("rules.toml");
  WriteFile(path, kRules);
  std::vector<core::Status> reports;
  RiskServiceOptions options;
  options.rules_path = path;
  options.on_rules_reload = [&](const core::Status& s) { reports.push_back(s); };
  core::Result<std::unique_ptr<RiskService>> opened = RiskService::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  RiskService& service = **opened;
  const PaymentEvent event = testing::MakeEvent(kT0, 1, 2, 50'000);
  EXPECT_EQ(service.Assess(event).action(), Action::kChallenge);
  EXPECT_FALSE(service.PollRulesFile());  // unchanged since Open

  WriteFile(path, R"(version = 1
[[rule]]
name = "strict"
condition = "amount >= 1_000"
action = "deny"
reason = "stricter"
)");
  EXPECT_TRUE(service.PollRulesFile());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(reports[0].ok()) << reports[0].ToString();
  EXPECT_EQ(service.Assess(event).action(), Action::kDeny);
  EXPECT_EQ(service.Assess(event).FiredRuleNames(), std::vector<std::string>{"strict"});
  EXPECT_EQ(service.Stats().rules_generation, 2u);

  WriteFile(path, "version = 1\n[[rule]]\nname = \"x\"\ncondition = \"no_such_feature > 1\"\n"
                  "action = \"deny\"\nreason = \"typo, and longer\"\n");
  EXPECT_TRUE(service.PollRulesFile());
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1].code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(reports[1].message().find(path + ":4:"), std::string::npos) << reports[1].message();
  EXPECT_EQ(service.Assess(event).action(), Action::kDeny);  // "strict" still in force
  EXPECT_EQ(service.Stats().rules_generation, 2u);
  EXPECT_EQ(service.Stats().rules_reload_failures, 1u);
  // The bad file is not retried until it changes.
  EXPECT_FALSE(service.PollRulesFile());
  EXPECT_EQ(reports.size(), 2u);
  // A removed file is a failed reload too; the rules stay.
  std::filesystem::remove(path);
  EXPECT_TRUE(service.PollRulesFile());
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[2].code(), core::StatusCode::kIoError);
  EXPECT_EQ(service.Assess(event).action(), Action::kDeny);
}

TEST(RiskServiceTest, TheWatcherReloadsAChangedFile) {
  core::ScratchDir dir;
  const std::string path = dir.File("rules.toml");
  WriteFile(path, kRules);
  RiskServiceOptions options;
  options.rules_path = path;
  options.rules_poll_interval_ms = 5;
  std::atomic<int> reloads{0};
  options.on_rules_reload = [&](const core::Status& s) {
    if (s.ok()) ++reloads;
  };
  core::Result<std::unique_ptr<RiskService>> opened = RiskService::Open(options);
  ASSERT_TRUE(opened.ok());
  (*opened)->StartWatchingRules();
  (*opened)->StartWatchingRules();  // once only
  WriteFile(path, "version = 1\n");
  for (int i = 0; i < 1000 && reloads == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(reloads, 1);
  EXPECT_EQ((*opened)->rules().Current()->rules().size(), 0u);
  (*opened)->StopWatchingRules();
  (*opened)->StopWatchingRules();
}

// Decisions go on while the watcher swaps rule sets (run under TSan too):
// every decision is one of the two files' answers.
TEST(RiskServiceTest, AssessRunsWhileTheWatcherReloads) {
  core::ScratchDir dir;
  const std::string path = dir.File("rules.toml");
  constexpr std::string_view kDenyAll =
      "version = 1\n[[rule]]\nname = \"all\"\ncondition = \"amount >= 0\"\naction = \"deny\"\n"
      "reason = \"everything\"\n";
  WriteFile(path, kRules);
  RiskServiceOptions options;
  options.rules_path = path;
  options.rules_poll_interval_ms = 1;
  options.on_rules_reload = [](const core::Status&) {};
  core::Result<std::unique_ptr<RiskService>> opened = RiskService::Open(options);
  ASSERT_TRUE(opened.ok());
  RiskService& service = **opened;
  service.StartWatchingRules();
  std::thread writer([&] {
    for (int i = 0; i < 20; ++i) {
      const std::string tmp = path + ".tmp";
      WriteFile(tmp, i % 2 == 0 ? kDenyAll : kRules);
      std::filesystem::rename(tmp, path);  // whole files only
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  for (uint64_t i = 0; i < 5'000; ++i) {
    PaymentEvent e = testing::MakeEvent(kT0 + i * kSecondNs, 1 + i % 50, 2, 50'000);
    const Assessment a = service.Assess(e);
    ASSERT_TRUE(a.action() == Action::kChallenge || a.action() == Action::kDeny);
    ASSERT_EQ(a.FiredRuleNames().size(), 1u);
    service.Observe(e);
  }
  writer.join();
  service.StopWatchingRules();
  EXPECT_GE(service.Stats().rules_generation, 2u);
  EXPECT_EQ(service.Stats().rules_reload_failures, 0u);
}

// ---- the model

class RiskServiceModelTest : public ::testing::Test {
 protected:
  static constexpr ml::TrainParams kParams{.rounds = 10, .max_depth = 3, .nthread = 1, .seed = 3};

  void SetUp() override { stream_ = testing::MakeStream(1'000, 11); }

  std::vector<size_t> AllRows() const {
    std::vector<size_t> rows(stream_.events.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
    return rows;
  }

  testing::Stream stream_;
  core::ScratchDir dir_;
};

TEST_F(RiskServiceModelTest, ScoresAndGivesTheModelsReasonsForAPaymentNotAllowed) {
  auto data = ReplayForTraining(stream_.events, stream_.labels, FraudFeatureSet::kWithBalance);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  core::Result<FraudModel> model =
      FraudModel::Train(*data, AllRows(), kParams, FraudFeatureSet::kWithBalance);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::string model_path = dir_.File("fraud.json");
  ASSERT_TRUE(model->Save(model_path).ok());
  const std::string rules_path = dir_.File("rules.toml");
  WriteFile(rules_path, R"(version = 1
[[rule]]
name = "scored_high"
condition = "model_score >= 0.5"
action = "challenge"
reason = "the model says so"
)");
  RiskServiceOptions options;
  options.rules_path = rules_path;
  options.model_path = model_path;
  core::Result<std::unique_ptr<RiskService>> opened = RiskService::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  RiskService& service = **opened;
  ASSERT_TRUE(service.has_model());
  size_t challenged = 0;
  for (size_t i = 0; i < stream_.events.size(); ++i) {
    const Assessment a = service.Assess(stream_.events[i]);
    ASSERT_FALSE(std::isnan(a.score));
    EXPECT_GE(a.score, 0);
    EXPECT_LE(a.score, 1);
    if (a.action() == Action::kChallenge) {
      ++challenged;
      EXPECT_EQ(a.FiredRuleNames(), std::vector<std::string>{"scored_high"});
      EXPECT_FALSE(a.features.empty());
      EXPECT_LE(a.features.size(), kModelReasonsMax);
      EXPECT_EQ(a.ReasonsText().rfind("rule:scored_high,feature:", 0), 0u) << a.ReasonsText();
    } else {
      EXPECT_TRUE(a.features.empty());
    }
    service.Observe(stream_.events[i]);
  }
  EXPECT_GT(challenged, 0u);
  EXPECT_EQ(service.Stats().model_errors, 0u);
}

TEST_F(RiskServiceModelTest, RefusesAModelThatDoesNotMatchTheFeatureSet) {
  // A model over the engine's full feature list (hour_of_day_cn included):
  // neither fraud feature set.
  ml::Dataset all;
  for (const std::string_view name : FeatureNames()) all.feature_names.emplace_back(name);
  FeatureEngine engine;
  for (const PaymentEvent& e : stream_.events) {
    for (const double x : engine.Compute(e).values) all.values.push_back(static_cast<float>(x));
    engine.Observe(e);
  }
  all.row_count = stream_.events.size();
  all.labels = stream_.labels;
  core::Result<ml::GbmModel> gbm = ml::GbmModel::Train(all, AllRows(), kParams);
  ASSERT_TRUE(gbm.ok()) << gbm.status().ToString();
  const std::string path = dir_.File("other.json");
  ASSERT_TRUE(gbm->Save(path).ok());
  RiskServiceOptions options;
  options.model_path = path;
  core::Result<std::unique_ptr<RiskService>> opened = RiskService::Open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), core::StatusCode::kFailedPrecondition)
      << opened.status().ToString();
  options.model_path = dir_.File("absent.json");
  EXPECT_EQ(RiskService::Open(options).status().code(), core::StatusCode::kIoError);
}

}  // namespace
}  // namespace netfin::risk
