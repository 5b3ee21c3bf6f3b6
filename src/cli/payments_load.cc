// netfin simulate payments and netfin bench payments: a small economy of
// customers and merchants driven through the signed HTTP API.

#include <atomic>
#include <ctime>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "cli/async_load.h"
#include "cli/bench_stats.h"
#include "cli/commands.h"
#include "cli/node.h"
#include "cli/payments_client.h"
#include "core/clock.h"
#include "core/civil_date.h"
#include "core/crypto.h"

namespace netfin::cli {
namespace {

struct Party {
  std::string id;
  std::string key_id;
  std::string secret;
};

struct Economy {
  std::vector<Party> customers;
  std::vector<Party> merchants;
};

bool Check(const core::Result<ApiAnswer>& r, unsigned want, const char* what) {
  if (!r.ok()) {
    fmt::print(stderr, "{}: {}\n", what, r.status().ToString());
    return false;
  }
  if (r.value().status != want) {
    fmt::print(stderr, "{}: HTTP {} {}\n", what, r.value().status, r.value().body);
    return false;
  }
  return true;
}

// Opens customers (tier III, so the demonstration is not held up by the
// allowance) and merchants, each with an API key.
bool OpenEconomy(PaymentsClient& op, size_t customers, size_t merchants, Economy* economy) {
  for (size_t i = 0; i < customers + merchants; ++i) {
    const bool customer = i < customers;
    const std::string body = fmt::format(
        R"({{"name":"{} {}","phone":"138{:08}","id_number":"11010119900307{:04}","bank_account":"62220212345{:05}"{}}})",
        customer ? "Customer" : "Merchant", i, 10'000'000 + i, i % 10000, i % 100000,
        customer ? R"(,"tier":3)" : R"(,"fee_bps":60)");
    auto made = op.Post(customer ? "/v1/customers" : "/v1/merchants", body);
    if (!Check(made, 201, customer ? "create customer" : "create merchant")) return false;
    Party p;
    p.id = made.value().Str("id");
    auto key = op.Post("/v1/api-keys", fmt::format(R"({{"role":"{}","party_id":"{}"}})",
                                                    customer ? "customer" : "merchant", p.id));
    if (!Check(key, 201, "create api key")) return false;
    p.key_id = key.value().Str("key_id");
    p.secret = key.value().Str("secret");
    (customer ? economy->customers : economy->merchants).push_back(std::move(p));
  }
  return true;
}

bool TopUpAll(const Target& target, const Economy& economy, uint64_t amount) {
  for (const Party& c : economy.customers) {
    PaymentsClient client(c.key_id, c.secret);
    if (!client.Connect(target.host, target.port).ok()) return false;
    auto r = client.Post("/v1/top-ups", fmt::format(R"({{"customer_id":"{}","amount":{},"currency":"CNY"}})", c.id, amount));
    if (!Check(r, 201, "top-up")) return false;
  }
  return true;
}

}  // namespace

int RunSimulatePayments(const SimulatePaymentsOptions& options) {
  auto target = ParseTarget(options.target);
  if (!target) {
    fmt::print(stderr, "simulate payments: --target wants http://HOST:PORT\n");
    return 2;
  }
  PaymentsClient op(std::string(api::kOperatorKeyId), options.operator_secret);
  if (!op.Connect(target->host, target->port).ok()) return 1;
  Economy economy;
  if (!OpenEconomy(op, options.customers, options.merchants, &economy)) return 1;
  if (!TopUpAll(*target, economy, 500'000)) return 1;  // 5,000.00 CNY each

  std::vector<std::unique_ptr<PaymentsClient>> customers, merchants;
  for (const Party& p : economy.customers) {
    customers.push_back(std::make_unique<PaymentsClient>(p.key_id, p.secret));
    if (!customers.back()->Connect(target->host, target->port).ok()) return 1;
  }
  for (const Party& p : economy.merchants) {
    merchants.push_back(std::make_unique<PaymentsClient>(p.key_id, p.secret));
    if (!merchants.back()->Connect(target->host, target->port).ok()) return 1;
  }
  uint64_t paid = 0, paid_amount = 0, refunds = 0, refunded = 0, refused = 0, transfers = 0;
  std::vector<std::string> payment_ids;
  for (size_t i = 0; i < options.payments; ++i) {
    const size_t c = i % customers.size(), m = (i * 7) % merchants.size();
    const uint64_t amount = 100 + (i * 7919) % 20'000;  // 1.00 .. 200.99 CNY
    core::Result<ApiAnswer> r = core::Internal("unset");
    if (i % 2 == 0) {
      // The merchant shows a code; the customer scans it and pays.
      auto order = merchants[m]->Post("/v1/payments", fmt::format(R"({{"amount":{},"currency":"CNY","description":"order {}"}})", amount, i));
      if (!Check(order, 201, "create order")) return 1;
      r = customers[c]->Post("/v1/payments/" + order.value().Str("id") + "/pay", "{}");
    } else {
      r = customers[c]->Post("/v1/payments", fmt::format(R"({{"merchant_id":"{}","amount":{},"currency":"CNY"}})", economy.merchants[m].id, amount));
    }
    if (!r.ok()) return 1;
    if (r.value().status == 200 || r.value().status == 201) {
      ++paid;
      paid_amount += amount;
      payment_ids.push_back(r.value().Str("id"));
    } else {
      ++refused;
    }
    if (i % 10 == 9) {
      const size_t to = (c + 1) % customers.size();
      auto t = customers[c]->Post("/v1/wallet-transfers", fmt::format(R"({{"from_customer_id":"{}","to_customer_id":"{}","amount":500,"currency":"CNY"}})", economy.customers[c].id, economy.customers[to].id));
      if (t.ok() && t.value().status == 201) ++transfers;
    }
  }
  // Refund every fifth payment, half of them in part.
  for (size_t i = 0; i < payment_ids.size(); i += 5) {
    auto p = op.Get("/v1/payments/" + payment_ids[i]);
    if (!Check(p, 200, "get payment")) return 1;
    const uint64_t amount = p.value().U64("amount");
    const uint64_t part = i % 10 == 0 ? amount : amount / 2;
    auto r = op.Post("/v1/payments/" + payment_ids[i] + "/refunds", fmt::format(R"({{"amount":{},"reason":"returned goods"}})", part));
    if (!Check(r, 201, "refund")) return 1;
    ++refunds;
    refunded += part;
  }
  // An early close of today's business day, so that the demonstration shows
  // a settlement (a real platform settles yesterday, T+1).
  const std::string today = core::ChinaDate(core::SystemClock().NowNs()).ToString();
  auto settled = op.Post("/v1/settlements", fmt::format(R"({{"date":"{}","early":true}})", today));
  if (!Check(settled, 201, "settlement")) return 1;
  size_t settlements = 0;
  uint64_t settled_amount = 0;
  for (const auto& s : settled.value().json["settlements"]["data"].GetArray()) {
    ++settlements;
    settled_amount += s["amount"].GetUint64();
  }
  auto recon = op.Get("/v1/platform/reconciliation");
  if (!Check(recon, 200, "reconciliation")) return 1;
  const bool balanced = recon.value().json["balanced"].GetBool();
  fmt::print("payments demo: {} customers, {} merchants; {} payments ({:.2f} CNY), {} refused; "
             "{} wallet transfers; {} refunds ({:.2f} CNY); {} settlements ({:.2f} CNY to "
             "merchants' banks); reserve {}\n",
             economy.customers.size(), economy.merchants.size(), paid, paid_amount / 100.0, refused,
             transfers, refunds, refunded / 100.0, settlements, settled_amount / 100.0,
             balanced ? "reconciled to the fen" : "NOT RECONCILED");
  return balanced ? 0 : 1;
}

int RunBenchPayments(const BenchPaymentsOptions& options) {
  ScratchDir dir;
  NodeOptions node_options;
  node_options.store = options.store;
  node_options.db_path = dir.path() + "/bench.db";
  node_options.server = api::ServerOptions{"127.0.0.1", 0, options.server_threads};
  node_options.webhooks = false;
  auto node = StartNode(node_options);
  if (!node.ok()) {
    fmt::print(stderr, "bench payments: {}\n", node.status().ToString());
    return 1;
  }
  const Target target{"127.0.0.1", (*node)->server->port(), nullptr};
  PaymentsClient op(std::string(api::kOperatorKeyId), (*node)->OperatorSecret());
  if (!op.Connect(target.host, target.port).ok()) return 1;
  Economy economy;
  if (!OpenEconomy(op, options.connections, options.merchants, &economy)) return 1;
  const uint64_t amount = 100;
  if (!TopUpAll(target, economy, amount * (options.payments / options.connections + 1))) return 1;

  // Each connection is one customer paying one merchant, every request
  // signed afresh with the customer's key and a new Idempotency-Key.
  std::vector<std::unique_ptr<api::RequestSigner>> signers;
  std::vector<std::string> bodies;
  for (uint32_t c = 0; c < options.connections; ++c) {
    signers.push_back(std::make_unique<api::RequestSigner>(economy.customers[c].key_id,
                                                           economy.customers[c].secret));
    bodies.push_back(fmt::format(R"({{"merchant_id":"{}","amount":{},"currency":"CNY"}})",
                                 economy.merchants[c % economy.merchants.size()].id, amount));
  }
  LoadOptions load;
  load.host = target.host;
  load.port = target.port;
  load.connections = options.connections;
  load.requests = options.payments;
  load.threads = options.client_threads;
  load.expect_status = 201;
  auto ran = RunLoad(load, [&](uint32_t c, uint64_t i) {
    LoadRequest r{"POST", "/v1/payments", bodies[c], {}};
    const api::SignatureHeaders h =
        signers[c]->Sign(r.method, r.target, r.body, static_cast<int64_t>(std::time(nullptr)));
    r.headers = {{std::string(api::kKeyHeader), h.key_id},
                 {std::string(api::kTimestampHeader), h.timestamp},
                 {std::string(api::kNonceHeader), h.nonce},
                 {std::string(api::kSignatureHeader), h.signature},
                 {"Idempotency-Key", fmt::format("bench-{}-{}", c, i)}};
    return r;
  });
  if (!ran.ok()) {
    fmt::print(stderr, "bench payments: {}\n", ran.status().ToString());
    return 1;
  }
  LoadResult& result = ran.value();
  if (result.failed != 0) fmt::print(stderr, "bench payments: first failure: {}\n", result.first_failure);
  auto recon = op.Get("/v1/platform/reconciliation");
  const bool balanced = recon.ok() && recon.value().status == 200 && recon.value().json["balanced"].GetBool();
  const uint64_t fsyncs = (*node)->ledger->store().Stats().fsyncs;
  const double rate = static_cast<double>(result.done - result.failed) / result.seconds;
  const double p50 = PercentileMs(result.latencies_ns, 50);
  const double p99 = PercentileMs(result.latencies_ns, 99);
  if (options.json) {
    fmt::print("{{\"bench\":\"payments\",\"store\":\"{}\",\"payments\":{},\"failed\":{},\"connections\":{},"
               "\"server_threads\":{},\"client_threads\":{},\"seconds\":{:.3f},\"payments_per_s\":{:.0f},"
               "\"latency_p50_ms\":{:.3f},\"latency_p99_ms\":{:.3f},\"fsyncs\":{},\"reconciled\":{}}}\n",
               options.store, result.done, result.failed, options.connections, options.server_threads,
               options.client_threads, result.seconds, rate, p50, p99, fsyncs, balanced);
  } else {
    fmt::print("bench payments ({} store, {} connections): {} signed payments in {:.2f} s = {:.0f}/s; "
               "latency p50 {:.3f} ms, p99 {:.3f} ms; {} fsyncs; {} failed; reserve {}\n",
               options.store, options.connections, result.done, result.seconds, rate, p50, p99, fsyncs,
               result.failed, balanced ? "reconciled" : "NOT RECONCILED");
  }
  return result.failed == 0 && result.done == options.payments && balanced ? 0 : 1;
}

}  // namespace netfin::cli
