// The payments API end to end: the real `netfin serve` as a child process,
// driven over HTTP with signed requests, as a platform's apps drive it.
//
// - Authorization: every signed route, from a table, against resources of
//   customer A and merchant M, asked for by another customer B, another
//   merchant N, nobody (unsigned), a forged signature and a replay. Refusals
//   move no money and do not tell an existing id from a missing one.
// - Retry safety: the server is SIGKILLed around a payment and the client
//   retries with the same Idempotency-Key until it gets an answer; every key
//   is charged once (both stores). A request signed before a restart cannot
//   be replayed after it.
// - Concurrency: customers pay one merchant while the merchant refunds;
//   every balance matches the fee rule of docs/payments.md (both stores).
// - Idempotency over HTTP: same key and body replay the first answer; same
//   key and another request is 409 idempotency_key_reused.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/api.h"
#include "api/auth.h"
#include "tests/http_test_support.h"

namespace netfin {
namespace {

using testing::Connection;
using testing::DivideRoundHalfEven;
using testing::ErrorCodeOf;
using testing::ExpectReconciled;
using testing::FeeOf;
using testing::Headers;
using testing::Is2xx;
using testing::Json;
using testing::NewIdempotencyKey;
using testing::Platform;
using testing::Request;
using testing::SignatureOf;
using testing::Signer;

// ---------------------------------------------------------------------------
// Requests and answers.

// A customer's payment straight to a merchant (a static code).
Request DirectPayment(const std::string& merchant_id, uint64_t amount) {
  return {"POST", "/v1/payments",
          R"({"merchant_id":")" + merchant_id + R"(","amount":)" + std::to_string(amount) +
              R"(,"currency":"CNY"})"};
}

// The value of the header named name in headers ("" when absent).
std::string HeaderOf(const Headers& headers, std::string_view name) {
  for (const auto& [n, value] : headers) {
    if (n == name) return value;
  }
  return "";
}

// A business day in China time (UTC+8), days_back days before today.
std::string ChinaDate(int days_back) {
  const std::time_t t = std::time(nullptr) + 8 * 3600 - static_cast<std::time_t>(days_back) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

// ---------------------------------------------------------------------------
// 1. Authorization: one case per signed route.

enum class Actor { kOperator, kCustomerA, kCustomerB, kMerchantM, kMerchantN };

// What a party other than the owner gets.
struct Expect {
  unsigned status = 0;  // 0: not a refusal by design; not sent (see the case's comment)
  std::string_view code;
};
constexpr Expect kForbidden{403, "forbidden"};
// Answered, but showing only the caller's own items: the case's `hidden`
// value must not appear.
constexpr Expect kOwnOnly{200, ""};
constexpr Expect kAllowedByDesign{0, ""};

// A valid request by `owner` against the resources the fixture made; the
// target and body name them by placeholders ({A}, {P1}, ...; see World).
// `resource` is the placeholder that names the resource refused to others:
// replaced by an id that does not exist, the refusal must be the same.
struct RouteCase {
  std::string_view method;
  std::string_view path_template;  // as in the router's table
  std::string_view target;
  std::string_view body;
  Actor owner;
  std::string_view resource;  // "" when the request names none
  Expect other_customer;      // signed by customer B
  Expect other_merchant;      // signed by merchant N
  std::string_view hidden;    // for kOwnOnly
  // The target the others are refused on, when not the owner's: the owner
  // pays an open order, which anyone may pay; a paid one is its payer's.
  std::string_view others_target;
};

constexpr std::string_view kPersonBody =
    R"({"name":"王五","phone":"13700000001","bank_account":"6222040000000000001"})";

// clang-format off
const RouteCase kRouteCases[] = {
    // The ledger's routes are the operator's.
    {"POST", "/v1/accounts", "/v1/accounts", R"([{"id":"{FRESH}","ledger":999,"code":1}])", Actor::kOperator, "", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/transfers", "/v1/transfers", R"([{"id":"{FRESH}","debit_account_id":"{H}","credit_account_id":"{H2}","amount":1,"ledger":999,"code":1}])", Actor::kOperator, "", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/accounts/{id}", "/v1/accounts/{WALLET_A}", "", Actor::kOperator, "{WALLET_A}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/transfers/{id}", "/v1/transfers/{T}", "", Actor::kOperator, "{T}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/accounts/{id}/transfers", "/v1/accounts/{WALLET_A}/transfers", "", Actor::kOperator, "{WALLET_A}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/accounts/{id}/balances", "/v1/accounts/{H}/balances", "", Actor::kOperator, "{H}", kForbidden, kForbidden, "", ""},
    // Parties.
    {"POST", "/v1/customers", "/v1/customers", kPersonBody, Actor::kOperator, "", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/customers/{id}", "/v1/customers/{A}", "", Actor::kCustomerA, "{A}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/customers/{id}/tier", "/v1/customers/{A}/tier", R"({"tier":3})", Actor::kOperator, "{A}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/customers/{id}/wallet", "/v1/customers/{A}/wallet", "", Actor::kCustomerA, "{A}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/customers/{id}/movements", "/v1/customers/{A}/movements", "", Actor::kCustomerA, "{A}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/merchants", "/v1/merchants", kPersonBody, Actor::kOperator, "", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/merchants/{id}", "/v1/merchants/{M}", "", Actor::kMerchantM, "{M}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/api-keys", "/v1/api-keys", R"({"role":"customer","party_id":"{A}"})", Actor::kOperator, "{A}", kForbidden, kForbidden, "", ""},
    // Money of A's wallet.
    {"POST", "/v1/top-ups", "/v1/top-ups", R"({"customer_id":"{A}","amount":100,"currency":"CNY"})", Actor::kCustomerA, "{A}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/withdrawals", "/v1/withdrawals", R"({"customer_id":"{A}","amount":100,"currency":"CNY"})", Actor::kCustomerA, "{A}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/wallet-transfers", "/v1/wallet-transfers", R"({"from_customer_id":"{A}","to_customer_id":"{B}","amount":100,"currency":"CNY"})", Actor::kCustomerA, "{A}", kForbidden, kForbidden, "", ""},
    // Payments. B sending M's order body pays M directly from B's own wallet:
    // a customer may pay any merchant (docs/payments.md, roles).
    {"POST", "/v1/payments", "/v1/payments", R"({"merchant_id":"{M}","amount":500,"currency":"CNY"})", Actor::kMerchantM, "{M}", kAllowedByDesign, kForbidden, "", ""},
    {"GET", "/v1/payments", "/v1/payments", "", Actor::kMerchantM, "", kOwnOnly, kOwnOnly, "{P1}", ""},
    {"GET", "/v1/payments/{id}", "/v1/payments/{P1}", "", Actor::kCustomerA, "{P1}", kForbidden, kForbidden, "", ""},
    // The owner pays an open order (anyone may); the others are refused A's paid one.
    {"POST", "/v1/payments/{id}/pay", "/v1/payments/{O_PAY}/pay", "{}", Actor::kCustomerA, "{P1}", kForbidden, kForbidden, "", "/v1/payments/{P1}/pay"},
    {"POST", "/v1/payments/{id}/cancel", "/v1/payments/{O_CANCEL}/cancel", "{}", Actor::kMerchantM, "{O_CANCEL}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/payments/{id}/refunds", "/v1/payments/{P2}/refunds", R"({"amount":300,"reason":"one item returned"})", Actor::kMerchantM, "{P2}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/payments/{id}/refunds", "/v1/payments/{P1}/refunds", "", Actor::kCustomerA, "{P1}", kForbidden, kForbidden, "", ""},
    // Settlement. Yesterday has nothing left to settle, so this run moves
    // nothing that later cases need.
    {"POST", "/v1/settlements", "/v1/settlements", R"({"date":"{YESTERDAY}"})", Actor::kOperator, "", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/settlements", "/v1/settlements", "", Actor::kMerchantM, "", kForbidden, kOwnOnly, "{S}", ""},
    {"GET", "/v1/settlements/{id}", "/v1/settlements/{S}", "", Actor::kMerchantM, "{S}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/settlements/{id}/file", "/v1/settlements/{S}/file", "", Actor::kMerchantM, "{S}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/settlements/{id}/paid", "/v1/settlements/{S}/paid", "{}", Actor::kOperator, "{S}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/platform/reconciliation", "/v1/platform/reconciliation", "", Actor::kOperator, "", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/events", "/v1/events", "", Actor::kCustomerA, "", kOwnOnly, kOwnOnly, "{P1}", ""},
    // Risk: only the payer confirms or declines a challenged payment (with
    // the code of its reminder); cases are the operator's.
    {"POST", "/v1/payments/{id}/confirm", "/v1/payments/{P_HELD}/confirm", R"({"code":"{CODE}"})", Actor::kCustomerA, "{P_HELD}", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/payments/{id}/decline", "/v1/payments/{P_HELD2}/decline", "{}", Actor::kCustomerA, "{P_HELD2}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/risk/cases", "/v1/risk/cases", "", Actor::kOperator, "", kForbidden, kForbidden, "", ""},
    {"POST", "/v1/risk/cases/{id}/label", "/v1/risk/cases/{P_HELD2}/label", R"({"label":"fraud"})", Actor::kOperator, "{P_HELD2}", kForbidden, kForbidden, "", ""},
    {"GET", "/v1/risk/labels.csv", "/v1/risk/labels.csv", "", Actor::kOperator, "", kForbidden, kForbidden, "", ""},
};
// clang-format on

// Routes anyone may call without a signature.
bool IsPublicRoute(const api::RouteInfo& route) {
  return route.path_template == "/healthz" || route.path_template == "/metrics";
}

const RouteCase* FindCase(const api::RouteInfo& route) {
  for (const RouteCase& c : kRouteCases) {
    if (c.method == route.method && c.path_template == route.path_template) return &c;
  }
  return nullptr;
}

// The matrix's risk rules: a payment of 1,000 CNY or more is challenged,
// so that the confirmation routes have held payments to act on.
constexpr std::string_view kMatrixRiskRules = R"(version = 1
[[rule]]
name = "matrix_hold"
condition = "kind_payment and amount >= 100_000"
action = "challenge"
reason = "a payment of 1,000 CNY or more"
)";
constexpr uint64_t kMatrixHeldAmount = 100'000;
// Rules that allow every payment.
constexpr std::string_view kAllowEverything = "version = 1\n";

// An id no resource has.
constexpr std::string_view kMissingId = "98765432109876543210987654321";

// What the fixture made: placeholder → value, and a key per actor.
struct World {
  std::map<std::string, std::string, std::less<>> values;
  std::map<Actor, Signer> signers;

  const api::RequestSigner& Key(Actor actor) const { return *signers.at(actor); }

  // text with every placeholder replaced; `missing` (a placeholder) by kMissingId.
  std::string Expand(std::string_view text, std::string_view missing = "") const {
    static std::atomic<uint64_t> fresh{9'000'000'000};
    std::string out(text);
    for (size_t at = out.find('{'); at != std::string::npos; at = out.find('{', at + 1)) {
      const size_t end = out.find('}', at);
      if (end == std::string::npos) break;
      const std::string_view name(out.data() + at, end - at + 1);
      std::string value;
      if (name == missing) {
        value = kMissingId;
      } else if (name == "{FRESH}") {
        value = std::to_string(fresh.fetch_add(1));
      } else if (auto it = values.find(name); it != values.end()) {
        value = it->second;
      } else {
        continue;  // JSON, not a placeholder
      }
      out.replace(at, name.size(), value);
    }
    return out;
  }
  // The owner's request.
  Request Build(const RouteCase& c) const {
    return {std::string(c.method), Expand(c.target), Expand(c.body)};
  }
  // The request others are refused; `missing` (a placeholder) names no resource.
  Request BuildForOthers(const RouteCase& c, std::string_view missing = "") const {
    const std::string_view target = c.others_target.empty() ? c.target : c.others_target;
    return {std::string(c.method), Expand(target, missing), Expand(c.body, missing)};
  }
};

// Parties A, B, M, N and their keys; money in A's and B's wallets; an order
// of M paid by A (P1) and refunded in part; a settlement of M (S); a second
// paid payment (P2) made after S, so that M can refund it; two open orders;
// two operator-made ledger accounts with history (H, H2); two payments of A
// to M held by the risk screen (P_HELD, whose reminder has CODE, and
// P_HELD2; see kMatrixRiskRules).
World MakeWorld(Platform& platform) {
  World w;
  auto& v = w.values;
  v["{A}"] = platform.CreateCustomer();
  v["{B}"] = platform.CreateCustomer();
  v["{M}"] = platform.CreateMerchant();
  v["{N}"] = platform.CreateMerchant();
  w.signers[Actor::kOperator] = platform.operator_signer();
  w.signers[Actor::kCustomerA] = platform.CreateKey("customer", v["{A}"]);
  w.signers[Actor::kCustomerB] = platform.CreateKey("customer", v["{B}"]);
  w.signers[Actor::kMerchantM] = platform.CreateKey("merchant", v["{M}"]);
  w.signers[Actor::kMerchantN] = platform.CreateKey("merchant", v["{N}"]);
  platform.TopUp(v["{A}"], 1'000'000);
  platform.TopUp(v["{B}"], 100'000);
  const auto& a = w.Key(Actor::kCustomerA);
  const auto& m = w.Key(Actor::kMerchantM);
  auto order = [&](uint64_t amount) {
    return Json(platform.MustAs(
                    m, {"POST", "/v1/payments",
                        R"({"amount":)" + std::to_string(amount) + R"(,"currency":"CNY"})"}))
        .Str("id");
  };
  v["{P1}"] = order(10'000);
  platform.MustAs(a, {"POST", "/v1/payments/" + v["{P1}"] + "/pay", "{}"});
  platform.MustAs(m, {"POST", "/v1/payments/" + v["{P1}"] + "/refunds", R"({"amount":1000})"});
  const Json run(platform.Must(
      {"POST", "/v1/settlements", R"({"date":")" + ChinaDate(0) + R"(","early":true})"}));
  EXPECT_EQ(run.Str("settlements.data.0.merchant_id"), v["{M}"]);
  EXPECT_EQ(run.Size("settlements.data"), 1u);
  v["{S}"] = run.Str("settlements.data.0.id");
  v["{TODAY}"] = run.Str("business_date");
  v["{P2}"] = order(20'000);
  platform.MustAs(a, {"POST", "/v1/payments/" + v["{P2}"] + "/pay", "{}"});
  v["{O_PAY}"] = order(700);
  v["{O_CANCEL}"] = order(800);
  v["{WALLET_A}"] =
      Json(platform.Must({"GET", "/v1/customers/" + v["{A}"], ""})).Str("wallet_account_id");
  v["{T}"] =
      Json(platform.Must({"GET", "/v1/accounts/" + v["{WALLET_A}"] + "/transfers?limit=1", ""}))
          .Str("data.0.id");
  v["{H}"] = "900001";
  v["{H2}"] = "900002";
  platform.Must({"POST", "/v1/accounts",
                 R"([{"id":"900001","ledger":999,"code":1,"flags":["history"]},)"
                 R"({"id":"900002","ledger":999,"code":1,"flags":["history"]}])"});
  v["{YESTERDAY}"] = ChinaDate(1);
  for (const char* held : {"{P_HELD}", "{P_HELD2}"}) {
    const Json paid(platform.MustAs(a, DirectPayment(v["{M}"], kMatrixHeldAmount)));
    EXPECT_EQ(paid.Str("status"), "requires_confirmation") << "the risk rules were not applied";
    v[held] = paid.Str("id");
  }
  v["{CODE}"] = platform.ReminderCode(v["{P_HELD}"]);
  for (const auto& [name, value] : v) EXPECT_FALSE(value.empty()) << name << " was not made";
  return w;
}

// Everything money: both wallets, both merchants, and the reconciliation
// (every total, fee income and settlement payables included).
std::string MoneySnapshot(Platform& platform, const World& w) {
  std::string snapshot;
  for (std::string_view target :
       {"/v1/customers/{A}/wallet", "/v1/customers/{B}/wallet", "/v1/merchants/{M}",
        "/v1/merchants/{N}", "/v1/platform/reconciliation"}) {
    snapshot += platform.Must({"GET", w.Expand(target), ""}) + "\n";
  }
  return snapshot;
}

// Checks one route: others refused alike for existing and missing ids,
// unsigned and forged requests refused, nothing moved by any of them; then
// the owner's request accepted and its replay refused without effect.
void CheckRoute(Platform& platform, const World& w, const RouteCase& c) {
  SCOPED_TRACE(std::string(c.method) + " " + std::string(c.path_template));
  Connection connection(platform.port());
  const Request request = w.Build(c);
  const Request others = w.BuildForOthers(c);
  const std::string before = MoneySnapshot(platform, w);
  for (const auto& [other, expect] : {std::pair{Actor::kCustomerB, c.other_customer},
                                      std::pair{Actor::kMerchantN, c.other_merchant}}) {
    if (expect.status == 0) continue;
    SCOPED_TRACE(other == Actor::kCustomerB ? "signed by another customer"
                                            : "signed by another merchant");
    const api::ClientResponse refused = connection.Send(others, &w.Key(other));
    EXPECT_EQ(refused.status, expect.status) << refused.body;
    EXPECT_EQ(ErrorCodeOf(refused), expect.code) << refused.body;
    if (expect.status == 200) {
      EXPECT_EQ(refused.body.find(w.Expand(c.hidden)), std::string::npos)
          << "another party's item is shown: " << refused.body;
    }
    if (c.resource.empty()) continue;
    const api::ClientResponse missing =
        connection.Send(w.BuildForOthers(c, c.resource), &w.Key(other));
    EXPECT_EQ(missing.status, refused.status)
        << "the refusal tells a missing id from another's: " << missing.body;
    EXPECT_EQ(ErrorCodeOf(missing), ErrorCodeOf(refused)) << missing.body;
  }
  const api::ClientResponse unsigned_response = connection.Send(request, nullptr);
  EXPECT_EQ(unsigned_response.status, 401u) << unsigned_response.body;
  EXPECT_EQ(ErrorCodeOf(unsigned_response), "unauthenticated");
  Headers forged = SignatureOf(w.Key(c.owner), request);
  for (auto& [name, value] : forged) {
    if (name == api::kSignatureHeader) value.back() = value.back() == '0' ? '1' : '0';
  }
  if (request.method == "POST") forged.emplace_back("Idempotency-Key", NewIdempotencyKey());
  const api::ClientResponse forged_response = connection.SendWith(request, forged);
  EXPECT_EQ(forged_response.status, 401u) << forged_response.body;
  EXPECT_EQ(ErrorCodeOf(forged_response), "unauthenticated");
  EXPECT_EQ(MoneySnapshot(platform, w), before) << "a refused request moved money";

  Headers sent;
  const api::ClientResponse accepted =
      connection.Send(request, &w.Key(c.owner), NewIdempotencyKey(), &sent);
  EXPECT_TRUE(Is2xx(accepted.status))
      << "the owner's request: " << accepted.status << " " << accepted.body;
  const std::string after = MoneySnapshot(platform, w);
  const api::ClientResponse replayed = connection.SendWith(request, sent);
  EXPECT_EQ(replayed.status, 401u) << "a replay was served: " << replayed.body;
  EXPECT_EQ(ErrorCodeOf(replayed), "unauthenticated");
  EXPECT_EQ(MoneySnapshot(platform, w), after) << "a replay moved money";
}

// The sweeper writes S's file beside the database, shortly after the run,
// with the text the API serves.
void ExpectSettlementFileWritten(Platform& platform, const World& w) {
  const std::string path = platform.File(w.Expand("settlements/{TODAY}/{M}.csv"));
  const std::string served = platform.Must({"GET", w.Expand("/v1/settlements/{S}/file"), ""});
  std::string written;
  for (int waited_ms = 0; waited_ms < 10'000 && written != served; waited_ms += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream file(path, std::ios::binary);
    written.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  EXPECT_EQ(written, served) << path;
  EXPECT_NE(served.find(w.Expand("payment,{P1},{P1},")), std::string::npos) << served;
}

TEST(PaymentsHttpAuth, EveryRouteRefusesOtherPartiesUnsignedForgedAndReplayedRequests) {
  Platform platform({.risk_rules = kMatrixRiskRules});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const World w = MakeWorld(platform);
  ASSERT_FALSE(::testing::Test::HasFailure()) << "the fixture failed";
  ExpectSettlementFileWritten(platform, w);

  const std::vector<api::RouteInfo> routes = api::Router::Routes();
  for (const RouteCase& c : kRouteCases) {
    const api::RouteInfo info{std::string(c.method), std::string(c.path_template)};
    EXPECT_NE(std::find(routes.begin(), routes.end(), info), routes.end())
        << "a case for a route the server does not have: " << c.method << " " << c.path_template;
  }
  Connection anonymous(platform.port());
  for (const api::RouteInfo& route : routes) {
    if (IsPublicRoute(route)) {
      EXPECT_EQ(anonymous.Send({route.method, route.path_template, ""}, nullptr).status, 200u)
          << route.path_template;
      continue;
    }
    // The credit routes have their own table (credit_http_test), on a
    // platform whose loans do not upset this test's reconciliation.
    if (route.path_template.rfind("/v1/credit/", 0) == 0) continue;
    const RouteCase* c = FindCase(route);
    if (c == nullptr) {
      ADD_FAILURE() << "no authorization case for " << route.method << " " << route.path_template
                    << ": add one to kRouteCases";
      continue;
    }
    CheckRoute(platform, w, *c);
  }
  ExpectReconciled(platform);
  EXPECT_EQ(platform.Stop(), 0);
  EXPECT_EQ(platform.Verify(), 0);
}

// ---------------------------------------------------------------------------
// 2. Retry safety after SIGKILL.

// Sends r with idempotency_key until an answer is 2xx, reconnecting after
// transport failures; a refusal other than "unavailable" or "signed before
// the start" fails the test.
api::ClientResponse RetryUntil2xx(uint16_t port, const api::RequestSigner& signer, const Request& r,
                                  const std::string& idempotency_key) {
  constexpr int kAttemptsMax = 50;
  api::ClientResponse last;
  for (int attempt = 0; attempt < kAttemptsMax; ++attempt) {
    Connection connection(port);
    last = connection.Send(r, &signer, idempotency_key);
    if (Is2xx(last.status)) return last;
    const bool retryable =
        last.status == 0 || last.status == 503 ||
        (last.status == 401 && last.body.find("before_start") != std::string::npos);
    if (!retryable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << r.method << " " << r.target << " never succeeded: " << last.status << " "
                << last.body;
  return last;
}

class PaymentsHttpRetry : public ::testing::TestWithParam<std::string> {};

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

TEST_P(PaymentsHttpRetry, SigkillAroundAPaymentThenRetryingItsKeyChargesOnce) {
  constexpr int kIterations = 10;
  constexpr int kWarmUps = 8;
  constexpr uint64_t kTopUp = 1'000'000;
  Platform platform({.store = GetParam()});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const std::string a = platform.CreateCustomer(), m = platform.CreateMerchant();
  const Signer a_key = platform.CreateKey("customer", a), m_key = platform.CreateKey("merchant", m);
  platform.TopUp(a, kTopUp);

  uint64_t charged = 0, fees = 0;
  std::set<std::string> payment_ids;
  auto count = [&](const api::ClientResponse& paid, uint64_t amount) {
    const Json payment(paid.body);
    EXPECT_EQ(payment.Str("status"), "succeeded") << paid.body;
    EXPECT_EQ(payment.U64("amount"), amount) << paid.body;
    EXPECT_TRUE(payment_ids.insert(payment.Str("id")).second) << "two keys made one payment";
    charged += amount;
    fees += FeeOf(amount);
  };
  // One payment's time on a warm connection (the least of a few: the first
  // ones after a start share the disk with the journal's first zeros): the
  // kills fall within twice that after the request leaves.
  int64_t latency_us = INT64_MAX;
  {
    Connection warm(platform.port());
    for (int i = 0; i < kWarmUps; ++i) {
      const auto sent = std::chrono::steady_clock::now();
      const api::ClientResponse paid = warm.Send(DirectPayment(m, 100), a_key.get());
      latency_us =
          std::min<int64_t>(latency_us, std::chrono::duration_cast<std::chrono::microseconds>(
                                            std::chrono::steady_clock::now() - sent)
                                            .count());
      ASSERT_EQ(paid.status, 201u) << paid.body;
      count(paid, 100);
    }
  }

  // How each kill fell: after the answer; in flight, after the commit (the
  // retry must replay it); in flight, and nothing shows it committed before.
  int answered = 0, in_flight_committed = 0, in_flight_other = 0;
  std::mt19937 random(20260314);
  for (int i = 0; i < kIterations; ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i));
    const uint64_t amount = 1000 + 37 * static_cast<uint64_t>(i);
    Request request = DirectPayment(m, amount);
    if (i % 2 == 1) {  // pay an order rather than the merchant directly
      const std::string order =
          Json(platform.MustAs(
                   *m_key, {"POST", "/v1/payments",
                            R"({"amount":)" + std::to_string(amount) + R"(,"currency":"CNY"})"}))
              .Str("id");
      request = {"POST", "/v1/payments/" + order + "/pay", "{}"};
    }
    const std::string key = "retry-" + std::to_string(i);
    const auto delay =
        std::chrono::microseconds(random() % static_cast<uint64_t>(2 * latency_us + 1));
    Connection connection(platform.port());
    std::atomic<uint64_t> killed_at_ns{0};
    std::thread killer([&platform, &killed_at_ns, delay] {
      std::this_thread::sleep_for(delay);
      killed_at_ns = NowNs();
      platform.Kill();
    });
    const api::ClientResponse first = connection.Send(request, a_key.get(), key);
    killer.join();
    platform.Start();
    ASSERT_TRUE(platform.up()) << "netfin serve did not restart";
    const api::ClientResponse retried = RetryUntil2xx(platform.port(), *a_key, request, key);
    if (Is2xx(first.status)) {
      ++answered;
      // The kill came too late: aim the next ones earlier, so that the
      // mid-payment case is reached however fast this machine commits.
      latency_us = std::max<int64_t>(1, latency_us * 3 / 4);
      EXPECT_EQ(retried.status, first.status);
      EXPECT_EQ(retried.body, first.body) << "the retry was not answered with the first response";
    } else {
      ++(Json(retried.body).U64("paid_at") < killed_at_ns ? in_flight_committed : in_flight_other);
    }
    count(retried, amount);
    // Once more, now that the server is up: the same answer again.
    EXPECT_EQ(RetryUntil2xx(platform.port(), *a_key, request, key).body, retried.body);
    if (HasFailure()) break;
  }
  RecordProperty("answered_before_kill", answered);
  RecordProperty("killed_in_flight_committed", in_flight_committed);
  RecordProperty("killed_in_flight_other", in_flight_other);
  // The point of the test: some kills must fall while a payment is in
  // flight (each does with about even odds), or only replays were checked.
  EXPECT_GT(in_flight_committed + in_flight_other, 0)
      << "every kill fell after its answer: the mid-payment case went untested";

  EXPECT_EQ(platform.WalletBalance(a), kTopUp - charged)
      << "a payment was charged twice or not at all";
  EXPECT_EQ(platform.MerchantBalance(m), charged - fees);
  const Json listed(platform.MustAs(*a_key, {"GET", "/v1/payments?limit=1000", ""}));
  EXPECT_EQ(listed.Size("data"), payment_ids.size());
  const Json r = platform.Reconciliation();
  EXPECT_EQ(r.Str("ledgers.0.difference"), "0");
  EXPECT_EQ(r.U64("ledgers.0.fee_income"), fees);
  EXPECT_EQ(r.U64("ledgers.0.reserve"), kTopUp);
  EXPECT_EQ(platform.Stop(), 0);
  EXPECT_EQ(platform.Verify(), 0) << "netfin verify failed";
}

INSTANTIATE_TEST_SUITE_P(Stores, PaymentsHttpRetry, ::testing::Values("sqlite", "journal"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// After a restart the server has forgotten the nonces it accepted, so it
// must refuse every request signed before it started (api/auth.h: "refusing
// every request signed before the start makes replaying those impossible").
// A refusal is not remembered by the Idempotency-Key either, so a replayed
// payment that was refused for want of money would be charged now.
// Timestamps are whole seconds, so the case to catch is a restart within the
// second the request was signed in (cli/node.cc counts requests from the
// next second on and opens the server only then).
TEST(PaymentsHttpRestart, ARequestSignedBeforeARestartCannotBeReplayedAfterIt) {
  Platform platform;
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const std::string m = platform.CreateMerchant();
  const std::string a = platform.CreateCustomer();
  const Signer a_key = platform.CreateKey("customer", a);
  // Sign early in a second, so that the restart falls within it unless the
  // server waits for the next one.
  std::this_thread::sleep_until(
      std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now()) +
      std::chrono::milliseconds(20));
  Headers sent;
  Connection before(platform.port());
  const api::ClientResponse refused =
      before.Send(DirectPayment(m, 5000), a_key.get(), "pay-once", &sent);
  ASSERT_EQ(ErrorCodeOf(refused), "insufficient_balance") << refused.body;
  const std::string signed_s = HeaderOf(sent, api::kTimestampHeader);
  platform.Kill();
  platform.Start();
  ASSERT_TRUE(platform.up());
  // The server opened only after the second the request was signed in.
  EXPECT_GT(std::time(nullptr), std::stoll(signed_s));
  platform.TopUp(a, 5000);
  Connection after(platform.port());
  const api::ClientResponse replayed = after.SendWith(DirectPayment(m, 5000), sent);
  EXPECT_EQ(replayed.status, 401u) << "a request signed before the restart was served: " << replayed.body;
  EXPECT_EQ(ErrorCodeOf(replayed), "unauthenticated");
  EXPECT_EQ(platform.WalletBalance(a), 5000u) << "a replay moved the customer's money";
}

// ---------------------------------------------------------------------------
// 3. Concurrency: payments and refunds of one merchant at once.

struct PaidPayment {
  std::string id;
  size_t payer = 0;
  uint64_t amount = 0;
  uint64_t fee = 0;
};

struct MadeRefund {
  std::string payment_id;
  uint64_t amount = 0;
  uint64_t fee_returned = 0;
};

// What the threads saw, under one mutex.
struct Ledgerbook {
  std::mutex mutex;
  std::vector<PaidPayment> payments;
  std::vector<MadeRefund> refunds;
};

// Pays the merchant directly, payments_max times: 201, or 422
// insufficient_balance when refunds have not yet refilled the wallet.
void Payer(uint16_t port, Signer key, size_t payer, std::string merchant_id, uint32_t seed,
           int payments_max, Ledgerbook* book) {
  std::mt19937 random(seed);
  Connection connection(port);
  for (int i = 0; i < payments_max; ++i) {
    // Every fourth amount is 250 + 500k fen: the fee is then exactly half a
    // fen, rounded to even.
    const uint64_t amount = i % 4 == 0 ? 250 + 500 * (random() % 8) : 1 + random() % 5000;
    const api::ClientResponse r = connection.Send(DirectPayment(merchant_id, amount), key.get());
    if (r.status == 422 && ErrorCodeOf(r) == "insufficient_balance") continue;
    ASSERT_EQ(r.status, 201u) << r.body;
    const Json paid(r.body);
    EXPECT_EQ(paid.U64("amount"), amount);
    EXPECT_EQ(paid.U64("fee"), FeeOf(amount)) << "amount " << amount;
    std::lock_guard lock(book->mutex);
    book->payments.push_back({paid.Str("id"), payer, amount, paid.U64("fee")});
  }
}

// Refunds random paid payments, in part or in whole (no amount), until
// attempts_max attempts are made; two refunders may hit one payment at once.
void Refunder(uint16_t port, Signer key, uint32_t seed, int attempts_max,
              const std::atomic<bool>* payers_done, Ledgerbook* book) {
  std::mt19937 random(seed);
  Connection connection(port);
  for (int attempt = 0; attempt < attempts_max;) {
    PaidPayment p;
    {
      std::lock_guard lock(book->mutex);
      if (!book->payments.empty()) p = book->payments[random() % book->payments.size()];
    }
    if (p.id.empty()) {
      if (payers_done->load()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    ++attempt;
    const bool whole = random() % 3 == 0;
    const uint64_t asked = 1 + random() % p.amount;
    const std::string body = whole ? "{}" : R"({"amount":)" + std::to_string(asked) + "}";
    const api::ClientResponse r =
        connection.Send({"POST", "/v1/payments/" + p.id + "/refunds", body}, key.get());
    if (r.status == 422 && ErrorCodeOf(r) == "refund_exceeds_payment") continue;
    ASSERT_EQ(r.status, 201u) << r.body;
    const Json refund(r.body);
    if (!whole) {
      EXPECT_EQ(refund.U64("amount"), asked);
    }
    EXPECT_EQ(refund.Str("payment_id"), p.id);
    std::lock_guard lock(book->mutex);
    book->refunds.push_back({p.id, refund.U64("amount"), refund.U64("fee_returned")});
  }
}

class PaymentsHttpConcurrency : public ::testing::TestWithParam<std::string> {};

TEST_P(PaymentsHttpConcurrency, PayersAndRefundersAtOnceKeepEveryBalanceExact) {
  constexpr size_t kPayers = 8;
  constexpr int kPaymentsPerPayer = 12;
  constexpr int kRefundsPerRefunder = 20;
  // Less than the payments would spend: some are refused until refunds
  // bring money back.
  constexpr uint64_t kTopUp = 20'000;
  // Screened by a rules file without rules: the default rules would deny
  // the small payments in quick succession as card testing.
  Platform platform({.store = GetParam(), .risk_rules = kAllowEverything});
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const std::string m = platform.CreateMerchant();
  const Signer m_key = platform.CreateKey("merchant", m);
  std::vector<std::string> customers;
  std::vector<Signer> keys;
  for (size_t i = 0; i < kPayers; ++i) {
    customers.push_back(platform.CreateCustomer());
    keys.push_back(platform.CreateKey("customer", customers.back()));
    platform.TopUp(customers.back(), kTopUp);
  }
  ASSERT_FALSE(HasFailure());

  Ledgerbook book;
  std::atomic<bool> payers_done{false};
  std::vector<std::thread> payers, refunders;
  for (size_t i = 0; i < kPayers; ++i) {
    payers.emplace_back(Payer, platform.port(), keys[i], i, m, static_cast<uint32_t>(100 + i),
                        kPaymentsPerPayer, &book);
  }
  for (uint32_t i = 0; i < 2; ++i) {
    refunders.emplace_back(Refunder, platform.port(), m_key, 900 + i, kRefundsPerRefunder,
                           &payers_done, &book);
  }
  for (auto& t : payers) t.join();
  payers_done = true;
  for (auto& t : refunders) t.join();
  ASSERT_FALSE(HasFailure());
  ASSERT_FALSE(book.payments.empty());
  RecordProperty("payments", static_cast<int>(book.payments.size()));
  RecordProperty("refunds", static_cast<int>(book.refunds.size()));

  // Per payment: what the threads were told, against what the server holds.
  std::map<std::string, uint64_t> refunded, fee_refunded;
  for (const MadeRefund& r : book.refunds) {
    refunded[r.payment_id] += r.amount;
    fee_refunded[r.payment_id] += r.fee_returned;
  }
  std::vector<int64_t> wallets(kPayers, static_cast<int64_t>(kTopUp));
  std::vector<uint64_t> spent(kPayers, 0);
  int64_t merchant = 0;
  uint64_t fee_income = 0;
  for (const PaidPayment& p : book.payments) {
    SCOPED_TRACE("payment " + p.id);
    const Json held(platform.MustAs(*m_key, {"GET", "/v1/payments/" + p.id, ""}));
    EXPECT_EQ(held.Str("status"), "succeeded");
    EXPECT_EQ(held.U64("refunded"), refunded[p.id]);
    EXPECT_LE(refunded[p.id], p.amount) << "refunds exceed the payment";
    EXPECT_EQ(fee_refunded[p.id], DivideRoundHalfEven(p.fee * refunded[p.id], p.amount));
    EXPECT_EQ(held.U64("fee_refunded"), fee_refunded[p.id]);
    const Json listed(platform.MustAs(*m_key, {"GET", "/v1/payments/" + p.id + "/refunds", ""}));
    EXPECT_EQ(listed.Size("data"), static_cast<size_t>(std::count_if(
                                       book.refunds.begin(), book.refunds.end(),
                                       [&](const MadeRefund& r) { return r.payment_id == p.id; })));
    wallets[p.payer] += static_cast<int64_t>(refunded[p.id]) - static_cast<int64_t>(p.amount);
    spent[p.payer] += p.amount;
    merchant += static_cast<int64_t>(p.amount - p.fee) -
                static_cast<int64_t>(refunded[p.id] - fee_refunded[p.id]);
    fee_income += p.fee - fee_refunded[p.id];
  }
  uint64_t wallet_total = 0;
  for (size_t i = 0; i < kPayers; ++i) {
    const Json wallet(platform.Must({"GET", "/v1/customers/" + customers[i] + "/wallet", ""}));
    ASSERT_GE(wallets[i], 0);
    EXPECT_EQ(wallet.U64("balance"), static_cast<uint64_t>(wallets[i])) << "customer " << i;
    EXPECT_EQ(wallet.U64("allowance_used"), spent[i]) << "refunds do not restore the allowance";
    wallet_total += wallet.U64("balance");
  }
  EXPECT_EQ(platform.MerchantBalance(m), static_cast<uint64_t>(merchant));
  const Json all(platform.MustAs(*m_key, {"GET", "/v1/payments?limit=8190", ""}));
  EXPECT_EQ(all.Size("data"), book.payments.size()) << "a refused payment left an order behind";
  const Json r = platform.Reconciliation();
  EXPECT_EQ(r.Str("ledgers.0.difference"), "0");
  EXPECT_EQ(r.U64("ledgers.0.negative_accounts"), 0u);
  EXPECT_EQ(r.U64("ledgers.0.wallets"), wallet_total);
  EXPECT_EQ(r.U64("ledgers.0.merchants"), static_cast<uint64_t>(merchant));
  EXPECT_EQ(r.U64("ledgers.0.fee_income"), fee_income);
  EXPECT_EQ(r.U64("ledgers.0.reserve"), kTopUp * kPayers);
  EXPECT_EQ(platform.Stop(), 0);
  EXPECT_EQ(platform.Verify(), 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, PaymentsHttpConcurrency, ::testing::Values("sqlite", "journal"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---------------------------------------------------------------------------
// 4. Idempotency over HTTP.

class PaymentsHttpIdempotency : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(platform_.up()) << "netfin serve did not start";
    a_ = platform_.CreateCustomer();
    b_ = platform_.CreateCustomer();
    m_ = platform_.CreateMerchant();
    a_key_ = platform_.CreateKey("customer", a_);
    b_key_ = platform_.CreateKey("customer", b_);
    m_key_ = platform_.CreateKey("merchant", m_);
    platform_.TopUp(a_, kTopUp);
    platform_.TopUp(b_, kTopUp);
  }
  Request Pay(uint64_t amount) const { return DirectPayment(m_, amount); }
  api::ClientResponse Send(const Signer& key, const Request& r,
                           const std::string& idempotency_key) {
    return platform_.Send(key, r, idempotency_key);
  }

  static constexpr uint64_t kTopUp = 100'000;
  Platform platform_;
  std::string a_, b_, m_;
  Signer a_key_, b_key_, m_key_;
};

TEST_F(PaymentsHttpIdempotency, SameKeyAndBodyReplaysTheFirstResponseAndChargesOnce) {
  const api::ClientResponse first = Send(a_key_, Pay(1234), "pay-1");
  ASSERT_EQ(first.status, 201u) << first.body;
  for (int i = 0; i < 3; ++i) {
    const api::ClientResponse again = Send(a_key_, Pay(1234), "pay-1");
    EXPECT_EQ(again.status, first.status);
    EXPECT_EQ(again.body, first.body);
  }
  EXPECT_EQ(platform_.WalletBalance(a_), kTopUp - 1234);
  EXPECT_EQ(platform_.MerchantBalance(m_), 1234 - FeeOf(1234));

  // Paying an order: the same, and nobody pays it a second time.
  const std::string order = Json(platform_.MustAs(*m_key_, {"POST", "/v1/payments",
                                                            R"({"amount":800,"currency":"CNY"})"}))
                                .Str("id");
  const Request pay{"POST", "/v1/payments/" + order + "/pay", "{}"};
  const api::ClientResponse paid = Send(a_key_, pay, "order-1");
  ASSERT_EQ(paid.status, 200u) << paid.body;
  EXPECT_EQ(Send(a_key_, pay, "order-1").body, paid.body);
  const api::ClientResponse other = Send(b_key_, pay, "order-1");
  EXPECT_EQ(other.status, 403u) << "keys are scoped per API key; B's is new, the order A's";
  EXPECT_EQ(ErrorCodeOf(other), "forbidden");
  EXPECT_EQ(platform_.WalletBalance(a_), kTopUp - 1234 - 800);
  EXPECT_EQ(platform_.WalletBalance(b_), kTopUp);
  ExpectReconciled(platform_);
}

TEST_F(PaymentsHttpIdempotency, SameKeyWithAnotherRequestIsAConflictAndMovesNothing) {
  ASSERT_EQ(Send(a_key_, Pay(500), "k").status, 201u);
  const uint64_t balance = platform_.WalletBalance(a_);
  const Request top_up{"POST", "/v1/top-ups",
                       R"({"customer_id":")" + a_ + R"(","amount":500,"currency":"CNY"})"};
  for (const Request& r :
       {Pay(501), Request{"POST", "/v1/payments", Pay(500).body + " "}, top_up}) {
    SCOPED_TRACE(r.target + " " + r.body);
    const api::ClientResponse conflict = Send(a_key_, r, "k");
    EXPECT_EQ(conflict.status, 409u) << conflict.body;
    EXPECT_EQ(ErrorCodeOf(conflict), "idempotency_key_reused");
  }
  EXPECT_EQ(platform_.WalletBalance(a_), balance);
  // Another key's "k" is its own.
  EXPECT_EQ(Send(b_key_, Pay(501), "k").status, 201u);
  // No key at all.
  Connection connection(platform_.port());
  Headers headers = SignatureOf(*a_key_, Pay(7));
  const api::ClientResponse keyless = connection.SendWith(Pay(7), headers);
  EXPECT_EQ(keyless.status, 400u);
  EXPECT_EQ(ErrorCodeOf(keyless), "idempotency_key_invalid");
  ExpectReconciled(platform_);
}

TEST_F(PaymentsHttpIdempotency, AFailureIsNotRememberedSoTheRetryRunsAgain) {
  const api::ClientResponse short_of_money = Send(a_key_, Pay(kTopUp + 1), "big");
  EXPECT_EQ(short_of_money.status, 422u);
  EXPECT_EQ(ErrorCodeOf(short_of_money), "insufficient_balance");
  platform_.TopUp(a_, 1);
  const api::ClientResponse paid = Send(a_key_, Pay(kTopUp + 1), "big");
  EXPECT_EQ(paid.status, 201u) << paid.body;
  EXPECT_EQ(platform_.WalletBalance(a_), 0u);
}

TEST_F(PaymentsHttpIdempotency, ConcurrentSendsOfOneKeyChargeOnce) {
  constexpr int kSenders = 4;
  std::vector<api::ClientResponse> answers(kSenders);
  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i) {
    senders.emplace_back([this, i, &answers] { answers[i] = Send(a_key_, Pay(2000), "together"); });
  }
  for (auto& t : senders) t.join();
  for (const api::ClientResponse& answer : answers) {
    EXPECT_EQ(answer.status, 201u) << answer.body;
    EXPECT_EQ(answer.body, answers[0].body);
  }
  EXPECT_EQ(platform_.WalletBalance(a_), kTopUp - 2000);
  ExpectReconciled(platform_);
}

}  // namespace
}  // namespace netfin
