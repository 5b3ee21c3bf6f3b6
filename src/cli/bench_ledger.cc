// netfin bench ledger: in-process throughput of the durable ledger. Every
// batch is fsynced before it counts, exactly as `serve` runs.

#include <condition_variable>
#include <mutex>

#include <fmt/format.h>

#include "cli/bench_stats.h"
#include "cli/open_store.h"
#include "cli/commands.h"
#include "cli/workload.h"
#include "core/clock.h"
#include "core/limits.h"
#include "ledger/ledger_service.h"
#include "store/store.h"

namespace netfin::cli {
namespace {

// Keeps at most `limit` batches in flight and gathers their latencies.
class InFlightWindow {
 public:
  explicit InFlightWindow(uint32_t limit) : limit_(limit) {}

  void Acquire() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ < limit_; });
    ++in_flight_;
  }

  void Release(uint64_t latency_ns, size_t ok, size_t failed) {
    std::lock_guard lock(mutex_);
    --in_flight_;
    latencies_ns_.push_back(latency_ns);
    ok_ += ok;
    failed_ += failed;
    changed_.notify_all();
  }

  void Drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ == 0; });
  }

  uint64_t ok() {
    std::lock_guard lock(mutex_);
    return ok_;
  }
  uint64_t failed() const { return failed_; }
  std::vector<uint64_t>& latencies_ns() { return latencies_ns_; }

 private:
  const uint32_t limit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  uint32_t in_flight_ = 0;
  std::vector<uint64_t> latencies_ns_;
  uint64_t ok_ = 0;
  uint64_t failed_ = 0;
};

bool CreateAccounts(ledger::LedgerService& service, uint64_t count) {
  for (uint64_t first = 0; first < count; first += core::kBatchEventsMax) {
    const uint64_t n = std::min<uint64_t>(core::kBatchEventsMax, count - first);
    auto outcomes = service.CreateAccounts(MakeAccounts(1 + first, n));
    if (!outcomes.ok()) {
      fmt::print(stderr, "bench ledger: {}\n", outcomes.status().ToString());
      return false;
    }
  }
  return true;
}

}  // namespace

int RunBenchLedger(const BenchLedgerOptions& options) {
  if (options.accounts < 2 || options.batch == 0 || options.batch > core::kBatchEventsMax ||
      options.in_flight == 0) {
    fmt::print(stderr, "bench ledger: need --accounts >= 2, --batch 1..8190, --in-flight >= 1\n");
    return 2;
  }
  ScratchDir scratch;
  const std::string db =
      options.db_path.empty() ? scratch.File(BenchStoreFileName(options.store)) : options.db_path;
  std::unique_ptr<ledger::LedgerService> service = OpenBenchLedger(options.store, db, "bench ledger");
  if (service == nullptr) return 2;
  ledger::LedgerService& ledger = *service;
  if (!CreateAccounts(ledger, options.accounts)) return 1;

  TransferGenerator generator(1, options.accounts, 1 + ledger.store().Head().timestamp_max, 42);
  InFlightWindow window(options.in_flight);
  ProgressLine progress("bench ledger: transfers");
  const uint64_t fsyncs_before = ledger.store().Stats().fsyncs;
  const uint64_t start_ns = core::MonotonicNowNs();
  for (uint64_t sent = 0; sent < options.transfers;) {
    const size_t n = std::min<uint64_t>(options.batch, options.transfers - sent);
    auto transfers = generator.Next(n);
    window.Acquire();
    const uint64_t submitted_ns = core::MonotonicNowNs();
    ledger.SubmitTransfers(std::move(transfers), [&window, submitted_ns](
                                                     core::Status status,
                                                     std::vector<ledger::TransferOutcome> outcomes) {
      size_t ok = 0;
      for (const auto& o : outcomes) ok += o.result == ledger::CreateTransferResult::kOk;
      window.Release(core::MonotonicNowNs() - submitted_ns, ok,
                     status.ok() ? outcomes.size() - ok : 1);
    });
    sent += n;
    progress.Update(window.ok(), options.transfers, start_ns);
  }
  window.Drain();
  const uint64_t elapsed_ns = core::MonotonicNowNs() - start_ns;
  progress.Update(window.ok(), options.transfers, start_ns, /*force=*/true);
  progress.Finish();

  const uint64_t fsyncs = ledger.store().Stats().fsyncs - fsyncs_before;
  const double seconds = static_cast<double>(elapsed_ns) / 1e9;
  const double per_s = static_cast<double>(window.ok()) / seconds;
  const double p50 = PercentileMs(window.latencies_ns(), 50);
  const double p99 = PercentileMs(window.latencies_ns(), 99);
  const size_t batches = window.latencies_ns().size();
  fmt::print(stderr,
             "bench ledger: {} transfers ({} failed) in {:.3f} s = {:.0f} transfers/s; "
             "{} batches of {}, batch latency p50 {:.2f} ms, p99 {:.2f} ms; {} fsyncs\n",
             window.ok(), window.failed(), seconds, per_s, batches, options.batch, p50, p99, fsyncs);
  if (options.json) {
    fmt::print("{{\"transfers\": {}, \"failed\": {}, \"seconds\": {:.3f}, \"transfers_per_s\": {:.0f}, "
               "\"batch\": {}, \"batches\": {}, \"in_flight\": {}, \"accounts\": {}, "
               "\"batch_p50_ms\": {:.3f}, \"batch_p99_ms\": {:.3f}, \"fsyncs\": {}, "
               "\"durability\": \"fsync per batch\", \"store\": \"{}\"}}\n",
               window.ok(), window.failed(), seconds, per_s, options.batch, batches,
               options.in_flight, options.accounts, p50, p99, fsyncs, options.store);
  }
  return window.failed() == 0 ? 0 : 1;
}

}  // namespace netfin::cli
