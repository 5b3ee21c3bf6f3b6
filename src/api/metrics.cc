#include "api/metrics.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "core/assert.h"
#include "core/limits.h"
#include "ledger/ledger_service.h"

namespace netfin::api {
namespace {

constexpr std::string_view kMethods[Metrics::kMethodLabels] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"};

// Every status the server answers with; anything else counts as "other".
constexpr unsigned kStatuses[Metrics::kStatusLabels - 1] = {200, 400, 404, 405, 409,
                                                            413, 415, 431, 500, 503};

// Upper bounds of the duration buckets, in ns and as Prometheus writes them.
constexpr uint64_t kBucketBoundsNs[Metrics::kDurationBuckets] = {
    50'000,      100'000,       250'000,       500'000,      1'000'000,   2'500'000,
    5'000'000,   10'000'000,    25'000'000,    50'000'000,   100'000'000, 250'000'000,
    500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000};
constexpr std::string_view kBucketLabels[Metrics::kDurationBuckets] = {
    "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025",   "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5"};

size_t RequestSlot(size_t route, size_t method, size_t status) {
  return (route * Metrics::kMethodLabels + method) * Metrics::kStatusLabels + status;
}

size_t BucketIndex(uint64_t duration_ns) {
  for (size_t i = 0; i < Metrics::kDurationBuckets; ++i) {
    if (duration_ns <= kBucketBoundsNs[i]) return i;
  }
  return Metrics::kDurationBuckets;  // only +Inf holds it
}

std::string SecondsText(uint64_t ns) {
  char text[48];
  std::snprintf(text, sizeof(text), "%" PRIu64 ".%09" PRIu64, ns / core::kNanosPerSecond,
                ns % core::kNanosPerSecond);
  return text;
}

void Help(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Counter(std::string* out, std::string_view name, std::string_view help, uint64_t value) {
  Help(out, name, "counter", help);
  *out += name;
  *out += ' ';
  *out += std::to_string(value);
  *out += '\n';
}

void Gauge(std::string* out, std::string_view name, std::string_view help, int64_t value) {
  Help(out, name, "gauge", help);
  *out += name;
  *out += ' ';
  *out += std::to_string(value);
  *out += '\n';
}

// A bucket bound in seconds as Prometheus writes one: "0.00005", "1".
std::string BoundText(uint64_t ns) {
  std::string text = SecondsText(ns);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

uint64_t Load(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

}  // namespace

Metrics::Metrics(std::vector<std::string> route_labels) : route_labels_(std::move(route_labels)) {
  NETFIN_ASSERT(route_labels_.size() < kRouteLabelsMax);
  NETFIN_ASSERT(!route_labels_.empty());
}

size_t Metrics::MethodIndex(std::string_view method) {
  for (size_t i = 0; i + 1 < kMethodLabels; ++i) {
    if (kMethods[i] == method) return i;
  }
  return kMethodLabels - 1;
}

size_t Metrics::StatusIndex(unsigned status) {
  for (size_t i = 0; i + 1 < kStatusLabels; ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatusLabels - 1;
}

std::string_view Metrics::RouteLabel(size_t index) const {
  return index < route_labels_.size() ? std::string_view(route_labels_[index]) : "unmatched";
}

void Metrics::Record(size_t route_label, std::string_view method, unsigned status,
                     uint64_t duration_ns) {
  NETFIN_ASSERT(route_label <= route_labels_.size());
  const size_t slot = RequestSlot(route_label, MethodIndex(method), StatusIndex(status));
  requests_[slot].fetch_add(1, std::memory_order_relaxed);
  Duration& duration = durations_[route_label];
  const size_t bucket = BucketIndex(duration_ns);
  if (bucket < kDurationBuckets) duration.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  duration.count.fetch_add(1, std::memory_order_relaxed);
  duration.sum_ns.fetch_add(duration_ns, std::memory_order_relaxed);
}

void Metrics::RenderRequests(std::string* out) const {
  Help(out, "netfin_http_requests_total", "counter",
       "HTTP requests answered, by route template, method and status.");
  for (size_t r = 0; r <= route_labels_.size(); ++r) {
    for (size_t m = 0; m < kMethodLabels; ++m) {
      for (size_t s = 0; s < kStatusLabels; ++s) {
        const uint64_t value = Load(requests_[RequestSlot(r, m, s)]);
        if (value == 0) continue;
        const std::string status =
            s + 1 < kStatusLabels ? std::to_string(kStatuses[s]) : std::string("other");
        *out += "netfin_http_requests_total{route=\"";
        *out += RouteLabel(r);
        *out += "\",method=\"";
        *out += kMethods[m];
        *out += "\",status=\"" + status + "\"} " + std::to_string(value) + "\n";
      }
    }
  }
}

void Metrics::RenderDurations(std::string* out) const {
  static constexpr std::string_view kName = "netfin_http_request_duration_seconds";
  Help(out, kName, "histogram", "Time from a request's head read to its response, by route.");
  for (size_t r = 0; r <= route_labels_.size(); ++r) {
    const Duration& d = durations_[r];
    const uint64_t count = Load(d.count);
    if (count == 0) continue;
    const std::string route = "route=\"" + std::string(RouteLabel(r)) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kDurationBuckets; ++b) {
      cumulative += Load(d.buckets[b]);
      *out += std::string(kName) + "_bucket{" + route + ",le=\"" + std::string(kBucketLabels[b]) +
              "\"} " + std::to_string(cumulative) + "\n";
    }
    // count is read after the buckets, so +Inf is never below the last bucket.
    *out += std::string(kName) + "_bucket{" + route + ",le=\"+Inf\"} " +
            std::to_string(std::max(count, cumulative)) + "\n";
    *out += std::string(kName) + "_sum{" + route + "} " + SecondsText(Load(d.sum_ns)) + "\n";
    *out += std::string(kName) + "_count{" + route + "} " +
            std::to_string(std::max(count, cumulative)) + "\n";
  }
}

void Metrics::RenderConnections(std::string* out) const {
  Help(out, "netfin_http_connections_open", "gauge", "HTTP connections open now.");
  *out += "netfin_http_connections_open " +
          std::to_string(connections_open_.load(std::memory_order_relaxed)) + "\n";
  Counter(out, "netfin_http_connections_refused_total",
          "HTTP connections refused because kHttpConnectionsMax were open.",
          Load(connections_refused_));
}

void Metrics::RenderRisk(const RiskMetrics& risk, std::string* out) {
  Gauge(out, "netfin_risk_enabled", "1 when payments are screened by the risk role.",
        risk.enabled ? 1 : 0);
  if (!risk.enabled) return;
  Gauge(out, "netfin_risk_model_loaded", "1 when a fraud model scores payments.",
        risk.model_loaded ? 1 : 0);
  static constexpr std::string_view kDecisions = "netfin_risk_decisions_total";
  Help(out, kDecisions, "counter", "Risk decisions, by action.");
  for (const auto& [action, value] : {std::pair<std::string_view, uint64_t>{"allow", risk.allow},
                                      {"challenge", risk.challenge},
                                      {"deny", risk.deny}}) {
    *out += std::string(kDecisions) + "{action=\"" + std::string(action) + "\"} " +
            std::to_string(value) + "\n";
  }
  Counter(out, "netfin_risk_model_errors_total",
          "Payments the model could not score or explain (decided by the rules alone).",
          risk.model_errors);
  Counter(out, "netfin_risk_rules_loads_total",
          "Successful loads of the risk rules, the first included.", risk.rules_loads);
  Counter(out, "netfin_risk_rules_reload_failures_total",
          "Rules file reloads refused (the rules in force stayed).", risk.rules_reload_failures);
  static constexpr std::string_view kLatency = "netfin_risk_decision_duration_seconds";
  Help(out, kLatency, "histogram", "Time to decide one payment (features, model, rules).");
  for (const auto& [bound_ns, cumulative] : risk.latency_buckets) {
    *out += std::string(kLatency) + "_bucket{le=\"" + BoundText(bound_ns) + "\"} " +
            std::to_string(cumulative) + "\n";
  }
  *out += std::string(kLatency) + "_bucket{le=\"+Inf\"} " + std::to_string(risk.latency_count) +
          "\n";
  *out += std::string(kLatency) + "_sum " + SecondsText(risk.latency_sum_ns) + "\n";
  *out += std::string(kLatency) + "_count " + std::to_string(risk.latency_count) + "\n";
}

std::string Metrics::Render(ledger::LedgerService& ledger) const {
  std::string out;
  out.reserve(8192);
  RenderRequests(&out);
  RenderDurations(&out);
  RenderConnections(&out);
  const ledger::LedgerMetrics& m = ledger.metrics();
  Counter(&out, "netfin_ledger_batches_total", "Batches the ledger committed.", Load(m.batches));
  Counter(&out, "netfin_ledger_events_total", "Events (accounts and transfers) the ledger applied.",
          Load(m.events));
  Counter(&out, "netfin_ledger_requests_total", "Requests submitted to the ledger.",
          Load(m.requests));
  Counter(&out, "netfin_ledger_requests_rejected_total",
          "Requests the ledger refused (queue full, stopping or failed).",
          Load(m.requests_rejected));
  Counter(&out, "netfin_ledger_expiries_total", "Pending transfers that expired.",
          Load(m.expiries));
  Gauge(&out, "netfin_ledger_commit_thread_nice",
        "The commit thread's nice value (negative: it runs ahead of request handling).",
        m.commit_thread_nice.load(std::memory_order_relaxed));
  const store::StoreStats stats = ledger.store().Stats();
  Counter(&out, "netfin_store_fsyncs_total", "fsync calls the store made since it opened.",
          stats.fsyncs);
  Counter(&out, "netfin_store_batches_total", "Batches the store committed since it opened.",
          stats.batches);
  Counter(&out, "netfin_store_events_total", "Events the store committed since it opened.",
          stats.events);
  return out;
}

}  // namespace netfin::api
