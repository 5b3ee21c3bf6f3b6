// The risk screen in the payment flow, end to end: the real `netfin serve`
// with a rules file, driven over HTTP with signed requests, as a customer's
// app and the platform's analysts drive it (docs/risk.md, docs/api.md).
//
// The rules challenge a payment of 5,000 CNY or more and deny one (or a
// wallet transfer) of 90,000 CNY or more, and a payment of 43.21 CNY from
// an ip the customer has not paid from before. A challenged payment holds its
// amount in the wallet until the customer confirms the one-time code of the
// safe-transaction reminder, which the server writes to
// <db>.notices/sms.jsonl; the test reads the code from there as a phone
// would receive it.
//
// - Confirm: the right code posts the hold; its retry with the same
//   Idempotency-Key replays the answer; confirming again is 409.
// - Wrong codes: 422 each; the last allowed one fails the payment and
//   releases the hold.
// - Decline, denial (payment and wallet transfer), expiry by the sweeper.
// - Authorization: only the payer confirms or declines; an unknown payment
//   is refused as another's is.
// - A SIGKILL while a payment is held: after the restart the payment is
//   still held (or, once lapsed, released), never lost; `netfin verify`.
// - Cases: the operator lists challenged and denied payments, labels one,
//   and exports the labels in PaySim's columns.
// - Malformed client, code and label fields: 400 invalid_field.
// - The client's ip, or else the TCP peer's address, reaches the screen.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/api.h"
#include "tests/http_test_support.h"

namespace netfin {
namespace {

using testing::ErrorCodeOf;
using testing::ExpectReconciled;
using testing::FeeOf;
using testing::Json;
using testing::Platform;
using testing::Request;
using testing::Signer;

constexpr uint64_t kChallengeAmount = 500'000;  // 5,000 CNY: the rule "big"
constexpr uint64_t kDenyAmount = 9'000'000;     // 90,000 CNY: the rule "huge"
constexpr uint32_t kAttemptsMax = 3;            // confirmation_attempts_max

constexpr std::string_view kRules = R"(version = 1

[[rule]]
name = "big"
condition = "kind_payment and amount >= 500_000"
action = "challenge"
reason = "a payment of 5,000 CNY or more"

[[rule]]
name = "huge"
condition = "(kind_payment or kind_transfer) and amount >= 9_000_000"
action = "deny"
reason = "a payment or transfer of 90,000 CNY or more"

[[rule]]
name = "new_ip_probe"
condition = "kind_payment and amount == 4_321 and new_ip"
action = "deny"
reason = "a probe: the client's ip reaches the screen"
)";
// The amount the rule "new_ip_probe" looks at.
constexpr uint64_t kProbeAmount = 4'321;

// What a customer's app reports with a payment.
constexpr std::string_view kClient =
    R"({"device_id":"phone-7f3a","ip":"203.0.113.7","lat":31.2304,"lon":121.4737})";

// ---------------------------------------------------------------------------
// Requests and answers.

Request PayMerchant(const std::string& merchant_id, uint64_t amount,
                    std::string_view client = kClient) {
  std::string body = R"({"merchant_id":")" + merchant_id + R"(","amount":)" +
                     std::to_string(amount) + R"(,"currency":"CNY")";
  if (!client.empty()) body += R"(,"client":)" + std::string(client);
  return {"POST", "/v1/payments", body + "}"};
}
Request Confirm(const std::string& payment_id, const std::string& code) {
  return {"POST", "/v1/payments/" + payment_id + "/confirm", R"({"code":")" + code + R"("})"};
}
Request Decline(const std::string& payment_id, std::string body = "{}") {
  return {"POST", "/v1/payments/" + payment_id + "/decline", std::move(body)};
}
bool Contains(const std::vector<std::string>& items, std::string_view item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// A six-digit code other than code.
std::string WrongCode(const std::string& code) {
  std::string wrong = code;
  wrong[0] = static_cast<char>('0' + (wrong[0] - '0' + 1) % 10);
  return wrong;
}

// ---------------------------------------------------------------------------
// A platform with the risk rules: a customer A with money, a second customer
// B, a merchant M, their keys.

// Expects the wallet to hold balance, held of it.
void ExpectWallet(Platform& platform, const std::string& customer_id, uint64_t balance,
                  uint64_t held) {
  const Json wallet = platform.Wallet(customer_id);
  EXPECT_EQ(wallet.U64("balance"), balance) << "the posted balance";
  EXPECT_EQ(wallet.U64("held"), held);
  EXPECT_EQ(wallet.U64("available"), balance - held);
}

class RiskHttp : public ::testing::Test {
 protected:
  static constexpr uint64_t kTopUp = 20'000'000;
  // Enough to hold kTopUp and pay kDenyAmount (docs/payments.md, tiers).
  static constexpr int kTier = 3;

  // payments_toml: the [payments] table of a config file ("" for none).
  explicit RiskHttp(std::string_view payments_toml = "")
      : platform_({.risk_rules = kRules, .payments_toml = payments_toml}) {}

  void SetUp() override {
    ASSERT_TRUE(platform_.up()) << "netfin serve did not start";
    a_ = platform_.CreateCustomer(kTier);
    b_ = platform_.CreateCustomer(kTier);
    m_ = platform_.CreateMerchant();
    a_key_ = platform_.CreateKey("customer", a_);
    b_key_ = platform_.CreateKey("customer", b_);
    m_key_ = platform_.CreateKey("merchant", m_);
    platform_.TopUp(a_, kTopUp);
    ASSERT_FALSE(HasFailure()) << "the fixture failed";
  }

  // A pays M amount directly; the answer must be 201 in status `status`.
  std::string Pay(uint64_t amount, std::string_view status) {
    const api::ClientResponse paid = platform_.Send(a_key_, PayMerchant(m_, amount));
    EXPECT_EQ(paid.status, 201u) << paid.body;
    const Json payment(paid.body);
    EXPECT_EQ(payment.Str("status"), status) << paid.body;
    return payment.Str("id");
  }
  // A challenged payment of A, held: its id; *code gets the reminder's code.
  std::string Challenged(uint64_t amount, std::string* code) {
    const std::string id = Pay(amount, "requires_confirmation");
    *code = platform_.ReminderCode(id);
    return id;
  }

  Platform platform_;
  std::string a_, b_, m_;
  Signer a_key_, b_key_, m_key_;
};

// ---------------------------------------------------------------------------
// 1. Challenge, confirm, replay.

TEST_F(RiskHttp, AChallengedPaymentIsHeldUntilTheRightCodePostsIt) {
  constexpr uint64_t kAmount = 600'000;
  const api::ClientResponse paid = platform_.Send(a_key_, PayMerchant(m_, kAmount));
  ASSERT_EQ(paid.status, 201u) << paid.body;
  const Json held(paid.body);
  const std::string id = held.Str("id");
  EXPECT_EQ(held.Str("status"), "requires_confirmation") << paid.body;
  EXPECT_EQ(held.Str("risk.action"), "challenge") << paid.body;
  EXPECT_FALSE(held.Has("risk.reasons")) << "the payer sees no rules: " << paid.body;
  // The operator sees why, and the case's label.
  const Json seen = platform_.Payment(id);
  EXPECT_TRUE(Contains(seen.Strings("risk.reasons"), "rule:big"));
  EXPECT_EQ(seen.Str("risk.label"), "none");
  EXPECT_TRUE(seen.Has("risk.action") && !seen.Has("risk.score")) << "no model: score null";
  EXPECT_EQ(held.U64("confirmation.attempts_left"), kAttemptsMax) << paid.body;
  EXPECT_GT(held.U64("confirmation.expires_at"), held.U64("created_at")) << paid.body;
  // Held, not posted: available is less by the amount, the balance is not.
  ExpectWallet(platform_, a_, kTopUp, kAmount);
  EXPECT_EQ(platform_.MerchantBalance(m_), 0u);
  ExpectReconciled(platform_);

  // The reminder went to A's phone, masked, with a six-digit code.
  const std::string code = platform_.ReminderCode(id);
  ASSERT_EQ(code.size(), 6u);
  bool found = false;
  for (const std::string& line : platform_.Notices()) {
    const Json notice(line);
    if (notice.Str("payment_id") != id) continue;
    found = true;
    EXPECT_EQ(notice.Str("channel"), "sms") << line;
    EXPECT_EQ(notice.Str("customer_id"), a_) << line;
    EXPECT_NE(notice.Str("phone").find("****"), std::string::npos) << "unmasked: " << line;
  }
  EXPECT_TRUE(found);

  const api::ClientResponse confirmed = platform_.Send(a_key_, Confirm(id, code), "confirm-1");
  ASSERT_EQ(confirmed.status, 200u) << confirmed.body;
  const Json done(confirmed.body);
  EXPECT_EQ(done.Str("status"), "succeeded") << confirmed.body;
  EXPECT_FALSE(done.Has("confirmation")) << "a finished payment shows no confirmation";
  EXPECT_EQ(done.U64("fee"), FeeOf(kAmount));
  ExpectWallet(platform_, a_, kTopUp - kAmount, 0);
  EXPECT_EQ(platform_.MerchantBalance(m_), kAmount - FeeOf(kAmount));

  // A retry with the same key replays the answer and moves nothing.
  const api::ClientResponse retried = platform_.Send(a_key_, Confirm(id, code), "confirm-1");
  EXPECT_EQ(retried.status, confirmed.status);
  EXPECT_EQ(retried.body, confirmed.body);
  // A new confirmation of a finished payment is refused.
  const api::ClientResponse again = platform_.Send(a_key_, Confirm(id, code), "confirm-2");
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_EQ(ErrorCodeOf(again), "payment_not_confirmable");
  EXPECT_EQ(platform_.MerchantBalance(m_), kAmount - FeeOf(kAmount));
  ExpectWallet(platform_, a_, kTopUp - kAmount, 0);
  ExpectReconciled(platform_);
}

TEST_F(RiskHttp, PayingAnOrderIsScreenedToo) {
  const std::string order =
      Json(platform_.MustAs(*m_key_, {"POST", "/v1/payments", R"({"amount":700000,"currency":"CNY"})"}))
          .Str("id");
  const api::ClientResponse paid = platform_.Send(
      a_key_, {"POST", "/v1/payments/" + order + "/pay", R"({"client":)" + std::string(kClient) + "}"});
  ASSERT_EQ(paid.status, 200u) << paid.body;
  EXPECT_EQ(Json(paid.body).Str("status"), "requires_confirmation") << paid.body;
  ExpectWallet(platform_, a_, kTopUp, 700'000);
  const std::string code = platform_.ReminderCode(order);
  const api::ClientResponse confirmed = platform_.Send(a_key_, Confirm(order, code));
  EXPECT_EQ(Json(confirmed.body).Str("status"), "succeeded") << confirmed.body;
  ExpectWallet(platform_, a_, kTopUp - 700'000, 0);
  ExpectReconciled(platform_);
}

// ---------------------------------------------------------------------------
// 2. Wrong codes.

TEST_F(RiskHttp, WrongCodesAreRefusedAndTheLastAllowedOneFailsThePayment) {
  std::string code;
  const std::string kept = Challenged(kChallengeAmount, &code);
  for (uint32_t i = 1; i < kAttemptsMax; ++i) {
    const api::ClientResponse wrong = platform_.Send(a_key_, Confirm(kept, WrongCode(code)));
    EXPECT_EQ(wrong.status, 422u) << wrong.body;
    EXPECT_EQ(ErrorCodeOf(wrong), "confirmation_code_invalid");
    EXPECT_EQ(platform_.Payment(kept).U64("confirmation.attempts_left"), kAttemptsMax - i);
  }
  const api::ClientResponse right = platform_.Send(a_key_, Confirm(kept, code));
  EXPECT_EQ(right.status, 200u) << right.body;
  EXPECT_EQ(Json(right.body).Str("status"), "succeeded") << right.body;
  ExpectWallet(platform_, a_, kTopUp - kChallengeAmount, 0);

  std::string code2;
  const std::string lost = Challenged(kChallengeAmount, &code2);
  ExpectWallet(platform_, a_, kTopUp - kChallengeAmount, kChallengeAmount);
  for (uint32_t i = 1; i <= kAttemptsMax; ++i) {
    const api::ClientResponse wrong = platform_.Send(a_key_, Confirm(lost, WrongCode(code2)));
    if (i < kAttemptsMax) {
      EXPECT_EQ(wrong.status, 422u) << wrong.body;
      EXPECT_EQ(ErrorCodeOf(wrong), "confirmation_code_invalid");
    } else {
      // The last one fails the payment: told as the wrong code it is, or
      // as the failed payment it made.
      const bool told = (wrong.status == 422u && ErrorCodeOf(wrong) == "confirmation_code_invalid") ||
                        (wrong.status == 200u && Json(wrong.body).Str("status") == "failed");
      EXPECT_TRUE(told) << wrong.status << " " << wrong.body;
    }
  }
  const Json failed = platform_.Payment(lost);
  EXPECT_EQ(failed.Str("status"), "failed");
  EXPECT_EQ(failed.Str("failure_code"), "confirmation_failed");
  // The hold is released; the right code cannot bring it back.
  ExpectWallet(platform_, a_, kTopUp - kChallengeAmount, 0);
  const api::ClientResponse late = platform_.Send(a_key_, Confirm(lost, code2));
  EXPECT_EQ(late.status, 409u) << late.body;
  EXPECT_EQ(ErrorCodeOf(late), "payment_not_confirmable");
  EXPECT_EQ(platform_.MerchantBalance(m_), kChallengeAmount - FeeOf(kChallengeAmount));
  ExpectReconciled(platform_);
}

// ---------------------------------------------------------------------------
// 3. Decline. 4. Denial.

TEST_F(RiskHttp, ADeclineFailsThePaymentAndReleasesTheHold) {
  std::string code;
  const std::string with_body = Challenged(kChallengeAmount, &code);
  const api::ClientResponse declined = platform_.Send(a_key_, Decline(with_body));
  ASSERT_EQ(declined.status, 200u) << declined.body;
  EXPECT_EQ(Json(declined.body).Str("status"), "failed");
  EXPECT_EQ(Json(declined.body).Str("failure_code"), "declined_by_customer");
  ExpectWallet(platform_, a_, kTopUp, 0);

  // An empty body declines as well.
  const std::string empty = Challenged(kChallengeAmount, &code);
  const api::ClientResponse declined2 = platform_.Send(a_key_, Decline(empty, ""));
  EXPECT_EQ(declined2.status, 200u) << declined2.body;
  EXPECT_EQ(platform_.Payment(empty).Str("failure_code"), "declined_by_customer");
  const api::ClientResponse confirmed = platform_.Send(a_key_, Confirm(empty, code));
  EXPECT_EQ(confirmed.status, 409u) << confirmed.body;
  EXPECT_EQ(ErrorCodeOf(confirmed), "payment_not_confirmable");
  ExpectWallet(platform_, a_, kTopUp, 0);
  EXPECT_EQ(platform_.MerchantBalance(m_), 0u);
  ExpectReconciled(platform_);
}

TEST_F(RiskHttp, ADeniedPaymentIsAFailedPaymentAndADeniedTransferAnError) {
  const api::ClientResponse denied = platform_.Send(a_key_, PayMerchant(m_, kDenyAmount), "deny-1");
  ASSERT_EQ(denied.status, 201u) << denied.body;
  const Json payment(denied.body);
  EXPECT_EQ(payment.Str("status"), "failed") << denied.body;
  EXPECT_EQ(payment.Str("failure_code"), "risk_denied") << denied.body;
  EXPECT_EQ(payment.Str("risk.action"), "deny") << denied.body;
  EXPECT_TRUE(Contains(platform_.Payment(payment.Str("id")).Strings("risk.reasons"), "rule:huge"));
  EXPECT_FALSE(payment.Has("confirmation"));
  // An outcome, not an error: the retry with the same key is the same answer.
  const api::ClientResponse retried = platform_.Send(a_key_, PayMerchant(m_, kDenyAmount), "deny-1");
  EXPECT_EQ(retried.status, denied.status);
  EXPECT_EQ(retried.body, denied.body);
  ExpectWallet(platform_, a_, kTopUp, 0);
  EXPECT_EQ(platform_.MerchantBalance(m_), 0u);

  const Request transfer{"POST", "/v1/wallet-transfers",
                         R"({"from_customer_id":")" + a_ + R"(","to_customer_id":")" + b_ +
                             R"(","amount":)" + std::to_string(kDenyAmount) +
                             R"(,"currency":"CNY","client":)" + std::string(kClient) + "}"};
  const api::ClientResponse refused = platform_.Send(a_key_, transfer);
  EXPECT_EQ(refused.status, 402u) << refused.body;
  EXPECT_EQ(ErrorCodeOf(refused), "risk_denied");
  ExpectWallet(platform_, a_, kTopUp, 0);
  EXPECT_EQ(platform_.Wallet(b_).U64("balance"), 0u);

  // Below the rules, a transfer moves as before.
  const Request small{"POST", "/v1/wallet-transfers",
                      R"({"from_customer_id":")" + a_ + R"(","to_customer_id":")" + b_ +
                          R"(","amount":1000,"currency":"CNY"})"};
  EXPECT_EQ(platform_.Send(a_key_, small).status, 201u);
  EXPECT_EQ(platform_.Wallet(b_).U64("balance"), 1000u);
  ExpectReconciled(platform_);
}

// ---------------------------------------------------------------------------
// 6. Who may confirm.

TEST_F(RiskHttp, OnlyThePayerConfirmsOrDeclinesAndAnUnknownPaymentIsRefusedAlike) {
  std::string code;
  const std::string id = Challenged(kChallengeAmount, &code);
  constexpr std::string_view kMissing = "98765432109876543210987654321";
  for (const Signer* other : {&b_key_, &m_key_}) {
    const api::ClientResponse confirm = platform_.Send(*other, Confirm(id, code));
    EXPECT_EQ(confirm.status, 403u) << confirm.body;
    EXPECT_EQ(ErrorCodeOf(confirm), "forbidden");
    const api::ClientResponse decline = platform_.Send(*other, Decline(id));
    EXPECT_EQ(decline.status, 403u) << decline.body;
    EXPECT_EQ(ErrorCodeOf(decline), "forbidden");
    // A payment that does not exist is refused as another's is: the answer
    // does not tell which ids exist.
    const api::ClientResponse missing = platform_.Send(*other, Confirm(std::string(kMissing), code));
    EXPECT_EQ(missing.status, confirm.status) << missing.body;
    EXPECT_EQ(ErrorCodeOf(missing), ErrorCodeOf(confirm));
    EXPECT_EQ(Json(missing.body).Str("error.message"), Json(confirm.body).Str("error.message"));
  }
  const api::ClientResponse missing = platform_.Send(a_key_, Confirm(std::string(kMissing), code));
  EXPECT_EQ(missing.status, 403u) << missing.body;
  EXPECT_EQ(ErrorCodeOf(missing), "forbidden");
  // Refusals neither used up attempts nor moved money.
  EXPECT_EQ(platform_.Payment(id).U64("confirmation.attempts_left"), kAttemptsMax);
  ExpectWallet(platform_, a_, kTopUp, kChallengeAmount);
  EXPECT_EQ(platform_.Send(a_key_, Confirm(id, code)).status, 200u);
  ExpectReconciled(platform_);
}

// ---------------------------------------------------------------------------
// Malformed fields.

TEST_F(RiskHttp, MalformedClientCodeAndLabelAreInvalidFieldsAndMoveNothing) {
  for (std::string_view client :
       {R"("phone")", R"({"lat":31.2})", R"({"lon":121.4})", R"({"lat":91,"lon":0})",
        R"({"lat":0,"lon":-180.5})", R"({"device_id":""})", R"({"device_id":7})",
        R"({"device_id":"a\nb"})", R"({"ip":""})",
        R"({"ip":"12345678901234567890123456789012345678901234567890123456789012345"})",
        R"({"imei":"x"})", R"({"ip":"1.2.3.4","ip":"1.2.3.5"})", R"({"lat":"31","lon":"121"})"}) {
    SCOPED_TRACE(client);
    const api::ClientResponse r = platform_.Send(a_key_, PayMerchant(m_, 1000, client));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(ErrorCodeOf(r), "invalid_field") << r.body;
  }
  ExpectWallet(platform_, a_, kTopUp, 0);
  // Well formed: without a location, and with it.
  EXPECT_EQ(platform_.Send(a_key_, PayMerchant(m_, 1000, R"({"device_id":"d","ip":"::1"})")).status,
            201u);
  EXPECT_EQ(platform_.Send(a_key_, PayMerchant(m_, 1000, R"({"lat":-90,"lon":180})")).status, 201u);
  EXPECT_EQ(platform_.Send(a_key_, PayMerchant(m_, 1000, "")).status, 201u);

  std::string code;
  const std::string id = Challenged(kChallengeAmount, &code);
  for (std::string_view body : {R"({"code":"12345"})", R"({"code":"1234567"})", R"({"code":123456})",
                                R"({"code":"12345a"})", R"({})"}) {
    SCOPED_TRACE(body);
    const api::ClientResponse r =
        platform_.Send(a_key_, {"POST", "/v1/payments/" + id + "/confirm", std::string(body)});
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(ErrorCodeOf(r), "invalid_field") << r.body;
  }
  const api::ClientResponse extra = platform_.Send(
      a_key_, {"POST", "/v1/payments/" + id + "/confirm", R"({"code":")" + code + R"(","x":1})"});
  EXPECT_EQ(extra.status, 400u) << extra.body;
  EXPECT_EQ(ErrorCodeOf(extra), "unknown_field");
  EXPECT_EQ(platform_.Payment(id).U64("confirmation.attempts_left"), kAttemptsMax)
      << "a malformed code counted as a wrong one";
  for (std::string_view body : {R"({"label":"maybe"})", R"({"label":1})", R"({})"}) {
    SCOPED_TRACE(body);
    const api::ClientResponse r =
        platform_.Send(platform_.operator_signer(), {"POST", "/v1/risk/cases/" + id + "/label", std::string(body)});
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(ErrorCodeOf(r), "invalid_field") << r.body;
  }
  ExpectReconciled(platform_);
}

// The client's ip, or else the TCP peer's address, is what the screen sees:
// a known ip passes the probe rule, a new one (the peer's included) is denied.
TEST_F(RiskHttp, TheClientIpOrElseThePeerAddressReachesTheScreen) {
  // A succeeded payment teaches the customer kClient's ip.
  ASSERT_FALSE(Pay(1000, "succeeded").empty());
  const std::string known = Pay(kProbeAmount, "succeeded");
  EXPECT_FALSE(Contains(platform_.Payment(known).Strings("risk.reasons"), "rule:new_ip_probe"));

  const api::ClientResponse peer = platform_.Send(a_key_, PayMerchant(m_, kProbeAmount, ""));
  ASSERT_EQ(peer.status, 201u) << peer.body;
  EXPECT_EQ(Json(peer.body).Str("failure_code"), "risk_denied")
      << "a body without a client was screened without the peer's address: " << peer.body;
  EXPECT_TRUE(Contains(platform_.Payment(Json(peer.body).Str("id")).Strings("risk.reasons"),
                       "rule:new_ip_probe"));

  const api::ClientResponse other_ip =
      platform_.Send(a_key_, PayMerchant(m_, kProbeAmount, R"({"ip":"198.51.100.1"})"));
  ASSERT_EQ(other_ip.status, 201u) << other_ip.body;
  EXPECT_EQ(Json(other_ip.body).Str("failure_code"), "risk_denied") << other_ip.body;
  ExpectWallet(platform_, a_, kTopUp - 1000 - kProbeAmount, 0);
  ExpectReconciled(platform_);
}

// ---------------------------------------------------------------------------
// 7. A crash while a payment is held.

TEST_F(RiskHttp, ASigkillWhileHeldKeepsTheHoldAndTheCodeWorksAfterTheRestart) {
  std::string code;
  const std::string id = Challenged(kChallengeAmount, &code);
  platform_.Kill();
  platform_.Start();
  ASSERT_TRUE(platform_.up()) << "netfin serve did not restart";
  const Json held = platform_.Payment(id);
  EXPECT_EQ(held.Str("status"), "requires_confirmation");
  EXPECT_EQ(held.U64("confirmation.attempts_left"), kAttemptsMax);
  ExpectWallet(platform_, a_, kTopUp, kChallengeAmount);
  ExpectReconciled(platform_);
  // One wrong code, a crash: the wrong code is remembered.
  EXPECT_EQ(platform_.Send(a_key_, Confirm(id, WrongCode(code))).status, 422u);
  platform_.Kill();
  platform_.Start();
  ASSERT_TRUE(platform_.up()) << "netfin serve did not restart";
  EXPECT_EQ(platform_.Payment(id).U64("confirmation.attempts_left"), kAttemptsMax - 1);
  const api::ClientResponse confirmed = platform_.Send(a_key_, Confirm(id, code));
  EXPECT_EQ(confirmed.status, 200u) << confirmed.body;
  EXPECT_EQ(Json(confirmed.body).Str("status"), "succeeded") << confirmed.body;
  ExpectWallet(platform_, a_, kTopUp - kChallengeAmount, 0);
  EXPECT_EQ(platform_.MerchantBalance(m_), kChallengeAmount - FeeOf(kChallengeAmount));
  ExpectReconciled(platform_);
  EXPECT_EQ(platform_.Stop(), 0);
  EXPECT_EQ(platform_.Verify(), 0) << "netfin verify failed";
}

// ---------------------------------------------------------------------------
// 5. Expiry (confirmation_expiry_s = 1), live and across a crash.

class RiskHttpExpiry : public RiskHttp {
 protected:
  RiskHttpExpiry() : RiskHttp("confirmation_expiry_s = 1") {}

  // Waits (Platform::kSweepWait at most) until the payment is no longer held.
  Json AwaitFinished(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + Platform::kSweepWait;
    Json payment = platform_.Payment(id);
    while (payment.Str("status") == "requires_confirmation" &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      payment = platform_.Payment(id);
    }
    return payment;
  }
};

TEST_F(RiskHttpExpiry, ALapsedHoldFailsThePaymentAndReleasesTheFunds) {
  const std::string id = Pay(kChallengeAmount, "requires_confirmation");
  const std::string code = platform_.ReminderCode(id);
  const Json lapsed = AwaitFinished(id);
  EXPECT_EQ(lapsed.Str("status"), "failed");
  EXPECT_EQ(lapsed.Str("failure_code"), "confirmation_expired");
  ExpectWallet(platform_, a_, kTopUp, 0);
  const api::ClientResponse late = platform_.Send(a_key_, Confirm(id, code));
  EXPECT_EQ(late.status, 409u) << late.body;
  EXPECT_EQ(ErrorCodeOf(late), "payment_not_confirmable");
  EXPECT_EQ(platform_.MerchantBalance(m_), 0u);
  ExpectReconciled(platform_);
}

TEST_F(RiskHttpExpiry, AHoldThatLapsesWhileTheServerIsDownIsReleasedAfterTheRestart) {
  const std::string id = Pay(kChallengeAmount, "requires_confirmation");
  platform_.Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  platform_.Start();
  ASSERT_TRUE(platform_.up()) << "netfin serve did not restart";
  const Json lapsed = AwaitFinished(id);
  EXPECT_EQ(lapsed.Str("status"), "failed");
  EXPECT_EQ(lapsed.Str("failure_code"), "confirmation_expired");
  ExpectWallet(platform_, a_, kTopUp, 0);
  EXPECT_EQ(platform_.MerchantBalance(m_), 0u);
  ExpectReconciled(platform_);
  EXPECT_EQ(platform_.Stop(), 0);
  EXPECT_EQ(platform_.Verify(), 0) << "netfin verify failed";
}

// ---------------------------------------------------------------------------
// 8. Cases and labels.

// The CSV's lines, split at commas (no field of the export has one).
std::vector<std::vector<std::string>> CsvRows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    rows.push_back(std::move(fields));
  }
  return rows;
}

TEST_F(RiskHttp, TheOperatorListsCasesLabelsOneAndExportsTheLabels) {
  std::string code;
  const std::string challenged = Challenged(kChallengeAmount, &code);
  const std::string denied = Pay(kDenyAmount, "failed");
  const std::string allowed = Pay(1000, "succeeded");

  const Json cases(platform_.Must({"GET", "/v1/risk/cases?limit=100", ""}));
  std::vector<std::string> ids;
  for (size_t i = 0; i < cases.Size("data"); ++i) ids.push_back(cases.Str("data." + std::to_string(i) + ".id"));
  EXPECT_TRUE(Contains(ids, challenged));
  EXPECT_TRUE(Contains(ids, denied));
  EXPECT_FALSE(Contains(ids, allowed)) << "an allowed payment is no case";
  // Paged: one at a time, the same cases.
  const Json first(platform_.Must({"GET", "/v1/risk/cases?limit=1", ""}));
  EXPECT_EQ(first.Size("data"), 1u);
  EXPECT_FALSE(first.Str("next_cursor").empty());
  // Not for customers or merchants.
  EXPECT_EQ(platform_.Send(a_key_, {"GET", "/v1/risk/cases", ""}).status, 403u);
  EXPECT_EQ(platform_.Send(m_key_, {"GET", "/v1/risk/labels.csv", ""}).status, 403u);

  const api::ClientResponse labelled = platform_.Send(
      platform_.operator_signer(), {"POST", "/v1/risk/cases/" + challenged + "/label", R"({"label":"fraud"})"});
  ASSERT_EQ(labelled.status, 200u) << labelled.body;
  EXPECT_EQ(Json(labelled.body).Str("risk.label"), "fraud") << labelled.body;
  EXPECT_EQ(platform_.Payment(challenged).Str("risk.label"), "fraud");
  platform_.Must({"POST", "/v1/risk/cases/" + denied + "/label", R"({"label":"genuine"})"});
  const api::ClientResponse no_case = platform_.Send(
      platform_.operator_signer(), {"POST", "/v1/risk/cases/" + allowed + "/label", R"({"label":"fraud"})"});
  EXPECT_EQ(no_case.status, 404u) << no_case.body;
  EXPECT_EQ(ErrorCodeOf(no_case), "unknown_case");

  const api::ClientResponse csv = platform_.Send(platform_.operator_signer(), {"GET", "/v1/risk/labels.csv", ""});
  ASSERT_EQ(csv.status, 200u) << csv.body;
  EXPECT_EQ(csv.Header("Content-Type").rfind("text/csv", 0), 0u) << csv.Header("Content-Type");
  const std::vector<std::vector<std::string>> rows = CsvRows(csv.body);
  ASSERT_FALSE(rows.empty());
  const std::vector<std::string> header = {"step",           "type",           "amount",
                                           "nameOrig",       "oldbalanceOrg",  "newbalanceOrig",
                                           "nameDest",       "oldbalanceDest", "newbalanceDest",
                                           "isFraud",        "isFlaggedFraud"};
  EXPECT_EQ(rows[0], header) << csv.body;
  size_t fraud_rows = 0, flagged_rows = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << "line " << i + 1 << " of\n" << csv.body;
    EXPECT_EQ(rows[i][3], "C" + a_) << "nameOrig";
    EXPECT_EQ(rows[i][6], "M" + m_) << "nameDest";
    EXPECT_TRUE(rows[i][10] == "0" || rows[i][10] == "1") << csv.body;
    if (rows[i][10] == "1") ++flagged_rows;
    if (rows[i][9] != "1") {
      EXPECT_EQ(rows[i][9], "0") << csv.body;
      continue;
    }
    ++fraud_rows;
    // The labelled one: A paid M the challenged amount, in yuan exactly.
    EXPECT_EQ(rows[i][2], "5000.00") << csv.body;
    EXPECT_EQ(rows[i][10], "1") << "a case the screen challenged is flagged";
  }
  EXPECT_EQ(fraud_rows, 1u) << csv.body;
  // One row per screened payment, the allowed one too; the two cases flagged.
  EXPECT_EQ(rows.size(), 4u) << csv.body;
  EXPECT_EQ(flagged_rows, 2u) << csv.body;
  ExpectReconciled(platform_);
}

}  // namespace
}  // namespace netfin
