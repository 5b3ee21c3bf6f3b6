// netfin simulate payments and netfin bench payments: a small economy of
// customers and merchants driven through the signed HTTP API.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <optional>
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
#include "core/money.h"

namespace netfin::cli {
namespace {

struct Economy {
  std::vector<Party> customers;
  std::vector<Party> merchants;
};

bool OpenEconomy(PaymentsClient& op, size_t customers, size_t merchants, Economy* economy) {
  for (size_t i = 0; i < customers + merchants; ++i) {
    const bool customer = i < customers;
    Party p;
    if (!OpenParty(op, customer, i, &p)) return false;
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

// Where a customer's app says it is: the signed body's "client" object. A
// normal customer always pays from the same phone, address and city.
struct Client {
  std::string device_id;
  std::string ip;
  double lat_deg = 0;
  double lon_deg = 0;
};

std::string ClientJson(const Client& c) {
  return fmt::format(R"("client":{{"device_id":"{}","ip":"{}","lat":{:.4f},"lon":{:.4f}}})",
                     c.device_id, c.ip, c.lat_deg, c.lon_deg);
}

// Customer i's own phone, in Shanghai.
Client HomeClient(const Party& p, size_t i) {
  return {"phone-" + p.id, fmt::format("198.51.{}.{}", 100 + (i / 250) % 150, 1 + i % 250),
          31.2304 + 0.001 * static_cast<double>(i % 100),
          121.4737 + 0.001 * static_cast<double>(i % 100)};
}

// How the risk screen answered an attempt.
enum class Screened { kPaid, kChallenged, kDenied, kRefused };

Screened ScreenedOf(const ApiAnswer& a) {
  const std::string status = a.Str("status");
  if (status == "succeeded") return Screened::kPaid;
  if (status == "requires_confirmation") return Screened::kChallenged;
  if (status == "failed" && a.Str("failure_code") == "risk_denied") return Screened::kDenied;
  if (a.ErrorCode() == "risk_denied") return Screened::kDenied;
  if (a.status == 201 && a.json.IsObject() && a.json.HasMember("id") && status.empty()) {
    return Screened::kPaid;  // a wallet transfer's answer has no status
  }
  return Screened::kRefused;
}

struct Tally {
  uint64_t paid = 0, challenged = 0, denied = 0, refused = 0;
  void Add(Screened s) {
    switch (s) {
      case Screened::kPaid: ++paid; return;
      case Screened::kChallenged: ++challenged; return;
      case Screened::kDenied: ++denied; return;
      case Screened::kRefused: ++refused; return;
    }
  }
};

// The rules that fired for a payment, as the operator sees them ("" when none).
std::string RiskReasons(PaymentsClient& op, const std::string& payment_id) {
  auto p = op.Get("/v1/payments/" + payment_id);
  if (!p.ok() || p.value().status != 200 || !p.value().json.HasMember("risk")) return "";
  const auto& risk = p.value().json["risk"];
  if (!risk.IsObject() || !risk.HasMember("reasons") || !risk["reasons"].IsArray()) return "";
  std::string out;
  for (const auto& r : risk["reasons"].GetArray()) {
    if (!r.IsString()) continue;
    if (!out.empty()) out += ", ";
    out += r.GetString();
  }
  return out;
}

// The one-time code of a payment's safe-transaction reminder, read from the
// SMS channel's file (cli/notice_channels.h) as a phone would receive it.
// The sweeper delivers a reminder within moments; waits up to 10 s.
std::optional<std::string> ReminderCode(const std::string& notices_path,
                                        const std::string& payment_id) {
  for (int waited_ms = 0; waited_ms < 10'000; waited_ms += 100) {
    std::ifstream in(notices_path);
    for (std::string line; std::getline(in, line);) {
      rapidjson::Document d;
      d.Parse(line.data(), line.size());
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("payment_id") ||
          !d["payment_id"].IsString() || d["payment_id"].GetString() != payment_id ||
          !d.HasMember("text") || !d["text"].IsString()) {
        continue;
      }
      const std::string text = d["text"].GetString();
      const size_t at = text.find("code ");
      if (at == std::string::npos || at + 11 > text.size()) continue;
      const std::string code = text.substr(at + 5, 6);
      if (std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return code;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

struct DemoClients {
  std::vector<std::unique_ptr<PaymentsClient>> customers, merchants;
  std::vector<Client> homes;
};

bool ConnectAll(const Target& target, const Economy& economy, DemoClients* clients) {
  for (size_t i = 0; i < economy.customers.size(); ++i) {
    const Party& p = economy.customers[i];
    clients->customers.push_back(std::make_unique<PaymentsClient>(p.key_id, p.secret));
    if (!clients->customers.back()->Connect(target.host, target.port).ok()) return false;
    clients->homes.push_back(HomeClient(p, i));
  }
  for (const Party& p : economy.merchants) {
    clients->merchants.push_back(std::make_unique<PaymentsClient>(p.key_id, p.secret));
    if (!clients->merchants.back()->Connect(target.host, target.port).ok()) return false;
  }
  return true;
}

// ---- attack patterns (docs/risk.md, "The demonstration")

// Account takeover: two known customers' accounts pay 50,000.00 CNY from a
// phone and address never seen, in another city, to a merchant they never
// paid (ato_new_device_new_payee_large, ato_far_from_usual_location). Both
// are held for confirmation; the first customer confirms with the code the
// SMS reminder carried (it was them, on a new phone), the second declines.
bool AccountTakeover(PaymentsClient& op, const Economy& economy, DemoClients& clients,
                     const std::string& notices_path) {
  constexpr uint64_t kAmount = 5'000'000;  // 50,000.00 CNY
  Party shop;
  if (!OpenParty(op, false, 900, &shop)) return false;
  std::vector<std::string> ids;
  for (size_t v = 0; v < 2; ++v) {
    PaymentsClient& victim = *clients.customers[v];
    auto top_up = victim.Post("/v1/top-ups", fmt::format(R"({{"customer_id":"{}","amount":{},"currency":"CNY"}})",
                                                         economy.customers[v].id, kAmount + 100'000));
    if (!Check(top_up, 201, "top-up")) return false;
    const Client stranger{fmt::format("unknown-phone-{}-{}", v, economy.customers[v].id),
                          fmt::format("203.0.113.{}", 66 + v), 45.8038, 126.5350};  // Harbin
    auto r = victim.Post("/v1/payments", fmt::format(R"({{"merchant_id":"{}","amount":{},"currency":"CNY",{}}})",
                                                     shop.id, kAmount, ClientJson(stranger)));
    if (!r.ok()) return false;
    const Screened s = ScreenedOf(r.value());
    const std::string id = r.value().Str("id");
    fmt::print("  account takeover {}: 50,000.00 CNY from a new phone in Harbin to a new merchant -> {} ({})\n",
               v + 1, r.value().Str("status").empty() ? r.value().body : r.value().Str("status"),
               RiskReasons(op, id));
    if (s != Screened::kChallenged) return true;  // risk off, or other rules: nothing to confirm
    ids.push_back(id);
  }
  const std::optional<std::string> code = ReminderCode(notices_path, ids[0]);
  if (!code) {
    fmt::print("  no reminder for payment {} in {} (is the server's database netfin.db?)\n", ids[0], notices_path);
  } else {
    auto c = clients.customers[0]->Post("/v1/payments/" + ids[0] + "/confirm",
                                        fmt::format(R"({{"code":"{}"}})", *code));
    if (!c.ok()) return false;
    fmt::print("  customer 1 read code {} in the SMS reminder ({}) and confirmed -> {}\n", *code,
               notices_path, c.value().Str("status").empty() ? c.value().body : c.value().Str("status"));
  }
  auto d = clients.customers[1]->Post("/v1/payments/" + ids[1] + "/decline", "{}");
  if (!d.ok()) return false;
  fmt::print("  customer 2 did not make it and declined -> {} ({})\n",
             d.value().Str("status").empty() ? d.value().body : d.value().Str("status"),
             d.value().Str("failure_code"));
  return true;
}

// Card testing: a stolen account tries 15 payments of 1.00 CNY within a
// minute (card_testing_customer_burst denies from the 10th).
bool CardTesting(PaymentsClient& op, const Target& target, const Economy& economy) {
  constexpr size_t kAttempts = 15;
  Party tester;
  if (!OpenParty(op, true, 901, &tester)) return false;
  PaymentsClient client(tester.key_id, tester.secret);
  if (!client.Connect(target.host, target.port).ok()) return false;
  auto top_up = client.Post("/v1/top-ups", fmt::format(R"({{"customer_id":"{}","amount":50000,"currency":"CNY"}})", tester.id));
  if (!Check(top_up, 201, "top-up")) return false;
  const Client device{"emulator-" + tester.id, "203.0.113.99", 22.5431, 114.0579};
  Tally tally;
  size_t first_denied = 0;
  std::string denied_id;
  for (size_t i = 0; i < kAttempts; ++i) {
    auto r = client.Post("/v1/payments", fmt::format(R"({{"merchant_id":"{}","amount":100,"currency":"CNY",{}}})",
                                                     economy.merchants[i % economy.merchants.size()].id, ClientJson(device)));
    if (!r.ok()) return false;
    const Screened s = ScreenedOf(r.value());
    tally.Add(s);
    if (s == Screened::kDenied && first_denied == 0) {
      first_denied = i + 1;
      denied_id = r.value().Str("id");
    }
  }
  fmt::print("  card testing: {} payments of 1.00 CNY within a minute: {} paid, {} denied (risk_denied){}{}\n",
             kAttempts, tally.paid, tally.denied,
             first_denied ? fmt::format(" from attempt {}", first_denied) : "",
             denied_id.empty() ? "" : " (" + RiskReasons(op, denied_id) + ")");
  return true;
}

// A mule wallet: twelve customers each send it 50.00 CNY within the hour
// (mule_fan_in_hour refuses transfers from the 10th distinct payer on).
bool MuleFanIn(PaymentsClient& op, const Economy& economy, DemoClients& clients) {
  Party mule;
  if (!OpenParty(op, true, 902, &mule)) return false;
  const size_t payers = std::min<size_t>(12, economy.customers.size() - 2);
  Tally tally;
  size_t first_denied = 0;
  for (size_t k = 0; k < payers; ++k) {
    const size_t c = 2 + k;  // customers 1 and 2 are the takeover's
    auto t = clients.customers[c]->Post(
        "/v1/wallet-transfers",
        fmt::format(R"({{"from_customer_id":"{}","to_customer_id":"{}","amount":5000,"currency":"CNY",{}}})",
                    economy.customers[c].id, mule.id, ClientJson(clients.homes[c])));
    if (!t.ok()) return false;
    const Screened s = ScreenedOf(t.value());
    tally.Add(s);
    if (s == Screened::kDenied && first_denied == 0) first_denied = k + 1;
  }
  fmt::print("  mule wallet: transfers of 50.00 CNY from {} payers within the hour: {} accepted, {} refused "
             "(HTTP 402 risk_denied){}\n",
             payers, tally.paid, tally.denied,
             first_denied ? fmt::format(" from payer {}", first_denied) : "");
  return true;
}

}  // namespace

int RunSimulatePayments(const SimulatePaymentsOptions& options) {
  auto target = ParseTarget(options.target);
  if (!target) {
    fmt::print(stderr, "simulate payments: --target wants http://HOST:PORT\n");
    return 2;
  }
  if (options.customers < 4 || options.merchants < 1) {
    fmt::print(stderr, "simulate payments: need --customers >= 4 and --merchants >= 1\n");
    return 2;
  }
  PaymentsClient op(std::string(api::kOperatorKeyId), options.operator_secret);
  if (!op.Connect(target->host, target->port).ok()) return 1;
  Economy economy;
  if (!OpenEconomy(op, options.customers, options.merchants, &economy)) return 1;
  if (!TopUpAll(*target, economy, 500'000)) return 1;  // 5,000.00 CNY each

  DemoClients clients;
  if (!ConnectAll(*target, economy, &clients)) return 1;
  auto& customers = clients.customers;
  auto& merchants = clients.merchants;
  // Normal customers: each pays from their own phone, 15.00 .. 214.99 CNY
  // (above the card-testing rules' 10.00), to their usual merchants, and
  // now and then sends a friend 20.00 CNY.
  Tally normal;
  uint64_t paid_amount = 0, refunds = 0, refunded = 0, transfers = 0;
  std::vector<std::string> payment_ids;
  for (size_t i = 0; i < options.payments; ++i) {
    const size_t c = i % customers.size(), m = (i * 7) % merchants.size();
    const uint64_t amount = 1'500 + (i * 7919) % 20'000;
    const std::string client = ClientJson(clients.homes[c]);
    core::Result<ApiAnswer> r = core::Internal("unset");
    if (i % 2 == 0) {
      // The merchant shows a code; the customer scans it and pays.
      auto order = merchants[m]->Post("/v1/payments", fmt::format(R"({{"amount":{},"currency":"CNY","description":"order {}"}})", amount, i));
      if (!Check(order, 201, "create order")) return 1;
      r = customers[c]->Post("/v1/payments/" + order.value().Str("id") + "/pay", "{" + client + "}");
    } else {
      r = customers[c]->Post("/v1/payments", fmt::format(R"({{"merchant_id":"{}","amount":{},"currency":"CNY",{}}})", economy.merchants[m].id, amount, client));
    }
    if (!r.ok()) return 1;
    const Screened s = ScreenedOf(r.value());
    normal.Add(s);
    if (s == Screened::kPaid) {
      paid_amount += amount;
      payment_ids.push_back(r.value().Str("id"));
    }
    if (i % 10 == 9) {
      // 20.00 CNY to a friend; the senders take turns.
      const size_t from = (i / 10) % customers.size(), to = (from + 1) % customers.size();
      auto t = customers[from]->Post("/v1/wallet-transfers", fmt::format(R"({{"from_customer_id":"{}","to_customer_id":"{}","amount":2000,"currency":"CNY",{}}})", economy.customers[from].id, economy.customers[to].id, ClientJson(clients.homes[from])));
      if (t.ok()) normal.Add(ScreenedOf(t.value()));
      if (t.ok() && t.value().status == 201) ++transfers;
    }
  }
  fmt::print("normal customers (own phone, usual merchants and friends): {} payments and transfers "
             "passed, {} challenged, {} denied, {} refused otherwise\n",
             normal.paid, normal.challenged, normal.denied, normal.refused);
  fmt::print("attack patterns, screened by the server's risk rules:\n");
  if (!AccountTakeover(op, economy, clients, options.notices_path)) return 1;
  if (!CardTesting(op, *target, economy)) return 1;
  if (!MuleFanIn(op, economy, clients)) return 1;

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
  fmt::print("payments demo: {} customers, {} merchants; {} normal payments ({} CNY); "
             "{} wallet transfers; {} refunds ({} CNY); {} settlements ({} CNY to "
             "merchants' banks); reserve {}\n",
             economy.customers.size(), economy.merchants.size(), payment_ids.size(), core::FormatMinorUnits(paid_amount),
             transfers, refunds, core::FormatMinorUnits(refunded), settlements,
             core::FormatMinorUnits(settled_amount),
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
  node_options.risk.enabled = options.risk;
  node_options.risk.rules_path = options.risk_rules_path;
  node_options.risk.model_path = options.fraud_model_path;
  node_options.commit_thread_nice = options.commit_nice;
  auto node = StartNode(node_options);
  if (!node.ok()) {
    fmt::print(stderr, "bench payments: {}\n", node.status().ToString());
    return 1;
  }
  const Target target{"127.0.0.1", (*node)->server->port(), nullptr};
  PaymentsClient op(std::string(api::kOperatorKeyId), (*node)->OperatorSecret());
  if (!op.Connect(target.host, target.port).ok()) return 1;
  // One customer per request in flight: connection c's i-th payment is
  // customer c * pipeline + i % pipeline's (a gateway's connection carries
  // many customers' payments; one customer's stay within its tier's limit).
  const uint32_t customers = options.connections * options.pipeline;
  Economy economy;
  if (!OpenEconomy(op, customers, options.merchants, &economy)) return 1;
  // 15.00 CNY: above the card-testing rules' 10.00, so that with --risk
  // every payment is screened and allowed, as a normal customer's is.
  const uint64_t amount = 1'500;
  if (!TopUpAll(target, economy, amount * (options.payments / customers + 1))) return 1;

  // Every request signed afresh with its customer's key and a new
  // Idempotency-Key.
  std::vector<std::unique_ptr<api::RequestSigner>> signers;
  std::vector<std::string> bodies;
  for (uint32_t c = 0; c < customers; ++c) {
    signers.push_back(std::make_unique<api::RequestSigner>(economy.customers[c].key_id,
                                                           economy.customers[c].secret));
    bodies.push_back(fmt::format(R"({{"merchant_id":"{}","amount":{},"currency":"CNY",{}}})",
                                 economy.merchants[c % economy.merchants.size()].id, amount,
                                 ClientJson(HomeClient(economy.customers[c], c))));
  }
  LoadOptions load;
  load.host = target.host;
  load.port = target.port;
  load.connections = options.connections;
  load.requests = options.payments;
  load.threads = options.client_threads;
  load.pipeline = options.pipeline;
  load.rate = options.rate;
  load.expect_status = 201;
  const double cpu_before = ProcessCpuSeconds();
  auto ran = RunLoad(load, [&](uint32_t connection, uint64_t i) {
    const uint32_t c = connection * options.pipeline + static_cast<uint32_t>(i % options.pipeline);
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
  // Server and client share this process: the CPU per payment is what the
  // machine spends on one, both ends of the connection included.
  const double cpu_seconds = ProcessCpuSeconds() - cpu_before;
  LoadResult& result = ran.value();
  const double cpu_us_per_payment = cpu_seconds * 1e6 / static_cast<double>(std::max<uint64_t>(result.done, 1));
  const double cores_busy = cpu_seconds / result.seconds;
  if (result.failed != 0) fmt::print(stderr, "bench payments: first failure: {}\n", result.first_failure);
  auto recon = op.Get("/v1/platform/reconciliation");
  const bool balanced = recon.ok() && recon.value().status == 200 && recon.value().json["balanced"].GetBool();
  const uint64_t fsyncs = (*node)->ledger->store().Stats().fsyncs;
  // The figure depends on it: say which priority the commit thread had.
  const int commit_nice = (*node)->ledger->metrics().commit_thread_nice.load();
  if (const core::Status& priority = (*node)->ledger->commit_thread_priority(); !priority.ok()) {
    fmt::print(stderr, "bench payments: {}\n", priority.message());
  }
  const double rate = static_cast<double>(result.done - result.failed) / result.seconds;
  const double p50 = PercentileMs(result.latencies_ns, 50);
  const double p99 = PercentileMs(result.latencies_ns, 99);
  // With --risk: what the screen decided (payments and wallet transfers;
  // top-ups are not screened).
  const risk::RiskStats screened = (*node)->risk ? (*node)->risk->Stats() : risk::RiskStats{};
  const std::string risk_text =
      (*node)->risk ? fmt::format("risk on ({} allowed, {} challenged, {} denied)", screened.allow,
                                  screened.challenge, screened.deny)
                    : "risk off";
  if (options.json) {
    fmt::print("{{\"bench\":\"payments\",\"store\":\"{}\",\"payments\":{},\"failed\":{},\"connections\":{},"
               "\"server_threads\":{},\"client_threads\":{},\"pipeline\":{},\"offered_per_s\":{:.0f},\"seconds\":{:.3f},\"payments_per_s\":{:.0f},"
               "\"latency_p50_ms\":{:.3f},\"latency_p99_ms\":{:.3f},\"fsyncs\":{},\"cpu_us_per_payment\":{:.1f},"
               "\"cores_busy\":{:.2f},\"commit_thread_nice\":{},\"reconciled\":{},\"risk\":{},\"risk_allow\":{},\"risk_challenge\":{},\"risk_deny\":{}}}\n",
               options.store, result.done, result.failed, options.connections, options.server_threads,
               options.client_threads, options.pipeline, options.rate, result.seconds, rate, p50, p99, fsyncs,
               cpu_us_per_payment, cores_busy, commit_nice, balanced,
               (*node)->risk != nullptr, screened.allow, screened.challenge, screened.deny);
  } else {
    const std::string offered =
        options.rate > 0 ? fmt::format(", {:.0f}/s offered", options.rate) : "";
    fmt::print("bench payments ({} store, {} connections, {} in flight each{}, {}): {} signed payments in {:.2f} s = {:.0f}/s; "
               "latency p50 {:.3f} ms, p99 {:.3f} ms; {} fsyncs; {:.1f} us of CPU per payment ({:.2f} cores busy); "
               "commit thread at nice {}; {} failed; reserve {}\n",
               options.store, options.connections, options.pipeline, offered, risk_text, result.done, result.seconds, rate, p50,
               p99, fsyncs, cpu_us_per_payment, cores_busy, commit_nice, result.failed,
               balanced ? "reconciled" : "NOT RECONCILED");
  }
  return result.failed == 0 && result.done == options.payments && balanced ? 0 : 1;
}

}  // namespace netfin::cli
