// The node's risk adapters: the PaymentScreen over RiskService, and the
// reminder channels' file adapter and JSON.

#include "cli/risk_screen.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <ctime>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <thread>

#include "api/auth.h"
#include "api/loopback_test_support.h"
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

risk::RuleSet ParseRules(std::string_view toml) {
  core::Result<risk::RuleSet> rules = risk::RuleSet::Parse(toml, "test.toml");
  NETFIN_ASSERT(rules.ok());
  return std::move(rules).value();
}

TEST(RiskScreenTest, ScreensWithTheRulesAndLearnsFromObserve) {
  risk::RiskService service(ParseRules(R"(version = 1
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
)"));
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

TEST(RiskScreenTest, MetricsOfTheServiceCountEveryDecision) {
  EXPECT_FALSE(RiskMetricsOf(nullptr).enabled);
  risk::RiskService service(ParseRules(R"(version = 1
[[rule]]
name = "big"
condition = "amount >= 10_000"
action = "challenge"
reason = "big"
[[rule]]
name = "huge"
condition = "amount >= 1_000_000"
action = "deny"
reason = "huge"
)"));
  RiskScreen screen(service);
  api::RiskMetrics before = RiskMetricsOf(&service);
  EXPECT_TRUE(before.enabled);
  EXPECT_FALSE(before.model_loaded);
  EXPECT_EQ(before.latency_count, 0u);
  EXPECT_EQ(before.rules_loads, 1u);
  ASSERT_EQ(before.latency_buckets.size(), risk::kDecisionLatencyBoundsUs.size());
  for (const uint64_t amount : {100, 200, 300, 20'000, 2'000'000}) screen.Screen(Attempt(amount));
  const api::RiskMetrics after = RiskMetricsOf(&service);
  EXPECT_EQ(after.allow, 3u);
  EXPECT_EQ(after.challenge, 1u);
  EXPECT_EQ(after.deny, 1u);
  EXPECT_EQ(after.latency_count, 5u);
  EXPECT_GT(after.latency_sum_ns, 0u);
  // Cumulative buckets, bounds in ns, ascending, none above the count: each
  // the service's per-interval counts up to its bound.
  const risk::RiskStats stats = service.Stats();
  ASSERT_EQ(after.latency_buckets.size(), risk::kDecisionLatencyBoundsUs.size());
  uint64_t cumulative = 0;
  for (size_t i = 0; i < after.latency_buckets.size(); ++i) {
    cumulative += stats.latency_buckets[i];
    EXPECT_EQ(after.latency_buckets[i].first, risk::kDecisionLatencyBoundsUs[i] * 1000);
    EXPECT_EQ(after.latency_buckets[i].second, cumulative) << i;
    if (i > 0) {
      EXPECT_GE(after.latency_buckets[i].second, after.latency_buckets[i - 1].second);
    }
    EXPECT_LE(after.latency_buckets[i].second, after.latency_count);
  }
  EXPECT_EQ(cumulative + stats.latency_buckets.back(), after.latency_count);
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

// One request as a gateway received it: the request line's method and
// target, the headers (names in lower case) and the body.
struct GatewayRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
};

// A gateway on 127.0.0.1 that answers one request with the given status
// from a thread of its own; Wait() returns what it received.
class OneShotGateway {
 public:
  explicit OneShotGateway(unsigned status)
      : status_(status), listen_fd_(api::ListenOnLoopback(1, &port_)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotGateway() {
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/notices"; }
  GatewayRequest Wait() {
    thread_.join();
    return received_;
  }

 private:
  void Serve() {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 10'000) != 1) return;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    std::string data;
    size_t head_end = std::string::npos;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos && ReadMore(fd, &data)) {
    }
    if (head_end != std::string::npos) {
      ParseHead(data.substr(0, head_end));
      const size_t body_bytes = std::stoul("0" + received_.headers["content-length"]);
      while (data.size() < head_end + 4 + body_bytes && ReadMore(fd, &data)) {
      }
      received_.body = data.substr(head_end + 4, body_bytes);
    }
    const std::string response = "HTTP/1.1 " + std::to_string(status_) +
                                 " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    EXPECT_EQ(::write(fd, response.data(), response.size()), static_cast<ssize_t>(response.size()));
    ::close(fd);
  }

  static bool ReadMore(int fd, std::string* data) {
    pollfd readable{fd, POLLIN, 0};
    if (::poll(&readable, 1, 10'000) != 1) return false;
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    data->append(buffer, static_cast<size_t>(n));
    return true;
  }

  void ParseHead(const std::string& head) {
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t space = request_line.find(' ');
    received_.method = request_line.substr(0, space);
    received_.target = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      received_.headers[name] = value;
    }
  }

  const unsigned status_;
  uint16_t port_ = 0;  // before listen_fd_: set while it is opened
  int listen_fd_ = -1;
  GatewayRequest received_;
  std::thread thread_;  // last: it starts once the rest exists
};

TEST(NoticeChannelsTest, TheWebhookAdapterPostsTheJsonSignedAsMerchantWebhooks) {
  OneShotGateway gateway(200);
  auto channel = WebhookNoticeChannel::Make(
      "push",
      NoticeWebhookOptions{.url = gateway.url(), .secret = "gateway-secret", .timeout_ms = 5'000});
  ASSERT_TRUE(channel.ok()) << channel.status().ToString();
  const core::Status delivered = (*channel)->Deliver(MakeNotice(9));
  EXPECT_TRUE(delivered.ok()) << delivered.ToString();
  const GatewayRequest r = gateway.Wait();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/notices");
  EXPECT_EQ(r.body, NoticeJson("push", MakeNotice(9)));
  EXPECT_EQ(r.headers.at("netfin-notice-channel"), "push");
  EXPECT_EQ(r.headers.at("netfin-notice-sequence"), "9");
  const auto signature = r.headers.find("netfin-webhook-signature");
  ASSERT_NE(signature, r.headers.end());
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  EXPECT_TRUE(api::VerifyWebhookSignature("gateway-secret", signature->second, r.body, now_s, 300));
  EXPECT_FALSE(
      api::VerifyWebhookSignature("another-secret", signature->second, r.body, now_s, 300));
}

TEST(NoticeChannelsTest, TheWebhookAdapterSendsUnsignedWithoutASecretAndFailsOnANon2xx) {
  OneShotGateway gateway(503);
  NoticeWebhookOptions options;
  options.url = gateway.url();  // no secret
  auto channel = WebhookNoticeChannel::Make("sms", options);
  ASSERT_TRUE(channel.ok()) << channel.status().ToString();
  const core::Status delivered = (*channel)->Deliver(MakeNotice(3));
  EXPECT_EQ(delivered.code(), core::StatusCode::kUnavailable) << delivered.ToString();
  const GatewayRequest r = gateway.Wait();
  EXPECT_EQ(r.body, NoticeJson("sms", MakeNotice(3)));
  EXPECT_EQ(r.headers.count("netfin-webhook-signature"), 0u);
}

}  // namespace
}  // namespace netfin::cli
