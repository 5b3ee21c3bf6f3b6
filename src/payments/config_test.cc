#include "payments/config.h"

#include <gtest/gtest.h>

#include <string>

namespace netfin::payments {
namespace {

TEST(PaymentsConfigTest, DefaultsFollowPbocTiers) {
  const PaymentsConfig config;
  ASSERT_EQ(config.tiers.size(), 3u);
  const TierConfig* one = config.FindTier(1);
  const TierConfig* two = config.FindTier(2);
  const TierConfig* three = config.FindTier(3);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  ASSERT_NE(three, nullptr);
  // Type I: 1,000 CNY since opening; II: 100,000 CNY a year; III: 200,000 CNY a year.
  EXPECT_EQ(one->period, TierPeriod::kLifetime);
  EXPECT_EQ(one->limit_minor, 100'000u);
  EXPECT_EQ(one->name, "I");
  EXPECT_EQ(two->period, TierPeriod::kYear);
  EXPECT_EQ(two->limit_minor, 10'000'000u);
  EXPECT_EQ(two->name, "II");
  EXPECT_EQ(three->period, TierPeriod::kYear);
  EXPECT_EQ(three->limit_minor, 20'000'000u);
  EXPECT_EQ(three->name, "III");
  EXPECT_EQ(config.FindTier(0), nullptr);
  EXPECT_EQ(config.FindTier(4), nullptr);
}

TEST(PaymentsConfigTest, DefaultsAreValid) {
  const PaymentsConfig config;
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().ToString();
  ASSERT_EQ(config.currencies.size(), 1u);
  const CurrencyConfig* cny = config.FindCurrency("CNY");
  ASSERT_NE(cny, nullptr);
  EXPECT_EQ(cny->ledger, 156u);
  EXPECT_EQ(cny->exponent, 2u);
  EXPECT_EQ(config.FindLedger(156), cny);
  EXPECT_EQ(config.FindCurrency("USD"), nullptr);
  EXPECT_EQ(config.FindLedger(840), nullptr);
  EXPECT_EQ(config.fee_bps_default, 60u);
  EXPECT_EQ(config.fee_bps_max, 1000u);
  EXPECT_EQ(config.refund_fee, RefundFeePolicy::kReturnProportional);
  EXPECT_EQ(config.payment_expiry_s_default, 15u * 60);
  EXPECT_EQ(config.idempotency_ttl_s, 24u * 3600);
}

TEST(PaymentsConfigTest, EmptyTextGivesDefaults) {
  for (const char* text : {"", "[other]\nx = 1\n", "[payments]\n"}) {
    auto parsed = ParsePaymentsConfig(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->tiers.size(), 3u);
    EXPECT_EQ(parsed->fee_bps_default, 60u);
    EXPECT_EQ(parsed->currencies.size(), 1u);
  }
}

TEST(PaymentsConfigTest, ParseOverridesEveryKey) {
  const char* text = R"(
[payments]
fee_bps_default = 55
fee_bps_max = 500
refund_fee = "keep"
payment_expiry_s_default = 600
payment_expiry_s_max = 3600
settlement_dir = "/var/lib/netfin/settlements"
idempotency_ttl_s = 7200
webhook_backoff_ms_base = 250
webhook_backoff_ms_max = 60000
webhook_attempts_max = 7
webhook_timeout_ms = 1500

[[payments.currencies]]
code = "CNY"
ledger = 156

[[payments.currencies]]
code = "USD"
ledger = 840
exponent = 2

[[payments.tiers]]
tier = 1
name = "basic"
period = "lifetime"
limit_minor = 50000

[[payments.tiers]]
tier = 2
name = "full"
period = "year"
limit_minor = 9000000
)";
  auto parsed = ParsePaymentsConfig(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const PaymentsConfig& c = parsed.value();
  EXPECT_EQ(c.fee_bps_default, 55u);
  EXPECT_EQ(c.fee_bps_max, 500u);
  EXPECT_EQ(c.refund_fee, RefundFeePolicy::kKeep);
  EXPECT_EQ(c.payment_expiry_s_default, 600u);
  EXPECT_EQ(c.payment_expiry_s_max, 3600u);
  EXPECT_EQ(c.settlement_dir, "/var/lib/netfin/settlements");
  EXPECT_EQ(c.idempotency_ttl_s, 7200u);
  EXPECT_EQ(c.webhook_backoff_ms_base, 250u);
  EXPECT_EQ(c.webhook_backoff_ms_max, 60000u);
  EXPECT_EQ(c.webhook_attempts_max, 7u);
  EXPECT_EQ(c.webhook_timeout_ms, 1500u);
  ASSERT_EQ(c.currencies.size(), 2u);
  ASSERT_NE(c.FindCurrency("USD"), nullptr);
  EXPECT_EQ(c.FindCurrency("USD")->ledger, 840u);
  EXPECT_EQ(c.FindLedger(840)->code, "USD");
  // Arrays replace the defaults rather than add to them.
  ASSERT_EQ(c.tiers.size(), 2u);
  EXPECT_EQ(c.FindTier(3), nullptr);
  EXPECT_EQ(c.FindTier(1)->name, "basic");
  EXPECT_EQ(c.FindTier(1)->period, TierPeriod::kLifetime);
  EXPECT_EQ(c.FindTier(1)->limit_minor, 50000u);
  EXPECT_EQ(c.FindTier(2)->period, TierPeriod::kYear);
  EXPECT_EQ(c.FindTier(2)->limit_minor, 9000000u);
}

TEST(PaymentsConfigTest, RefundFeePolicyNames) {
  auto keep = ParsePaymentsConfig("[payments]\nrefund_fee = \"keep\"\n");
  ASSERT_TRUE(keep.ok());
  EXPECT_EQ(keep->refund_fee, RefundFeePolicy::kKeep);
  auto proportional = ParsePaymentsConfig("[payments]\nrefund_fee = \"return_proportional\"\n");
  ASSERT_TRUE(proportional.ok());
  EXPECT_EQ(proportional->refund_fee, RefundFeePolicy::kReturnProportional);
}

// One line per refusal: the TOML text and the name its message must carry.
struct Refusal {
  const char* text;
  const char* names;
};

class PaymentsConfigRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(PaymentsConfigRefusalTest, RefusedWithTheKeyName) {
  auto parsed = ParsePaymentsConfig(GetParam().text);
  ASSERT_FALSE(parsed.ok()) << GetParam().text;
  EXPECT_EQ(parsed.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(GetParam().names), std::string::npos)
      << "message: " << parsed.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, PaymentsConfigRefusalTest,
    ::testing::Values(
        // Unknown keys, at every level.
        Refusal{"[payments]\nfee_bps = 60\n", "fee_bps"},
        Refusal{"[payments]\ncolour = \"red\"\n", "colour"},
        Refusal{"[[payments.tiers]]\ntier = 1\nlimit_minor = 5\nmonthly = true\n", "monthly"},
        Refusal{"[[payments.currencies]]\ncode = \"CNY\"\nledger = 156\nsymbol = \"Y\"\n", "symbol"},
        // Wrong types and ranges.
        Refusal{"[payments]\nfee_bps_default = -1\n", "fee_bps_default"},
        Refusal{"[payments]\nfee_bps_default = \"sixty\"\n", "fee_bps_default"},
        Refusal{"[payments]\nfee_bps_default = 1.5\n", "fee_bps_default"},
        Refusal{"[payments]\nwebhook_timeout_ms = 5000000000\n", "webhook_timeout_ms"},
        Refusal{"[payments]\nsettlement_dir = 7\n", "settlement_dir"},
        Refusal{"[payments]\nrefund_fee = \"maybe\"\n", "refund_fee"},
        Refusal{"[payments]\nrefund_fee = 1\n", "refund_fee"},
        Refusal{"[payments]\ntiers = 3\n", "tiers"},
        Refusal{"[payments]\ntiers = [1, 2]\n", "tiers"},
        Refusal{"[[payments.tiers]]\ntier = 300\nlimit_minor = 5\n", "tier"},
        Refusal{"[[payments.tiers]]\ntier = 1\nlimit_minor = 5\nperiod = \"month\"\n", "period"},
        Refusal{"[[payments.tiers]]\ntier = 1\nlimit_minor = -5\n", "limit_minor"},
        Refusal{"[[payments.currencies]]\ncode = \"CNY\"\nledger = \"156\"\n", "ledger"},
        // Validate: inconsistent settings.
        Refusal{"[payments]\nfee_bps_default = 2000\n", "fee_bps_default"},
        Refusal{"[payments]\nfee_bps_max = 10001\nfee_bps_default = 1\n", "fee_bps_max"},
        Refusal{"[payments]\npayment_expiry_s_default = 0\n", "payment_expiry_s_default"},
        Refusal{"[payments]\npayment_expiry_s_default = 900\npayment_expiry_s_max = 60\n",
                "payment_expiry_s_default"},
        Refusal{"[payments]\nwebhook_backoff_ms_base = 0\n", "webhook_backoff_ms_base"},
        Refusal{"[payments]\nwebhook_attempts_max = 0\n", "webhook_attempts_max"},
        Refusal{"[payments]\nsettlement_dir = \"\"\n", "settlement_dir"},
        Refusal{"[[payments.tiers]]\ntier = 1\nlimit_minor = 0\n", "limit_minor"},
        Refusal{"[[payments.tiers]]\ntier = 0\nlimit_minor = 5\n", "tiers"},
        Refusal{"[[payments.tiers]]\ntier = 1\nlimit_minor = 5\n[[payments.tiers]]\ntier = 1\n"
                "limit_minor = 6\n",
                "tiers"},
        Refusal{"[[payments.currencies]]\ncode = \"US\"\nledger = 840\n", "currencies"},
        Refusal{"[[payments.currencies]]\ncode = \"USD\"\nledger = 0\n", "currencies.USD"},
        Refusal{"[[payments.currencies]]\ncode = \"USD\"\nledger = 840\nexponent = 5\n",
                "currencies.USD"},
        Refusal{"[[payments.currencies]]\ncode = \"USD\"\nledger = 840\n[[payments.currencies]]\n"
                "code = \"EUR\"\nledger = 840\n",
                "currencies"},
        Refusal{"[payments]\ncurrencies = []\n", "currencies"},
        // Not TOML at all.
        Refusal{"[payments\nfee_bps_default = 1\n", "config"}));

TEST(PaymentsConfigTest, ValidateNamesTheSetting) {
  PaymentsConfig c;
  c.fee_bps_default = c.fee_bps_max + 1;
  EXPECT_NE(c.Validate().message().find("fee_bps_default"), std::string::npos);
  c = PaymentsConfig();
  c.tiers.push_back({4, "IV", TierPeriod::kYear, core::kAmountMax + 1});
  EXPECT_NE(c.Validate().message().find("limit_minor"), std::string::npos);
  c = PaymentsConfig();
  c.tiers.clear();
  EXPECT_NE(c.Validate().message().find("tiers"), std::string::npos);
  // The boundaries themselves are fine.
  c = PaymentsConfig();
  c.fee_bps_max = 10'000;
  c.fee_bps_default = 10'000;
  c.payment_expiry_s_default = c.payment_expiry_s_max;
  c.tiers.push_back({4, "IV", TierPeriod::kYear, core::kAmountMax});
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
}

}  // namespace
}  // namespace netfin::payments
