#pragma once

// Prometheus metrics of the HTTP edge, and the text exposition (format
// 0.0.4) of them together with the ledger's and the store's counters and,
// when the node runs the risk role, the risk decisions (RiskMetrics).
//
// Labels are bounded by construction: the route label is a route TEMPLATE
// ("/v1/accounts/{id}") or "unmatched", never a raw path; methods outside a
// fixed list count as "OTHER"; statuses outside a fixed list as "other".
// Every series is a relaxed atomic in a fixed array: recording takes no lock
// and allocates nothing.
//
// Thread-safe: Record and the gauges from any thread; Render from any thread.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netfin::ledger {
class LedgerService;
}

namespace netfin::api {

// The risk role's figures as /metrics shows them. A plain struct filled by
// whoever owns the risk service (the node, cli/risk_screen.h's
// RiskMetricsOf), so that the api layer does not depend on the risk role.
struct RiskMetrics {
  bool enabled = false;  // false: risk is off; only netfin_risk_enabled 0 is shown
  bool model_loaded = false;
  uint64_t allow = 0;
  uint64_t challenge = 0;
  uint64_t deny = 0;
  uint64_t model_errors = 0;
  uint64_t rules_loads = 0;  // successful loads of the rules, the first included
  uint64_t rules_reload_failures = 0;
  // Decision latency: {upper bound in ns, decisions at or below it}, bounds
  // ascending, counts cumulative (Prometheus buckets without +Inf).
  std::vector<std::pair<uint64_t, uint64_t>> latency_buckets = {};
  uint64_t latency_count = 0;  // every decision: the +Inf bucket
  uint64_t latency_sum_ns = 0;
};
// Called on an io thread for every scrape; must be thread-safe.
using RiskMetricsSource = std::function<RiskMetrics()>;

class Metrics {
 public:
  // Enough for every route template, with room to grow.
  static constexpr size_t kRouteLabelsMax = 64;
  static constexpr size_t kMethodLabels = 8;      // GET HEAD POST PUT DELETE PATCH OPTIONS OTHER
  static constexpr size_t kStatusLabels = 11;     // see kStatuses in metrics.cc, plus "other"
  static constexpr size_t kDurationBuckets = 16;  // 50us .. 5s

  // route_labels: one route template per label index. The label index
  // route_labels.size() is "unmatched". REQUIRES: size < kRouteLabelsMax.
  explicit Metrics(std::vector<std::string> route_labels);

  size_t unmatched_label() const { return route_labels_.size(); }

  // Counts one answered request and its duration (from its head read to its
  // response handed to the socket).
  void Record(size_t route_label, std::string_view method, unsigned status, uint64_t duration_ns);

  void ConnectionOpened() { connections_open_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { connections_open_.fetch_sub(1, std::memory_order_relaxed); }
  void ConnectionRefused() { connections_refused_.fetch_add(1, std::memory_order_relaxed); }

  // The whole exposition: HTTP series, then the ledger's and store's counters.
  std::string Render(ledger::LedgerService& ledger) const;
  // Appends the risk series (netfin_risk_*) to an exposition.
  static void RenderRisk(const RiskMetrics& risk, std::string* out);

 private:
  struct Duration {
    std::array<std::atomic<uint64_t>, kDurationBuckets> buckets{};  // not cumulative
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };

  static size_t MethodIndex(std::string_view method);
  static size_t StatusIndex(unsigned status);
  void RenderRequests(std::string* out) const;
  void RenderDurations(std::string* out) const;
  void RenderConnections(std::string* out) const;
  std::string_view RouteLabel(size_t index) const;

  const std::vector<std::string> route_labels_;
  std::array<std::atomic<uint64_t>, (kRouteLabelsMax + 1) * kMethodLabels * kStatusLabels>
      requests_{};
  std::array<Duration, kRouteLabelsMax + 1> durations_{};
  std::atomic<int64_t> connections_open_{0};
  std::atomic<uint64_t> connections_refused_{0};
};

}  // namespace netfin::api
