#pragma once

// Test support for the HTTP tests of the payments API (payments_http_test,
// risk_http_test): requests, signed connections, a JSON reader, the fee rule
// written again, and a platform: `netfin serve` on a scratch database with
// the operator's key.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "api/api.h"
#include "api/auth.h"
#include "core/scratch_dir.h"
#include "tests/netfin_process.h"

namespace netfin::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Signer = std::shared_ptr<const api::RequestSigner>;

// ---------------------------------------------------------------------------
// Requests and answers.

struct Request {
  std::string method;
  std::string target;
  std::string body;  // POSTs only
};

inline bool Is2xx(unsigned status) { return status >= 200 && status < 300; }

// Every POST of the payments routes needs its own Idempotency-Key.
inline std::string NewIdempotencyKey() {
  static std::atomic<uint64_t> next{1};
  return "e2e-" + std::to_string(next.fetch_add(1));
}

// The four signature headers of r, signed now by signer.
inline Headers SignatureOf(const api::RequestSigner& signer, const Request& r) {
  const api::SignatureHeaders h = signer.Sign(r.method, r.target, r.body, std::time(nullptr));
  return {{std::string(api::kKeyHeader), h.key_id},
          {std::string(api::kTimestampHeader), h.timestamp},
          {std::string(api::kNonceHeader), h.nonce},
          {std::string(api::kSignatureHeader), h.signature}};
}

// One keep-alive connection. Requests are signed here rather than by the
// client, so that a test can keep a request's exact headers and send them
// again (a replay). A transport failure answers status 0.
class Connection {
 public:
  explicit Connection(uint16_t port) : connected_(client_.Connect("127.0.0.1", port).ok()) {}

  bool connected() const { return connected_; }

  // Signed by signer now (nullptr: unsigned); a POST carries
  // idempotency_key. *sent gets every header sent.
  api::ClientResponse Send(const Request& r, const api::RequestSigner* signer,
                           const std::string& idempotency_key = NewIdempotencyKey(),
                           Headers* sent = nullptr) {
    Headers headers;
    if (signer != nullptr) headers = SignatureOf(*signer, r);
    if (r.method == "POST") headers.emplace_back("Idempotency-Key", idempotency_key);
    if (sent != nullptr) *sent = headers;
    return SendWith(r, headers);
  }

  // Sends exactly these headers (and the body's content type).
  api::ClientResponse SendWith(const Request& r, const Headers& headers) {
    const std::string_view content_type = r.method == "POST" ? "application/json" : "";
    auto response = client_.Request(r.method, r.target, r.body, content_type, headers);
    if (!response.ok()) return {};
    return std::move(response).value();
  }

 private:
  api::HttpClient client_;
  const bool connected_;
};

// A parsed JSON answer; Str/U64/Size take a dotted path ("risk.reasons.0")
// and answer "", 0 or 0 when it does not lead to a value of that type; a
// null counts as absent.
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
    for (size_t i = 0; i < Size(path); ++i) {
      out.push_back(Str(std::string(path) + "." + std::to_string(i)));
    }
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

inline std::string ErrorCodeOf(const api::ClientResponse& r) {
  return Json(r.body).Str("error.code");
}

// round_half_even(numerator / denominator): the fee rule of docs/payments.md,
// written again here so that the tests do not trust the server's.
inline uint64_t DivideRoundHalfEven(uint64_t numerator, uint64_t denominator) {
  const uint64_t quotient = numerator / denominator, remainder = numerator % denominator;
  if (2 * remainder > denominator) return quotient + 1;
  if (2 * remainder == denominator) return quotient + (quotient & 1);
  return quotient;
}

inline constexpr uint64_t kFeeBps = 60;  // fee_bps_default
inline uint64_t FeeOf(uint64_t amount) { return DivideRoundHalfEven(amount * kFeeBps, 10'000); }

// ---------------------------------------------------------------------------
// A platform: a running server and the operator's connection to it.

struct PlatformOptions {
  std::string store = "sqlite";  // "sqlite" or "journal"
  // The text of a rules file for the risk screen (docs/risk.md); empty: the
  // server's default rules.
  std::string_view risk_rules = {};
  // The [payments] table of a config file ("confirmation_expiry_s = 1");
  // empty: no config file.
  std::string_view payments_toml = {};
  // The [credit] table of the config file (docs/credit.md), its
  // [[credit.products]] included; empty: none.
  std::string_view credit_toml = {};
};

class Platform {
 public:
  // How long the sweeper may take to deliver a reminder or fail a lapsed hold.
  static constexpr auto kSweepWait = std::chrono::seconds(10);

  explicit Platform(PlatformOptions options = {})
      : store_(std::move(options.store)),
        db_(dir_.File(store_ == "journal" ? "e2e.journal" : "e2e.db")) {
    if (!options.risk_rules.empty()) {
      rules_ = dir_.File("rules.toml");
      std::ofstream(rules_) << options.risk_rules;
    }
    if (!options.payments_toml.empty() || !options.credit_toml.empty()) {
      config_ = dir_.File("netfin.toml");
      std::ofstream(config_) << "[payments]\n"
                             << options.payments_toml << "\n[credit]\n"
                             << options.credit_toml << "\n";
    }
    Start();
  }

  // Starts (again, after Kill) `netfin serve` on the same database.
  void Start() {
    std::vector<std::string> args{"--db", db_, "--listen", "127.0.0.1:0", "--store", store_};
    if (!rules_.empty()) args.insert(args.end(), {"--risk-rules", rules_});
    if (!config_.empty()) args.insert(args.end(), {"--config", config_});
    server_ = std::make_unique<ServerProcess>(args);
    if (operator_ == nullptr) operator_ = OperatorSigner(db_);
    op_ = std::make_unique<Connection>(server_->port());
  }
  // SIGKILL; may run on another thread while nothing else uses the server.
  void Kill() { server_->Signal(SIGKILL); }
  // SIGTERM; the server's exit code.
  int Stop() { return server_->Signal(SIGTERM); }
  int Verify() const {
    return ExitCode(NetfinBin() + " verify --store " + store_ + " --db " + db_);
  }

  bool up() const { return server_->port() != 0 && op_->connected(); }
  // A file beside the database.
  std::string File(const std::string& name) const { return dir_.File(name); }
  uint16_t port() const { return server_->port(); }
  const Signer& operator_signer() const { return operator_; }

  // Signed by signer on a connection of its own; a POST carries
  // idempotency_key.
  api::ClientResponse Send(const Signer& signer, const Request& r,
                           const std::string& idempotency_key = NewIdempotencyKey()) {
    Connection connection(port());
    return connection.Send(r, signer.get(), idempotency_key);
  }
  // As the operator, a request that must succeed; its answer's body.
  std::string Must(const Request& r) { return MustAs(*operator_, r); }
  std::string MustAs(const api::RequestSigner& signer, const Request& r) {
    const api::ClientResponse response = op_->Send(r, &signer);
    EXPECT_TRUE(Is2xx(response.status)) << r.method << " " << r.target << " " << r.body << ": "
                                        << response.status << " " << response.body;
    return response.body;
  }

  // A customer of tier (docs/payments.md, tiers); its id.
  std::string CreateCustomer(int tier = 2) {
    const uint64_t n = ++parties_;
    return Json(Must({"POST", "/v1/customers",
                      R"({"name":"张三","phone":"138)" + Digits(n, 8) +
                          R"(","bank_account":"622202)" + Digits(n, 13) + R"(","tier":)" +
                          std::to_string(tier) + "}"}))
        .Str("id");
  }
  std::string CreateMerchant() {
    const uint64_t n = ++parties_;
    return Json(Must({"POST", "/v1/merchants",
                      R"({"name":"李四","phone":"139)" + Digits(n, 8) +
                          R"(","bank_account":"622203)" + Digits(n, 13) + R"("})"}))
        .Str("id");
  }
  // A key for a party ("customer" or "merchant").
  Signer CreateKey(const std::string& role, const std::string& party_id) {
    const Json key(Must(
        {"POST", "/v1/api-keys", R"({"role":")" + role + R"(","party_id":")" + party_id + "\"}"}));
    const std::string key_id = key.Str("key_id"), secret = key.Str("secret");
    // A signer needs both (it asserts so); a failed creation has been
    // reported, and a stand-in keeps the test going to its other failures.
    if (key_id.empty() || secret.empty()) {
      return std::make_shared<api::RequestSigner>("no-such-key", "0");
    }
    return std::make_shared<api::RequestSigner>(key_id, secret);
  }
  void TopUp(const std::string& customer_id, uint64_t amount) {
    Must({"POST", "/v1/top-ups",
          R"({"customer_id":")" + customer_id + R"(","amount":)" + std::to_string(amount) +
              R"(,"currency":"CNY"})"});
  }
  Json Wallet(const std::string& customer_id) {
    return Json(Must({"GET", "/v1/customers/" + customer_id + "/wallet", ""}));
  }
  uint64_t WalletBalance(const std::string& customer_id) {
    return Wallet(customer_id).U64("balance");
  }
  uint64_t MerchantBalance(const std::string& merchant_id) {
    return Json(Must({"GET", "/v1/merchants/" + merchant_id, ""})).U64("balance");
  }
  Json Payment(const std::string& payment_id) {
    return Json(Must({"GET", "/v1/payments/" + payment_id, ""}));
  }
  // The reconciliation of the one configured currency.
  Json Reconciliation() { return Json(Must({"GET", "/v1/platform/reconciliation", ""})); }

  // The one-time code of a challenged payment's reminder, as the SMS channel
  // writes it to <db>.notices/sms.jsonl; "" (and a failure) when none came
  // within kSweepWait.
  std::string ReminderCode(const std::string& payment_id) const {
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
  static std::string Digits(uint64_t n, size_t width) {
    const std::string text = std::to_string(n);
    return std::string(width - std::min(width, text.size()), '0') + text;
  }
  std::string NoticesPath() const { return db_ + ".notices/sms.jsonl"; }
  // The six digits after "code " in payment_id's notice; "" when none yet.
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
  const std::string store_;
  const std::string db_;
  std::string rules_;   // the risk rules file; empty for the default
  std::string config_;  // the config file; empty for none
  std::unique_ptr<ServerProcess> server_;
  Signer operator_;
  std::unique_ptr<Connection> op_;
  uint64_t parties_ = 0;
};

// Expects the reconciliation balanced: reserve = liabilities, none negative.
inline void ExpectReconciled(Platform& platform) {
  const Json r = platform.Reconciliation();
  EXPECT_EQ(r.Str("ledgers.0.difference"), "0");
  EXPECT_EQ(r.U64("ledgers.0.negative_accounts"), 0u);
  EXPECT_EQ(r.Str("ledgers.0.currency"), "CNY");
}

}  // namespace netfin::testing
