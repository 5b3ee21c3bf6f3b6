#include "risk/condition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace netfin::risk {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Features for the tables below: amount 5000, customer_count_1m 3, new_device
// 1, new_payee 0, is_night 1, amount_zscore NaN, everything else 0.
FeatureVector Sample() {
  FeatureVector v;
  v[Feature::kAmount] = 5000;
  v[Feature::kCustomerCount1m] = 3;
  v[Feature::kNewDevice] = 1;
  v[Feature::kNewPayee] = 0;
  v[Feature::kIsNight] = 1;
  v[Feature::kAmountZscore] = kNaN;
  return v;
}

bool Eval(const std::string& text, double model_score = 0.25) {
  size_t offset = 0;
  core::Result<Condition> c = Condition::Compile(text, &offset);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().ToString() << " at " << offset;
  if (!c.ok()) return false;
  return c->Evaluate(Sample(), model_score);
}

TEST(ConditionTest, EvaluatesAsWritten) {
  struct Case {
    const char* text;
    bool want;
  };
  const Case cases[] = {
      {"true", true},
      {"false", false},
      {"amount > 4999", true},
      {"amount > 5000", false},
      {"amount >= 5000", true},
      {"amount < 5000", false},
      {"amount <= 5000", true},
      {"amount == 5000", true},
      {"amount != 5000", false},
      {"amount != 4000", true},
      {"amount >= 5_000", true},
      {"amount > 4.9e3", true},
      {"amount > 4.9E+3 and amount < 5.1e3", true},
      {"amount == .5e4", true},
      {"new_device", true},
      {"new_payee", false},
      {"not new_payee", true},
      {"not not new_device", true},
      {"new_device and is_night", true},
      {"new_device and new_payee", false},
      {"new_payee or is_night", true},
      {"new_payee or new_payee", false},
      // and binds tighter than or; not tighter than and.
      {"is_night or new_payee and false", true},
      {"(is_night or new_payee) and false", false},
      {"not new_payee and new_device", true},
      {"not (new_device and is_night)", false},
      // Arithmetic: * and / before + and -, left to right, unary minus.
      {"amount / 1000 + 2 * 3 == 11", true},
      {"amount - 1000 - 1000 == 3000", true},
      {"amount / 10 / 10 == 50", true},
      {"(amount + 1000) * 2 == 12000", true},
      {"-amount == -5000", true},
      {"- -amount == 5000", true},
      {"2 * -3 == -6", true},
      {"customer_count_1m * 2 > amount / 1000", true},
      // Conditions count as 1 or 0 in arithmetic.
      {"new_device + new_payee + is_night >= 2", true},
      {"new_device + new_payee + is_night >= 3", false},
      {"new_device == 1", true},
      {"(amount > 1) + (amount > 2) == 2", true},
      // The model's score.
      {"model_score >= 0.25", true},
      {"model_score > 0.25", false},
      // NaN: every comparison false, != included; not(...) true.
      {"amount_zscore > 3", false},
      {"amount_zscore <= 3", false},
      {"amount_zscore == amount_zscore", false},
      {"amount_zscore != 3", false},
      {"not (amount_zscore > 3)", true},
      {"amount_zscore + 1 > 0", false},
      // IEEE division.
      {"amount / 0 > 1e300", true},
      {"0 / 0 == 0 / 0", false},
      // Whitespace of all kinds.
      {"\n  amount\t>\r\n0\n", true},
      {"amount>0 and(new_device)and(is_night)", true},
  };
  for (const Case& c : cases) EXPECT_EQ(Eval(c.text), c.want) << c.text;
}

TEST(ConditionTest, ModelScoreNaNNeverFires) {
  EXPECT_FALSE(Eval("model_score >= 0.5", kNaN));
  EXPECT_FALSE(Eval("model_score < 0.5", kNaN));
}

struct Bad {
  const char* text;
  size_t offset;
  const char* message;  // a part of the message
};

TEST(ConditionTest, RefusesWithOffsetAndReason) {
  const Bad cases[] = {
      {"", 0, "empty condition"},
      {"   ", 0, "empty condition"},
      {"amount", 0, "is a number"},
      {"amount + 1", 0, "is a number"},
      {"amount > ", 9, "ends where a value was expected"},
      {"amount >", 8, "ends where a value was expected"},
      {"amonut > 5", 0, "unknown feature \"amonut\""},
      {"amount > 5 and new_devic", 15, "unknown feature \"new_devic\""},
      {"model > 0.5", 0, "unknown feature \"model\""},
      {"amount = 5", 7, "use \"==\""},
      {"new_device && is_night", 11, "use \"and\""},
      {"!new_device", 0, "use \"and\", \"or\" and \"not\""},
      {"amount > 5 $", 11, "unexpected character '$'"},
      {"amount > 5 \xe4\xb8\xad", 11, "unexpected byte 0xe4"},
      {"1 < amount < 2", 11, "do not chain"},
      {"amount and new_device", 0, "\"and\" needs conditions, and \"amount\" is a number"},
      {"new_device and amount", 15, "\"and\" needs conditions, and \"amount\" is a number"},
      {"new_device or 1", 14, "\"or\" needs conditions"},
      {"not amount", 4, "\"not\" needs conditions"},
      {"(amount > 1", 11, "expected \")\" to close the \"(\" at column 1"},
      {"amount > 1)", 10, "unexpected \")\""},
      {"()", 1, "expected a value, found \")\""},
      {"amount > > 1", 9, "expected a value, found \">\""},
      {"and new_device", 0, "expected a value, found \"and\""},
      {"new_device new_ip", 11, "unexpected \"new_ip\""},
      {"amount > 1_", 9, "malformed number"},
      {"amount > 1__0", 9, "malformed number"},
      {"amount > 1.2.3", 9, "malformed number"},
      {"amount > 12abc", 9, "malformed number"},
      {"amount > 1e", 9, "malformed number"},
      {"amount > 1e999", 9, "malformed number"},
  };
  for (const Bad& c : cases) {
    size_t offset = 999;
    const core::Result<Condition> got = Condition::Compile(c.text, &offset);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_EQ(got.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_EQ(offset, c.offset) << c.text << ": " << got.status().message();
    EXPECT_NE(got.status().message().find(c.message), std::string::npos)
        << c.text << ": " << got.status().message();
  }
}

TEST(ConditionTest, BoundsNestingAndSize) {
  size_t offset = 0;
  // 64 levels of parentheses compile; 65 do not.
  const std::string ok = std::string(64, '(') + "new_device" + std::string(64, ')');
  EXPECT_TRUE(Condition::Compile(ok, &offset).ok());
  const std::string deep = std::string(65, '(') + "new_device" + std::string(65, ')');
  core::Result<Condition> r = Condition::Compile(deep, &offset);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested too deeply"), std::string::npos);
  // Deep nesting through "not" and unary minus is bounded the same way,
  // and never overflows the parser's own stack.
  std::string nots;
  for (int i = 0; i < 10'000; ++i) nots += "not ";
  EXPECT_FALSE(Condition::Compile(nots + "new_device", &offset).ok());
  EXPECT_FALSE(Condition::Compile(std::string(10'000, '-') + "1 > 0", &offset).ok());
  // Right-nested sums grow the evaluation stack: bounded too.
  std::string right = "1";
  for (int i = 0; i < 64; ++i) right = "1 + (" + right + ")";  // 65 values at once
  r = Condition::Compile(right + " > 0", &offset);
  EXPECT_FALSE(r.ok());
  // A long flat condition is fine up to the instruction bound.
  std::string flat = "amount > 0";
  while (flat.size() + 20 < kConditionBytesMax) flat += " and amount > 0";
  r = Condition::Compile(flat, &offset);
  EXPECT_FALSE(r.ok());  // ~270 comparisons: past 512 instructions
  EXPECT_NE(r.status().message().find("operations"), std::string::npos) << r.status().message();
  std::string medium = "amount > 0";
  for (int i = 0; i < 100; ++i) medium += " and amount > 0";
  r = Condition::Compile(medium, &offset);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->instruction_count(), 101u * 3 + 100);
  EXPECT_TRUE(r->Evaluate(Sample(), 0));
  r = Condition::Compile(std::string(kConditionBytesMax + 1, ' '), &offset);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("longer than"), std::string::npos);
}

}  // namespace
}  // namespace netfin::risk
