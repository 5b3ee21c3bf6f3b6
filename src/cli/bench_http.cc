// netfin bench http: HTTP/JSON load over loopback from several keep-alive
// connections, one client thread each. Without --target it starts a server
// in this process on a temporary database (durable, fsync per batch, as
// `serve` runs), so client and server share the machine's cores.

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "api/api.h"
#include "cli/bench_stats.h"
#include "cli/commands.h"
#include "cli/workload.h"
#include "core/clock.h"
#include "core/limits.h"
#include "ledger/ledger_service.h"
#include "cli/open_store.h"
#include "store/store.h"

namespace netfin::cli {
namespace {

template <typename Record, typename ToJson>
std::string JsonArray(const std::vector<Record>& records, ToJson to_json) {
  std::string body = "[";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) body += ',';
    body += to_json(records[i]);
  }
  body += ']';
  return body;
}

// Counts events answered "ok" (or "exists", for accounts created by an
// earlier run) in a batch response without parsing it: the writer's output
// has no spaces.
size_t CountResults(const std::string& body, std::string_view result) {
  const std::string needle = fmt::format("\"result\":\"{}\"", result);
  size_t count = 0;
  for (size_t at = body.find(needle); at != std::string::npos; at = body.find(needle, at + 1)) ++count;
  return count;
}

bool CreateAccounts(const Target& target, uint64_t accounts) {
  api::HttpClient client;
  client.SetSigner(target.signer);
  if (auto s = client.Connect(target.host, target.port); !s.ok()) {
    fmt::print(stderr, "bench http: {}\n", s.ToString());
    return false;
  }
  for (uint64_t first = 0; first < accounts; first += core::kBatchEventsMax) {
    const uint64_t n = std::min<uint64_t>(core::kBatchEventsMax, accounts - first);
    auto response = client.Request("POST", "/v1/accounts", JsonArray(MakeAccounts(1 + first, n), api::AccountJson));
    if (!response.ok() || response->status != 200 ||
        CountResults(response->body, "ok") + CountResults(response->body, "exists") != n) {
      fmt::print(stderr, "bench http: creating accounts failed: {}\n",
                 response.ok() ? response->body.substr(0, 300) : response.status().ToString());
      return false;
    }
  }
  return true;
}

// The server's fsync count, from its /metrics (0 if it cannot be read), so
// that the figure means the same for an in-process server and a --target.
uint64_t ServerFsyncs(const Target& target) {
  api::HttpClient client;
  client.SetSigner(target.signer);
  if (!client.Connect(target.host, target.port).ok()) return 0;
  auto response = client.Request("GET", "/metrics", "");
  if (!response.ok() || response->status != 200) return 0;
  const std::string series = "\nnetfin_store_fsyncs_total ";
  const size_t at = response->body.find(series);
  return at == std::string::npos ? 0 : std::strtoull(response->body.c_str() + at + series.size(), nullptr, 10);
}

struct LoadResult {
  std::mutex mutex;
  std::vector<uint64_t> latencies_ns;
  std::atomic<uint64_t> ok{0};
  std::atomic<uint64_t> failed{0};
};

// One connection's share of the load: `requests` requests of `batch` transfers.
void RunConnection(const Target& target, const BenchHttpOptions& options, uint64_t first_id,
                   uint64_t transfers, uint32_t seed, LoadResult* result) {
  api::HttpClient client;
  client.SetSigner(target.signer);
  if (!client.Connect(target.host, target.port).ok()) {
    result->failed += transfers;
    return;
  }
  TransferGenerator generator(1, options.accounts, first_id, seed);
  std::vector<uint64_t> latencies;
  for (uint64_t sent = 0; sent < transfers;) {
    const size_t n = std::min<uint64_t>(options.batch, transfers - sent);
    const std::string body = JsonArray(generator.Next(n), api::TransferJson);
    const uint64_t start = core::MonotonicNowNs();
    auto response = client.Request("POST", "/v1/transfers", body);
    latencies.push_back(core::MonotonicNowNs() - start);
    const size_t ok = response.ok() && response->status == 200 ? CountResults(response->body, "ok") : 0;
    result->ok += ok;
    result->failed += n - ok;
    sent += n;
  }
  std::lock_guard lock(result->mutex);
  result->latencies_ns.insert(result->latencies_ns.end(), latencies.begin(), latencies.end());
}

struct LocalServer {
  ScratchDir scratch;
  std::unique_ptr<ledger::LedgerService> ledger;
  std::unique_ptr<api::Server> server;
};

std::optional<Target> StartLocalServer(const std::string& store_kind, LocalServer* local) {
  local->ledger = OpenBenchLedger(store_kind, local->scratch.File(BenchStoreFileName(store_kind)),
                                  "bench http");
  if (local->ledger == nullptr) return std::nullopt;
  local->server = std::make_unique<api::Server>(*local->ledger, api::ServerOptions{"127.0.0.1", 0, 2});
  if (!local->server->Start().ok()) return std::nullopt;
  return Target{"127.0.0.1", local->server->port(), nullptr};
}

}  // namespace

int RunBenchHttp(const BenchHttpOptions& options) {
  if (options.accounts < 2 || options.batch == 0 || options.batch > core::kBatchEventsMax ||
      options.connections == 0) {
    fmt::print(stderr, "bench http: need --accounts >= 2, --batch 1..8190, --connections >= 1\n");
    return 2;
  }
  LocalServer local;
  std::optional<Target> target = options.target.empty() ? StartLocalServer(options.store, &local) : ParseTarget(options.target);
  if (!target) {
    fmt::print(stderr, "bench http: cannot {} '{}'\n", options.target.empty() ? "start a server" : "parse --target",
               options.target);
    return 2;
  }
  if (!options.operator_secret.empty()) {
    target->signer = std::make_shared<api::RequestSigner>("operator", options.operator_secret);
  }
  if (!CreateAccounts(*target, options.accounts)) return 1;

  // Ids from the wall clock, so that runs against one server never collide.
  const uint64_t first_id = core::SystemClock().NowNs();
  const uint64_t per_connection = options.transfers / options.connections;
  LoadResult result;
  const uint64_t fsyncs_before = ServerFsyncs(*target);
  ProgressLine progress("bench http: transfers");
  const uint64_t start_ns = core::MonotonicNowNs();
  std::vector<std::thread> threads;
  for (uint32_t c = 0; c < options.connections; ++c) {
    const uint64_t share = per_connection + (c + 1 == options.connections ? options.transfers % options.connections : 0);
    threads.emplace_back(RunConnection, std::cref(*target), std::cref(options),
                         first_id + uint64_t{c} * 1'000'000'000'000ull, share, 7 + c, &result);
  }
  std::atomic<bool> done{false};
  std::thread reporter([&] {
    while (!done) {
      progress.Update(result.ok + result.failed, options.transfers, start_ns);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  for (auto& t : threads) t.join();
  const uint64_t elapsed_ns = core::MonotonicNowNs() - start_ns;
  done = true;
  reporter.join();
  progress.Update(result.ok + result.failed, options.transfers, start_ns, true);
  progress.Finish();

  const double seconds = static_cast<double>(elapsed_ns) / 1e9;
  const size_t requests = result.latencies_ns.size();
  const double transfers_per_s = static_cast<double>(result.ok) / seconds;
  const double requests_per_s = static_cast<double>(requests) / seconds;
  const double p50 = PercentileMs(result.latencies_ns, 50);
  const double p99 = PercentileMs(result.latencies_ns, 99);
  const uint64_t fsyncs_after = ServerFsyncs(*target);
  const uint64_t fsyncs = fsyncs_after >= fsyncs_before ? fsyncs_after - fsyncs_before : 0;
  fmt::print(stderr,
             "bench http: {} transfers ({} failed) in {:.3f} s = {:.0f} transfers/s, {:.0f} requests/s "
             "({} per request, {} connections); request latency p50 {:.3f} ms, p99 {:.3f} ms\n",
             result.ok.load(), result.failed.load(), seconds, transfers_per_s, requests_per_s,
             options.batch, options.connections, p50, p99);
  if (options.json) {
    fmt::print("{{\"transfers\": {}, \"failed\": {}, \"seconds\": {:.3f}, \"transfers_per_s\": {:.0f}, "
               "\"requests_per_s\": {:.0f}, \"batch\": {}, \"connections\": {}, \"latency_p50_ms\": {:.3f}, "
               "\"latency_p99_ms\": {:.3f}, \"batch_p50_ms\": {:.3f}, \"batch_p99_ms\": {:.3f}, "
               "\"fsyncs\": {}, \"server\": \"{}\", \"store\": \"{}\"}}\n",
               result.ok.load(), result.failed.load(), seconds, transfers_per_s, requests_per_s,
               options.batch, options.connections, p50, p99, p50, p99,
               fsyncs, options.target.empty() ? "in-process" : options.target,
               options.target.empty() ? options.store : "remote");
  }
  return result.failed == 0 ? 0 : 1;
}

}  // namespace netfin::cli
