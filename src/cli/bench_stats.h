#pragma once

// Small helpers shared by the `netfin bench` commands: latency percentiles,
// a progress line, opening a durable ledger.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/auth.h"
#include "core/scratch_dir.h"
#include "ledger/ledger_service.h"

namespace netfin::cli {

// The p-th percentile (0..100) of samples, nearest-rank; 0 for no samples.
// Sorts samples in place.
double PercentileMs(std::vector<uint64_t>& samples_ns, double p);

// CPU seconds this process has used so far, all threads, user and system:
// the difference across a run is the CPU the run cost, server and client
// together when both are in this process.
double ProcessCpuSeconds();

// Rewrites one progress line on stderr at most once a second.
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)) {}
  void Update(uint64_t done, uint64_t total, uint64_t start_ns, bool force = false);
  void Finish();

 private:
  std::string label_;
  uint64_t last_print_ns_ = 0;
};

using core::ScratchDir;

// A server to drive: http://HOST:PORT.
struct Target {
  std::string host;
  uint16_t port = 0;
  std::shared_ptr<const api::RequestSigner> signer;  // nullptr: unsigned requests
};
std::optional<Target> ParseTarget(const std::string& url);

// Opens the ledger on a durable (fsync per batch) store of that kind
// (cli/open_store.h) at db_path; prints why on stderr and returns nullptr
// when it cannot.
std::unique_ptr<ledger::LedgerService> OpenBenchLedger(const std::string& store_kind,
                                                       const std::string& db_path,
                                                       const char* command);

}  // namespace netfin::cli
