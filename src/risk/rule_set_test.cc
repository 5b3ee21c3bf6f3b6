#include "risk/rule_set.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "core/scratch_dir.h"

namespace netfin::risk {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr const char* kRules = R"(# three rules, one of each action
version = 1

[[rule]]
name = "big"
condition = "amount >= 100_000"
action = "challenge"
reason = "a large amount"

[[rule]]
name = "huge_at_night"
condition = "amount >= 1_000_000 and is_night"
action = "deny"
reason = "a very large amount at night"

[[rule]]
name = "small"
condition = "amount < 100"
action = "allow"
reason = "a small amount"

[[rule]]
name = "model"
condition = "model_score > 0.8"
action = "deny"
reason = "the model is sure"
)";

FeatureVector Features(double amount, bool night) {
  FeatureVector v;
  v[Feature::kAmount] = amount;
  v[Feature::kIsNight] = night ? 1 : 0;
  return v;
}

std::vector<std::string> FiredNames(const RuleSet& set, const Verdict& verdict) {
  std::vector<std::string> names;
  for (size_t i = 0; i < set.rules().size(); ++i) {
    if (verdict.fired.test(i)) names.push_back(set.rules()[i].name);
  }
  return names;
}

TEST(RuleSetTest, ParsesRulesInFileOrder) {
  core::Result<RuleSet> set = RuleSet::Parse(kRules, "rules.toml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ASSERT_EQ(set->rules().size(), 4u);
  const Rule& big = set->rules()[0];
  EXPECT_EQ(big.name, "big");
  EXPECT_EQ(big.condition_text, "amount >= 100_000");
  EXPECT_EQ(big.action, Action::kChallenge);
  EXPECT_EQ(big.reason, "a large amount");
  EXPECT_EQ(big.line, 4u);
  EXPECT_EQ(set->rules()[1].name, "huge_at_night");
  EXPECT_EQ(set->rules()[1].line, 10u);
  EXPECT_EQ(set->rules()[2].action, Action::kAllow);
  EXPECT_EQ(set->rules()[3].action, Action::kDeny);
  EXPECT_EQ(set->source(), "rules.toml");
  EXPECT_EQ(set->Find("small"), &set->rules()[2]);
  EXPECT_EQ(set->Find("nope"), nullptr);
}

TEST(RuleSetTest, EachActionAndPrecedence) {
  const RuleSet set = RuleSet::Parse(kRules, "rules.toml").value();
  struct Case {
    double amount;
    bool night;
    double model_score;
    Action want;
    std::vector<std::string> fired;
  };
  const Case cases[] = {
      {5'000, false, 0.1, Action::kAllow, {}},                          // nothing fired
      {50, false, 0.1, Action::kAllow, {"small"}},                      // an allow rule fired
      {200'000, false, 0.1, Action::kChallenge, {"big"}},               // challenge
      {2'000'000, true, 0.1, Action::kDeny, {"big", "huge_at_night"}},  // deny beats challenge
      {2'000'000, false, 0.1, Action::kChallenge, {"big"}},
      {50, false, 0.9, Action::kDeny, {"small", "model"}},  // deny beats allow
      {200'000, false, 0.9, Action::kDeny, {"big", "model"}},
      {50, false, kNaN, Action::kAllow, {"small"}},  // no model: its rule is quiet
  };
  for (const Case& c : cases) {
    const Verdict v = set.Evaluate(Features(c.amount, c.night), c.model_score);
    EXPECT_EQ(v.action, c.want) << c.amount;
    EXPECT_EQ(FiredNames(set, v), c.fired) << c.amount;
  }
}

TEST(RuleSetTest, EmptyFilesAllowEverything) {
  for (const char* text : {"", "version = 1\n", "# nothing\n"}) {
    core::Result<RuleSet> set = RuleSet::Parse(text, "empty.toml");
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    EXPECT_TRUE(set->rules().empty());
    EXPECT_EQ(set->Evaluate(Features(1e9, true), 1.0).action, Action::kAllow);
  }
  const RuleSet none;
  EXPECT_EQ(none.Evaluate(Features(1e9, true), 1.0).action, Action::kAllow);
}

TEST(RuleSetTest, ActionNames) {
  EXPECT_EQ(ActionName(Action::kAllow), "allow");
  EXPECT_EQ(ActionName(Action::kChallenge), "challenge");
  EXPECT_EQ(ActionName(Action::kDeny), "deny");
  EXPECT_EQ(ParseAction("deny"), Action::kDeny);
  EXPECT_FALSE(ParseAction("Deny").has_value());
  EXPECT_FALSE(ParseAction("block").has_value());
  EXPECT_LT(Action::kAllow, Action::kChallenge);
  EXPECT_LT(Action::kChallenge, Action::kDeny);
}

// One rule, valid, as the base of the malformed files below (lines 1-5).
constexpr const char* kOneRule = R"([[rule]]
name = "one"
condition = "amount > 1"
action = "deny"
reason = "one"
)";

struct Malformed {
  std::string text;
  int line;
  const char* message;  // a part of the reason
};

TEST(RuleSetTest, RefusesMalformedFilesWithLineAndReason) {
  const std::string one = kOneRule;
  const Malformed cases[] = {
      // Not TOML.
      {"version = 1\n[[rule]\nname = \"x\"\n", 2, "not valid TOML"},
      {one + "name = \"two\"\n", 6, "not valid TOML"},  // a key twice in one table
      {"[[rule]]\nname = \"x\ncondition = \"true\"\n", 2, "not valid TOML"},
      // The top level.
      {"version = 2\n" + one, 1, "version must be 1"},
      {"version = \"1\"\n" + one, 1, "version must be 1"},
      {"\n\nrules = []\n", 3, "unknown key \"rules\""},
      {"[[rules]]\nname = \"x\"\n", 1, "unknown key \"rules\""},
      {"[rule]\nname = \"x\"\n", 1, "rules are [[rule]] tables"},
      {"rule = [1, 2]\n", 1, "rules are [[rule]] tables"},
      // Keys of a rule.
      {one + "severity = 3\n", 6, "unknown key \"severity\" in a rule"},
      {"[[rule]]\ncondition = \"true\"\naction = \"deny\"\nreason = \"r\"\n", 1,
       "the rule has no name"},
      {"[[rule]]\nname = \"x\"\naction = \"deny\"\nreason = \"r\"\n", 1,
       "the rule \"x\" has no condition"},
      {one + "\n[[rule]]\nname = \"two\"\ncondition = \"true\"\nreason = \"r\"\n", 7,
       "the rule \"two\" has no action"},
      {"[[rule]]\nname = \"x\"\ncondition = \"true\"\naction = \"deny\"\n", 1,
       "the rule \"x\" has no reason"},
      // Types and values.
      {"[[rule]]\nname = 5\n", 2, "name of the rule must be a string"},
      {"[[rule]]\nname = \"x\"\naction = [\"deny\"]\n", 3,
       "action of the rule \"x\" must be a string"},
      {"[[rule]]\nname = \"x\"\ncondition = true\naction = \"deny\"\nreason = \"r\"\n", 3,
       "condition of the rule \"x\" must be a string"},
      {"[[rule]]\nname = \"has space\"\n", 2, "rule name \"has space\" must be"},
      {"[[rule]]\nname = \"\"\n", 2, "rule name \"\" must be"},
      {"[[rule]]\nname = \"" + std::string(65, 'a') + "\"\n", 2, "must be 1 to 64"},
      {one + "\n[[rule]]\nname = \"one\"\n", 8,
       "rule name \"one\" is already used by the rule at line 1"},
      {"[[rule]]\nname = \"x\"\ncondition = \"true\"\naction = \"block\"\nreason = \"r\"\n", 4,
       "action \"block\" of the rule \"x\" is not allow, challenge or deny"},
      {"[[rule]]\nname = \"x\"\ncondition = \"true\"\naction = \"Deny\"\nreason = \"r\"\n", 4,
       "is not allow, challenge or deny"},
      {"[[rule]]\nname = \"x\"\ncondition = \"true\"\naction = \"deny\"\nreason = \"\"\n", 5,
       "reason of the rule \"x\" must be 1 to 512 bytes"},
      // Conditions: syntax, unknown features, types; the line of the problem.
      {"[[rule]]\nname = \"x\"\ncondition = \"amount >\"\naction = \"deny\"\nreason = \"r\"\n", 3,
       "condition of the rule \"x\": the condition ends where a value was expected"},
      {"[[rule]]\nname = \"x\"\ncondition = \"amont > 1\"\naction = \"deny\"\nreason = \"r\"\n", 3,
       "unknown feature \"amont\""},
      {"[[rule]]\nname = \"x\"\ncondition = \"amount\"\naction = \"deny\"\nreason = \"r\"\n", 3,
       "is a number"},
      {"[[rule]]\nname = \"x\"\naction = \"deny\"\nreason = \"r\"\ncondition = \"\"\"\n"
       "  new_device and\n  new_payee and\n  amont > 1\n\"\"\"\n",
       8, "unknown feature \"amont\""},
      {"[[rule]]\nname = \"x\"\naction = \"deny\"\nreason = \"r\"\ncondition = '''new_device and\n"
       "  amount >> 1'''\n",
       6, "expected a value, found \">\""},
      {"[[rule]]\nname = \"x\"\naction = \"deny\"\nreason = \"r\"\ncondition = \"\"\"amount > 1\n"
       "  and\"\"\"\n",
       6, "ends where a value was expected"},
  };
  for (const Malformed& c : cases) {
    core::Result<RuleSet> set = RuleSet::Parse(c.text, "rules.toml");
    ASSERT_FALSE(set.ok()) << c.text;
    EXPECT_EQ(set.status().code(), core::StatusCode::kInvalidArgument);
    const std::string& message = set.status().message();
    const std::string prefix = "rules.toml:" + std::to_string(c.line) + ": ";
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << "want " << prefix << ", got " << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
}

std::string ManyRules(size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text += "[[rule]]\nname = \"r" + std::to_string(i) +
            "\"\ncondition = \"true\"\naction = \"allow\"\nreason = \"r\"\n";
  }
  return text;
}

TEST(RuleSetTest, RefusesMoreThanTheRuleLimit) {
  core::Result<RuleSet> set = RuleSet::Parse(ManyRules(kRulesMax + 1), "rules.toml");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "rules.toml:" + std::to_string(kRulesMax * 5 + 1) + ": more than 256 rules");
  // Exactly the limit is fine, and every rule can fire at once.
  set = RuleSet::Parse(ManyRules(kRulesMax), "rules.toml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->Evaluate(FeatureVector(), 0).fired.count(), kRulesMax);
}

TEST(RuleSetTest, LoadsFiles) {
  const core::ScratchDir dir;
  const std::string path = dir.File("rules.toml");
  std::ofstream(path) << kRules;
  core::Result<RuleSet> set = RuleSet::LoadFile(path);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->rules().size(), 4u);
  EXPECT_EQ(set->source(), path);

  std::ofstream(path) << "[[rule]]\nname = 1\n";
  set = RuleSet::LoadFile(path);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message().rfind(path + ":2: ", 0), 0u) << set.status().message();

  set = RuleSet::LoadFile(dir.File("missing.toml"));
  EXPECT_EQ(set.status().code(), core::StatusCode::kIoError);

  std::ofstream(path) << std::string(kRulesFileBytesMax + 1, '#');
  set = RuleSet::LoadFile(path);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("larger than"), std::string::npos);
}

}  // namespace
}  // namespace netfin::risk
