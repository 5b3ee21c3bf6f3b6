// The node's risk adapters: the PaymentScreen over RiskService, and the
// reminder channels' file adapter and JSON.

#include "cli/risk_screen.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include "cli/notice_channels.h"
#include "core/assert.h"
#include "core/scratch_dir.h"

namespace netfin::cli {
namespace {

// 2026-11-24T16:00:00Z.
constexpr uint64_t kT0 = 1'795'536'000'000'000'000ull;

payments::ScreenAttempt Attempt(uint64_t amount) {
  payments::ScreenAttempt a;
  a.timestamp_ns = kT0;
  a.customer_id = core::Id128::FromU64(1);
  a.payee_id = core::Id128::FromU64(2);
  a.merchant_id = core::Id128::FromU64(2);
  a.kind = payments::AttemptKind::kPayment;
  a.amount = amount;
  a.balance_before = 1'000'000;
  a.client.device_key = core::Id128::FromU64(77);
  a.client.ip_key = core::Id128::FromU64(88);
  return a;
}

TEST(RiskScreenTest, AnAttemptBecomesAPaymentEvent) {
  payments::ScreenAttempt a = Attempt(1'234);
  a.kind = payments::AttemptKind::kTransfer;
  a.merchant_id = core::Id128::Zero();
  a.client.has_location = true;
  a.client.lat_micro_deg = 31'230'400;
  a.client.lon_micro_deg = 121'473'700;
  a.succeeded = true;
  const risk::PaymentEvent e = RiskScreen::EventOf(a);
  EXPECT_EQ(e.timestamp_ns, kT0);
  EXPECT_EQ(e.customer, core::Id128::FromU64(1));
  EXPECT_EQ(e.payee, core::Id128::FromU64(2));
  EXPECT_TRUE(e.merchant.IsZero());
  EXPECT_EQ(e.device, core::Id128::FromU64(77));
  EXPECT_EQ(e.ip, core::Id128::FromU64(88));
  EXPECT_EQ(e.amount_minor, 1'234u);
  EXPECT_EQ(e.balance_before_minor, 1'000'000u);
  ASSERT_TRUE(e.location.has_value());
  EXPECT_EQ(e.location->lat_micro_deg, 31'230'400);
  EXPECT_EQ(e.kind, risk::EventKind::kTransfer);
  EXPECT_EQ(e.outcome, risk::Outcome::kSucceeded);

  a.succeeded = false;
  a.client.lat_micro_deg = 91'000'000;  // out of range: dropped
  a.kind = payments::AttemptKind::kTopUp;
  const risk::PaymentEvent f = RiskScreen::EventOf(a);
  EXPECT_EQ(f.outcome, risk::Outcome::kFailed);
  EXPECT_FALSE(f.location.has_value());
  EXPECT_EQ(f.kind, risk::EventKind::kTopUp);
  a.client.has_location = false;
  EXPECT_FALSE(RiskScreen::EventOf(a).location.has_value());
  a.kind = payments::AttemptKind::kWithdrawal;
  EXPECT_EQ(RiskScreen::EventOf(a).kind, risk::EventKind::kWithdrawal);
}

TEST(RiskScreenTest, ActionsAndScores) {
  EXPECT_EQ(RiskScreen::ActionOf(risk::Action::kAllow), payments::ScreenAction::kAllow);
  EXPECT_EQ(RiskScreen::ActionOf(risk::Action::kChallenge), payments::ScreenAction::kChallenge);
  EXPECT_EQ(RiskScreen::ActionOf(risk::Action::kDeny), payments::ScreenAction::kDeny);
  EXPECT_EQ(RiskScreen::ScorePpm(std::numeric_limits<double>::quiet_NaN()), payments::kNoRiskScore);
  EXPECT_EQ(RiskScreen::ScorePpm(0), 0u);
  EXPECT_EQ(RiskScreen::ScorePpm(0.5), 500'000u);
  EXPECT_EQ(RiskScreen::ScorePpm(1), 1'000'000u);
  EXPECT_EQ(RiskScreen::ScorePpm(1.5), 1'000'000u);
}

TEST(RiskScreenTest, ScreensWithTheRulesAndLearnsFromObserve) {
  core::Result<risk::RuleSet> rules = risk::RuleSet::Parse(R"(version = 1
[[rule]]
name = "big"
condition = "amount >= 10_000"
action = "challenge"
reason = "big"
[[rule]]
name = "small"
condition = "amount <= 100"
action = "allow"
reason = "small"
[[rule]]
name = "busy"
condition = "customer_count_1m >= 3"
action = "deny"
reason = "busy"
)",
                                                           "test.toml");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  risk::RiskService service(std::move(rules).value());
  RiskScreen screen(service);
  const payments::ScreenDecision small = screen.Screen(Attempt(100));
  EXPECT_EQ(small.action, payments::ScreenAction::kAllow);
  EXPECT_EQ(small.score_ppm, payments::kNoRiskScore);
  EXPECT_EQ(small.reasons, "");  // a plain allow carries no reasons
  const payments::ScreenDecision big = screen.Screen(Attempt(10'000));
  EXPECT_EQ(big.action, payments::ScreenAction::kChallenge);
  EXPECT_EQ(big.reasons, "rule:big");
  // Two observed attempts, and the third within the minute is denied.
  screen.Observe(Attempt(500));
  payments::ScreenAttempt failed = Attempt(500);
  screen.Observe(failed);
  const payments::ScreenDecision third = screen.Screen(Attempt(10'000));
  EXPECT_EQ(third.action, payments::ScreenAction::kDeny);
  EXPECT_EQ(third.reasons, "rule:big,rule:busy");
  EXPECT_EQ(service.Stats().observed, 2u);
}

payments::Notice MakeNotice(uint64_t sequence) {
  payments::Notice n;
  n.sequence = sequence;
  n.payment_id = core::Id128::FromU64(1234567);
  n.customer_id = core::Id128::FromU64(42);
  n.phone_masked = "138****0001";
  n.text = "confirm with code 012345 \"now\"\n";
  return n;
}

TEST(NoticeChannelsTest, TheFileAdapterAppendsOneJsonLinePerReminder) {
  core::ScratchDir dir;
  const std::string path = dir.File("sms.jsonl");
  auto channel = FileNoticeChannel::Open("sms", path);
  ASSERT_TRUE(channel.ok()) << channel.status().ToString();
  EXPECT_EQ((*channel)->name(), "sms");
  ASSERT_TRUE((*channel)->Deliver(MakeNotice(7)).ok());
  ASSERT_TRUE((*channel)->Deliver(MakeNotice(8)).ok());
  std::ifstream in(path);
  std::string line;
  for (uint64_t sequence : {7u, 8u}) {
    ASSERT_TRUE(std::getline(in, line));
    rapidjson::Document d;
    d.Parse(line.data(), line.size());
    ASSERT_FALSE(d.HasParseError()) << line;
    EXPECT_STREQ(d["channel"].GetString(), "sms");
    EXPECT_EQ(d["sequence"].GetUint64(), sequence);
    EXPECT_STREQ(d["payment_id"].GetString(), "1234567");
    EXPECT_STREQ(d["customer_id"].GetString(), "42");
    EXPECT_STREQ(d["phone"].GetString(), "138****0001");
    EXPECT_STREQ(d["text"].GetString(), "confirm with code 012345 \"now\"\n");
  }
  EXPECT_FALSE(std::getline(in, line));
  EXPECT_EQ(FileNoticeChannel::Open("sms", dir.File("no/such/dir/sms.jsonl")).status().code(),
            core::StatusCode::kIoError);
}

TEST(NoticeChannelsTest, TheWebhookAdapterWantsAnHttpUrlAndReportsAFailedDelivery) {
  for (const char* bad : {"https://gateway/sms", "gateway:80", "http://", "http://host:0/",
                          "http://host:99999/"}) {
    NoticeWebhookOptions options;
    options.url = bad;
    EXPECT_EQ(WebhookNoticeChannel::Make("sms", options).status().code(),
              core::StatusCode::kInvalidArgument)
        << bad;
  }
  // Nothing listens on port 1: an error the sweeper retries.
  auto channel = WebhookNoticeChannel::Make(
      "push", NoticeWebhookOptions{.url = "http://127.0.0.1:1/notices", .secret = "s", .timeout_ms = 1'000});
  ASSERT_TRUE(channel.ok()) << channel.status().ToString();
  EXPECT_EQ((*channel)->name(), "push");
  EXPECT_FALSE((*channel)->Deliver(MakeNotice(1)).ok());
}

}  // namespace
}  // namespace netfin::cli
