// The risk screen in the payment flow, end to end: the real `netfin serve`
// with a rules file, driven over HTTP with signed requests, as a customer's
// app and the platform's analysts drive it (docs/risk.md, docs/api.md).
//
// The rules challenge a payment of 5,000 CNY or more and deny one (or a
// wallet transfer) of 90,000 CNY or more. A challenged payment holds its
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

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/api.h"
#include "api/auth.h"
#include "core/scratch_dir.h"
#include "tests/netfin_process.h"

namespace netfin {
namespace {

using testing::ExitCode;
using testing::NetfinBin;
using testing::ServerProcess;
using Headers = std::vector<std::pair<std::string, std::string>>;
using Signer = std::shared_ptr<const api::RequestSigner>;

constexpr uint64_t kChallengeAmount = 500'000;  // 5,000 CNY: the rule "big"
constexpr uint64_t kDenyAmount = 9'000'000;     // 90,000 CNY: the rule "huge"
constexpr uint64_t kFeeBps = 60;                // fee_bps_default
constexpr uint32_t kAttemptsMax = 3;            // confirmation_attempts_max
// How long the sweeper may take to deliver a reminder or fail a lapsed hold.
constexpr auto kSweepWait = std::chrono::seconds(10);

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
)";

// What a customer's app reports with a payment.
constexpr std::string_view kClient =
    R"({"device_id":"phone-7f3a","ip":"203.0.113.7","lat":31.2304,"lon":121.4737})";

// round_half_even(amount * kFeeBps / 10'000), written again here so that
// the test does not trust the server's.
uint64_t FeeOf(uint64_t amount) {
  const uint64_t n = amount * kFeeBps, q = n / 10'000, r = n % 10'000;
  return q + (2 * r > 10'000 || (2 * r == 10'000 && (q & 1) != 0) ? 1 : 0);
}

// ---------------------------------------------------------------------------
// Requests and answers.

struct Request {
  std::string method;
  std::string target;
  std::string body;  // POSTs only
};

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
Request GetPayment(const std::string& payment_id) {
  return {"GET", "/v1/payments/" + payment_id, ""};
}

bool Is2xx(unsigned status) { return status >= 200 && status < 300; }

std::string NewIdempotencyKey() {
  static std::atomic<uint64_t> next{1};
  return "risk-" + std::to_string(next.fetch_add(1));
}

// A parsed JSON answer; Str/U64/Size take a dotted path ("risk.reasons.0")
// and answer "", 0 or 0 when it does not lead to a value of that type.
class Json {
 public:
  explicit Json(const std::string& text) { doc_.Parse(text.c_str(), text.size()); }

  std::string Str(std::string_view path) const {
    const rapidjson::Value* v = Find(path);
    return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
  }
  uint64_t U64(std::string_view path) const {
    const rapidjson::Value* v = Find(path);
    return v != nullptr && v->IsUint64() ? v->GetUint64() : 0;
  }
  size_t Size(std::string_view path) const {
    const rapidjson::Value* v = Find(path);
    return v != nullptr && v->IsArray() ? v->Size() : 0;
  }
  bool Has(std::string_view path) const { return Find(path) != nullptr; }
  // The strings of the array at path.
  std::vector<std::string> Strings(std::string_view path) const {
    std::vector<std::string> out;
    for (size_t i = 0; i < Size(path); ++i) out.push_back(Str(std::string(path) + "." + std::to_string(i)));
    return out;
  }

 private:
  const rapidjson::Value* Find(std::string_view path) const {
    if (doc_.HasParseError()) return nullptr;
    const rapidjson::Value* v = &doc_;
    for (size_t steps = 0; steps < 8 && !path.empty(); ++steps) {
      const size_t dot = path.find('.');
      const std::string step(path.substr(0, dot));
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
      if (v->IsArray()) {
        const size_t index = std::stoul(step);
        if (index >= v->Size()) return nullptr;
        v = &(*v)[static_cast<rapidjson::SizeType>(index)];
      } else if (v->IsObject() && v->HasMember(step.c_str())) {
        v = &(*v)[step.c_str()];
      } else {
        return nullptr;
      }
    }
    return path.empty() && !v->IsNull() ? v : nullptr;
  }

  rapidjson::Document doc_;
};

std::string ErrorCodeOf(const api::ClientResponse& r) { return Json(r.body).Str("error.code"); }

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
// A platform with the risk rules: a running server and the operator.

class RiskPlatform {
 public:
  // payments_toml: the [payments] table of a config file ("" for none).
  explicit RiskPlatform(std::string_view payments_toml = "") : db_(dir_.File("risk.db")) {
    std::ofstream(dir_.File("rules.toml")) << kRules;
    if (!payments_toml.empty()) {
      config_ = dir_.File("netfin.toml");
      std::ofstream(config_) << "[payments]\n" << payments_toml << "\n";
    }
    Start();
  }

  // Starts (again, after Kill) `netfin serve` on the same database.
  void Start() {
    std::vector<std::string> args{"--db",    db_,      "--listen",     "127.0.0.1:0",
                                  "--store", "sqlite", "--risk-rules", dir_.File("rules.toml")};
    if (!config_.empty()) args.insert(args.end(), {"--config", config_});
    server_ = std::make_unique<ServerProcess>(args);
    if (operator_ == nullptr) operator_ = testing::OperatorSigner(db_);
  }
  void Kill() { server_->Signal(SIGKILL); }
  int Stop() { return server_->Signal(SIGTERM); }
  int Verify() const { return ExitCode(NetfinBin() + " verify --store sqlite --db " + db_); }
  bool up() const { return server_->port() != 0; }
  const Signer& operator_signer() const { return operator_; }

  // Signed by signer (nullptr: unsigned) on a new connection; a POST
  // carries idempotency_key.
  api::ClientResponse Send(const api::RequestSigner* signer, const Request& r,
                           const std::string& idempotency_key = NewIdempotencyKey()) {
    api::HttpClient client;
    if (!client.Connect("127.0.0.1", server_->port()).ok()) return {};
    Headers headers;
    if (signer != nullptr) {
      const api::SignatureHeaders h = signer->Sign(r.method, r.target, r.body, std::time(nullptr));
      headers = {{std::string(api::kKeyHeader), h.key_id},
                 {std::string(api::kTimestampHeader), h.timestamp},
                 {std::string(api::kNonceHeader), h.nonce},
                 {std::string(api::kSignatureHeader), h.signature}};
    }
    if (r.method == "POST") headers.emplace_back("Idempotency-Key", idempotency_key);
    const std::string_view content_type = r.method == "POST" ? "application/json" : "";
    auto response = client.Request(r.method, r.target, r.body, content_type, headers);
    return response.ok() ? std::move(response).value() : api::ClientResponse{};
  }
  api::ClientResponse Send(const Signer& signer, const Request& r,
                           const std::string& idempotency_key = NewIdempotencyKey()) {
    return Send(signer.get(), r, idempotency_key);
  }
  // A request that must succeed (the operator's by default); its body.
  std::string Must(const Request& r) { return MustAs(operator_, r); }
  std::string MustAs(const Signer& signer, const Request& r) {
    const api::ClientResponse response = Send(signer, r);
    EXPECT_TRUE(Is2xx(response.status)) << r.method << " " << r.target << " " << r.body << ": "
                                        << response.status << " " << response.body;
    return response.body;
  }

  std::string CreateCustomer() {
    const std::string n = std::to_string(++parties_);
    return Json(Must({"POST", "/v1/customers",
                      R"({"name":"张三","phone":"1380000)" + Pad(n, 4) +
                          R"(","bank_account":"62220200000)" + Pad(n, 8) + R"(","tier":3})"}))
        .Str("id");
  }
  std::string CreateMerchant() {
    const std::string n = std::to_string(++parties_);
    return Json(Must({"POST", "/v1/merchants",
                      R"({"name":"李四","phone":"1390000)" + Pad(n, 4) +
                          R"(","bank_account":"62220300000)" + Pad(n, 8) + R"("})"}))
        .Str("id");
  }
  Signer CreateKey(const std::string& role, const std::string& party_id) {
    const Json key(Must(
        {"POST", "/v1/api-keys", R"({"role":")" + role + R"(","party_id":")" + party_id + "\"}"}));
    if (key.Str("key_id").empty() || key.Str("secret").empty()) {
      return std::make_shared<api::RequestSigner>("no-such-key", "0");
    }
    return std::make_shared<api::RequestSigner>(key.Str("key_id"), key.Str("secret"));
  }
  void TopUp(const std::string& customer_id, uint64_t amount) {
    Must({"POST", "/v1/top-ups",
          R"({"customer_id":")" + customer_id + R"(","amount":)" + std::to_string(amount) +
              R"(,"currency":"CNY"})"});
  }
  Json Wallet(const std::string& customer_id) {
    return Json(Must({"GET", "/v1/customers/" + customer_id + "/wallet", ""}));
  }
  uint64_t MerchantBalance(const std::string& merchant_id) {
    return Json(Must({"GET", "/v1/merchants/" + merchant_id, ""})).U64("balance");
  }
  Json Payment(const std::string& payment_id) { return Json(Must(GetPayment(payment_id))); }

  // The one-time code of payment_id's reminder, as the SMS channel wrote
  // it; "" when none came within kSweepWait.
  std::string ReminderCode(const std::string& payment_id) {
    const auto deadline = std::chrono::steady_clock::now() + kSweepWait;
    do {
      const std::string code = CodeInNotices(payment_id);
      if (!code.empty()) return code;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    ADD_FAILURE() << "no reminder for payment " << payment_id << " in " << NoticesPath();
    return "";
  }
  // The notice lines written so far.
  std::vector<std::string> Notices() const {
    std::ifstream file(NoticesPath());
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }

 private:
  static std::string Pad(const std::string& n, size_t width) {
    return std::string(width - std::min(width, n.size()), '0') + n;
  }
  std::string NoticesPath() const { return db_ + ".notices/sms.jsonl"; }
  std::string CodeInNotices(const std::string& payment_id) const {
    for (const std::string& line : Notices()) {
      const Json notice(line);
      if (notice.Str("payment_id") != payment_id) continue;
      const std::string text = notice.Str("text");
      const size_t at = text.find("code ");
      if (at == std::string::npos || at + 11 > text.size()) continue;
      const std::string code = text.substr(at + 5, 6);
      if (code.find_first_not_of("0123456789") == std::string::npos) return code;
    }
    return "";
  }

  core::ScratchDir dir_;
  const std::string db_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
  Signer operator_;
  uint64_t parties_ = 0;
};

void ExpectReconciled(RiskPlatform& platform) {
  const Json r(platform.Must({"GET", "/v1/platform/reconciliation", ""}));
  EXPECT_EQ(r.Str("ledgers.0.difference"), "0");
  EXPECT_EQ(r.U64("ledgers.0.negative_accounts"), 0u);
}

// Expects the wallet to hold balance, held of it.
void ExpectWallet(RiskPlatform& platform, const std::string& customer_id, uint64_t balance,
                  uint64_t held) {
  const Json wallet = platform.Wallet(customer_id);
  EXPECT_EQ(wallet.U64("balance"), balance) << "the posted balance";
  EXPECT_EQ(wallet.U64("held"), held);
  EXPECT_EQ(wallet.U64("available"), balance - held);
}

// A customer A with money, a second customer B, a merchant M, their keys.
class RiskHttp : public ::testing::Test {
 protected:
  static constexpr uint64_t kTopUp = 20'000'000;

  explicit RiskHttp(std::string_view payments_toml = "") : platform_(payments_toml) {}

  void SetUp() override {
    ASSERT_TRUE(platform_.up()) << "netfin serve did not start";
    a_ = platform_.CreateCustomer();
    b_ = platform_.CreateCustomer();
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

  RiskPlatform platform_;
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
      Json(platform_.MustAs(m_key_, {"POST", "/v1/payments", R"({"amount":700000,"currency":"CNY"})"}))
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

  // Waits (kSweepWait at most) until the payment is no longer held.
  Json AwaitFinished(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + kSweepWait;
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
  size_t fraud_rows = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size()) << "line " << i + 1 << " of\n" << csv.body;
    if (rows[i][9] != "1") {
      EXPECT_EQ(rows[i][9], "0") << csv.body;
      continue;
    }
    ++fraud_rows;
    // The labelled one: A paid M the challenged amount.
    EXPECT_NE(rows[i][3].find(a_), std::string::npos) << "nameOrig " << rows[i][3];
    EXPECT_NE(rows[i][6].find(m_), std::string::npos) << "nameDest " << rows[i][6];
  }
  EXPECT_EQ(fraud_rows, 1u) << csv.body;
  EXPECT_GE(rows.size(), 3u) << "a row per case at least";
  ExpectReconciled(platform_);
}

}  // namespace
}  // namespace netfin
