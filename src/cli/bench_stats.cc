#include "cli/bench_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <sys/resource.h>

#include "core/assert.h"
#include "core/clock.h"
#include "cli/open_store.h"
#include "store/store.h"

namespace netfin::cli {

double PercentileMs(std::vector<uint64_t>& samples_ns, double p) {
  if (samples_ns.empty()) return 0;
  NETFIN_ASSERT(p >= 0 && p <= 100);
  std::sort(samples_ns.begin(), samples_ns.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * samples_ns.size()));
  const size_t index = rank == 0 ? 0 : rank - 1;
  return static_cast<double>(samples_ns[std::min(index, samples_ns.size() - 1)]) / 1e6;
}

double ProcessCpuSeconds() {
  rusage usage{};
  NETFIN_ASSERT(getrusage(RUSAGE_SELF, &usage) == 0);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void ProgressLine::Update(uint64_t done, uint64_t total, uint64_t start_ns, bool force) {
  const uint64_t now = core::MonotonicNowNs();
  if (!force && now - last_print_ns_ < 1'000'000'000ull) return;
  last_print_ns_ = now;
  const double seconds = static_cast<double>(now - start_ns) / 1e9;
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::fprintf(stderr, "\r%s: %llu/%llu (%.0f/s)   ", label_.c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), rate);
  std::fflush(stderr);
}

void ProgressLine::Finish() { std::fprintf(stderr, "\n"); }

std::unique_ptr<ledger::LedgerService> OpenBenchLedger(const std::string& store_kind,
                                                       const std::string& db_path,
                                                       const char* command) {
  auto store = OpenStore(store_kind, db_path, store::Durability::kSync);
  if (!store.ok()) {
    std::fprintf(stderr, "%s: %s\n", command, store.status().ToString().c_str());
    return nullptr;
  }
  auto ledger = ledger::LedgerService::Open(std::move(store).value());
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s: %s\n", command, ledger.status().ToString().c_str());
    return nullptr;
  }
  return std::move(ledger).value();
}

std::optional<Target> ParseTarget(const std::string& url) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) return std::nullopt;
  std::string rest = url.substr(prefix.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  Target target{rest.substr(0, colon), 0, nullptr};
  try {
    const unsigned long port = std::stoul(rest.substr(colon + 1));
    if (port == 0 || port > 65535) return std::nullopt;
    target.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return target;
}


}  // namespace netfin::cli
